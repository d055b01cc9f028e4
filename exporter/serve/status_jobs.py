"""The status page's sections for an application's secondary jobs, under its seats: the user
scan's inactive users and the Marketplace apps, each with how its job went."""

from __future__ import annotations

from html import escape

from exporter.serve.status_text import PAUSED, duration, failure, utc
from exporter.sources.model import MarketplaceApp, UsersSnapshot
from exporter.sync.clock import Instant
from exporter.sync.poller import AppState
from exporter.sync.schedule import STALE_FACTOR, Schedule


def _scan_waiting(state: AppState, users: Schedule[UsersSnapshot]) -> str:
    """Why a user scan has no result yet."""
    if users.in_flight:
        return "first scan running"
    if state.sync.up is None:
        return "first scan after the first license sync"
    return "first scan pending" if state.sync.up else PAUSED


def users_section(state: AppState, now: Instant) -> str:
    """Under the seats, for types with user scans: per product, the licensed users inactive
    for each configured period and those never active (the seats an admin could reclaim),
    and how the scan went."""
    users = state.users
    if users is None:
        return ""
    if users.up is None:
        return f'<div class="users sub">Inactive users: {_scan_waiting(state, users)}</div>'
    parts = []
    if users.up is False:
        parts.append(failure("User scan", users))
    snapshot = users.fresh(now.mono)
    if snapshot is None:
        parts.append(
            f'<div class="sub">Inactive users: stale, older than {STALE_FACTOR} scan '
            "intervals, no longer exported</div>"
        )
    elif not snapshot.products:
        # E.g. Confluence before 9.3, which has no listing of users' activity.
        parts.append('<div class="sub">No user activity data from this version.</div>')
    for p in snapshot.products if snapshot is not None else ():
        # Items never break inside, so a narrow cell wraps between them. Each period counts
        # the never-active users too (as the metric does): say so, or they get added up.
        counts = " &middot; ".join(
            f"<span>{escape(label)}: {count}</span>" for label, count in p.inactive
        )
        never = f"<span>never active: {p.never_active}</span>"
        parts.append(
            f"<div>Inactive {escape(p.product)} users <span>(of {p.licensed})</span>"
            + (f", for over {counts}; {never} (in each)" if counts else f": {never}")
            + "</div>"
        )
    scan = []
    if users.last_success is not None:
        ago = duration(now.mono - users.last_success.mono)
        scan.append(f"scanned {ago} ago, every {duration(users.interval)}")
    if not state.sync.up:
        scan.append(PAUSED if scan else PAUSED.capitalize())
    if scan:
        parts.append(f'<div class="sub">{", ".join(scan)}</div>')
    return f'<div class="users">{"".join(parts)}</div>'


# An app's expiry is flagged where AppExpiringSoon warns (dashboards/config.py).
APP_EXPIRY_WARNING_DAYS = 30


def _app_state(app: MarketplaceApp, now: float) -> str:
    lic = app.license
    if lic is None:
        return '<span class="sub">free</span>'
    if lic.error is not None:
        return f'<span class="fail">{escape(lic.error)}</span>'
    if not lic.valid:
        return '<span class="fail">invalid</span>'
    if lic.expiry is not None and lic.expiry - now < APP_EXPIRY_WARNING_DAYS * 86400:
        return f'<span class="warn">expires in {duration(lic.expiry - now)}</span>'
    return "valid" if app.enabled else '<span class="sub">valid, disabled</span>'


def _app_row(app: MarketplaceApp, now: float) -> str:
    lic = app.license
    kind = "none" if lic is None else lic.license_type
    tier = "" if lic is None else ("unlimited" if lic.seats_limit is None else str(lic.seats_limit))
    expiry = "" if lic is None or lic.expiry is None else utc(lic.expiry)[:10]
    return (
        f"<span>{escape(app.name)} <span class=sub>{escape(app.version)}</span></span>"
        f"<span>{escape(kind)}</span><span>{tier}</span><span>{expiry}</span>"
        f"<span>{_app_state(app, now)}</span>"
    )


def apps_section(state: AppState, now: Instant) -> str:
    """Under the seats, for applications with an apps sync: each user-installed Marketplace
    app with its license type, tier, expiry and state."""
    apps = state.apps
    if apps is None:
        return ""
    if apps.up is None:
        waiting = "first read after the first license sync" if not state.sync.up else "pending"
        return f'<div class="apps sub">Marketplace apps: {waiting}</div>'
    parts = []
    if apps.up is False:
        parts.append(failure("Marketplace apps", apps))
    snapshot = apps.fresh(now.mono)
    if snapshot is None:
        parts.append('<div class="sub">Marketplace apps: stale, no longer exported</div>')
    elif not snapshot.apps:
        parts.append('<div class="sub">No user-installed Marketplace apps.</div>')
    else:
        rows = "".join(_app_row(app, now.wall) for app in snapshot.apps)
        head = "".join(
            f'<span class="h">{h}</span>' for h in ("App", "License", "Tier", "Expires", "State")
        )
        parts.append(
            f"<div>Marketplace apps ({len(snapshot.apps)})</div>"
            f'<div class="appgrid">{head}{rows}</div>'
        )
    return f'<div class="apps">{"".join(parts)}</div>'
