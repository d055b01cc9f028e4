"""The Dockerfile, checked without a Docker daemon: hadolint, then what the image must be
(multi-stage, locked, non-root, port, health check, entry point, labels), and the health check
command run for real against an exporter."""

from __future__ import annotations

import fnmatch
import json
import ssl
import subprocess
import sys
from pathlib import Path

import bcrypt
import httpx
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from exporter import __version__
from exporter.cli import DEFAULT_LISTEN, build_parser
from exporter.serve import healthcheck as healthcheck_module
from tests import certs
from tests.deploy.files import ROOT, load_all, pyproject, venv_tool
from tests.e2e.processes import Process, exporter_cmd, free_port, wait_until

DOCKERFILE = ROOT / "Dockerfile"
VENV = "/opt/exporter"
PORT = DEFAULT_LISTEN.rsplit(":", 1)[1]


def parsed() -> DockerfileParser:
    return DockerfileParser(str(DOCKERFILE))


def instructions(stage: int | None = None) -> list[tuple[str, str]]:
    """(instruction, value) in order; with `stage`, only that stage's (0-based, -1 the last)."""
    stages: list[list[tuple[str, str]]] = []
    for item in parsed().structure:
        if item["instruction"] == "FROM":
            stages.append([])
        if stages and item["instruction"] != "COMMENT":
            stages[-1].append((item["instruction"], item["value"]))
    if stage is None:
        return [i for s in stages for i in s]
    return stages[stage]


def values(name: str, stage: int | None = None) -> list[str]:
    return [value for instruction, value in instructions(stage) if instruction == name]


@pytest.mark.integration
def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [venv_tool("hadolint"), "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_build_on_a_slim_python_installs_the_lock_with_hashes() -> None:
    froms = values("FROM")
    assert len(froms) >= 2, "a build stage and a runtime stage"
    assert parsed().baseimage.startswith("python:3.11-slim"), parsed().baseimage
    build = " ".join(values("RUN", 0))
    assert "--require-hashes" in build and "-r requirements.lock" in build
    assert "--no-deps ." in build, "the project itself adds no unlocked dependency"
    assert any(v.split()[0] == "requirements.lock" for v in values("COPY", 0))
    # The runtime stage takes the built virtualenv, not the source tree or a compiler.
    runtime_copies = values("COPY", -1)
    assert runtime_copies == [f"--from=build {VENV} {VENV}"]


def test_runs_as_a_numeric_non_root_user_the_kubernetes_manifest_pins() -> None:
    (user,) = values("USER", -1)
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0
    deployment = load_all(ROOT / "deploy" / "kubernetes" / "deployment.yaml")[0]
    pod = deployment["spec"]["template"]["spec"]["securityContext"]
    assert (pod["runAsUser"], pod["runAsGroup"]) == (int(uid), int(gid))


def test_exposes_the_default_port_and_enters_through_the_console_script() -> None:
    assert values("EXPOSE", -1) == [PORT]
    (script,) = pyproject()["project"]["scripts"]
    (entrypoint,) = values("ENTRYPOINT", -1)
    assert json.loads(entrypoint) == [f"{VENV}/bin/{script}"]
    # The default command is a valid command line for that script.
    (cmd,) = values("CMD", -1)
    args = build_parser().parse_args(json.loads(cmd))
    assert str(args.config_file) == "/etc/atlassian-license-exporter/config.yaml"


def test_oci_labels_name_this_version() -> None:
    labels = parsed().labels
    for key in ("title", "description", "version", "revision", "source", "licenses"):
        assert labels.get(f"org.opencontainers.image.{key}"), key
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.licenses"] == pyproject()["project"]["license"]["text"]


def healthcheck_argv() -> list[str]:
    (healthcheck,) = values("HEALTHCHECK", -1)
    assert "--interval=" in healthcheck and "--timeout=" in healthcheck
    argv: list[str] = json.loads(healthcheck.split("CMD", 1)[1])
    return argv


def test_health_check_fits_in_dockers_timeout() -> None:
    (healthcheck,) = values("HEALTHCHECK", -1)
    timeout = float(healthcheck.split("--timeout=", 1)[1].split("s", 1)[0])
    # Two attempts (plain HTTP, then TLS) and about a second of interpreter start-up.
    assert timeout >= 2 * healthcheck_module.TIMEOUT + 1


def health_command(port: int) -> list[str]:
    """The image's own health check, run by this Python against `port`."""
    argv = healthcheck_argv()
    assert argv[0] == f"{VENV}/bin/python"
    assert argv[1:] == ["-m", "exporter.serve.healthcheck", f"127.0.0.1:{PORT}"]
    return [sys.executable, *argv[1:-1], f"127.0.0.1:{port}"]


@pytest.mark.integration
def test_health_check_passes_on_a_serving_exporter_and_fails_without_one(tmp_path: Path) -> None:
    port = free_port()
    command = health_command(port)
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"unhealthy: http://127.0.0.1:{port}/-/healthy: ")
    # An exporter with no application: healthy means serving, whatever the upstreams do.
    config = tmp_path / "config.yaml"
    config.write_text("applications: []\n")
    exporter = Process(
        exporter_cmd("--config.file", str(config), "--web.listen-address", f"127.0.0.1:{port}"),
        tmp_path / "exporter.log",
    )
    try:
        wait_until(lambda: subprocess.run(command).returncode == 0, 30, "the health check")
    finally:
        assert exporter.stop() == 0, exporter.output()
    assert subprocess.run(command, capture_output=True).returncode != 0


WEB_CONFIGS = {
    "tls and basic auth": lambda cert, key, ca: {
        "tls_server_config": {"cert_file": str(cert), "key_file": str(key)},
        "basic_auth_users": {
            "prometheus": bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
        },
    },
    "client certificates required": lambda cert, key, ca: {
        "tls_server_config": {
            "cert_file": str(cert),
            "key_file": str(key),
            "client_ca_file": str(ca),
            "client_auth_type": "RequireAndVerifyClientCert",
        }
    },
}


@pytest.mark.integration
@pytest.mark.parametrize("mode", WEB_CONFIGS)
def test_health_check_passes_behind_the_web_config(tmp_path: Path, mode: str) -> None:
    """With --web.config.file the check needs neither the CA, a password nor a client cert."""
    cert, key = certs.self_signed(tmp_path)
    ca, _ = certs.self_signed(tmp_path, "client-ca")
    web = tmp_path / "web.yml"
    web.write_text(yaml.safe_dump(WEB_CONFIGS[mode](cert, key, ca)))
    config = tmp_path / "config.yaml"
    config.write_text("applications: []\n")
    port = free_port()
    command = health_command(port)
    exporter = Process(
        exporter_cmd(
            "--config.file",
            str(config),
            "--web.config.file",
            str(web),
            "--web.listen-address",
            f"127.0.0.1:{port}",
        ),
        tmp_path / "exporter.log",
    )
    try:
        wait_until(lambda: subprocess.run(command).returncode == 0, 30, "the health check")
        # The endpoint really is closed to a client like the check: no plain HTTP, and over
        # TLS (the CA trusted) no answer without a password or client certificate.
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/-/healthy", timeout=5)
        trusted = ssl.create_default_context(cafile=cert)
        if mode == "client certificates required":
            with pytest.raises(httpx.HTTPError):
                httpx.get(f"https://127.0.0.1:{port}/-/healthy", verify=trusted, timeout=5)
        else:
            response = httpx.get(f"https://127.0.0.1:{port}/-/healthy", verify=trusted)
            assert response.status_code == 401
    finally:
        assert exporter.stop() == 0, exporter.output()
    stopped = subprocess.run(command, capture_output=True, text=True)
    assert stopped.returncode == 1 and "Connection refused" in stopped.stderr


@pytest.mark.integration
@pytest.mark.parametrize("address", ["9877", "localhost:", ":9877", "host:port", "h:99999", "h:0"])
def test_health_check_refuses_an_address_that_is_not_host_port(address: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "exporter.serve.healthcheck", address],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr == f"unhealthy: {address!r} is not HOST:PORT\n"


def test_dockerignore_keeps_what_the_dockerfile_copies_and_drops_the_rest() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        # Docker's rule: the last matching pattern wins; `!` re-includes.
        result = False
        for pattern in patterns:
            negate = pattern.startswith("!")
            bare = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, bare) or path.startswith(bare + "/"):
                result = not negate
        return result

    sources = [
        part
        for value in values("COPY")
        if not value.startswith("--from")
        for part in value.split()[:-1]
    ]
    assert sources, "the Dockerfile copies from the build context"
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not ignored(source), f".dockerignore drops {source}, which the Dockerfile copies"
    for private in ("config.yaml", "secrets", ".venv", ".git", "tests", "artifacts"):
        assert ignored(private), f".dockerignore lets {private} into the build context"
