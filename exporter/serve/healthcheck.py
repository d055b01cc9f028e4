"""The container's health check: `python -m exporter.serve.healthcheck [HOST:PORT]`.

Healthy means the exporter serves on its port, in whichever mode `--web.config.file` put it:
plain HTTP, TLS, basic auth, or TLS with client certificates required. Over TLS the
certificate is not verified (this asks only whether the process on this local port answers,
and sends nothing secret), and a 401 proves it answers just as well as a 200: the check needs
no password, so none is stored in the image. Requiring client certificates, the exporter
completes the TLS handshake (its event loop runs) and then closes the connection of a client
without one: that counts as serving too, since the check has no client certificate.
Exit status 0 when healthy, 1 otherwise with one line on stderr, as Docker expects.
"""

from __future__ import annotations

import http.client
import ssl
import sys
from collections.abc import Sequence

DEFAULT_ADDRESS = "127.0.0.1:9877"
PATH = "/-/healthy"
# Docker's --timeout is 5 s; two attempts (plain, then TLS) and the interpreter's start-up
# must fit in it. A local exporter answers in milliseconds.
TIMEOUT = 1.5
SERVING = (200, 401)


def _status(host: str, port: int, tls: bool) -> int | None:
    """The HTTP status of /-/healthy; None when a TLS server completed the handshake and then
    closed the connection without an answer (it requires a client certificate)."""
    connection: http.client.HTTPConnection
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(host, port, timeout=TIMEOUT, context=context)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    try:
        connection.connect()  # for TLS, the handshake: its failures propagate
        try:
            connection.request("GET", PATH)
            return connection.getresponse().status
        except (http.client.RemoteDisconnected, ConnectionResetError, ssl.SSLError):
            if tls:
                return None
            raise
    finally:
        connection.close()


def check(address: str) -> str | None:
    """None when the exporter at `address` serves, else what is wrong."""
    host, _, port_text = address.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return f"{address!r} is not HOST:PORT"
    port = int(port_text)
    problems = []
    for tls in (False, True):
        url = f"{'https' if tls else 'http'}://{address}{PATH}"
        try:
            status = _status(host.strip("[]"), port, tls)
        except ConnectionRefusedError as exc:
            return f"{url}: {exc.strerror or exc}"  # nothing listens: TLS will not help
        except (OSError, http.client.HTTPException) as exc:
            # A TLS endpoint drops a plain HTTP request: try TLS next.
            problems.append(f"{url}: {type(exc).__name__}: {exc}")
            continue
        return None if status is None or status in SERVING else f"{url}: HTTP {status}"
    return "; ".join(problems)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    address = args[0] if args else DEFAULT_ADDRESS
    problem = check(address)
    if problem is None:
        return 0
    print(f"unhealthy: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
