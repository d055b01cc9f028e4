"""The CLI as a process: against the simulator over HTTP, --demo, --config.check."""

from __future__ import annotations

import re
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.processes import (
    Process,
    exporter_cmd,
    free_port,
    samples,
    start_simulator,
    wait_until,
)

pytestmark = pytest.mark.integration  # every test here starts a process (tests/layers.py)


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
        # Every Data Center instance's Marketplace apps, in /metrics and on the status page.
        dc = ("jira-prod", "confluence-prod", "confluence-legacy", "bitbucket-prod")

        def apps_read() -> bool:
            # The demo's owner labels (team) follow the contract's labels on every series.
            text = httpx.get(f"{url}/metrics").text
            return all(
                re.search(
                    rf'^atlassian_license_apps_sync_up{{application="{n}"[,}}].* 1\.0$', text, re.M
                )
                for n in dc
            )

        wait_until(apps_read, 30, "the demo's first apps sync")
        text = httpx.get(f"{url}/metrics").text
        for name in dc:
            info = re.findall(
                rf'^atlassian_license_app_info{{app="com\.example\.[^"]+",application="{name}",',
                text,
                re.M,
            )
            assert len(info) >= 2, name
        page = httpx.get(f"{url}/").text
        assert page.count("Marketplace apps (") == len(dc)
        assert "USER_MISMATCH" in page
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


def test_web_config_tls_and_basic_auth(tmp_path: Path) -> None:
    import bcrypt

    from tests import certs

    cert, key = certs.self_signed(tmp_path)
    web = tmp_path / "web.yml"
    web.write_text(
        yaml.safe_dump(
            {
                "tls_server_config": {"cert_file": str(cert), "key_file": str(key)},
                "basic_auth_users": {
                    "prometheus": bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
                },
            }
        )
    )
    port = free_port()
    exporter = Process(
        exporter_cmd(
            "--demo", "--web.config.file", str(web), "--web.listen-address", f"127.0.0.1:{port}"
        ),
        tmp_path / "tls.log",
    )
    url = f"https://127.0.0.1:{port}"
    ctx = ssl.create_default_context(cafile=str(cert))
    try:
        wait_until(
            lambda: httpx.get(f"{url}/-/healthy", verify=ctx).status_code == 401,
            30,
            "the TLS endpoint",
        )
        assert (
            httpx.get(f"{url}/metrics", verify=ctx, auth=("prometheus", "wrong")).status_code == 401
        )
        response = httpx.get(f"{url}/metrics", verify=ctx, auth=("prometheus", "s3cret"))
        assert (
            response.status_code == 200
            and "atlassian_license_sync_interval_seconds" in response.text
        )
        with pytest.raises(httpx.HTTPError):  # plain HTTP is not served
            httpx.get(f"http://127.0.0.1:{port}/metrics", auth=("prometheus", "s3cret"), timeout=5)
        with pytest.raises(httpx.ConnectError):  # unknown CA is refused by the client
            httpx.get(f"{url}/metrics", auth=("prometheus", "s3cret"))
    finally:
        assert exporter.stop() == 0, exporter.output()


def test_bad_web_config_exits_1(tmp_path: Path) -> None:
    web = tmp_path / "web.yml"
    web.write_text("basic_auth_users: {u: plain}\n")
    result = run_cli(
        "--demo", "--web.config.file", str(web), "--web.listen-address", f"127.0.0.1:{free_port()}"
    )
    assert result.returncode == 1
    assert "basic_auth_users.u: not a bcrypt hash" in result.stderr


def test_sighup_reloads_config_and_removed_series_disappear(tmp_path: Path, simulator: str) -> None:
    import os
    import signal

    config = write_config(tmp_path, simulator)
    port = free_port()
    exporter = Process(
        exporter_cmd("--config.file", str(config), "--web.listen-address", f"127.0.0.1:{port}"),
        tmp_path / "reload.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{url}/-/ready").status_code == 200, 30, "the first sync")
        data = yaml.safe_load(config.read_text())
        data["applications"] = [a for a in data["applications"] if a["name"] != "bitbucket-prod"]
        data["applications"][0]["sync_interval"] = "30s"  # changed: jira-prod restarts afresh
        config.write_text(yaml.safe_dump(data))
        os.kill(exporter.proc.pid, signal.SIGHUP)
        wait_until(
            lambda: 'application="bitbucket-prod"' not in httpx.get(f"{url}/metrics").text,
            10,
            "bitbucket-prod's series to disappear",
        )
        wait_until(
            lambda: (
                'atlassian_license_sync_interval_seconds{application="jira-prod"} 30.0'
                in httpx.get(f"{url}/metrics").text
            ),
            10,
            "jira-prod's new interval",
        )
        config.write_text("applications: [{name: broken")
        os.kill(exporter.proc.pid, signal.SIGHUP)
        wait_until(
            lambda: (
                "atlassian_license_exporter_config_last_reload_successful 0.0"
                in httpx.get(f"{url}/metrics").text
            ),
            10,
            "the failed reload to show",
        )
        assert (
            'atlassian_license_sync_up{application="confluence-prod"} 1.0'
            in httpx.get(f"{url}/metrics").text
        )
    finally:
        assert exporter.stop() == 0, exporter.output()
    assert "config reload failed, keeping the running config" in exporter.output()


def test_malformed_http_requests_do_no_harm(tmp_path: Path) -> None:
    import socket

    port = free_port()
    exporter = Process(
        exporter_cmd("--demo", "--web.listen-address", f"127.0.0.1:{port}"), tmp_path / "bad.log"
    )
    try:
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{port}/-/healthy").status_code == 200,
            30,
            "the exporter",
        )
        for garbage in (
            b"\x00\xff\x16\x03garbage\r\n\r\n",
            b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 100_000 + b"\r\n\r\n",
            b"GET " + b"/a" * 20_000 + b" HTTP/1.1\r\n\r\n",
        ):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(garbage)
                reply = s.recv(100)
                assert reply.startswith(b"HTTP/1.") and b" 200 " not in reply[:15]
        assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 200
    finally:
        assert exporter.stop() == 0, exporter.output()


def test_sigterm_during_a_stuck_sync_exits_promptly(tmp_path: Path) -> None:
    sim, base = start_simulator(
        tmp_path, "--instances", "demo", "--fault", "jira-prod=slow:seconds=60"
    )
    port = free_port()
    config = write_config(tmp_path, base, timeout="50s")
    exporter = Process(
        exporter_cmd("--config.file", str(config), "--web.listen-address", f"127.0.0.1:{port}"),
        tmp_path / "stuck.log",
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(
            lambda: 'sync_up{application="bitbucket-prod"} 1.0' in httpx.get(f"{url}/metrics").text,
            30,
            "the other applications' first sync",
        )
        # jira-prod is still waiting on its upstream; /metrics answers regardless.
        assert 'sync_up{application="jira-prod"}' not in httpx.get(f"{url}/metrics").text
        exporter.proc.terminate()
        # Exits cleanly, not after the 50 s the stuck sync could still take (a hang guard).
        assert exporter.proc.wait(10) == 0
    finally:
        exporter.stop()
        sim.stop()
