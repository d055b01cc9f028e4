"""Fixtures every layer of the suite shares: an injectable clock, a configuration factory and
the upstream fake with its recorded fixtures.

The objects behind them live in importable helper modules (tests/factories.py, tests/fakes.py),
so a test module imports helpers, never another test module or a conftest (tests/test_layout.py).
The hooks keep the `integration` marker honest (tests/layers.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from exporter.config.models import TLSConfig
from exporter.sources.http import SSLContexts
from tests import factories, layers
from tests.factories import FakeClock, MakeConfig
from tests.fakes import T0

MakeUpstream = Callable[[Mapping[str, Any]], factories.Upstream]


def pytest_configure(config: pytest.Config) -> None:
    watch = layers.SpawnWatch()
    watch.install()
    config.stash[layers.WATCH] = watch


def pytest_unconfigure(config: pytest.Config) -> None:
    if layers.WATCH in config.stash:
        config.stash[layers.WATCH].uninstall()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    item.config.stash[layers.WATCH].clear()  # what its fixtures start counts as the test's
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield
    problem = layers.unmarked_start(item)
    if problem:
        pytest.fail(problem, pytrace=False)
    return result


@pytest.fixture
def clock() -> FakeClock:
    """Starts at 2026-01-01T00:00:00Z and moves only when the test moves it."""
    return FakeClock(T0)


@pytest.fixture
def config_factory() -> MakeConfig:
    """`config_factory(app_dict(...), ..., sync_interval="1m")`: a validated Config."""
    return factories.make_config


@pytest.fixture
def upstream_factory() -> MakeUpstream:
    """`upstream_factory({path: body | response | handler})`: an Upstream MockTransport."""
    return factories.Upstream


@pytest.fixture
def load_fixture() -> Callable[[str], Any]:
    """`load_fixture("jira/applicationrole.json")`: a recorded, documented upstream body."""
    return factories.fixture


@pytest.fixture(scope="session")
def ssl_contexts() -> SSLContexts:
    """One SSLContexts for the session: each context loads the CA bundle (~25 ms), so a Poller
    per test building its own is most of a fast test's time. A context holds no loop state."""
    contexts = SSLContexts()
    # Built now, not empty: Poller takes `contexts or SSLContexts()`, and an empty one is falsy.
    contexts.get(TLSConfig())
    return contexts
