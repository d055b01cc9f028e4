"""A real Prometheus scrapes the exporter's own process metrics: its Go client asks for gzip and
OpenMetrics (Prometheus 2.42 sends `Accept-Encoding: gzip` on every scrape, and prefers
OpenMetrics in Accept), so this is the check that the per-scrape part appended to the cached body (and
to its cached gzip) reads as one valid exposition."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.processes import Process, exporter_cmd, free_port, wait_until

pytestmark = pytest.mark.integration

JOB = "exporter-self"


def test_prometheus_reads_process_metrics_from_the_gzipped_body(tmp_path: Path) -> None:
    assert shutil.which("prometheus"), "prometheus not found: run scripts/test.sh"
    exporter_addr = f"127.0.0.1:{free_port()}"
    prom = f"http://127.0.0.1:{free_port()}"
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s"},
                "scrape_configs": [
                    {"job_name": JOB, "static_configs": [{"targets": [exporter_addr]}]}
                ],
            }
        )
    )
    procs = [
        Process(
            exporter_cmd("--demo", "--web.listen-address", exporter_addr), tmp_path / "exp.log"
        ),
        Process(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address={prom.removeprefix('http://')}",
                "--log.level=warn",
            ],
            tmp_path / "prometheus.log",
        ),
    ]

    def query(expr: str) -> list[dict[str, Any]]:
        body = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10).json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    try:
        # Two scrapes after the first sync: license and process series from the same bodies.
        wait_until(
            lambda: bool(
                query(f'count_over_time(atlassian_license_sync_up{{job="{JOB}"}}[1m]) >= 2')
            ),
            60,
            "two scrapes of a synced exporter",
        )
        assert [r["value"][1] for r in query(f'up{{job="{JOB}"}}')] == ["1"]
        for name in (
            "process_resident_memory_bytes",
            "process_cpu_seconds_total",
            "process_open_fds",
            "process_start_time_seconds",
            "python_gc_collections_total",
        ):
            assert query(f'{name}{{job="{JOB}"}} > 0'), name
        (info,) = query(f'python_info{{job="{JOB}"}}')
        assert info["metric"]["implementation"] == "CPython"
    finally:
        for proc in procs:
            proc.stop()
            print(f"--- {proc.log.name}\n{proc.output()[-2000:]}")
