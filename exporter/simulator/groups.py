"""Jira's group members (Data Center /rest/api/2, Cloud /rest/api/3 `group/member`): a page of
members with the group's `total`, which the planner reads with maxResults=1.

Each role's users group holds the role's seats; jira-administrators a few admins, who are in
the users groups too (so the sum over groups exceeds the seats, as on a real Jira).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final

from exporter.simulator.base import Context, Reply, json_reply
from exporter.simulator.errors import jira_error

ADMINS: Final = 4
DEFAULT_PAGE: Final = 50
MAX_PAGE: Final = 50  # Jira's own cap on this resource


def group_id(instance: str, name: str) -> str:
    """Cloud's stable group id, derived from the name so that it is the same at each call."""
    ident = hashlib.sha1(f"{instance}/{name}".encode()).hexdigest()
    return f"{ident[:8]}-{ident[8:12]}-{ident[12:16]}-{ident[16:20]}-{ident[20:32]}"


def totals(ctx: Context) -> dict[str, int]:
    """Group name -> active members, for every group a role of the instance grants."""
    out = {}
    for product in ctx.instance.products:
        out[f"{product.key}-users"] = ctx.seats(product)
        if product.key != "jira-servicedesk":
            out["jira-administrators"] = ADMINS
    return out


def _member(ctx: Context, group: str, index: int, cloud: bool) -> dict[str, Any]:
    name = f"{group.removesuffix('-users')}-user{index}"
    if cloud:
        account = hashlib.sha1(f"{ctx.instance.name}/{name}".encode()).hexdigest()[:24]
        return {
            "accountId": account,
            "accountType": "atlassian",
            "active": True,
            "displayName": name,
            "self": f"{ctx.base_url}/rest/api/3/user?accountId={account}",
        }
    return {
        "self": f"{ctx.base_url}/rest/api/2/user?username={name}",
        "name": name,
        "key": name,
        "displayName": name,
        "active": True,
    }


def members(ctx: Context, _match: re.Match[str], *, cloud: bool) -> Reply:
    groups = totals(ctx)
    name = ctx.query.get("groupname")
    ident = ctx.query.get("groupId") if cloud else None
    if ident is not None:
        name = next((g for g in groups if group_id(ctx.instance.name, g) == ident), "")
    if not name:
        return json_reply(jira_error("You must provide a group name or a group id."), 400)
    if name not in groups:
        return json_reply(jira_error(f"Group '{name}' does not exist."), 404)
    total = groups[name]
    start = ctx.int_param("startAt", 0)
    size = min(ctx.int_param("maxResults", DEFAULT_PAGE), MAX_PAGE)
    stop = min(start + size, total)
    values = [_member(ctx, name, i, cloud) for i in range(start, stop)]
    version = 3 if cloud else 2
    return json_reply(
        {
            "self": f"{ctx.base_url}/rest/api/{version}/group/member?startAt={start}",
            "maxResults": size,
            "startAt": start,
            "total": total,
            "isLast": stop >= total,
            "values": values,
        }
    )
