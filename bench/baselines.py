"""The two sync baselines the exporter is compared with.

lower_bound: bare asyncio + httpx, the same URLs in the same rounds as the exporter's sources
    (Jira: roles, then the role licenses together; Confluence: four counters together;
    Bitbucket: one call), the same concurrency limit held per application, one AsyncClient
    per application with the exporter's pool limits, one shared SSLContext. It parses
    nothing: it even knows the Jira role keys up front instead of reading them.
sequential: what users write today: one httpx.Client, one request after another, every body
    parsed with .json() (Jira's role keys are read from the roles body).
aiohttp_bound: the lower bound with aiohttp's client (already a dependency of the exporter)
    instead of httpx: one ClientSession per application, limit 4 connections; what a
    different HTTP client would cost for the same requests (a what-if, not a goal's baseline).
"""

from __future__ import annotations

import asyncio
import base64
import ssl

import aiohttp
import httpx

from bench.workload import App
from exporter.sources import confluence, jira

# The exporter's pool limits per link (exporter/http.py build_client).
LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=2)
TIMEOUT = httpx.Timeout(30.0)
_OPTIONAL_PREFIXES = (confluence.DETAILS, jira.LICENSE.split("{", 1)[0])


def _expected(path: str, status: int) -> bool:
    return status == 200 or (status == 404 and path.startswith(_OPTIONAL_PREFIXES))


async def lower_bound(
    selected: list[App],
    concurrency: int,
    context: ssl.SSLContext,
    clients: list[httpx.AsyncClient],
) -> tuple[int, int]:
    """Returns (requests, unexpected responses); the clients it opened are left in `clients`
    for the caller to close after the measurement (closing is not part of a sync)."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(app: App) -> tuple[int, int]:
        requests = failed = 0
        async with semaphore:
            client = httpx.AsyncClient(
                auth=(app.username, app.password), verify=context, limits=LIMITS, timeout=TIMEOUT
            )
            clients.append(client)
            for paths in app.rounds():
                responses = await asyncio.gather(*(client.get(app.url + p) for p in paths))
                requests += len(paths)
                failed += sum(
                    not _expected(p, r.status_code) for p, r in zip(paths, responses, strict=True)
                )
        return requests, failed

    results = await asyncio.gather(*(one(app) for app in selected))
    return sum(r for r, _ in results), sum(f for _, f in results)


async def aiohttp_bound(
    selected: list[App],
    concurrency: int,
    context: ssl.SSLContext,
    sessions: list[aiohttp.ClientSession],
) -> tuple[int, int]:
    """Like lower_bound, with aiohttp; sessions are left in `sessions` for the caller."""
    semaphore = asyncio.Semaphore(concurrency)

    async def get(session: aiohttp.ClientSession, url: str, path: str) -> bool:
        async with session.get(url + path) as response:
            await response.read()
            return _expected(path, response.status)

    async def one(app: App) -> tuple[int, int]:
        requests = failed = 0
        token = base64.b64encode(f"{app.username}:{app.password}".encode()).decode()
        async with semaphore:
            session = aiohttp.ClientSession(
                headers={"Authorization": f"Basic {token}"},
                connector=aiohttp.TCPConnector(limit=4, ssl=context),
                timeout=aiohttp.ClientTimeout(total=30),
            )
            sessions.append(session)
            for paths in app.rounds():
                oks = await asyncio.gather(*(get(session, app.url, p) for p in paths))
                requests += len(paths)
                failed += oks.count(False)
        return requests, failed

    results = await asyncio.gather(*(one(app) for app in selected))
    return sum(r for r, _ in results), sum(f for _, f in results)


def sequential(selected: list[App]) -> tuple[int, int]:
    """Returns (requests, unexpected responses)."""
    requests = failed = 0
    with httpx.Client(timeout=TIMEOUT) as client:
        for app in selected:
            auth = (app.username, app.password)

            def get(path: str, auth: tuple[str, str] = auth, url: str = app.url) -> object:
                nonlocal requests, failed
                requests += 1
                response = client.get(url + path, auth=auth)
                if response.status_code != 200:
                    failed += not _expected(path, response.status_code)
                    return None
                return response.json()

            if app.type == "jira":
                roles = get(jira.ROLES)
                keys = [role["key"] for role in roles] if isinstance(roles, list) else []
                for key in keys:
                    get(jira.LICENSE.format(key=key))
            else:
                for paths in app.rounds():
                    for path in paths:
                        get(path)
    return requests, failed
