"""TLS material: a rotated CA is used after a reload, an encrypted key fails with reason tls and
never prompts for a pass phrase, and --config.check reports unusable TLS files."""

from __future__ import annotations

import os
import pty
import select
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from exporter.config.load import parse_config
from exporter.config.models import TLSConfig
from exporter.config.targets import resolve
from exporter.simulator import Simulator, demo_instances
from exporter.sources.http import SSLContexts
from exporter.sources.model import SourceError
from exporter.sources.tls import check_tls
from exporter.sync.poller import Poller
from tests import certs
from tests.factories import FakeClock

pytestmark = pytest.mark.integration  # every test makes its certificates with openssl

PROMPT = b"Enter PEM pass phrase"  # what OpenSSL asks on the terminal


async def _serve(sim: Simulator, cert: Path, key: Path, port: int = 0) -> web.AppRunner:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    runner = web.AppRunner(sim.make_app(), shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    return runner


async def test_rotated_ca_file_is_used_after_a_reload(tmp_path: Path) -> None:
    old_cert, old_key = certs.self_signed(tmp_path, "old")
    new_cert, new_key = certs.self_signed(tmp_path, "new")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(old_cert.read_bytes())
    sim = Simulator([i for i in demo_instances() if i.name == "bitbucket-prod"])
    runner = await _serve(sim, old_cert, old_key)
    port = runner.addresses[0][1]
    app = {
        "name": "bb",
        "type": "bitbucket",
        "link": {
            "url": f"https://127.0.0.1:{port}/bitbucket-prod",
            "tls_config": {"ca_file": str(ca_file)},
            "basic_auth": {"username": "admin", "password": "admin"},
        },
    }
    config = parse_config({"applications": [app]})
    poller = Poller(resolve(config), clock=FakeClock(0.0))
    try:
        await poller.run_due()
        assert poller.states["bb"].sync.up, poller.states["bb"].sync.last_error
        # The server gets a certificate from another CA, and the CA file is rotated with it.
        await runner.cleanup()
        runner = await _serve(sim, new_cert, new_key, port)
        ca_file.write_bytes(new_cert.read_bytes())
        poller.apply(resolve(parse_config({"applications": [app]})))  # what a reload does
        poller.states["bb"].sync.next_due = 0.0
        await poller.run_due()
        state = poller.states["bb"]
        assert state.sync.up, state.sync.last_error
        assert dict(state.failures) == {}
    finally:
        await poller.close()
        await runner.cleanup()


async def test_tls_failure_names_the_host_that_did_not_match(tmp_path: Path) -> None:
    """Exception text is redacted, but OpenSSL's quoted host name is kept: it says what to fix."""
    cert, key = certs.self_signed(tmp_path)  # for 127.0.0.1 only
    sim = Simulator([i for i in demo_instances() if i.name == "bitbucket-prod"])
    runner = await _serve(sim, cert, key)
    link = {
        "url": f"https://localhost:{runner.addresses[0][1]}/bitbucket-prod",
        "tls_config": {"ca_file": str(cert)},
        "basic_auth": {"username": "admin", "password": "admin"},
    }
    poller = Poller(
        resolve(parse_config({"applications": [{"name": "bb", "type": "bitbucket", "link": link}]}))
    )
    try:
        await poller.run_due()
    finally:
        await poller.close()
        await runner.cleanup()
    state = poller.states["bb"]
    assert dict(state.failures) == {"tls": 1}
    assert "'localhost'" in (state.sync.last_error or ""), state.sync.last_error


def test_contexts_follow_file_content(tmp_path: Path) -> None:
    first, _ = certs.self_signed(tmp_path, "first")
    second, _ = certs.self_signed(tmp_path, "second")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(first.read_bytes())
    tls = TLSConfig(ca_file=ca_file)
    contexts = SSLContexts()
    a = contexts.get(tls)
    assert contexts.get(tls) is a and not contexts.stale(tls)
    ca_file.write_bytes(second.read_bytes())
    assert contexts.stale(tls)
    b = contexts.get(tls)
    assert b is not a and not contexts.stale(tls)
    assert len(contexts) == 1  # the replaced context is not kept


def test_encrypted_key_fails_with_tls_and_never_prompts(tmp_path: Path) -> None:
    """With a terminal to prompt on (a pty), OpenSSL asked for a pass phrase and waited."""
    cert, key = certs.with_encrypted_key(tmp_path)
    script = (
        "import sys\n"
        "from exporter.config.models import TLSConfig\n"
        "from exporter.sources.http import SSLContexts\n"
        "from exporter.sources.model import SourceError\n"
        "try:\n"
        "    SSLContexts().get(TLSConfig(cert_file=sys.argv[1], key_file=sys.argv[2]))\n"
        "except SourceError as exc:\n"
        "    print('FAILED', exc.reason, exc.message)\n"
        "else:\n"
        "    print('LOADED')\n"
    )
    pid, fd = pty.fork()
    if pid == 0:  # the child, with the pty as its controlling terminal
        os.execv(sys.executable, [sys.executable, "-c", script, str(cert), str(key)])
    output = b""
    deadline = time.monotonic() + 30  # a guard against a test that hangs, not a figure
    try:
        while time.monotonic() < deadline and PROMPT not in output:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child has exited and closed the pty
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(fd)
        os.kill(pid, signal.SIGKILL)  # still a zombie until reaped, so the pid is ours
        os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert PROMPT.decode() not in text, text
    assert f"FAILED tls tls_config.key_file: {str(key)!r} is encrypted" in text, text


def test_encrypted_key_in_process_is_a_tls_source_error(tmp_path: Path) -> None:
    cert, key = certs.with_encrypted_key(tmp_path)
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    with pytest.raises(SourceError) as exc:
        SSLContexts().get(TLSConfig(cert_file=cert, key_file=key))
    assert exc.value.reason == "tls" and str(key) in exc.value.message


def test_check_tls_reports_each_unusable_file(tmp_path: Path) -> None:
    cert, key = certs.with_encrypted_key(tmp_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    assert check_tls(TLSConfig()) == []
    assert check_tls(TLSConfig(ca_file=tmp_path / "missing.pem"))[0].startswith(
        f"ca_file: cannot read {str(tmp_path / 'missing.pem')!r}"
    )
    assert check_tls(TLSConfig(ca_file=garbage))[0].startswith(f"ca_file: {str(garbage)!r}")
    assert check_tls(TLSConfig(cert_file=cert, key_file=key))[0].startswith(
        f"key_file: {str(key)!r} is encrypted"
    )


def test_config_check_loads_tls_material(tmp_path: Path) -> None:
    cert, key = certs.with_encrypted_key(tmp_path)
    app = {
        "name": "a",
        "type": "jira",
        "link": {
            "url": "https://jira.example.com",
            "basic_auth": {"username": "u", "password": "p"},
            "tls_config": {"cert_file": str(cert), "key_file": str(key)},
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"applications": [app]}))
    result = subprocess.run(
        [sys.executable, "-m", "exporter", "--config.file", str(path), "--config.check"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no terminal to prompt on, whatever runs the tests
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"applications[0].link.tls_config.key_file: {str(key)!r} is encrypted" in result.stderr
