"""Which proxy a link's requests go through, with Prometheus' keys and Go's rules for them.

Prometheus (prometheus/common config.ProxyConfig) has three cases, kept here:
- `proxy_url` alone: http.ProxyURL, every request goes through the proxy, loopback included;
- `proxy_url` and `no_proxy`: golang.org/x/net/http/httpproxy, which never proxies
  `localhost` or a loopback address, and skips what `no_proxy` matches;
- `proxy_from_environment`: httpproxy.FromEnvironment: HTTPS_PROXY for https URLs, HTTP_PROXY
  for http ones (upper case first, then lower case), and NO_PROXY, read when the link's client
  is built.
A link has one base URL and never follows redirects, so the choice is made once per link.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from exporter.config.models import Link, proxy_url_problem, public_url

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Route:
    """The proxy of one link. `url` and `shown` carry no credentials; `auth` and `headers` do."""

    url: str
    auth: tuple[str, str] | None = None
    # Sent on CONNECT only (proxy_connect_header), as in Go: https links only.
    headers: tuple[tuple[str, str], ...] = ()
    # Set for an unusable proxy from the environment: Go fails every request, and so do we.
    problem: str | None = None

    @property
    def shown(self) -> str:
        """host:port of the proxy, for log lines and errors."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        return f"{f'[{host}]' if ':' in host else host}:{parts.port or DEFAULT_PORTS[parts.scheme]}"


def route(link: Link, environ: Mapping[str, str] = os.environ) -> Route | None:
    """The proxy for `link`'s requests, or None to connect directly."""
    https = link.url.startswith("https:")
    if link.proxy_from_environment:
        raw = _env(environ, "HTTPS_PROXY" if https else "HTTP_PROXY")
        no_proxy: str | None = _env(environ, "NO_PROXY")
        if raw and "://" not in raw:
            raw = "http://" + raw  # Go takes a bare host:port as an http proxy
        if raw and (problem := proxy_url_problem(raw)):
            return Route("", problem=f"the proxy from the environment: {problem}")
    elif link.proxy_url is not None:
        raw, no_proxy = link.proxy_url.get_secret_value(), link.no_proxy
    else:
        return None
    if not raw:
        return None
    # Only httpproxy (no_proxy set, or the environment) spares loopback and no_proxy matches.
    if (link.proxy_from_environment or no_proxy) and not use_proxy(link.url, no_proxy or ""):
        return None
    parts = urlsplit(raw)
    auth = None
    if parts.username is not None or parts.password is not None:
        auth = (unquote(parts.username or ""), unquote(parts.password or ""))
    headers = tuple(
        (name, value.get_secret_value())
        for name, values in (link.proxy_connect_header or {}).items()
        for value in values
    )
    return Route(public_url(raw), auth, headers if https else ())


def _env(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name) or environ.get(name.lower()) or ""


def use_proxy(url: str, no_proxy: str) -> bool:
    """Whether a request to `url` goes through the proxy, per httpproxy's NO_PROXY rules:
    `*` matches everything; an IP or CIDR block matches addresses; `example.com` matches it and
    its subdomains, `.example.com` and `*.example.com` only subdomains; an entry with a port
    matches that port only. `localhost` and loopback addresses are never proxied."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = str(parts.port or DEFAULT_PORTS.get(parts.scheme) or "")
    ip = _ip(host)
    if host == "localhost" or (ip is not None and ip.is_loopback):
        return False
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry and _matches(entry, host, port, ip):
            return False
    return True


def _matches(
    entry: str, host: str, port: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
) -> bool:
    if entry == "*":
        return True
    if "/" in entry:
        try:
            return ip is not None and ip in ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return False  # Go ignores what it cannot parse
    name, entry_port = _split_port(entry)
    if not name:
        return False
    if entry_port and entry_port != port:
        return False
    entry_ip = _ip(name)
    if entry_ip is not None:
        return ip is not None and ip == entry_ip
    if name.startswith("*."):
        name = name[1:]
    if name.startswith("."):
        return host.endswith(name)
    return host == name or host.endswith("." + name)


def _split_port(entry: str) -> tuple[str, str]:
    if entry.startswith("["):  # [::1]:8080 or [::1]
        name, _, rest = entry[1:].partition("]")
        return name, rest.removeprefix(":")
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, port
    return entry, ""  # a name, or a bare IPv6 address


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
