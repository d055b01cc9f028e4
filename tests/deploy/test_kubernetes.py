"""deploy/kubernetes/, checked without a cluster: core objects against Kubernetes' own schemas
(kubernetes-validate, offline), the prometheus-operator objects against a vendored schema, the
objects against each other, the config against the exporter's own loader, and the memory
resources against the exporter's measured RSS."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import kubernetes_validate
import pytest
import yaml

from dashboards import config as dashboards_config
from dashboards import render, rules
from exporter.cli import build_parser
from exporter.config.load import load_config
from tests.deploy.files import KUBERNETES, SCHEMAS, load_all, load_yaml, tool
from tests.e2e.processes import Process, exporter_cmd, free_port, start_simulator, wait_until

# The oldest Kubernetes minor version still maintained upstream when this was written; the
# manifests use nothing newer.
KUBERNETES_VERSION = "1.30"
CORE_KINDS = {"ConfigMap", "Secret", "Deployment", "Service"}
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
MIB = 2**20


def manifests() -> dict[str, dict[str, Any]]:
    """Kind -> object, from the files kustomization.yaml lists."""
    out: dict[str, dict[str, Any]] = {}
    for name in load_yaml(KUBERNETES / "kustomization.yaml")["resources"]:
        for doc in load_all(KUBERNETES / name):
            assert doc["kind"] not in out, f"two {doc['kind']} objects"
            out[doc["kind"]] = doc
    return out


def pod_spec() -> dict[str, Any]:
    spec: dict[str, Any] = manifests()["Deployment"]["spec"]["template"]["spec"]
    return spec


def container() -> dict[str, Any]:
    (only,) = pod_spec()["containers"]
    result: dict[str, Any] = only
    return result


def mount(volume_kind: str) -> tuple[str, dict[str, Any]]:
    """(mount path, volume) of the pod volume that has `volume_kind` (configMap, secret)."""
    (volume,) = [v for v in pod_spec()["volumes"] if volume_kind in v]
    (path,) = [m["mountPath"] for m in container()["volumeMounts"] if m["name"] == volume["name"]]
    return path, volume


def test_kustomization_lists_every_manifest_in_the_directory() -> None:
    listed = set(load_yaml(KUBERNETES / "kustomization.yaml")["resources"])
    present = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present
    assert set(manifests()) == CORE_KINDS | CRD_KINDS


@pytest.mark.parametrize("kind", sorted(CORE_KINDS))
def test_core_objects_match_the_kubernetes_schema(kind: str) -> None:
    kubernetes_validate.validate(manifests()[kind], KUBERNETES_VERSION, strict=True)


def test_kubernetes_validation_rejects_a_misspelt_field() -> None:
    broken = json.loads(json.dumps(manifests()["Deployment"]))
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("kind", sorted(CRD_KINDS))
def test_prometheus_operator_objects_match_the_vendored_schema(kind: str) -> None:
    schema = json.loads((SCHEMAS / "monitoring.coreos.com-v1.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(manifests()[kind], schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.integration
def test_prometheus_rule_is_the_generated_rules_file(tmp_path: Path) -> None:
    text = (KUBERNETES / render.PROMETHEUS_RULE_FILE).read_text()
    assert text == render.prometheus_rule_yaml(), "run `python -m dashboards`"
    spec = manifests()["PrometheusRule"]["spec"]
    assert spec == yaml.safe_load(render.rules_yaml()) == rules.rules_document()
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(spec))
    result = subprocess.run(
        [tool("promtool", "prometheus"), "check", "rules", str(rules_file)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_service_and_service_monitor_reach_the_pod_as_the_job_the_rules_select() -> None:
    objects = manifests()
    service, monitor = objects["Service"], objects["ServiceMonitor"]
    pod_labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert objects["Deployment"]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    # prometheus-operator names the job after the Service unless jobLabel says otherwise.
    assert "jobLabel" not in monitor["spec"]
    assert service["metadata"]["name"] == dashboards_config.JOB
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    (port,) = service["spec"]["ports"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == port["name"] == port["targetPort"]
    assert endpoint["path"] == "/metrics"
    (container_port,) = container()["ports"]
    assert container_port["name"] == port["name"]
    args = build_parser().parse_args(container()["args"])
    assert args.listen[1] == container_port["containerPort"] == port["port"]


def test_probes_use_readiness_and_health_endpoints() -> None:
    c = container()
    port = c["ports"][0]["name"]
    assert c["readinessProbe"]["httpGet"] == {"path": "/-/ready", "port": port}
    assert c["livenessProbe"]["httpGet"] == {"path": "/-/healthy", "port": port}


def test_pod_runs_non_root_read_only_without_privileges() -> None:
    pod = pod_spec()["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] > 0 and pod["runAsGroup"] > 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod_spec()["automountServiceAccountToken"] is False
    own = container()["securityContext"]
    assert own["allowPrivilegeEscalation"] is False
    assert own["readOnlyRootFilesystem"] is True
    assert own["capabilities"] == {"drop": ["ALL"]}


def test_configmap_config_loads_with_the_secret_mounted_as_the_pod_sees_it(
    tmp_path: Path,
) -> None:
    objects = manifests()
    config_dir, config_volume = mount("configMap")
    secret_dir, secret_volume = mount("secret")
    assert config_volume["configMap"]["name"] == objects["ConfigMap"]["metadata"]["name"]
    assert secret_volume["secret"]["secretName"] == objects["Secret"]["metadata"]["name"]
    args = build_parser().parse_args(container()["args"])
    config_key = str(args.config_file.relative_to(config_dir))
    text = objects["ConfigMap"]["data"][config_key]
    # Lay the Secret's keys out as files, where the kubelet would, and load the config.
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for key, value in objects["Secret"]["stringData"].items():
        (secrets / key).write_text(value)
    named = re.findall(rf"{re.escape(secret_dir)}/([\w.-]+)", text)
    assert named and set(named) == set(objects["Secret"]["stringData"])
    config_file = tmp_path / "config.yaml"
    config_file.write_text(text.replace(secret_dir, str(secrets)))
    config = load_config(config_file)
    assert [a.name for a in config.applications] == [
        "jira-prod",
        "confluence-prod",
        "bitbucket-prod",
    ]


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB$", status, re.M)
    assert match, status
    return int(match[1]) * 1024 / MIB


def documented_rss() -> dict[str, float]:
    """The measurements stated in deployment.yaml's comment, in MiB."""
    text = (KUBERNETES / "deployment.yaml").read_text()
    rows = re.findall(r"#\s+(--demo|\d+ applications)\b.*?(\d+) MiB", text)
    return {label: float(mib) for label, mib in rows}


def quantity_mib(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", value).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)


def measure(url: str, proc: Process) -> float:
    """Peak RSS after the first sync round and a few scrapes of every page."""
    wait_until(lambda: httpx.get(f"{url}/-/ready").status_code == 200, 60, "the first sync")
    for _ in range(5):
        for path in ("/metrics", "/"):
            assert httpx.get(url + path, timeout=30).status_code == 200
    return peak_rss_mib(proc.proc.pid)


@pytest.mark.integration
def test_memory_resources_cover_the_measured_rss(tmp_path: Path) -> None:
    documented = documented_rss()
    assert set(documented) >= {"--demo", "100 applications", "1000 applications"}, documented

    port = free_port()
    demo = Process(
        exporter_cmd("--demo", "--web.listen-address", f"127.0.0.1:{port}"), tmp_path / "demo.log"
    )
    try:
        demo_mib = measure(f"http://127.0.0.1:{port}", demo)
    finally:
        demo.stop()

    sim, base = start_simulator(tmp_path, "--instances", "100")
    try:
        instances = httpx.get(f"{base}/-/sim/instances").json()
        instances = instances if isinstance(instances, list) else instances["instances"]
        assert len(instances) == 100
        apps = [
            {
                "name": i["name"],
                "type": i["type"],
                "link": {
                    "url": f"{base}/{i['name']}",
                    "basic_auth": {"username": "admin", "password": "admin"},
                },
            }
            for i in instances
        ]
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump({"global": {"sync_interval": "1m"}, "applications": apps}))
        port = free_port()
        exporter = Process(
            exporter_cmd("--config.file", str(config), "--web.listen-address", f"127.0.0.1:{port}"),
            tmp_path / "exporter.log",
        )
        try:
            hundred_mib = measure(f"http://127.0.0.1:{port}", exporter)
        finally:
            exporter.stop()
    finally:
        sim.stop()

    # The comment must not understate what this machine measures now (30 % slack for
    # allocator and library-version noise); stale numbers fail here and get re-measured.
    assert demo_mib <= documented["--demo"] * 1.3, (demo_mib, documented)
    assert hundred_mib <= documented["100 applications"] * 1.3, (hundred_mib, documented)
    resources = container()["resources"]
    request = quantity_mib(resources["requests"]["memory"])
    limit = quantity_mib(resources["limits"]["memory"])
    # The request holds a few hundred applications; the limit the largest measured estate.
    assert request >= 1.5 * hundred_mib, (request, hundred_mib)
    assert limit >= 2 * documented["1000 applications"] and limit >= 2 * request
    assert "cpu" in resources["requests"] and "cpu" not in resources["limits"]
