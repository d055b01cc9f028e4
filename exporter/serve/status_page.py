"""The status page at /: one row per application, in the spirit of blackbox_exporter's.

Plain HTML and CSS, no JavaScript; every value that comes from a config or an upstream is
escaped. It reads `runtime.poller.states` only, like the collector, so it never waits on an
upstream either.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit, urlunsplit

from exporter import __version__
from exporter.serve.status_jobs import apps_section, users_section
from exporter.serve.status_text import duration, utc
from exporter.sources.model import ProductLicense, Snapshot
from exporter.sync.clock import Instant
from exporter.sync.poller import AppState
from exporter.sync.runtime import Runtime
from exporter.sync.schedule import STALE_FACTOR, Schedule

# User scans run only while the license sync is up.
# Bar colours switch where the shipped alerts fire (dashboards/config.py; a test pins them).
SEATS_WARNING = 0.90
SEATS_CRITICAL = 0.98

_STYLE = """
:root{--ok:#1a7f37;--warn:#b35900;--fail:#c62828;--muted:#5f6368;--line:#dadce0}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#202124;
background:#fff;font-size:14px;line-height:1.4}
header{background:#e6522c;color:#fff;padding:.8em 1.5em;display:flex;align-items:baseline;
gap:1.5em;flex-wrap:wrap}
header h1{font-size:1.3em;margin:0;font-weight:600}
header nav{display:flex;gap:1.2em}header a{color:#fff}
main{padding:1em 1.5em 2em}
h2{font-size:1.1em;margin:1.4em 0 .5em}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;min-width:60em}
th,td{border-bottom:1px solid var(--line);padding:.45em .55em;text-align:left;vertical-align:top}
thead th{background:#f1f3f4;font-weight:600;white-space:nowrap}
tbody tr:nth-child(even){background:#fafafa}
td.num{white-space:nowrap;font-variant-numeric:tabular-nums}
.sub{color:var(--muted);font-size:.88em}
.badge{display:inline-block;padding:0 .5em;border-radius:.7em;font-size:.85em;font-weight:600;
color:#fff;background:var(--muted)}
.badge.ok{background:var(--ok)}.badge.fail{background:var(--fail)}
code.error{display:block;margin-top:.3em;color:var(--fail);white-space:pre-wrap;
word-break:break-word;font-size:.85em;max-width:28em}
.seats{display:grid;grid-template-columns:max-content max-content 5em 2.5em;
gap:.15em .6em;align-items:center;font-variant-numeric:tabular-nums;white-space:nowrap}
.seats .n{text-align:right}
tbody td:first-child{white-space:nowrap;font-weight:600}td.nowrap{white-space:nowrap}
td.url{min-width:10em}
.users{font-size:.88em;margin-top:.45em;padding-top:.35em;border-top:1px dotted var(--line)}
.users span{white-space:nowrap}
.bar{height:.7em;background:#e8eaed;border-radius:.35em;overflow:hidden}
.bar span{display:block;height:100%;background:var(--ok)}
.bar span.warn{background:var(--warn)}.bar span.fail{background:var(--fail)}
.apps{font-size:.88em;margin-top:.45em;padding-top:.35em;border-top:1px dotted var(--line)}
.appgrid{display:grid;grid-template-columns:auto max-content max-content max-content auto;
gap:.1em .8em;font-variant-numeric:tabular-nums}.appgrid .h{color:var(--muted)}
.apps .warn{color:var(--warn);font-weight:600}.apps .fail{color:var(--fail);font-weight:600}
a{color:#1a56c4}
footer{color:var(--muted);font-size:.85em;padding:0 1.5em 1.5em}
"""


def _public_url(url: str) -> str:
    """The URL without user info, query or fragment, even if a config ever let them through."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _level(ratio: float) -> str:
    if ratio >= SEATS_CRITICAL:
        return "fail"
    return "warn" if ratio >= SEATS_WARNING else "ok"


def _product(p: ProductLicense) -> str:
    name = f"<span>{escape(p.product)}</span>"
    if p.seats_limit is None:
        if p.unlimited:
            return (
                f"{name}<span class=n>{p.seats_used} / unlimited</span><span></span><span></span>"
            )
        # Short: the seats cell shares the row with the Marketplace apps table at 1280 px.
        return (
            f'{name}<span class=n title="the upstream documents no seat limit">{p.seats_used} / '
            "no limit</span><span></span><span></span>"
        )
    ratio = p.seats_used / p.seats_limit if p.seats_limit > 0 else 1.0
    width = min(100, round(ratio * 100))
    return (
        f"{name}<span class=n>{p.seats_used} / {p.seats_limit}</span>"
        f'<span class="bar" title="{ratio:.0%} of the licensed seats">'
        f'<span class="{_level(ratio)}" style="width:{width}%"></span></span>'
        f'<span class="sub">{ratio:.0%}</span>'
    )


def _seats(state: AppState, now: Instant) -> str:
    snapshot = state.sync.fresh(now.mono)
    if snapshot is None:
        if state.sync.snapshot is not None:
            return (
                f'<span class="sub">stale: older than {STALE_FACTOR} sync intervals, '
                "no longer exported</span>"
            )
        return '<span class="sub">no data yet</span>'
    # Products read through Crowd that Crowd has no numbers for: say why they have no seats.
    waiting = [
        f"<span>{escape(d.product)}</span><span class=n>no data</span>"
        f'<span class="sub">Crowd: {escape(d.status or "")}</span><span></span>'
        for d in snapshot.crowd
        if d.status not in (None, "PRESENT")
    ]
    if not snapshot.products and not waiting:
        return '<span class="sub">no licensed product</span>'
    rows = [_product(p) for p in snapshot.products] + waiting
    return '<div class="seats">' + "".join(rows) + "</div>"


def _result(state: AppState) -> str:
    sync = state.sync
    if sync.up is None:
        return '<span class="badge">pending</span>'
    if sync.up:
        return '<span class="badge ok">success</span>'
    failures = sum(state.failures.values())
    return (
        f'<span class="badge fail">failure</span> '
        f'<span class="sub">{sync.consecutive_failures} in a row, {failures} in total</span>'
        f'<code class="error">{escape(sync.last_error or "")}</code>'
    )


def _last_sync(sync: Schedule[Snapshot], now: Instant) -> str:
    if sync.last_attempt is None:
        return '<span class="sub">not yet</span>'
    ago = duration(now.mono - sync.last_attempt.mono)
    if sync.in_flight:
        due = "syncing now"
    elif sync.next_due > now.mono:
        due = f"next in {duration(sync.next_due - now.mono)}"
    else:
        due = "due now"
    return (
        f'{ago} ago <span class="sub">&middot; {due}</span><br>'
        f'<span class="sub">{utc(sync.last_attempt.wall)}</span>'
    )


def _breakable(kind: str) -> str:
    # "atlassian-org" may break after its hyphen: the table fits 1280 px with every column.
    return escape(kind).replace("-", "-<wbr>")


def _row(state: AppState, now: Instant) -> str:
    target = state.target
    public = _public_url(target.link.url)
    url = escape(public)
    # A long URL may wrap before a slash of its path, never inside the host.
    origin_end = public.find("/", public.find("//") + 2)
    if origin_end < 0:
        shown = url
    else:
        shown = escape(public[:origin_end]) + escape(public[origin_end:]).replace("/", "<wbr>/")
    last = state.sync.last_duration
    duration = "-" if last is None else f"{last:.3f}s"
    return (
        f"<tr><td>{escape(target.name)}</td><td class=nowrap>{_breakable(target.type)}</td>"
        f'<td class=url><a href="{url}" rel="noreferrer">{shown}</a></td>'
        f"<td class=nowrap>{_last_sync(state.sync, now)}</td><td class=num>{duration}</td>"
        f"<td>{_result(state)}</td><td>{_seats(state, now)}{users_section(state, now)}"
        f"{apps_section(state, now)}</td></tr>"
    )


def _reload(runtime: Runtime) -> str:
    status = runtime.reload_status
    when = f"last loaded {utc(status.last_success)}"
    if status.successful:
        return f'<span class="badge ok">successful</span> <span class="sub">{when}</span>'
    error = escape(runtime.last_reload_error or "")
    return (
        f'<span class="badge fail">failed</span> <span class="sub">running the config {when}'
        f'</span><code class="error">{error}</code>'
    )


def _summary(states: list[AppState]) -> str:
    ok = sum(1 for s in states if s.sync.up)
    failing = sum(1 for s in states if s.sync.up is False)
    pending = len(states) - ok - failing
    return f"{len(states)} ({ok} syncing, {failing} failing, {pending} pending)"


def render_status_page(runtime: Runtime) -> str:
    now = Instant.now(runtime.poller.clock)
    states = [s for _, s in sorted(runtime.poller.states.items())]
    rows = "".join(_row(s, now) for s in states) or (
        '<tr><td colspan=7 class="sub">No application is configured.</td></tr>'
    )
    source = (
        escape(str(runtime.config_path)) if runtime.config_path else "demo (embedded simulator)"
    )
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>Atlassian License Exporter</title>
<meta name=viewport content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>
<body><header><h1>Atlassian License Exporter</h1>
<nav><a href="/metrics">Metrics</a><a href="/-/healthy">Health</a><a href="/-/ready">Readiness</a>
</nav></header>
<main><dl class=facts>
<dt>Version</dt><dd>{escape(__version__)}</dd>
<dt>Uptime</dt><dd>{duration(now.wall - runtime.started)} <span class="sub">since
{utc(runtime.started)}</span></dd>
<dt>Configuration</dt><dd><code>{source}</code></dd>
<dt>Last reload</dt><dd>{_reload(runtime)}</dd>
<dt>Applications</dt><dd>{_summary(states)}</dd>
</dl>
<h2>Applications</h2>
<div class=scroll><table><thead><tr><th>Application</th><th>Type</th><th>URL</th>
<th>Last sync</th><th>Duration</th><th>Result</th><th>Seats used / limit, inactive users</th>
</tr></thead>
<tbody>{rows}</tbody></table></div></main>
<footer>Rendered {utc(now.wall)}. License values are cached from each application's last successful
sync.</footer></body></html>
"""
