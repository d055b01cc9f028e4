"""The exporter's own process, platform and GC metrics: rendered at every scrape after the
cached license part, byte for byte what one registry holding both renders, and gzipped as a
single gzip member without compressing the cached part again."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector

from exporter.serve import exposition as exposition_module
from exporter.serve import web as web_module
from exporter.serve.exposition import Exposition, live_registry, negotiate
from exporter.serve.render import Encoder, IncrementalRenderer, pieces
from exporter.serve.web import EXPOSITION, make_app
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime
from tests.exposition_rig import FORMATS, OPENMETRICS, TEXT, Rig, rig
from tests.factories import app_dict, make_targets

PID = "4242"
# /proc/<pid>/stat after the ")" of the command name: field 20 is the start time in ticks,
# 21 the virtual size, 22 the resident pages, 12 and 13 user and system ticks.
STAT = "4242 (python) S 1 1 1 0 -1 0 0 0 0 0 {utime} 50 0 0 20 0 3 0 1000 52428800 {rss} 0"


class FrozenProc:
    """A /proc with one process whose values the test sets: ProcessCollector reads it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / PID / "fd").mkdir(parents=True)
        (root / "stat").write_text("cpu 1 2 3\nbtime 1700000000\n")
        (root / PID / "limits").write_text(
            "Limit                     Soft Limit           Hard Limit           Units\n"
            "Max open files            1024                 4096                 files\n"
        )
        for fd in range(3):
            (root / PID / "fd" / str(fd)).touch()
        self.set(rss_pages=1000, utime=200)

    def set(self, rss_pages: int, utime: int) -> None:
        (self.root / PID / "stat").write_text(STAT.format(rss=rss_pages, utime=utime))

    def registry(self) -> CollectorRegistry:
        registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(pid=lambda: PID, proc=str(self.root), registry=registry)
        PlatformCollector(registry=registry)
        return registry


class Counting:
    """Counts the renders of the cached part."""

    def __init__(self, r: Rig) -> None:
        self.renders = 0
        self._renderer = r.renderer

    def __call__(self, encoder: Encoder, content_type: str) -> bytes:
        self.renders += 1
        return self._renderer(encoder, content_type)


def oracle(r: Rig, proc: FrozenProc, encoder: Encoder) -> bytes:
    """What prometheus_client renders for one registry: the license collector, then the rest."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(r.collector)
    for collector in list(proc.registry()._collector_to_names):
        registry.register(collector)
    return encoder(registry)


def single_member(body: bytes) -> bytes:
    """Decompresses exactly one gzip member and insists nothing follows it (curl and some
    browsers stop after the first member)."""
    inflater = zlib.decompressobj(31)
    text = inflater.decompress(body)
    assert inflater.eof and inflater.unused_data == b""
    return text


@pytest.mark.parametrize("fmt", FORMATS)
def test_body_is_what_one_registry_with_both_renders_at_every_scrape(
    tmp_path: Path, fmt: tuple[Encoder, str]
) -> None:
    encoder, content_type = fmt
    r, proc, clock = rig(), FrozenProc(tmp_path), [0.0]
    counting = Counting(r)
    exposition = Exposition(counting, lambda: 1, lambda: clock[0], live=proc.registry())
    first = exposition.get(encoder, content_type)
    assert first.decode() == oracle(r, proc, encoder).decode()
    assert b"process_resident_memory_bytes 4.096e+06\n" in first
    assert b"python_info{" in first
    assert single_member(exposition.get(encoder, content_type, gzipped=True)) == first
    if fmt == OPENMETRICS:
        assert first.count(b"# EOF\n") == 1 and first.endswith(b"\n# EOF\n")

    proc.set(rss_pages=3000, utime=450)
    clock[0] += Exposition.LIVE_MAX_AGE / 2  # scrapes within a second share the live part
    assert exposition.get(encoder, content_type) is first
    clock[0] += Exposition.LIVE_MAX_AGE / 2
    plain = exposition.get(encoder, content_type)
    assert plain.decode() == oracle(r, proc, encoder).decode()
    assert b"process_resident_memory_bytes 1.2288e+07\n" in plain
    assert b"process_cpu_seconds_total 5.0\n" in plain
    assert single_member(exposition.get(encoder, content_type, gzipped=True)) == plain

    # The cached compressor is copied, not consumed: the next live part is just as whole.
    # The compressed cached part is sent as it is, before the tail's: never a joined copy.
    head = exposition.parts(encoder, content_type, gzipped=True)[0]
    proc.set(rss_pages=5000, utime=451)
    clock[0] += Exposition.LIVE_MAX_AGE
    zipped = exposition.parts(encoder, content_type, gzipped=True)
    assert len(zipped) == 2 and zipped[0] is head
    again = single_member(exposition.get(encoder, content_type, gzipped=True))
    assert again.decode() == oracle(r, proc, encoder).decode()
    assert counting.renders == 1  # the license part was rendered once for all of them


def test_the_real_collectors_give_what_sres_alert_on() -> None:
    r = rig()
    exposition = Exposition(r.renderer, lambda: 1, live=live_registry())
    for encoder, content_type in (TEXT, OPENMETRICS):
        body = gzip.decompress(exposition.get(encoder, content_type, gzipped=True)).decode()
        names = {line.split("{")[0].split(" ")[0] for line in body.splitlines() if line[:1] != "#"}
        assert {
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_virtual_memory_bytes",
            "process_open_fds",
            "process_max_fds",
            "process_start_time_seconds",
            "python_info",
            "python_gc_objects_collected_total",
            "python_gc_objects_uncollectable_total",
            "python_gc_collections_total",
        } <= names
        assert "atlassian_license_exporter_build_info" in names
        # Each family once: the live registry is not also inside the cached part.
        assert body.count("# TYPE process_open_fds gauge") == 1


async def served(tmp_path: Path) -> tuple[Poller, web.Application, TestClient[Any, Any]]:
    """The exporter's app with the incremental renderer and live metrics, started."""
    poller = Poller(make_targets(app_dict("good")))
    runtime = Runtime(poller, tmp_path / "config.yaml")
    registry = CollectorRegistry(auto_describe=False)
    r = rig()
    registry.register(r.collector)
    app = make_app(
        runtime, registry, renderer=IncrementalRenderer(r.collector), live=live_registry()
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    return poller, app, client


async def test_metrics_endpoint_serves_them_gzipped(tmp_path: Path) -> None:
    poller, _, client = await served(tmp_path)
    try:
        for accept in ("", "application/openmetrics-text; version=1.0.0"):
            response = await client.get(
                "/metrics",
                headers={"Accept": accept, "Accept-Encoding": "gzip"},
                auto_decompress=False,
            )
            assert response.headers["Content-Encoding"] == "gzip"
            text = single_member(await response.read()).decode()
            assert "\nprocess_resident_memory_bytes " in text
            assert "\natlassian_license_seats_used{" in text
            if accept:
                assert text.endswith("\n# EOF\n") and text.count("# EOF") == 1
    finally:
        await client.close()
        await poller.close()


async def test_metrics_endpoint_sends_the_identity_body_in_parts_whole(tmp_path: Path) -> None:
    """Without gzip the rendered body's parts and the live tail go out one after the other
    (no joined copy): the answer is still one body of the announced length, equal to get()'s."""
    poller, app, client = await served(tmp_path)
    try:
        for accept in ("", "application/openmetrics-text; version=1.0.0"):
            headers = {"Accept": accept, "Accept-Encoding": "identity"}
            response = await client.get("/metrics", headers=headers)
            body = await response.read()
            assert "Content-Encoding" not in response.headers
            assert int(response.headers["Content-Length"]) == len(body)
            parts = app[EXPOSITION].parts(*negotiate(accept))
            assert body == b"".join(parts) == app[EXPOSITION].get(*negotiate(accept))
            # Each family's header and lines are parts of their own, the live tail the last.
            assert len(parts) > 2 and bytes(parts[-1]).startswith(b"# HELP process_")
            assert b"\nprocess_resident_memory_bytes " in body
            assert b"\natlassian_license_seats_used{" in body
            assert body.count(b"# EOF") == (1 if accept else 0)
    finally:
        await client.close()
        await poller.close()


async def test_a_body_written_and_compressed_in_small_pieces_is_the_same_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 10,000 applications a body is written 256 KiB and compressed 1 MiB at a time (the
    rig's body fits in one piece of each): with pieces of a few parts, the bytes sent and
    decompressed are still the whole body, once."""
    monkeypatch.setattr(web_module, "WRITE_SIZE", 300)
    monkeypatch.setattr(exposition_module, "DEFLATE_SIZE", 300)
    poller, app, client = await served(tmp_path)
    try:
        for accept in ("", "application/openmetrics-text; version=1.0.0"):
            fmt = negotiate(accept)
            plain = await client.get("/metrics", headers={"Accept": accept})
            zipped = await client.get(
                "/metrics",
                headers={"Accept": accept, "Accept-Encoding": "gzip"},
                auto_decompress=False,
            )
            body = await plain.read()
            assert body == app[EXPOSITION].get(*fmt) and body.count(b"# HELP") > 20
            assert single_member(await zipped.read()) == app[EXPOSITION].get(*fmt)
    finally:
        await client.close()
        await poller.close()


def test_pieces_join_parts_whole_and_in_order() -> None:
    parts = (b"ab", b"c", memoryview(b"defg"), b"", b"h" * 10, b"ij")
    for size in (1, 3, 5, 100):
        got = list(pieces(parts, size))
        assert b"".join(got) == b"abcdefghhhhhhhhhhij"
        assert all(len(piece) < size + 10 for piece in got)  # a part is never split
