"""Small pieces of the status page's text: durations, dates, and a job's failure."""

from __future__ import annotations

import time
from html import escape
from typing import Any

from exporter.sync.schedule import Schedule

PAUSED = "paused while the license sync fails"


def duration(seconds: float) -> str:
    """A short human duration: 45s, 3m 12s, 2h 5m, 3d 4h."""
    s = max(0, int(seconds))
    for unit, size, sub_unit, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60)):
        if s >= size:
            rest = (s % size) // sub_size
            return f"{s // size}{unit} {rest}{sub_unit}" if rest else f"{s // size}{unit}"
    if s >= 60:
        return f"{s // 60}m {s % 60}s" if s % 60 else f"{s // 60}m"
    return f"{s}s"


def utc(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def failure(what: str, schedule: Schedule[Any]) -> str:
    """A failed job's badge and its error, escaped: upstream text is never trusted markup."""
    return (
        f'{what} <span class="badge fail">failure</span>'
        f'<code class="error">{escape(schedule.last_error or "")}</code>'
    )
