"""The standalone command line: flag parsing and a real run until SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

import httpx
import pytest

from exporter.simulator import Fault
from exporter.simulator.cli import build_parser, main, parse_duration, parse_fault, parse_listen


@pytest.mark.parametrize(
    ("spec", "name", "fault"),
    [
        ("jira-prod=status:status=429,retry_after=30",
         "jira-prod", Fault("status", status=429, retry_after="30")),
        ("a=slow:seconds=250ms", "a", Fault("slow", seconds=0.25)),
        ("a=drip:seconds=0.5,path=/rest/", "a", Fault("drip", seconds=0.5, path="/rest/")),
        ("a=unauthorized:captcha", "a", Fault("unauthorized", captcha=True)),
        ("a=unauthorized:captcha=false", "a", Fault("unauthorized")),
        ("a=wrong_shape:variant=strings", "a", Fault("wrong_shape", variant="strings")),
        ("a=huge:size=1000000", "a", Fault("huge", size=1_000_000)),
        ("app-0001=old_version", "app-0001", Fault("old_version")),
        ("a=status:status=503,variant=json", "a", Fault("status", status=503, variant="json")),
    ],
)  # fmt: skip
def test_parse_fault(spec: str, name: str, fault: Fault) -> None:
    assert parse_fault(spec) == (name, fault)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no-kind", "NAME=KIND"),
        ("=slow", "NAME=KIND"),
        ("a=explode", "unknown fault kind"),
        ("a=slow:delay=1", "unknown fault parameter"),
        ("a=status:status=abc", "must be an integer"),
        ("a=status", "status"),
        ("a=unauthorized:captcha=maybe", "true or false"),
        ("a=slow:seconds=soon", "invalid duration"),
    ],
)
def test_parse_fault_rejects(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fault(spec)


def test_parse_duration_and_listen() -> None:
    assert parse_duration("0s") == 0
    assert parse_duration("50ms") == pytest.approx(0.05)
    assert parse_duration("2m") == 120
    assert parse_duration("1.5") == 1.5
    assert parse_listen("127.0.0.1:8990") == ("127.0.0.1", 8990)
    assert parse_listen("[::1]:0") == ("::1", 0)
    assert parse_listen(":9000") == ("127.0.0.1", 9000)
    with pytest.raises(ValueError):
        parse_listen("localhost")


def test_parser_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.listen, args.latency, args.instances, args.faults, args.log_level) == (
        "127.0.0.1:8990", "0s", "demo", [], "info",
    )  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [
        ["--fault", "nope=slow"],
        ["--fault", "jira-prod=explode"],
        ["--instances", "zero"],
        ["--latency", "fast"],
        ["--listen", "nowhere"],
        ["--log.level", "loud"],
        ["--users", "-5"],
    ],
)
def test_main_rejects_bad_flags(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.integration
async def test_module_runs_until_sigterm() -> None:
    argv = ["-m", "exporter.simulator", "--listen", "127.0.0.1:0", "--instances", "3",
            "--fault", "app-0002=status:status=429,retry_after=30", "--latency", "10ms"]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        base = first.split()[-1]
        assert first.startswith("simulator listening on http://127.0.0.1:")
        lines = [(await proc.stdout.readline()).decode().split("\t") for _ in range(3)]
        assert [line[:3] for line in lines] == [
            ["app-0001", "jira", f"{base}/app-0001"],
            ["app-0002", "confluence", f"{base}/app-0002"],
            ["app-0003", "bitbucket", f"{base}/app-0003"],
        ]
        assert lines[0][3].startswith("user=admin password=admin")
        async with httpx.AsyncClient(base_url=base, auth=("admin", "admin")) as client:
            assert (await client.get("/app-0003/rest/api/1.0/admin/license")).status_code == 200
            limited = await client.get("/app-0002/rest/license/1.0/license/userCount")
            assert (limited.status_code, limited.headers["Retry-After"]) == (429, "30")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0


def test_users_flag_resizes_every_user_list() -> None:
    from exporter.simulator import demo_instances
    from exporter.simulator.demo import with_users

    resized = with_users(demo_instances(now=0.0), 100_000)
    lists = [(i.name, p) for i in resized for p in i.products if p.users is not None]
    assert {name for name, _ in lists} == {"bitbucket-prod", "confluence-prod", "crowd"}
    assert all(p.users is not None and p.users.count == 100_000 for _, p in lists)
    # Crowd's seat counts are the lengths of its lists, so they follow.
    crowd = [p for name, p in lists if name == "crowd"]
    assert all(p.base_used == 86_000 for p in crowd)
    assert build_parser().parse_args(["--users", "100000"]).users == 100_000
