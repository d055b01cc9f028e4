"""The status page of a real `--demo` exporter, rendered by a real headless Chromium.

Chromium is driven over the DevTools protocol (a websocket, aiohttp's client): the page itself
has no JavaScript, the test only asks the browser what it laid out. The table must say what
/metrics says, fit a 1280 px wide window without clipping or overlapping, and a screenshot is
kept in artifacts/ (UPDATE_SCREENSHOT=1 also refreshes docs/status-page.png for the README).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import shutil
import struct
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
import pytest

from exporter import __version__
from exporter.demo import demo_config, start_demo_simulator
from exporter.metrics import ALL_METRICS
from tests.e2e.processes import ROOT, Process, exporter_cmd, free_port, samples, wait_until

WIDTH, HEIGHT = 1280, 800
ARTIFACTS = ROOT / "artifacts"
DOCS_SCREENSHOT = ROOT / "docs" / "status-page.png"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# Computed colours of the seat bars, as in exporter/status_page.py's CSS variables.
BAR_COLOURS = {"ok": "rgb(26, 127, 55)", "warn": "rgb(179, 89, 0)", "fail": "rgb(198, 40, 40)"}

# What the test reads from the laid-out page; runs in the browser, not in the page.
READ_PAGE = """JSON.stringify({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  tableClipped: [...document.querySelectorAll('.scroll')].map(e => e.scrollWidth - e.clientWidth),
  scripts: document.querySelectorAll('script').length,
  links: [...document.querySelectorAll('header a')].map(a => a.getAttribute('href')),
  facts: Object.fromEntries([...document.querySelectorAll('dl.facts dt')].map(
    dt => [dt.innerText, dt.nextElementSibling.innerText])),
  head: [...document.querySelectorAll('thead th')].map(th => th.innerText),
  rows: [...document.querySelectorAll('tbody tr')].map(tr => ({
    cells: [...tr.cells].map(td => td.innerText),
    href: tr.querySelector('td a') && tr.querySelector('td a').getAttribute('href'),
    users: tr.querySelector('.users') && tr.querySelector('.users').innerText,
    products: [...tr.querySelectorAll('.seats')].flatMap(grid => {
      const s = [...grid.children], out = [];
      for (let i = 0; i < s.length; i += 4) {
        const bar = s[i + 2].querySelector('span');
        out.push({
          product: s[i].innerText, seats: s[i + 1].innerText,
          rights: s.slice(i, i + 4).map(e => e.getBoundingClientRect().right),
          lefts: s.slice(i, i + 4).map(e => e.getBoundingClientRect().left),
          overflow: s.slice(i, i + 4).map(e => e.scrollWidth - e.clientWidth),
          fill: bar ? bar.getBoundingClientRect().width / s[i + 2].getBoundingClientRect().width
                    : null,
          level: bar ? bar.className : null,
          colour: bar ? getComputedStyle(bar).backgroundColor : null,
        });
      }
      return out;
    }),
  })),
})"""


class DevTools:
    """The few DevTools protocol calls the test needs, over one page's websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        await self.ws.send_json({"id": call_id, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), 30)
            if message.get("id") == call_id:
                assert "error" not in message, f"{method}: {message['error']}"
                result: dict[str, Any] = message["result"]
                return result

    async def wait_event(self, method: str) -> None:
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), 30)
            if message.get("method") == method:
                return

    async def open(self, url: str) -> None:
        await self.call("Page.enable")
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )
        await self.call("Page.navigate", url=url)
        await self.wait_event("Page.loadEventFired")

    async def read_page(self) -> dict[str, Any]:
        result = await self.call("Runtime.evaluate", expression=READ_PAGE, returnByValue=True)
        page: dict[str, Any] = json.loads(result["result"]["value"])
        return page

    async def screenshot(self) -> bytes:
        """The whole page at the window's width."""
        metrics = await self.call("Page.getLayoutMetrics")
        height = int(metrics["cssContentSize"]["height"])
        clip = {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}
        shot = await self.call(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        return base64.b64decode(shot["data"])


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = Process(
        exporter_cmd("--demo", "--web.listen-address", f"127.0.0.1:{port}"), tmp_path / "demo.log"
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{url}/-/ready").status_code == 200, 30, "the demo's sync")
        yield url
    finally:
        assert proc.stop() == 0, proc.output()


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[DevTools]:
    chromium = shutil.which("chromium")
    assert chromium, "chromium not found: run scripts/test.sh (apt-get install chromium)"
    profile = tmp_path / "chromium-profile"
    proc = subprocess.Popen(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        wait_until(port_file.exists, 30, "Chromium's DevTools port")
        wait_until(lambda: port_file.read_text().count("\n") >= 1, 5, "the port file")
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                pages = [t for t in await response.json() if t["type"] == "page"]
            async with session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield DevTools(ws)
    finally:
        proc.terminate()
        proc.wait(10)


_CONTRACT = {spec.name: spec.labels for spec in ALL_METRICS}


def contract_only(metrics: dict[str, float]) -> dict[str, float]:
    """The samples with only the contract's labels: the demo adds owner labels (`team`) to
    every series of an application, which the status page does not show."""
    out = {}
    for key, number in metrics.items():
        name, _, rest = key.partition("{")
        keep = _CONTRACT.get(name)
        if keep is None or not rest:
            out[key] = number
            continue
        pairs = re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest)
        out[name + "{" + ",".join(f'{k}="{v}"' for k, v in pairs if k in keep) + "}"] = number
    return out


def value(metrics: dict[str, float], name: str, **labels: str) -> float | None:
    key = name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    return metrics.get(key)


def sync_times(metrics: dict[str, float]) -> dict[str, float]:
    """When each sync and user scan last ended well, and whether the scans are up."""
    prefixes = (
        "atlassian_license_sync_last_success_timestamp_seconds{",
        "atlassian_license_users_sync_last_success_timestamp_seconds{",
        "atlassian_license_users_sync_up{",
    )
    return {k: v for k, v in metrics.items() if k.startswith(prefixes)}


async def consistent_read(browser: DevTools, url: str) -> tuple[dict[str, Any], dict[str, float]]:
    """The page and /metrics from the same sync round: the demo's seats move every 15 s."""
    for _ in range(5):
        before = contract_only(samples(httpx.get(f"{url}/metrics").text))
        await browser.open(f"{url}/")
        page = await browser.read_page()
        after = contract_only(samples(httpx.get(f"{url}/metrics").text))
        if sync_times(before) == sync_times(after):
            return page, after
    raise AssertionError("a sync finished during every one of 5 reads")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def expected_applications() -> dict[str, tuple[str, str]]:
    """Name -> (type, URL path) of the demo configuration."""
    simulator = await start_demo_simulator()
    try:
        config = demo_config(simulator)
    finally:
        await simulator.stop()
    return {a.name: (a.type, urlsplit(a.link.url).path) for a in config.applications}


def series(metrics: dict[str, float], name: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric with their labels, in exposition order."""
    return [
        (dict(re.findall(r'(\w+)="([^"]*)"', key)), v)
        for key, v in metrics.items()
        if key.startswith(name + "{")
    ]


def check_users(name: str, text: str | None, metrics: dict[str, float]) -> None:
    """The user-scan lines under the seats say what /metrics says, per product and period."""
    scan_up = value(metrics, "atlassian_license_users_sync_up", application=name)
    if value(metrics, "atlassian_license_users_sync_interval_seconds", application=name) is None:
        assert text is None, (name, text)  # a type without user scans
        return
    assert text is not None, name
    if scan_up is None:
        assert text in ("Inactive users: first scan pending", "Inactive users: first scan running")
        return
    assert scan_up == 1, (name, text)  # the demo's upstreams do not fail
    never = {
        labels["product"]: v
        for labels, v in series(metrics, "atlassian_license_users_never_active")
        if labels["application"] == name
    }
    if not never:  # the scan ran, but this version lists no user activity
        assert text.startswith("No user activity data from this version.\n"), (name, text)
    for product, count in never.items():
        periods = {
            labels["inactive_for"]: v
            for labels, v in series(metrics, "atlassian_license_inactive_users")
            if labels["application"] == name and labels["product"] == product
        }
        counts = " · ".join(f"{label}: {n:g}" for label, n in periods.items())
        line = (
            rf"^Inactive {re.escape(product)} users \(of \d+\), for over {re.escape(counts)}; "
            rf"never active: {count:g} \(in each\)$"
        )
        assert re.search(line, text, re.M), (name, line, text)
    assert re.search(r"\nscanned (\d+s|\d+m( \d+s)?) ago, every 1m$", text), text


@pytest.mark.integration
async def test_status_page_in_chromium_matches_metrics(exporter: str, browser: DevTools) -> None:
    page, metrics = await consistent_read(browser, exporter)
    expected = await expected_applications()

    assert page["scripts"] == 0
    assert page["links"] == ["/metrics", "/-/healthy", "/-/ready"]
    for link in page["links"]:
        assert httpx.get(exporter + link).status_code == 200, link
    assert page["facts"]["Version"] == __version__
    assert re.fullmatch(r"\d+s since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page["facts"]["Uptime"])
    assert page["facts"]["Configuration"] == "demo (embedded simulator)"
    assert page["facts"]["Last reload"].startswith("successful last loaded ")
    n = len(expected)
    assert page["facts"]["Applications"] == f"{n} ({n} syncing, 0 failing, 0 pending)"
    assert page["head"] == [
        "Application",
        "Type",
        "URL",
        "Last sync",
        "Duration",
        "Result",
        "Seats used / limit, inactive users",
    ]

    # One row per application, in name order, each saying what /metrics says.
    assert [row["cells"][0] for row in page["rows"]] == sorted(expected)
    for row in page["rows"]:
        name, type_, url, last_sync, duration, result, _ = row["cells"]
        check_users(name, row["users"], metrics)
        assert type_ == expected[name][0]
        assert urlsplit(row["href"]).path == expected[name][1]
        assert url.replace("\n", "") == row["href"] and "@" not in url and "admin" not in url
        age = re.match(
            r"(\d+)s ago · (next in \d+s|syncing now|due now)\n"
            r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$",
            last_sync,
        )
        assert age and int(age[1]) <= 30, last_sync
        took = value(metrics, "atlassian_license_sync_duration_seconds", application=name)
        assert took is not None and duration == f"{took:.3f}s"
        assert result == "success"
        assert value(metrics, "atlassian_license_sync_up", application=name) == 1
        products = {
            k.split('product="')[1].rstrip('"}')
            for k in metrics
            if k.startswith(f'atlassian_license_seats_used{{application="{name}",')
        }
        assert sorted(p["product"] for p in row["products"]) == sorted(products)
        for p in row["products"]:
            labels = {"application": name, "product": p["product"]}
            used = value(metrics, "atlassian_license_seats_used", **labels)
            limit = value(metrics, "atlassian_license_seats_limit", **labels)
            assert used is not None
            # The four parts of a product line (name, numbers, bar, %) never overlap, and no
            # text spills out of its part.
            pairs = zip(p["rights"][:-1], p["lefts"][1:], strict=True)
            assert all(right <= left + 0.5 for right, left in pairs), p
            assert p["overflow"] == [0, 0, 0, 0], p
            if value(metrics, "atlassian_license_seats_unlimited", **labels) == 1:
                assert limit is None and p["seats"] == f"{used:g} / unlimited"
                assert p["fill"] is None
                continue
            if limit is None:  # a Cloud organization's product: no documented limit
                assert p["seats"] == f"{used:g} / no limit" and p["fill"] is None
                continue
            assert p["seats"] == f"{used:g} / {limit:g}"
            ratio = used / limit
            assert p["fill"] == pytest.approx(min(ratio, 1.0), abs=0.02), p
            level = "fail" if ratio >= 0.98 else "warn" if ratio >= 0.9 else "ok"
            assert p["level"] == level and p["colour"] == BAR_COLOURS[level], p

    # Rendered well at 1280 px: nothing scrolls sideways, nothing is clipped.
    assert page["scrollWidth"] <= page["innerWidth"] == WIDTH
    assert page["tableClipped"] == [0]

    shot = await browser.screenshot()
    width, height = png_size(shot)
    assert width == WIDTH and height >= 400
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "status-page.png").write_bytes(shot)
    if os.environ.get("UPDATE_SCREENSHOT"):
        DOCS_SCREENSHOT.write_bytes(shot)


def test_committed_screenshot_is_a_status_page_png() -> None:
    width, height = png_size(DOCS_SCREENSHOT.read_bytes())
    assert width == WIDTH and 400 <= height <= 2000
