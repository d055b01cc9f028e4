"""Start-up's garbage-collector settings: paused while the configuration is built, restored."""

from __future__ import annotations

import gc

import pytest

from exporter import gctuning


def test_collections_are_paused_while_start_up_builds_and_enabled_again() -> None:
    assert gc.isenabled()
    with gctuning.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_while_paused_enables_collections_again() -> None:
    with pytest.raises(RuntimeError), gctuning.paused():
        raise RuntimeError("config broken")
    assert gc.isenabled()


def test_collections_disabled_before_stay_disabled() -> None:
    gc.disable()
    try:
        with gctuning.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
