"""Seat motion, pins and the validation of instances and faults."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from exporter.simulator import Fault, SimInstance, SimProduct, Simulator
from exporter.simulator.model import DAY
from tests.factories import FakeClock
from tests.simulator.instances import T0, jira_instance


def test_used_seats_follow_sine_and_trend() -> None:
    product = SimProduct("p", 500, 430, amplitude=10, period_seconds=3600, trend_per_day=2)
    assert product.used_at(0) == 430
    assert product.used_at(900) == 440  # quarter period: +amplitude
    assert product.used_at(2700) == 420  # three quarters: -amplitude
    assert product.used_at(DAY) == 432  # whole periods later only the trend is left
    assert product.used_at(10 * DAY) == 450


def test_used_seats_clamp_to_limit_and_zero() -> None:
    assert SimProduct("p", 100, 95, trend_per_day=10).used_at(DAY) == 100
    assert SimProduct("p", 100, 5, trend_per_day=-10).used_at(DAY) == 0
    assert SimProduct("p", None, 95, trend_per_day=10).used_at(DAY) == 105


def test_used_seats_round_half_up() -> None:
    assert SimProduct("p", 10, 4, trend_per_day=1).used_at(DAY / 2) == 5


def test_pin_overrides_motion_until_released() -> None:
    clock = FakeClock()
    sim = Simulator([jira_instance()], clock=clock)
    clock.advance(900)
    assert sim.seats("jira-a", "jira-software") == 440
    sim.pin_seats("jira-a", "jira-software", 499)
    clock.advance(900)
    assert sim.seats("jira-a", "jira-software") == 499
    sim.pin_seats("jira-a", "jira-software", 600)  # over the limit is allowed on purpose
    assert sim.seats("jira-a", "jira-software") == 600
    sim.pin_seats("jira-a", "jira-software", None)
    assert sim.seats("jira-a", "jira-software") == 430


def test_pin_unknown_product_or_instance_raises() -> None:
    sim = Simulator([jira_instance()], clock=FakeClock())
    with pytest.raises(KeyError):
        sim.pin_seats("jira-a", "bamboo", 1)
    with pytest.raises(KeyError):
        sim.set_fault("nope", None)


def test_instance_defaults_and_validation() -> None:
    inst = SimInstance("bb", "bitbucket", [SimProduct("bitbucket", 10, 1)])
    assert inst.version == "9.6.0"
    assert inst.version_tuple == (9, 6, 0)
    assert inst.server_id.startswith("B") and len(inst.server_id) == 19
    with pytest.raises(ValueError, match="name"):
        SimInstance("-/x", "jira", [SimProduct("jira-core", 1, 1)])
    with pytest.raises(ValueError, match="type"):
        SimInstance("x", "bamboo", [SimProduct("b", 1, 1)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no products"):
        SimInstance("x", "jira", [])
    with pytest.raises(ValueError, match="duplicate"):
        SimInstance("x", "jira", [SimProduct("a", 1, 1), SimProduct("a", 1, 1)])
    with pytest.raises(ValueError, match="duplicate instance"):
        Simulator([jira_instance(), jira_instance()])


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("explode")
    with pytest.raises(ValueError, match="status"):
        Fault("status")
    with pytest.raises(ValueError, match="variant"):
        Fault("wrong_shape", variant="sideways")
    with pytest.raises(ValueError, match="negative"):
        Fault("slow", seconds=-1)


def test_fault_from_dict_checks_names_and_types() -> None:
    assert Fault.from_dict({"kind": "slow", "seconds": 2}) == Fault("slow", seconds=2.0)
    assert Fault.from_dict({"kind": "status", "status": 503, "retry_after": None}).status == 503
    with pytest.raises(ValueError, match="unknown fault fields"):
        Fault.from_dict({"kind": "slow", "delay": 1})
    with pytest.raises(ValueError, match="'status' must be int"):
        Fault.from_dict({"kind": "status", "status": "429"})
    with pytest.raises(ValueError, match="'captcha' must be bool"):
        Fault.from_dict({"kind": "unauthorized", "captcha": 1})


def test_simulator_url_needs_a_started_server() -> None:
    sim = Simulator([jira_instance()], clock=FakeClock(T0))
    with pytest.raises(RuntimeError):
        sim.url("jira-a")


def test_simulator_imports_nothing_from_the_exporter_under_test() -> None:
    # The simulator must stay an independent reading of the API reference.
    allowed_roots = {"aiohttp", "exporter"}
    stdlib = set(__import__("sys").stdlib_module_names)
    for source in (Path(__file__).parents[2] / "exporter" / "simulator").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                assert root in stdlib | allowed_roots, (source.name, name)
                if root == "exporter":
                    assert name.startswith("exporter.simulator"), (source.name, name)
