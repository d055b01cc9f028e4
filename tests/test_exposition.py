"""The incremental renderer gives byte for byte what prometheus_client renders, and the
exposition cache serves one body (and one gzip of it) per state change."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest

from exporter import cli
from exporter import metrics as m
from exporter.config.targets import CostTarget
from exporter.serve import render
from exporter.serve.collector import Batch, Families, LicenseCollector, Placed, ReloadStatus
from exporter.serve.exposition import Exposition, accepts_gzip
from exporter.serve.render import MAX_FORMATS, Encoder, LayoutError, check_layout
from exporter.sources.model import (
    AppsSnapshot,
    CrowdData,
    MarketplaceApp,
    ProductLicense,
    ProductUsers,
    Snapshot,
    UsersSnapshot,
)
from exporter.sync.poller import AppState
from tests.exposition_rig import FORMATS, OPENMETRICS, TEXT, Rig, jira, rig
from tests.factories import at
from tests.states import NOW, state

# Every field the collector reads, changed in place without telling anyone but the clock.
MUTATIONS: dict[str, Callable[[Rig], object]] = {
    "snapshot": lambda r: setattr(
        r.states["jira-a"].sync,
        "snapshot",
        Snapshot((ProductLicense("jira-software", 13, 100, 87),)),
    ),
    "interval": lambda r: setattr(r.states["jira-a"].sync, "interval", 120.0),
    "up": lambda r: setattr(r.states["jira-a"].sync, "up", False),
    "up_unknown": lambda r: setattr(r.states["jira-a"].sync, "up", None),
    "last_success": lambda r: setattr(r.states["jira-a"].sync, "last_success", at(NOW - 5)),
    "last_duration": lambda r: setattr(r.states["jira-a"].sync, "last_duration", 0.5),
    "failures": lambda r: r.states["jira-a"].count_failure("http_5xx"),
    "users_interval": lambda r: setattr(r.states["bb"].users, "interval", 7200.0),
    "users_up": lambda r: setattr(r.states["bb"].users, "up", False),
    "users_last_success": lambda r: setattr(r.states["bb"].users, "last_success", at(NOW - 1)),
    "users_last_duration": lambda r: setattr(r.states["bb"].users, "last_duration", 1.5),
    "users_snapshot": lambda r: setattr(
        r.states["bb"].users, "snapshot", UsersSnapshot((ProductUsers("bitbucket", 1, 1, ()),))
    ),
    "users_skipped": lambda r: setattr(
        r.states["bb"].users,
        "snapshot",
        UsersSnapshot(
            (replace(r.states["bb"].users.snapshot.products[0], skipped=2),)  # type: ignore[union-attr]
        ),
    ),
    "users_by_directory": lambda r: setattr(
        r.states["bb"].users,
        "snapshot",
        UsersSnapshot(
            (
                replace(
                    r.states["bb"].users.snapshot.products[0],  # type: ignore[union-attr]
                    by_directory=(("Crowd users directory", 30), ("LDAP", 10)),
                ),
            )
        ),
    ),
    "users_gone": lambda r: setattr(r.states["bb"], "users", None),
    "apps_snapshot": lambda r: setattr(
        r.states["jira-a"].apps,
        "snapshot",
        AppsSnapshot((MarketplaceApp("com.x.sr", "SR", "9", False, None),)),
    ),
    "apps_up": lambda r: setattr(r.states["jira-a"].apps, "up", False),
    "apps_last_success": lambda r: setattr(r.states["jira-a"].apps, "last_success", at(NOW - 1)),
    "apps_gone": lambda r: setattr(r.states["jira-a"], "apps", None),
    "stale_apps": lambda r: setattr(r.clock, "now", NOW - 30 + 3 * 21600 + 1),
    "stale_seats": lambda r: setattr(r.clock, "now", NOW + 3 * 60 + 1),
    "stale_users": lambda r: setattr(r.clock, "now", NOW + 3 * 3600 + 1),
    "reload_failed": lambda r: setattr(r, "reload", ReloadStatus(False, NOW - 100)),
    "app_removed": lambda r: r.states.pop("jira-b"),
    "app_added": lambda r: r.states.update({"crowd": state("crowd", "crowd")}),
    # Reload replaces the target: owner labels, tiers and prices are part of the samples.
    "owner_labels": lambda r: _retarget(r, labels=(("team", "tools"),)),
    "tiers": lambda r: _retarget(r, tiers=(100, 200)),
    "cost": lambda r: _retarget(r, cost=CostTarget("EUR", ((100, 1.0), (1000, 2.0)))),
}


def _retarget(r: Rig, **changes: object) -> None:
    old = r.states["jira-a"]
    r.states["jira-a"] = replace(old, target=replace(old.target, **changes))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_renders_what_prometheus_client_renders_after_each_change(
    fmt: tuple[Encoder, str], mutation: str
) -> None:
    r = rig()
    before = r.check(fmt)
    MUTATIONS[mutation](r)
    after = r.check(fmt)
    assert after != before  # the change is visible, not served from a stale chunk


def crowd(name: str) -> AppState:
    s = state(name, "crowd")
    s.sync.snapshot = Snapshot(
        (ProductLicense("jira-software", 431, 500, 69),),
        (
            CrowdData("jira-software", "PRESENT", 57),
            CrowdData("jira-core", "NOT_CONFIGURED"),
        ),
        2,
    )
    return s


def _crowd_change(r: Rig, **changes: object) -> None:
    snapshot = r.states["cr"].sync.snapshot
    assert snapshot is not None
    if "software" in changes:
        crowd = (replace(snapshot.crowd[0], **changes.pop("software")), snapshot.crowd[1])  # type: ignore[arg-type]
        changes["crowd"] = crowd
    r.states["cr"].sync.snapshot = replace(snapshot, **changes)  # type: ignore[arg-type]


# Every Crowd field the collector reads, changed in place.
CROWD_MUTATIONS: dict[str, Callable[[Rig], object]] = {
    "status": lambda r: _crowd_change(r, software={"status": "LOADING"}),
    "status_other": lambda r: _crowd_change(r, software={"status": "other"}),
    "status_unreported": lambda r: _crowd_change(r, software={"status": None}),
    "directories": lambda r: _crowd_change(r, crowd_directories=3),
    "directories_unknown": lambda r: _crowd_change(r, crowd_directories=None),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mutation", CROWD_MUTATIONS)
def test_crowd_fields_render_what_prometheus_client_renders(
    fmt: tuple[Encoder, str], mutation: str
) -> None:
    r = Rig(jira("jira-a"), crowd("cr"))
    before = r.check(fmt)
    CROWD_MUTATIONS[mutation](r)
    assert r.check(fmt) != before


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_applications_and_awkward_label_values(fmt: tuple[Encoder, str]) -> None:
    r = Rig()
    r.check(fmt)
    odd = state("odd", "jira", ProductLicense('# HELP x\n# TYPE x gauge\n"}', 1, 2, 1))
    r.states["odd"] = odd
    r.check(fmt)


def test_formats_only_the_applications_that_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    r = rig()
    formatted: list[str] = []
    original = r.collector.batch_families

    def counting(members: Sequence[tuple[str, AppState]], now: float) -> Batch:
        formatted.extend(name for name, _ in members)
        return original(members, now)

    # The renderer formats what changed in one batch per block (application_families is
    # for an application whose batch failed: tests below).
    monkeypatch.setattr(r.collector, "batch_families", counting)
    r.check(TEXT)
    assert sorted(formatted) == ["bb", "jira-a", "jira-b"]
    formatted.clear()
    r.check(TEXT)
    assert formatted == []
    r.states["jira-b"].sync.last_duration = 9.0
    r.check(TEXT)
    assert formatted == ["jira-b"]
    formatted.clear()
    r.check(OPENMETRICS)  # another format: its own lines, once
    r.check(OPENMETRICS)
    assert sorted(formatted) == ["bb", "jira-a", "jira-b"]
    formatted.clear()
    r.check(TEXT)  # the text chunks survived the OpenMetrics render
    assert formatted == []


def test_formats_asked_for_are_bounded() -> None:
    """prometheus_client echoes any version from Accept into the content type: a client
    asking for a new one each time must not grow the caches for good."""
    r = rig()
    encoder = OPENMETRICS[0]
    for i in range(3 * MAX_FORMATS):
        r.renderer(encoder, f"application/openmetrics-text; version=1.0.{i}")
    assert len(r.renderer._layouts) == MAX_FORMATS
    formats = set(r.renderer._blocks)
    assert len(formats) == MAX_FORMATS
    r.check(TEXT)  # and the text format still renders exactly

    c = Counter()
    exposition = Exposition(c.render, lambda: c.generation, lambda: c.clock)
    for i in range(3 * MAX_FORMATS):
        exposition.get(encoder, f"type {i}")
    assert len(exposition._bodies) == MAX_FORMATS
    exposition.get(encoder, f"type {3 * MAX_FORMATS - 1}")  # the newest is still cached
    assert c.renders == 3 * MAX_FORMATS


def test_the_installed_prometheus_client_has_the_layout_the_renderer_assumes() -> None:
    check_layout()  # raises LayoutError otherwise; the CLI then refuses to start


def test_output_it_cannot_split_is_a_loud_error_not_a_silent_slow_path(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unsplittable(self: object, encoder: Encoder, placed: object) -> object:
        raise LayoutError("exposition out of order at '# HELP x'")

    monkeypatch.setattr("exporter.serve.render._Layout.render", unsplittable)
    with pytest.raises(LayoutError, match="out of order"):
        check_layout()
    with pytest.raises(ValueError, match="out of order"):
        rig().renderer(*TEXT)  # no fallback at scrape time either
    assert cli.main(["--config.file", "/nonexistent.yaml"]) == 1
    assert "cannot start: the installed prometheus_client" in capsys.readouterr().err


def test_output_that_differs_from_a_full_render_stops_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = render._Layout.render

    def dropping(self: render._Layout, encoder: Encoder, placed: list[Placed]) -> object:
        return original(self, encoder, placed[1:])

    monkeypatch.setattr("exporter.serve.render.fast_for", lambda encoder: False)
    monkeypatch.setattr("exporter.serve.render._Layout.render", dropping)
    with pytest.raises(LayoutError, match="differs from the full one"):
        check_layout()


def test_sample_lines_formatted_otherwise_than_prometheus_client_stop_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """serve/lines.py formats what the encoders would: a prometheus_client that formats a value
    or an escape otherwise (here: repr for floatToGoString) is refused at start-up."""
    from exporter.serve import lines

    monkeypatch.setattr(lines, "floatToGoString", repr)
    with pytest.raises(LayoutError, match="formats samples otherwise than the encoder"):
        check_layout()


def test_a_replaced_state_object_with_equal_content_renders_the_same() -> None:
    r = rig()
    first = r.check(TEXT)
    old = r.states["jira-a"]
    r.states["jira-a"] = replace(old, failures=dict(old.failures))
    assert r.check(TEXT) == first


class Counter:
    def __init__(self) -> None:
        self.renders = 0
        self.generation = 0
        self.clock = 0.0

    def render(self, encoder: Encoder, content_type: str) -> bytes:
        self.renders += 1
        return f"{content_type} {self.generation} {self.renders}\n".encode() * 50


def test_exposition_renders_once_per_generation_and_format_and_gzips_once() -> None:
    c = Counter()
    exposition = Exposition(c.render, lambda: c.generation, lambda: c.clock)
    encoder, content_type = TEXT
    plain = exposition.get(encoder, content_type)
    zipped = exposition.get(encoder, content_type, gzipped=True)
    assert gzip.decompress(zipped) == plain and len(zipped) < len(plain)
    assert exposition.get(encoder, content_type, gzipped=True) is zipped
    assert c.renders == 1
    exposition.get(*OPENMETRICS)
    assert c.renders == 2
    c.generation += 1
    changed = exposition.get(encoder, content_type, gzipped=True)
    assert c.renders == 3 and gzip.decompress(changed) != plain
    c.clock += Exposition.MAX_AGE  # nothing changed, but staleness depends on the clock
    exposition.get(encoder, content_type)
    assert c.renders == 4


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate, GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*;q=1, gzip;q=0", False),
        ("gzip;q=nonsense", False),
        ("gzip;q=2", False),
        ("gzip;q=inf", False),
        (" GZip ; Q=0.1 ", True),
        ("deflate, br", False),
        ("identity", False),
        ("", False),
    ],
)
def test_accepts_gzip(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_a_costly_render_is_not_repeated_at_every_change_but_soon_after() -> None:
    """At 10,000 applications syncs end every few ms: a render costing 50 ms is done again
    only after COALESCE times its cost (capped at MAX_COALESCE), the last body served meanwhile."""
    c = Counter()
    clock = [0.0]

    def slow_render(encoder: Encoder, content_type: str) -> bytes:
        clock[0] += 0.05  # what the render costs, on the injected clock
        return c.render(encoder, content_type)

    exposition = Exposition(slow_render, lambda: c.generation, lambda: clock[0])
    first = exposition.get(*TEXT)
    c.generation += 1
    clock[0] += 0.1
    assert exposition.get(*TEXT) is first and c.renders == 1  # 0.1 s < 10 x 0.05 s
    clock[0] += Exposition.COALESCE * 0.05
    assert exposition.get(*TEXT) != first and c.renders == 2

    def very_slow_render(encoder: Encoder, content_type: str) -> bytes:
        clock[0] += 1.0  # 10 x 1 s would be 10 s: capped at MAX_COALESCE (< MAX_AGE)
        return c.render(encoder, content_type)

    exposition = Exposition(very_slow_render, lambda: c.generation, lambda: clock[0])
    exposition.get(*TEXT)
    c.generation += 1
    clock[0] += Exposition.MAX_COALESCE - 1.0 - 0.01  # the age counts from the render's start
    exposition.get(*TEXT)
    assert c.renders == 3
    clock[0] += 0.02
    exposition.get(*TEXT)
    assert c.renders == 4 and Exposition.MAX_COALESCE < Exposition.MAX_AGE


def test_a_reload_is_shown_at_once_even_when_renders_are_coalesced() -> None:
    """A configuration change or a refused reload (the poller's epoch) renders again at the
    next scrape: an operator checks config_last_reload_successful right after a reload."""
    c = Counter()
    clock, epoch = [0.0], [0]

    def slow_render(encoder: Encoder, content_type: str) -> bytes:
        clock[0] += 0.05
        return c.render(encoder, content_type)

    exposition = Exposition(
        slow_render, lambda: c.generation, lambda: clock[0], epoch=lambda: epoch[0]
    )
    first = exposition.get(*TEXT)
    c.generation += 1
    assert exposition.get(*TEXT) is first  # a sync ended: coalesced
    c.generation += 1
    epoch[0] += 1  # a reload, refused or applied
    assert exposition.get(*TEXT) != first and c.renders == 2


async def test_a_costly_render_is_done_in_the_background_while_the_last_body_is_served() -> None:
    c = Counter()
    clock = [0.0]

    def costly(encoder: Encoder, content_type: str) -> bytes:
        clock[0] += 2 * Exposition.BACKGROUND_COST  # what the render costs, on the clock
        return c.render(encoder, content_type)

    exposition = Exposition(costly, lambda: c.generation, lambda: clock[0])
    (first,) = await exposition.served(*TEXT, gzipped=True)  # nothing yet: rendered now
    assert c.renders == 1 and gzip.decompress(first).startswith(b"text/plain")
    c.generation += 1
    clock[0] += Exposition.MAX_COALESCE
    assert await exposition.served(*TEXT, gzipped=True) == (first,)  # not waiting for it
    await asyncio.gather(*exposition._refreshing.values())
    assert c.renders == 2 and not exposition._refreshing
    (fresh,) = await exposition.served(*TEXT, gzipped=True)
    # Compressed in a worker thread, the same member gzip.compress writes.
    assert gzip.decompress(fresh) == exposition.get(*TEXT) != gzip.decompress(first)
    assert c.renders == 2

    cheap = Exposition(c.render, lambda: c.generation, lambda: clock[0])
    await cheap.served(*TEXT)
    c.generation += 1
    await cheap.served(*TEXT)  # a cheap render is done at once, as parts() does
    assert c.renders == 4 and not cheap._refreshing


async def test_the_stepwise_render_gives_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """render_async lets the loop run between blocks; one application a block and a step
    after each makes every step happen with the rig's few applications."""
    monkeypatch.setattr(render, "BLOCK", 1)
    monkeypatch.setattr(render, "YIELD_EVERY", 1)
    r = rig()
    for fmt in (TEXT, OPENMETRICS):
        assert await r.renderer.render_async(*fmt) == r.check(fmt)
    r.states["jira-a"].sync.last_duration = 9.5  # a change is picked up stepwise too
    assert await r.renderer.render_async(*TEXT) == TEXT[0](r.registry)


def test_an_application_that_fails_to_render_keeps_its_sync_samples_and_spares_the_others(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Its block renders in one batch; the batch fails, so each member renders alone and only
    the broken one loses its license samples, logged once (without the error's text, which
    can quote an upstream value) until it renders again."""
    r = rig()
    original = LicenseCollector._add_license

    def broken(families: Families, application: str, p: ProductLicense) -> None:
        if application == "jira-b":
            raise ValueError("upstream said 's3cret'")
        original(families, application, p)

    monkeypatch.setattr(LicenseCollector, "_add_license", staticmethod(broken))
    seats = m.SEATS_USED.name.encode()
    sync_up = m.SYNC_UP.name.encode()
    for _ in range(2):
        body = r.renderer(*TEXT)
        assert b'%s{application="jira-a",product="jira-software"} 12.0' % seats in body
        assert b'%s{application="bb",product="bitbucket"} 40.0' % seats in body
        assert b'application="jira-b",product' not in body
        assert b'%s{application="jira-b"} 1.0' % sync_up in body
    failed = [rec.getMessage() for rec in caplog.records if "rendering" in rec.getMessage()]
    assert failed == [
        "rendering an application failed, its license and user samples are left out "
        "application=jira-b error=ValueError"
    ]

    monkeypatch.setattr(LicenseCollector, "_add_license", staticmethod(original))
    r.states["jira-b"].sync.last_duration = 9.0  # a new fingerprint: rendered again, whole
    r.check(TEXT)
    assert r.renderer._failing == set()


def test_a_batch_whose_lines_do_not_match_its_samples_is_a_layout_error() -> None:
    """Each sample is one line: an encoder that wrote otherwise would mix applications up."""
    batch = Batch([], [3], [[1], [2]])
    assert render._split({3: b"a 1\nb 1\n"}, batch) == [((3, b"a 1\n"),), ((3, b"b 1\n"),)]
    with pytest.raises(LayoutError, match="fewer lines than samples at position 3"):
        render._split({3: b"a 1\n"}, batch)
    with pytest.raises(LayoutError, match="more lines than samples at position 3"):
        render._split({3: b"a 1\nb 1\nc 1\n"}, batch)
