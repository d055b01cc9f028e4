"""Hostile configuration files: every one is refused quickly with a `location: message` line
that echoes no secret, by `--config.check` (exit 1, no traceback) and by a reload (refused,
config_last_reload_successful 0, the running configuration keeps serving, the event loop keeps
answering)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from exporter.cli import main
from exporter.config.load import Config, load_config
from exporter.config.targets import resolve
from exporter.metrics import CONFIG_RELOAD_SUCCESSFUL
from exporter.serve.collector import LicenseCollector
from exporter.serve.web import make_app
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime

RELOADED = CONFIG_RELOAD_SUCCESSFUL.name
SECRET = "S3cretCanary"
GOOD = {
    "applications": [{"name": "jira-prod", "type": "jira", "link": {"url": "https://j.example"}}]
}


def app_with(**link: Any) -> str:
    return yaml.safe_dump(
        {
            "applications": [
                {"name": "a", "type": "jira", "link": {"url": "https://j.example", **link}}
            ]
        }
    )


def laughs() -> str:
    """Nine aliases a level, nine levels: 387 million nodes once expanded."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 9) + "]"]
    for level in range(1, 9):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join([*lines, "applications: *l8", ""])


# (what, file text, the problem reported)
HOSTILE: list[tuple[str, str, str]] = [
    (
        "400-digit duration",
        yaml.safe_dump({"global": {"timeout": "9" * 400 + "s"}}),
        "global.timeout: '999999999999999999999999999999999999...: the duration is longer than "
        "100 years",
    ),
    (
        "5000-digit integer",
        "global:\n  max_concurrent_syncs: " + "9" * 5000 + "\n",
        "line 2, column 25: an integer with too many digits",
    ),
    (
        "nesting 10,000 deep",
        "applications: " + "[" * 10_000 + "]" * 10_000 + "\n",
        # libyaml's scanner refuses past 1,000 levels before the composer sees level 65.
        "line 1, column 1014: YAML syntax error: exceeded maximum nesting depth"
        if yaml.__with_libyaml__
        else "line 1, column 78: nested deeper than 64 levels",
    ),
    (
        "nesting 100 deep",
        "applications: " + "[" * 100 + "]" * 100 + "\n",
        "line 1, column 78: nested deeper than 64 levels",
    ),
    ("alias bomb", laughs(), "line 6, column 5: aliases expand to more than 250000 nodes"),
    ("recursive alias", "applications: &a [*a]\n", "line 1, column 15: an alias refers to a node"),
    (
        "duplicate key",
        "applications: []\nglobal: {}\napplications: []\n",
        "line 3, column 1: duplicate key 'applications'",
    ),
]
USERINFO = "userinfo: credentials go in basic_auth"
QUERY = "a query or fragment: a base URL has neither"
# (what, file text, the problem reported); each text holds SECRET, which must not be echoed.
LEAKY: list[tuple[str, str, str]] = [
    (
        "an alias named like a password",
        f"applications:\n  - name: a\n    type: jira\n    link:\n      url: https://j.example\n"
        f"      basic_auth: {{username: u, password: *{SECRET}}}\n",
        "line 6, column 43: YAML syntax error: found undefined alias",
    ),
    *(
        (what, app_with(url=url), f"applications[0].link.url: the URL has {problem}")
        for what, url, problem in [
            ("userinfo", f"https://user:{SECRET}@j.example", USERINFO),
            ("a query", f"https://j.example/?token={SECRET}", QUERY),
            ("a fragment", f"https://j.example/#{SECRET}", QUERY),
            ("a bad port", f"https://j.example:{SECRET}/", "an invalid port: a number 0-65535"),
            ("not http", f"ftp://{SECRET}@j.example/", USERINFO),
        ]
    ),
]
# (what, file text, the problem reported): mistakes that used to load.
LAX: list[tuple[str, str, str]] = [
    ("URL ending in ?", app_with(url="https://j.example/jira?"), "a base URL has neither"),
    ("URL ending in #", app_with(url="https://j.example/jira#"), "a base URL has neither"),
    ("URL with a space", app_with(url="https://j.example/ji ra"), "contains whitespace"),
    ("URL with a newline", app_with(url="https://j.example/\njira"), "contains whitespace"),
    (
        "boolean for an integer",
        "global:\n  max_concurrent_syncs: true\n",
        "global.max_concurrent_syncs: must be an integer",
    ),
    (
        "string for an integer",
        "global:\n  max_concurrent_syncs: '16'\n",
        "global.max_concurrent_syncs: must be an integer",
    ),
    (
        "string for max_users",
        "global:\n  user_detail: {max_users: '50'}\n",
        "global.user_detail.max_users: must be an integer",
    ),
]


def check(path: Path) -> subprocess.CompletedProcess[str]:
    """`--config.check` in a process of its own; the timeout guards against a hang, and the
    memory limit against a file read without end."""

    def limit_memory() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))

    return subprocess.run(
        [sys.executable, "-m", "exporter", "--config.file", str(path), "--config.check"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit_memory,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )


def assert_refused(result: subprocess.CompletedProcess[str], problem: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert problem in result.stderr
    assert "Traceback" not in result.stderr and SECRET not in result.stderr + result.stdout


@pytest.mark.integration
@pytest.mark.parametrize(("what", "text", "problem"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_config_check_refuses_a_hostile_file(
    tmp_path: Path, what: str, text: str, problem: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    assert_refused(check(path), problem)


@pytest.mark.parametrize(("what", "text", "problem"), LEAKY + LAX, ids=[c[0] for c in LEAKY + LAX])
def test_config_check_refuses_without_echoing_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str, text: str, problem: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    assert main(["--config.file", str(path), "--config.check"]) == 1
    out = capsys.readouterr()
    assert problem in out.err
    assert SECRET not in out.err + out.out


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
@pytest.mark.parametrize("role", ["password_file", "config file"])
def test_a_fifo_or_device_is_refused_without_hanging(tmp_path: Path, kind: str, role: str) -> None:
    special = Path("/dev/zero")
    if kind == "fifo":
        special = tmp_path / "fifo"
        os.mkfifo(special)  # nobody ever writes to it
    path = tmp_path / "config.yaml"
    path.write_text(app_with(basic_auth={"username": "u", "password_file": str(special)}))
    if role == "config file":
        path = special
        problem = f"{special}: invalid configuration:\n  (file): cannot read: [Errno 22] not a regular file"
    else:
        problem = f"applications[0].link.basic_auth.password_file: cannot read {str(special)!r}: not a regular file"
    assert_refused(check(path), problem)


# Reloads: the same files through /-/reload.


class Rig:
    def __init__(self, client: TestClient, runtime: Runtime, path: Path) -> None:  # type: ignore[type-arg]
        self.client = client
        self.runtime = runtime
        self.path = path

    async def metric(self, name: str) -> str:
        body = await (await self.client.get("/metrics")).text()
        (line,) = [line for line in body.splitlines() if line.startswith(name + " ")]
        return line


@pytest.fixture
async def reload_rig(tmp_path: Path) -> AsyncIterator[Rig]:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    poller = Poller(resolve(load_config(path)))
    runtime = Runtime(poller, path, lifecycle=True)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        LicenseCollector(lambda: poller.states, reload_status=lambda: runtime.reload_status)
    )
    client = TestClient(TestServer(make_app(runtime, registry)))
    await client.start_server()
    yield Rig(client, runtime, path)
    await client.close()
    await poller.close()


@pytest.mark.parametrize(
    ("what", "text", "problem"), HOSTILE + LEAKY, ids=[c[0] for c in HOSTILE + LEAKY]
)
async def test_a_hostile_reload_is_refused_with_its_reason(
    reload_rig: Rig, what: str, text: str, problem: str
) -> None:
    rig = reload_rig
    running = rig.runtime.targets
    assert await rig.metric(RELOADED) == f"{RELOADED} 1.0"
    rig.path.write_text(text)
    response = await rig.client.post("/-/reload")
    body = await response.text()
    assert response.status == 500
    assert body.startswith(f"failed to reload config: {rig.path}: invalid configuration:\n")
    assert problem in body and SECRET not in body
    assert rig.runtime.last_reload_error is not None and problem in rig.runtime.last_reload_error
    assert await rig.metric(RELOADED) == f"{RELOADED} 0.0"
    assert rig.runtime.targets is running
    status_page = await (await rig.client.get("/")).text()
    assert SECRET not in status_page


async def test_an_unexpected_loading_error_is_a_refused_reload(
    reload_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: Path) -> Config:
        raise RecursionError(f"maximum recursion depth exceeded near {SECRET}")

    monkeypatch.setattr("exporter.sync.runtime.load_config", broken)
    response = await reload_rig.client.post("/-/reload")
    assert response.status == 500
    body = await response.text()
    assert body.endswith("(file): cannot load: RecursionError\n") and SECRET not in body
    assert await reload_rig.metric(RELOADED) == f"{RELOADED} 0.0"


async def test_health_answers_while_a_reload_is_loading(
    reload_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(path: Path) -> Config:
        entered.set()
        # Bounded, so that a loader on the event loop (the bug) fails the test, not hangs it.
        release.wait(timeout=5)
        return load_config(path)

    monkeypatch.setattr("exporter.sync.runtime.load_config", slow)
    reloading = asyncio.create_task(reload_rig.client.post("/-/reload"))
    assert await asyncio.to_thread(entered.wait, 5)
    response = await reload_rig.client.get("/-/healthy")
    assert response.status == 200
    assert not reloading.done()  # /-/healthy was answered while the file was still loading
    release.set()
    assert (await reloading).status == 200


def test_an_unexpected_loading_error_is_one_line_from_config_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(path: Path) -> Config:
        raise RecursionError(f"maximum recursion depth exceeded near {SECRET}")

    monkeypatch.setattr("exporter.cli.load_config", broken)
    path = tmp_path / "config.yaml"
    assert main(["--config.file", str(path), "--config.check"]) == 1
    assert capsys.readouterr().err == f"{path}: cannot load: RecursionError\n"
