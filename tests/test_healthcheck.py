"""The container health check against servers that answer, but not as a healthy exporter."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from exporter.serve.healthcheck import check


@pytest.fixture
def answering() -> Iterator[tuple[ThreadingHTTPServer, list[int]]]:
    statuses: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(statuses[0])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll so shutdown() returns at once rather than after the default half second.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server, statuses
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "problem"),
    [(200, None), (401, None), (404, "HTTP 404"), (500, "HTTP 500"), (503, "HTTP 503")],
)
def test_status_decides(
    answering: tuple[ThreadingHTTPServer, list[int]], status: int, problem: str | None
) -> None:
    server, statuses = answering
    statuses.append(status)
    address = f"127.0.0.1:{server.server_address[1]}"
    result = check(address)
    if problem is None:
        assert result is None
    else:
        # An HTTP answer settles it: no TLS attempt after a plain one that answered.
        assert result == f"http://{address}/-/healthy: {problem}"
