"""Named hot spots read out of the profiles, as one-line notes for RESULTS.md."""

from __future__ import annotations

from bench.profiling import Profile


def _share(seconds: float, profile: Profile) -> str:
    return f"{100 * seconds / profile.total:.0f}%"


def _own(profile: Profile, filename_part: str) -> float:
    return sum(
        tottime
        for (filename, _, _), (_, _, tottime, _, _) in profile.stats.stats.items()  # type: ignore[attr-defined]
        if filename_part in filename
    )


def sync_notes(profile: Profile, requests: int) -> list[str]:
    notes = []
    calls, _, cum = profile.function("httpcore/_synchronization.py", "current_async_library")
    if calls:
        notes.append(
            f"httpcore `current_async_library()`: {calls} calls ({calls / requests:.1f} per "
            f"request), {cum:.2f} s cumulative = {_share(cum, profile)} of the profile, "
            f"{1000 * cum / calls:.3f} ms per call: each runs `import sniffio`, which fails "
            "(not installed) and is not cached, so every call scans sys.path."
        )
    calls, _, cum = profile.function("json/__init__.py", "loads")
    notes.append(f"`json.loads`: {calls} calls, {cum:.3f} s cumulative = {_share(cum, profile)}.")
    parse_cum = sum(
        profile.function("exporter/sources/parse.py", name)[1]
        for name in ("as_object", "as_list", "integer", "boolean", "text", "epoch_ms")
    )
    notes.append(f"`exporter/sources/parse.py` field checks: {parse_cum:.3f} s own time.")
    for part, what in (
        ("exporter/http.py", "exporter/http.py (LinkClient, auth flow, client build)"),
        ("exporter/poller.py", "exporter/poller.py"),
        ("exporter/sources/", "exporter/sources/*"),
        ("asyncio/timeouts.py", "asyncio.timeout() (one per request in LinkClient.get_json)"),
        ("httpx/_client.py", "httpx/_client.py"),
        ("httpx/_urlparse.py", "httpx URL parsing"),
        ("httpcore/_async/connection_pool.py", "httpcore connection pool bookkeeping"),
        ("anyio/", "anyio (socket streams, cancel scopes, locks)"),
    ):
        own = _own(profile, part)
        notes.append(f"Own time in {what}: {own:.3f} s = {_share(own, profile)}.")
    return notes


def render_notes(profile: Profile, renders: int) -> list[str]:
    notes = []
    for part, name, what in (
        ("prometheus_client/exposition.py", "generate_latest", "`generate_latest` (whole render)"),
        ("prometheus_client/exposition.py", "sample_line", "`generate_latest.sample_line`"),
        ("prometheus_client/utils.py", "floatToGoString", "`floatToGoString`"),
        ("prometheus_client/metrics_core.py", "add_metric", "`GaugeMetricFamily.add_metric`"),
        ("prometheus_client/samples.py", "__new__", "`Sample` namedtuple creation"),
    ):
        calls, own, cum = profile.function(part, name)
        if calls:
            notes.append(
                f"{what}: {calls // renders} calls per render, {1000 * cum / renders:.2f} ms "
                f"per render cumulative ({1000 * own / renders:.2f} ms own)."
            )
    own = _own(profile, "exporter/collector.py") + _own(profile, "exporter/poller.py")
    notes.append(
        f"Own time in exporter/collector.py + poller.py (`collect`, `_add_license`, "
        f"`_add_sync`, `fresh_snapshot`): {1000 * own / renders:.2f} ms per render."
    )
    return notes
