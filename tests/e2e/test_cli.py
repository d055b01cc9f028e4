"""The CLI as a process: against the simulator over HTTP, --demo, --config.check."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.processes import Process, exporter_cmd, free_port, start_simulator, wait_until


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[str]:
    sim, base = start_simulator(tmp_path, "--instances", "demo")
    yield base
    sim.stop()


def write_config(tmp_path: Path, base: str, **global_: str) -> Path:
    apps = [
        {
            "name": name,
            "type": type_,
            "link": {
                "url": f"{base}/{name}",
                "basic_auth": {"username": "admin", "password": "admin"},
            },
        }
        for name, type_ in [
            ("jira-prod", "jira"),
            ("confluence-prod", "confluence"),
            ("confluence-legacy", "confluence"),
            ("bitbucket-prod", "bitbucket"),
        ]
    ]
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump({"global": {"sync_interval": "1m", **global_}, "applications": apps})
    )
    return path


def samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def test_exporter_process_exports_what_the_simulator_serves(tmp_path: Path, simulator: str) -> None:
    for name, product, used in [
        ("jira-prod", "jira-software", 444),
        ("bitbucket-prod", "bitbucket", 91),
        ("confluence-prod", "confluence", 460),
    ]:
        httpx.post(
            f"{simulator}/-/sim/{name}/seats", json={"product": product, "used": used}
        ).raise_for_status()
    port = free_port()
    exporter = Process(
        exporter_cmd(
            "--config.file",
            str(write_config(tmp_path, simulator)),
            "--web.listen-address",
            f"127.0.0.1:{port}",
        ),
        tmp_path / "exporter.log",
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/-/ready").status_code == 200, 30, "the first sync")
        got = samples(httpx.get(f"{url}/metrics").text)
        assert (
            got['atlassian_license_seats_used{application="jira-prod",product="jira-software"}']
            == 444
        )
        assert (
            got['atlassian_license_seats_limit{application="jira-prod",product="jira-software"}']
            == 500
        )
        assert (
            got[
                'atlassian_license_seats_remaining{application="jira-prod",product="jira-software"}'
            ]
            == 56
        )
        assert (
            got['atlassian_license_seats_unlimited{application="jira-prod",product="jira-core"}']
            == 1
        )
        assert (
            'atlassian_license_seats_limit{application="jira-prod",product="jira-core"}' not in got
        )
        assert (
            got['atlassian_license_seats_used{application="bitbucket-prod",product="bitbucket"}']
            == 91
        )
        assert (
            got[
                'atlassian_license_seats_remaining{application="bitbucket-prod",product="bitbucket"}'
            ]
            == 9
        )
        assert (
            got['atlassian_license_seats_used{application="confluence-prod",product="confluence"}']
            == 460
        )
        # Confluence 6.x has no /license/details: seats without dates, and still a success
        assert (
            'atlassian_license_seats_limit{application="confluence-legacy",product="confluence"}'
            in got
        )
        assert (
            'atlassian_license_expiry_timestamp_seconds{application="confluence-legacy",product="confluence"}'
            not in got
        )
        assert (
            'atlassian_license_expiry_timestamp_seconds{application="confluence-prod",product="confluence"}'
            in got
        )
        for app in ("jira-prod", "confluence-prod", "confluence-legacy", "bitbucket-prod"):
            assert got[f'atlassian_license_sync_up{{application="{app}"}}'] == 1
            assert got[f'atlassian_license_sync_interval_seconds{{application="{app}"}}'] == 60
        assert "admin" not in httpx.get(f"{url}/").text.split("<h2>")[1].replace("/admin/", "")
    finally:
        assert exporter.stop() == 0, exporter.output()
    assert "level=error" not in exporter.output()


def test_demo_mode_serves_metrics_of_the_embedded_simulator(tmp_path: Path) -> None:
    port = free_port()
    exporter = Process(
        exporter_cmd("--demo", "--web.listen-address", f"127.0.0.1:{port}"), tmp_path / "demo.log"
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(
            lambda: httpx.get(f"{url}/-/ready").status_code == 200, 30, "the demo's first sync"
        )
        got = samples(httpx.get(f"{url}/metrics").text)
        used = [v for k, v in got.items() if k.startswith("atlassian_license_seats_used{")]
        assert len(used) >= 5 and all(v > 0 for v in used[:1])
        assert all(v == 1 for k, v in got.items() if k.startswith("atlassian_license_sync_up{"))
    finally:
        assert exporter.stop() == 0, exporter.output()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(exporter_cmd(*args), capture_output=True, text=True, timeout=60)


def test_no_config_and_no_demo_names_both() -> None:
    result = run_cli()
    assert result.returncode == 2
    assert "--config.file" in result.stderr and "--demo" in result.stderr


def test_config_check(tmp_path: Path) -> None:
    good = write_config(tmp_path, "http://127.0.0.1:1")
    result = run_cli("--config.file", str(good), "--config.check")
    assert result.returncode == 0 and "configuration OK, 4 application(s)" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "applications": [
                    {
                        "name": "x",
                        "type": "jira",
                        "link": {
                            "url": "http://j",
                            "basic_auth": {"username": "u", "password": "CANARY-secret"},
                            "authorization": {"credentials": "CANARY-token"},
                        },
                    },
                    {
                        "name": "x",
                        "type": "jira",
                        "link": {"url": "http://j"},
                        "sync_interval": "5",
                    },
                ]
            }
        )
    )
    result = run_cli("--config.file", str(bad), "--config.check")
    assert result.returncode == 1
    assert result.stderr.splitlines()[1:] == [
        "  applications[0].link: at most one of basic_auth and authorization may be set",
        "  applications[1].name: duplicate application name 'x' (first used by applications[0])",
        "  applications[1].sync_interval: '5' is not a duration: use Prometheus syntax such as 30s, 5m, 1h30m",
    ]
    assert "CANARY" not in result.stderr + result.stdout


def test_bad_config_at_start_up_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("applications: [{name: x, type: jira}]")
    result = run_cli("--config.file", str(bad), "--web.listen-address", f"127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "applications[0].link: missing required key" in result.stderr
