"""Paged list endpoints as async iterators of pages: one page in memory at a time.

Each product pages differently; all three loops refuse a page that does not move forward, so a
server that repeats itself fails the scan instead of looping forever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from exporter.sources import parse
from exporter.sources.http import LinkClient

# Bitbucket caps `limit` (commonly at 1000); asking for more costs nothing and saves requests
# wherever the cap is higher.
PAGE_SIZE = 1000


def _next_start(path: str, start: int, following: int) -> int:
    if following <= start:
        raise parse.SourceError(
            "invalid_response", path, f"paging does not advance: next start {following} <= {start}"
        )
    return following


# Where a page may name the next one by URL: Confluence's `_links.next`, and string-valued
# `next`/`nextPageStart` continuations some proxies and versions write.
_CONTINUATIONS = ("next", "nextPageStart", "nextPage")


def _check_links(client: LinkClient, obj: dict[str, Any], path: str) -> None:
    """Every paged source's one origin check: a continuation URL on another scheme, host or
    port fails the scan (invalid_response) before anything else of the page is used."""
    links = obj.get("_links")
    candidates = [links.get("next")] if isinstance(links, dict) else []
    candidates += [obj.get(key) for key in _CONTINUATIONS]
    for link in candidates:
        if isinstance(link, str) and link:
            client.check_origin(link, path, "paging link")


def _values(
    client: LinkClient, body: Any, field: str, path: str
) -> tuple[dict[str, Any], list[Any]]:
    obj = parse.as_object(body, path)
    _check_links(client, obj, path)
    values = obj.get(field)
    if not isinstance(values, list):
        raise parse.SourceError("invalid_response", path, f"field {field!r} is not a JSON array")
    return obj, values


async def bitbucket(
    client: LinkClient, path: str, params: Mapping[str, str | int] | None = None
) -> AsyncIterator[list[Any]]:
    """Bitbucket: `start`/`limit` in, `values`, `isLastPage` and `nextPageStart` out.

    The next page starts at `nextPageStart`, never at start + limit: the server may cap limit.
    """
    start = 0
    while True:
        query = {**(params or {}), "start": start, "limit": PAGE_SIZE}
        obj, values = _values(client, await client.get_json(path, params=query), "values", path)
        yield values
        if _is_last(obj, path):
            return
        if obj.get("nextPageStart") is None:
            raise parse.SourceError(
                "invalid_response", path, "isLastPage is false but nextPageStart is missing"
            )
        start = _next_start(path, start, parse.integer(obj, "nextPageStart", path))


async def crowd(
    client: LinkClient,
    path: str,
    body: Any = None,
    params: Mapping[str, str | int] | None = None,
    *,
    optional: bool = False,
) -> AsyncIterator[list[Any]]:
    """Crowd's licensing lists: `start`/`limit` in the query, `values` and `isLastPage` out
    (the envelope of its documented /directories example). With a `body`, a POST (the
    licensed-user search); without, a GET (/directories). With `optional`, a 404 on the first
    page yields no page at all."""
    start = 0
    while True:
        query = {**(params or {}), "start": start, "limit": PAGE_SIZE}
        if body is None:
            first_optional = optional and start == 0
            answer = await client.get_json(path, params=query, optional=first_optional)
            if answer is None and first_optional:
                return
        else:
            answer = await client.post_json(path, body, params=query)
        obj, values = _values(client, answer, "values", path)
        yield values
        if _is_last(obj, path):
            return
        following = obj.get("nextPageStart")
        if following is None:
            following = start + len(values)
        elif isinstance(following, bool) or not isinstance(following, int):
            raise parse.SourceError("invalid_response", path, "nextPageStart is not an integer")
        start = _next_start(path, start, following)


async def confluence(
    client: LinkClient,
    path: str,
    params: Mapping[str, str | int] | None = None,
    *,
    optional: bool = False,
) -> AsyncIterator[list[Any]]:
    """Confluence: `start`/`limit` in, `results` and `_links.next` (absent on the last page).

    With `optional`, a 404 on the first page yields no page at all (an empty list is a page).
    """
    start = 0
    while True:
        query = {**(params or {}), "start": start, "limit": PAGE_SIZE}
        first_optional = optional and start == 0
        body = await client.get_json(path, params=query, optional=first_optional)
        if body is None and first_optional:
            return
        obj, results = _values(client, body, "results", path)
        yield results
        links = obj.get("_links")
        if not isinstance(links, dict) or not links.get("next"):
            return
        # The next link repeats the query with a new start; counting is simpler than parsing it.
        start = _next_start(path, start, start + len(results))


def _is_last(obj: dict[str, Any], path: str) -> bool:
    last = parse.boolean(obj, "isLastPage", path)
    if last is None:
        raise parse.SourceError("invalid_response", path, "field 'isLastPage' is missing")
    return last
