"""Members of the groups that grant a Jira product (Data Center and Cloud): which group drove a
jump in seats. One cheap request per group, `maxResults=1`, reads the page's `total`; nobody
pages through members.

Jira counts active members only by default (includeInactiveUsers=false), which is what holds a
seat. A user in several groups counts in each.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Final

from exporter.sources import parse
from exporter.sources.fanout import all_of
from exporter.sources.http import LinkClient

log = logging.getLogger(__name__)

# Groups per application: each costs one request per sync and one series per product.
MAX_GROUPS: Final = 50
# Requests in flight at once per application: the link's pool is small and shared.
CONCURRENCY: Final = 4


@dataclass(frozen=True)
class GroupRef:
    name: str
    group_id: str | None = None  # Jira Cloud: groupDetails[].groupId, stable across renames


def role_groups(role: Any, path: str) -> tuple[GroupRef, ...]:
    """The role's `groups` (names), with Cloud's `groupDetails` ids where they match a name."""
    obj = parse.as_object(role, path)
    names = obj.get("groups")
    if names is None:
        return ()
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise parse.SourceError("invalid_response", path, "field 'groups' is not a list of names")
    ids: dict[str, str] = {}
    details = obj.get("groupDetails")
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict):
            name, ident = detail.get("name"), detail.get("groupId")
            if isinstance(name, str) and isinstance(ident, str) and ident:
                ids[name] = ident
    return tuple(GroupRef(name, ids.get(name)) for name in dict.fromkeys(names))


def total(body: Any, path: str) -> int | None:
    """`total` of a page of group members; None when the group is gone (404)."""
    if body is None:
        return None
    return parse.integer(parse.as_object(body, path), "total", path)


async def member_totals(
    client: LinkClient, path: str, groups: list[GroupRef], application: str
) -> dict[str, int]:
    """Group name -> active members, for at most MAX_GROUPS distinct groups."""
    unique = list({g.name: g for g in groups}.values())
    if len(unique) > MAX_GROUPS:
        log.warning(
            "group members capped application=%s groups=%d limit=%d",
            application,
            len(unique),
            MAX_GROUPS,
        )
        unique = unique[:MAX_GROUPS]
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(group: GroupRef) -> int | None:
        params: dict[str, str | int] = {"maxResults": 1}
        if group.group_id is not None:
            params["groupId"] = group.group_id
        else:
            params["groupname"] = group.name
        async with slots:
            try:
                body = await client.get_json(path, optional=True, params=params)
            except parse.SourceError as exc:
                if exc.reason != "http_403":
                    raise
                # An account without "Browse users and groups": seats still count.
                refused.append(group.name)
                return None
            return total(body, path)

    refused: list[str] = []
    totals = await all_of(*(one(group) for group in unique))
    if refused:
        log.warning(
            "group members refused application=%s reason=http_403 groups=%d",
            application,
            len(refused),
        )
    return {g.name: n for g, n in zip(unique, totals, strict=True) if n is not None}


def for_product(refs: tuple[GroupRef, ...], totals: dict[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple((g.name, totals[g.name]) for g in refs if g.name in totals)
