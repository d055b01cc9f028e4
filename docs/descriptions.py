"""What each configuration key does, by its path in the file, for docs/configuration.md.

A key whose pydantic Field has a `description` uses that instead. tests/docs fails when a model
gains a key that has neither, or when an entry here names a key that no longer exists.
"""

from __future__ import annotations

from typing import Final

_SECRET_FILE = (
    "read at each request, so a rotated secret works without a restart; mutually exclusive "
    "with the inline value"
)

DESCRIPTIONS: Final[dict[str, str]] = {
    "global": "Defaults for every application; the whole section is optional.",
    "global.sync_interval": "How often each application's license data is read. Each sync "
    "adds up to 10 % jitter (at most 30 s), so applications sharing an interval spread out.",
    "global.timeout": "Total deadline of one HTTP request, body included.",
    "global.max_concurrent_syncs": "Syncs running at the same time, at most, across all "
    "applications.",
    "global.body_size_limit": "A larger upstream response fails the sync with reason "
    "`body_too_large`.",
    "global.users_sync_interval": "How often the licensed users of an application are scanned "
    "for last activity (types with user scans only). A scan reads every licensed user, so it "
    "runs much less often than the seat sync.",
    "global.inactive_periods": "Inactivity buckets of the user scans: each is an `inactive_for` "
    "label value, exactly as written, on `atlassian_license_inactive_users`.",
    "global.user_detail": "Opt-in per-user series (`atlassian_license_user_last_active_"
    "timestamp_seconds`) for a reclaim table. Off unless set: one series per user.",
    "global.user_detail.inactive_for": "Only users inactive for longer than this get a series.",
    "global.user_detail.max_users": "At most this many users per application, the longest "
    "inactive first; 0 switches the detail off.",
    "applications": "The applications to monitor. Each becomes the `application` label.",
    "applications[].name": "Unique name, the `application` label value: letters, digits, "
    "`_`, `.`, `-`, starting with a letter or digit, at most 63 characters.",
    "applications[].type": "What the application is, which decides the REST endpoints read. "
    "`crowd` reads an application's license usage through Crowd; `jira-cloud` a Jira Cloud "
    "site.",
    "applications[].sync_interval": "Overrides `global.sync_interval` for this application.",
    "applications[].link": "Where and how to reach the application; the keys follow "
    "Prometheus' HTTP client configuration.",
    "applications[].link.url": "Base URL, `http` or `https`, with the context path if there "
    "is one (`https://example.com/jira`); no credentials, query or fragment.",
    "applications[].link.basic_auth": "HTTP basic authentication; mutually exclusive with "
    "`authorization`.",
    "applications[].link.basic_auth.username": "The account; it needs admin rights on what the "
    "exporter reads (see the README's troubleshooting).",
    "applications[].link.basic_auth.password": "Inline password; prefer `password_file`.",
    "applications[].link.basic_auth.password_file": f"File holding the password, {_SECRET_FILE}.",
    "applications[].link.authorization": "An `Authorization` header, e.g. a personal access "
    "token; mutually exclusive with `basic_auth`.",
    "applications[].link.authorization.type": "The scheme, e.g. `Bearer`; `Basic` is refused "
    "(use `basic_auth`).",
    "applications[].link.authorization.credentials": "Inline token; prefer `credentials_file`. "
    "Exactly one of the two is required.",
    "applications[].link.authorization.credentials_file": f"File holding the token, "
    f"{_SECRET_FILE}.",
    "applications[].link.tls_config": "TLS settings for `https` URLs.",
    "applications[].link.tls_config.ca_file": "CA certificates (PEM) to verify the server "
    "with, instead of the system's.",
    "applications[].link.tls_config.cert_file": "Client certificate (PEM) for mutual TLS; "
    "needs `key_file`.",
    "applications[].link.tls_config.key_file": "Private key (PEM) of the client certificate.",
    "applications[].link.tls_config.server_name": "Name to send (SNI) and verify, when it "
    "differs from the URL's host.",
    "applications[].link.tls_config.insecure_skip_verify": "Skip certificate verification. "
    "For a test only: it lets anyone on the path read the credentials.",
    "applications[].link.proxy_url": "HTTP(S) proxy for this link, e.g. "
    "`http://proxy.example.com:3128`; `http://user:password@proxy:3128` authenticates to it "
    "(basic). Plain `http` requests are forwarded to it, `https` ones tunnel through `CONNECT`. "
    "A secret: never logged or shown. Mutually exclusive with `proxy_from_environment`. A "
    "proxy that wants other credentials fails the sync with reason `http_407`.",
    "applications[].link.no_proxy": "Comma-separated IPs, CIDR blocks and domain names that "
    "bypass `proxy_url`; each may carry a port. `example.com` matches it and its subdomains, "
    "`.example.com` only subdomains, `*` everything. As in Prometheus (Go's rules), once "
    "`no_proxy` is set, `localhost` and loopback addresses are never proxied. Needs `proxy_url`.",
    "applications[].link.proxy_from_environment": "Use `HTTPS_PROXY` (for `https` URLs) or "
    "`HTTP_PROXY` (for `http`) and `NO_PROXY` from the exporter's environment, upper or lower "
    "case, read when the link's HTTP client is created; `localhost` and loopback are never "
    "proxied. Without this key the environment's proxy variables are ignored, as in Prometheus.",
    "applications[].link.proxy_connect_header": "Headers sent to the proxy with `CONNECT` "
    "(`https` URLs only), as a map of header name to a list of values, e.g. "
    "`Proxy-Authorization: [Bearer ...]`. The values are secrets. Like Prometheus there is no "
    "`_file` form. Needs `proxy_url` or `proxy_from_environment`.",
    "applications[].link.timeout": "Overrides `global.timeout`; must not exceed the sync interval.",
    "applications[].crowd_application_id": "Type `crowd` only, and required there: Crowd's "
    "numeric id of the application whose license usage is read.",
    "applications[].crowd_application_type": "Type `crowd` only, and required there: what "
    "that application is.",
    "global.user_scans": "Whether user scans run (types with user scans only). A scan reads every "
    "licensed user with more privileges than seat counts need; switched off, no scan request is "
    "made and no scan series is exported.",
    "global.user_scans.enabled": "`false` switches user scans off for every application that "
    "does not switch them on itself.",
    "applications[].user_scans": "Overrides `global.user_scans`; types with user scans only.",
    "applications[].user_scans.enabled": "`false` switches this application's user scans off, "
    "`true` on, whatever `global.user_scans.enabled` says.",
    "applications[].users_sync_interval": "Overrides `global.users_sync_interval`; types with "
    "user scans only (`crowd`, `bitbucket`, `confluence`).",
    "applications[].inactive_periods": "Overrides `global.inactive_periods`; types with user "
    "scans only.",
    "applications[].user_detail": "Overrides `global.user_detail`; types with user scans only.",
    "applications[].user_detail.inactive_for": "As `global.user_detail.inactive_for`.",
    "applications[].user_detail.max_users": "As `global.user_detail.max_users`; 0 switches "
    "the detail off for this application only.",
}
