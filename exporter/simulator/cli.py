"""Command line: run the simulator standalone until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sys
from dataclasses import fields
from typing import Any

from exporter.simulator.app import Simulator
from exporter.simulator.demo import (
    PLANNER_GROWTH_PER_DAY,
    demo_instances,
    generated_instances,
    planner_instances,
    with_users,
)
from exporter.simulator.model import FAULT_KINDS, Fault, SimInstance

log = logging.getLogger(__name__)

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "": 1.0}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_duration(text: str) -> float:
    """'50ms', '1.5s', '2m', '1h' or a bare number of seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|)\s*", text)
    if not match:
        raise ValueError(f"invalid duration {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_listen(text: str) -> tuple[str, int]:
    """'127.0.0.1:8990', '[::1]:8990' or ':8990' (loopback)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"invalid listen address {text!r}, want HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def parse_fault(spec: str) -> tuple[str, Fault]:
    """'NAME=KIND[:k=v,...]', e.g. 'jira-prod=status:status=429,retry_after=30'."""
    name, sep, rest = spec.partition("=")
    if not sep or not name:
        raise ValueError(f"invalid fault {spec!r}, want NAME=KIND[:k=v,...]")
    kind, _, params = rest.partition(":")
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(sorted(FAULT_KINDS))}")
    known = {f.name for f in fields(Fault)} - {"kind"}
    values: dict[str, Any] = {}
    for item in filter(None, params.split(",")):
        key, eq, value = item.partition("=")
        key = key.strip()
        if key not in known:
            raise ValueError(f"unknown fault parameter {key!r}; one of {', '.join(sorted(known))}")
        if key == "captcha" and not eq:
            value = "true"  # a bare 'captcha' switches it on
        values[key] = _convert(key, value.strip())
    return name, Fault(kind, **values)


def _convert(key: str, value: str) -> Any:
    if key == "seconds":
        return parse_duration(value)
    if key in ("status", "size"):
        if not value.isdigit():
            raise ValueError(f"fault parameter {key!r} must be an integer, got {value!r}")
        return int(value)
    if key == "captcha":
        if value.lower() not in _TRUE | _FALSE:
            raise ValueError(f"fault parameter 'captcha' must be true or false, got {value!r}")
        return value.lower() in _TRUE
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atlassian-license-exporter simulate",
        description="Serve simulated Jira, Confluence, Bitbucket and Crowd Data Center and Jira "
        "Cloud license APIs.",
    )
    parser.add_argument(
        "--listen",
        dest="listen",
        default="127.0.0.1:8990",
        help="HOST:PORT to listen on; port 0 picks a free one (default: 127.0.0.1:8990)",
    )
    parser.add_argument(
        "--latency",
        dest="latency",
        default="0s",
        help="delay added to every instance request, e.g. 50ms (default: 0s)",
    )
    parser.add_argument(
        "--instances",
        dest="instances",
        default="demo",
        help="'demo' for the demo set, 'planner' for the demo set and jira-growth (seats "
        "growing steadily for the renewal planner), or N for N generated instances "
        "(default: demo)",
    )
    parser.add_argument(
        "--growth-per-day",
        dest="growth_per_day",
        type=float,
        default=PLANNER_GROWTH_PER_DAY,
        help="seats jira-growth gains a day with --instances planner "
        f"(default: {PLANNER_GROWTH_PER_DAY:g})",
    )
    parser.add_argument(
        "--seed",
        dest="seed",
        type=int,
        default=0,
        help="random seed for generated instances (default: 0)",
    )
    parser.add_argument(
        "--users",
        dest="users",
        type=int,
        default=None,
        help="users in every user list (Bitbucket, Confluence 9.3+, Crowd), e.g. 100000",
    )
    parser.add_argument(
        "--fault",
        dest="faults",
        action="append",
        default=[],
        metavar="NAME=KIND[:k=v,...]",
        help="inject a fault, repeatable; kinds: " + ", ".join(sorted(FAULT_KINDS)),
    )
    parser.add_argument(
        "--log.level",
        dest="log_level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log level (default: info)",
    )
    return parser  # fmt: skip


def _instances(spec: str, seed: int, growth_per_day: float) -> list[SimInstance]:
    if spec == "demo":
        return demo_instances()
    if spec == "planner":
        return planner_instances(per_day=growth_per_day)
    if spec.isdigit() and int(spec) > 0:
        return generated_instances(int(spec), seed)
    raise ValueError(f"--instances must be 'demo', 'planner' or a positive number, got {spec!r}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        host, port = parse_listen(args.listen)
        latency = parse_duration(args.latency)
        instances = _instances(args.instances, args.seed, args.growth_per_day)
        if args.users is not None:
            if args.users < 0:
                raise ValueError(f"--users must not be negative, got {args.users}")
            instances = with_users(instances, args.users)
        faults = [parse_fault(spec) for spec in args.faults]
    except ValueError as exc:
        parser.error(str(exc))
    names = {inst.name for inst in instances}
    for name, _ in faults:
        if name not in names:
            parser.error(f"--fault names unknown instance {name!r}")
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    sim = Simulator(instances, latency=latency)
    for name, fault in faults:
        sim.set_fault(name, fault)
    asyncio.run(_serve(sim, host, port))
    return 0


async def _serve(sim: Simulator, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    base = await sim.start(host, port)
    try:
        lines = [f"simulator listening on {base}"]
        for inst in sim.instances:
            creds = f"user={inst.username} password={inst.password}"
            if inst.token:
                creds += f" token={inst.token}"
            lines.append(f"{inst.name}\t{inst.type}\t{sim.url(inst.name)}\t{creds}")
        print("\n".join(lines), flush=True)
        await stop.wait()
        log.info("stopping")
    finally:
        await sim.stop()
