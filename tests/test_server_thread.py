"""HTTP served from a thread of its own (serve/server_thread.py), the state left on the home
loop (serve/home.py): what the CLI runs. The home loop here runs in a thread too, so a test
can block it and check what the serving thread still answers."""

from __future__ import annotations

import asyncio
import gzip
import threading
import urllib.error
import urllib.request
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from aiohttp import web
from prometheus_client import CollectorRegistry

from exporter.config.load import Application
from exporter.config.targets import resolve
from exporter.serve import web as web_module
from exporter.serve.collector import LicenseCollector
from exporter.serve.home import Home
from exporter.serve.render import IncrementalRenderer
from exporter.serve.server_thread import ServingThread
from exporter.serve.web import EXPOSITION, make_app
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime
from tests.factories import app_dict, make_config, types_with

T = TypeVar("T")
# Only a failure detector: every request here is answered in milliseconds when it works.
TIMEOUT = 20.0


async def fetch(client: LinkClient, app: Application) -> Snapshot:
    return Snapshot((ProductLicense("jira-software", 95, 100, 5),))


class HomeLoop:
    """A loop in a thread, standing for the CLI's main loop (which syncs)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="home", daemon=True)
        self.thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(TIMEOUT)

    def block(self) -> threading.Event:
        """Keeps the home loop inside one callback until the returned event is set."""
        entered, release = threading.Event(), threading.Event()

        def busy() -> None:
            entered.set()
            release.wait(TIMEOUT)

        self.loop.call_soon_threadsafe(busy)
        assert entered.wait(TIMEOUT)
        return release

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()


@dataclass
class Served:
    home: HomeLoop
    runtime: Runtime
    app: web.Application
    base: str
    config: Path

    def get(self, path: str, **headers: str) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def post(self, path: str) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"applications": [app_dict("good")]}))
    home = HomeLoop()
    server = ServingThread()

    async def build() -> tuple[Runtime, web.Application]:
        poller = Poller(resolve(make_config(app_dict("good"))), types=types_with({"jira": fetch}))
        runtime = Runtime(poller, config, lifecycle=True)
        collector = LicenseCollector(
            lambda: poller.states, reload_status=lambda: runtime.reload_status
        )
        registry = CollectorRegistry(auto_describe=False)
        registry.register(collector)
        app = make_app(runtime, registry, None, IncrementalRenderer(collector), home=Home.current())
        return runtime, app

    runtime, app = home.run(build())
    runner = home.run(server.start(app, "127.0.0.1", 0))
    host, port = runner.addresses[0][:2]
    try:
        yield Served(home, runtime, app, f"http://{host}:{port}", config)
    finally:
        home.run(server.stop())
        home.run(runtime.poller.close())
        home.close()


def test_metrics_are_served_while_the_home_loop_is_busy(served: Served) -> None:
    served.home.run(served.runtime.poller.run_due())
    # Every render counts as expensive: answered from the cache, never waiting for home.
    served.app[EXPOSITION].BACKGROUND_COST = 0.0
    status, synced = served.get("/metrics")
    assert status == 200
    assert b'atlassian_license_seats_used{application="good",product="jira-software"} 95.0' in (
        synced
    )
    release = served.home.block()
    try:
        assert served.get("/metrics") == (200, synced)
        status, zipped = served.get("/metrics", **{"Accept-Encoding": "gzip"})
        assert status == 200 and gzip.decompress(zipped) == synced
        assert served.get("/-/healthy") == (200, b"Healthy.\n")
    finally:
        release.set()


def test_a_cheap_render_is_waited_for_only_briefly(served: Served) -> None:
    exposition = served.app[EXPOSITION]
    exposition.COALESCE = 0.0  # any change outdates the body at once
    status, before = served.get("/metrics")
    assert status == 200 and b"seats_used{" not in before
    served.home.run(served.runtime.poller.run_due())  # outdates it
    release = served.home.block()
    try:
        # The home loop cannot render: after HOME_WAIT the body before the sync is served.
        assert served.get("/metrics") == (200, before)
    finally:
        release.set()
    status, after = served.get("/metrics")  # the home loop rendered it meanwhile, or now
    assert status == 200 and b'seats_used{application="good",product="jira-software"} 95.0' in (
        after
    )


def test_the_first_render_runs_on_the_home_loop(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    exposition = served.app[EXPOSITION]
    render, threads = exposition._render, []

    def recorded(*args: Any) -> bytes:
        threads.append(threading.current_thread().name)
        return render(*args)

    monkeypatch.setattr(exposition, "_render", recorded)
    status, body = served.get("/metrics")
    assert status == 200 and b"atlassian_license_sync_up" in body
    assert threads == ["home"]


def test_state_handlers_run_on_the_home_loop(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    page = web_module.render_status_page

    def status_page(runtime: Runtime) -> str:
        threads.append(threading.current_thread().name)
        return page(runtime)

    monkeypatch.setattr(web_module, "render_status_page", status_page)
    status, text = served.get("/-/ready")
    assert (status, text) == (503, b"Not ready: 1 application(s) before their first sync.\n")
    served.home.run(served.runtime.poller.run_due())
    assert served.get("/-/ready") == (200, b"Ready.\n")
    status, html = served.get("/")
    assert status == 200 and b"good" in html
    assert threads == ["home"]


def test_a_reload_is_applied_on_the_home_loop(served: Served) -> None:
    served.config.write_text(yaml.safe_dump({"applications": [app_dict("good"), app_dict("new")]}))
    assert served.post("/-/reload") == (200, b"Reloaded.\n")
    assert sorted(served.runtime.poller.states) == ["good", "new"]
    served.home.run(served.runtime.poller.run_due())
    status, body = served.get("/metrics")
    assert status == 200 and b'atlassian_license_sync_up{application="new"} 1.0' in body
    served.config.write_text("applications: [")
    status, text = served.post("/-/reload")
    assert status == 500 and text.startswith(b"failed to reload config: ")
    assert sorted(served.runtime.poller.states) == ["good", "new"]


def test_a_taken_port_fails_the_start_and_ends_the_thread(served: Served) -> None:
    port = int(served.base.rsplit(":", 1)[1])
    server = ServingThread(name="second")
    app = served.home.run(_app_like(served))
    with pytest.raises(OSError):
        served.home.run(server.start(app, "127.0.0.1", port))
    assert "second" not in {thread.name for thread in threading.enumerate()}
    served.home.run(server.stop())  # nothing left to stop: a no-op


def test_stop_closes_the_listener_and_ends_the_thread(served: Served) -> None:
    server = ServingThread(name="other")
    app = served.home.run(_app_like(served))
    runner = served.home.run(server.start(app, "127.0.0.1", 0))
    host, port = runner.addresses[0][:2]
    with urllib.request.urlopen(f"http://{host}:{port}/-/healthy", timeout=TIMEOUT) as response:
        assert response.status == 200
    served.home.run(server.stop())
    assert "other" not in {thread.name for thread in threading.enumerate()}
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://{host}:{port}/-/healthy", timeout=TIMEOUT)


async def _app_like(served: Served) -> web.Application:
    return make_app(served.runtime, CollectorRegistry(auto_describe=False), home=Home.current())
