"""glibc malloc settings at start-up: the right mallopt calls, and never a failed start."""

from __future__ import annotations

import ctypes.util

import pytest

from exporter import memtuning


class FakeLibc:
    def __init__(self, answer: int = 1, error: Exception | None = None) -> None:
        self.calls: list[tuple[int, int]] = []
        self.answer, self.error = answer, error

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        if self.error is not None:
            raise self.error
        return self.answer


def test_fixes_the_mmap_threshold_and_caps_arenas() -> None:
    libc = FakeLibc()
    assert memtuning.tune(libc)
    assert libc.calls == [(-3, 128 * 1024), (-8, 2)]


def test_a_refused_setting_is_logged_and_the_rest_still_applied(
    caplog: pytest.LogCaptureFixture,
) -> None:
    libc = FakeLibc(answer=0)
    assert not memtuning.tune(libc)
    assert len(libc.calls) == 2
    assert "malloc tuning refused param=-3 value=131072" in caplog.text


def test_a_failing_binding_never_raises() -> None:
    libc = FakeLibc(error=OSError("broken"))
    assert not memtuning.tune(libc)
    assert len(libc.calls) == 2


def test_without_glibc_nothing_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memtuning, "glibc", lambda: None)
    assert not memtuning.tune()


def test_no_c_library_found_is_not_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert memtuning.glibc() is None
