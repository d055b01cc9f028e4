"""The status page at /: one row per application, in the spirit of blackbox_exporter's."""

from __future__ import annotations

import time
from html import escape

from exporter import __version__
from exporter.poller import AppState
from exporter.runtime import Runtime

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.35em .6em;
text-align:left;vertical-align:top}th{background:#f3f3f3}.ok{color:#1a7f37}.fail{color:#c62828}
.bar{background:#eee;width:10em;height:.8em;display:inline-block}
.bar span{display:block;height:100%;background:#1a7f37}.bar span.hot{background:#c62828}
code{font-size:.9em}
"""


def _age(now: float, then: float | None) -> str:
    if then is None:
        return "never"
    seconds = max(0, int(now - then))
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


def _seats(state: AppState, now: float) -> str:
    snapshot = state.fresh_snapshot(now)
    if snapshot is None:
        return "-"
    rows = []
    for p in snapshot.products:
        if p.seats_limit is None:
            rows.append(f"{escape(p.product)}: {p.seats_used} / unlimited")
            continue
        ratio = p.seats_used / p.seats_limit if p.seats_limit else 1.0
        hot = " class=hot" if ratio >= 0.9 else ""
        width = min(100, round(ratio * 100))
        rows.append(
            f"{escape(p.product)}: {p.seats_used} / {p.seats_limit} "
            f'<span class=bar><span{hot} style="width:{width}%"></span></span>'
        )
    return "<br>".join(rows)


def _row(state: AppState, now: float) -> str:
    if state.up is None:
        result = "pending"
    elif state.up:
        result = "<span class=ok>success</span>"
    else:
        result = f"<span class=fail>failure</span><br><code>{escape(state.last_error or '')}</code>"
    duration = "-" if state.last_duration is None else f"{state.last_duration:.3f}s"
    last = (
        "-"
        if state.last_attempt is None
        else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(state.last_attempt))
    )
    return (
        f"<tr><td>{escape(state.app.name)}</td><td>{escape(state.app.type)}</td>"
        f"<td><code>{escape(state.app.link.url)}</code></td>"
        f"<td>{last}<br>{_age(now, state.last_attempt)}</td><td>{duration}</td>"
        f"<td>{result}</td><td>{_seats(state, now)}</td></tr>"
    )


def render_status_page(runtime: Runtime) -> str:
    now = time.time()
    rows = "".join(_row(s, now) for _, s in sorted(runtime.poller.states.items()))
    reload = "successful" if runtime.reload_status.successful else "failed"
    uptime = _age(now, runtime.started).removesuffix(" ago")
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>Atlassian License Exporter</title>
<meta name=viewport content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>
<body><h1>Atlassian License Exporter</h1>
<p>Version {escape(__version__)} &middot; up {uptime} &middot; last config reload: {reload}
&middot; <a href="/metrics">Metrics</a> &middot; <a href="/-/healthy">Health</a>
&middot; <a href="/-/ready">Readiness</a></p>
<h2>Applications</h2>
<table><thead><tr><th>Application</th><th>Type</th><th>Link</th><th>Last sync</th>
<th>Duration</th><th>Result</th><th>Seats used / limit</th></tr></thead>
<tbody>{rows}</tbody></table></body></html>
"""
