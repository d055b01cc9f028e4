"""Error replies in each product's own style (reference §5.3 and §3.3)."""

from __future__ import annotations

import time
from typing import Any

from exporter.simulator.base import Reply, html_page, html_reply, json_reply
from exporter.simulator.model import AuthOutcome

_TITLES = {
    "jira": "Jira",
    "confluence": "Confluence",
    "bitbucket": "Bitbucket",
    "crowd": "Crowd",
    "jira-cloud": "Jira",
    "atlassian-org": "Atlassian Administration",
}
_BB_AUTH_FAILED = "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
_BB_CAPTCHA = "com.atlassian.bitbucket.auth.CaptchaRequiredAuthenticationException"
_BB_FORBIDDEN = "com.atlassian.bitbucket.AuthorisationException"
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# Default rate-limit settings: Jira/Confluence DC 10 requests per second, bucket 100;
# Bitbucket DC bucket 60 refilled 5 per second.
_RATE_LIMITS = {"bitbucket": ("60", "1", "5")}
_DEFAULT_RATE_LIMIT = ("100", "1", "10")


def bitbucket_errors(message: str, exception: str | None = None) -> dict[str, Any]:
    # Real Bitbucket sends "context": null, but the vendor schema types context as a plain
    # string, so the simulator leaves the key out to stay valid against the OpenAPI document.
    error: dict[str, Any] = {"message": message}
    if exception:
        error["exceptionName"] = exception
    return {"errors": [error]}


def confluence_error(status: int, message: str) -> dict[str, Any]:
    data = {"authorized": False, "valid": True, "errors": [], "successful": False}
    return {"statusCode": status, "data": data, "message": message, "reason": _REASONS[status]}


def jira_error(message: str) -> dict[str, Any]:
    return {"errorMessages": [message], "errors": {}}


def crowd_error(reason: str, message: str) -> dict[str, Any]:
    # The reference shows no Crowd admin-REST error body; this is Crowd REST's usual
    # reason/message entity.
    return {"reason": reason, "message": message}


def cloud_rate_limit_headers(now: float, retry_after: float) -> dict[str, str]:
    """Jira Cloud's 429 headers (reference §5.2); the reset time is ISO-8601."""
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + retry_after))
    return {
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-NearLimit": "true",
        "X-RateLimit-Reset": reset,
        "RateLimit-Reason": "jira-burst-based",
    }


def not_found(product: str) -> Reply:
    if product == "bitbucket":
        return json_reply(
            {"message": "HTTP 404 Not Found", "status-code": 404, "sub-code": -1}, 404
        )
    text = "The page you are looking for could not be found."
    return html_reply(html_page(f"Page not found - {_TITLES[product]}", text), 404)


def unauthorized(product: str, outcome: AuthOutcome, login_url: str, captcha: bool) -> Reply:
    """401 for missing or rejected credentials, or a CAPTCHA lockout."""
    headers: dict[str, str] = {}
    if captcha:
        headers["X-Authentication-Denied-Reason"] = f"CAPTCHA_CHALLENGE; login-url={login_url}"
    if product == "crowd":
        return json_reply(crowd_error("UNAUTHORIZED", "Authentication failed"), 401, headers)
    if product == "atlassian-org":
        return json_reply({"code": 401, "message": "Unauthorized"}, 401, headers)
    if product == "jira-cloud":
        message = "Client must be authenticated to access this resource."
        return json_reply(jira_error(message), 401, headers)
    if product == "bitbucket":
        if captcha:
            body = bitbucket_errors("CAPTCHA required. Log in through the web UI.", _BB_CAPTCHA)
        elif outcome == "anonymous":
            body = bitbucket_errors("You are not permitted to access this resource", _BB_FORBIDDEN)
        else:
            msg = "Authentication failed. Please check your credentials and try again."
            body = bitbucket_errors(msg, _BB_AUTH_FAILED)
        return json_reply(body, 401, headers)
    # Jira and Confluence share Seraph, which reports why in X-Seraph-LoginReason.
    if captcha:
        headers["X-Seraph-LoginReason"] = "AUTHENTICATION_DENIED"
    elif outcome == "anonymous":
        headers["X-Seraph-LoginReason"] = "OUT"
        message = "You are not authenticated. Authentication required to perform this operation."
        if product == "jira":
            return json_reply(jira_error(message), 401, headers)
        return json_reply(confluence_error(401, message), 401, headers)
    else:
        headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
    reason = headers["X-Seraph-LoginReason"]
    text = f"Basic Authentication Failure - Reason : {reason}"
    return html_reply(html_page("Unauthorized (401)", text), 401, headers)


def forbidden(product: str, status: int = 403) -> Reply:
    """Authenticated, but not an administrator."""
    if product == "bitbucket":
        msg = "You are not permitted to access this resource"
        return json_reply(bitbucket_errors(msg, _BB_FORBIDDEN), status)
    if product in ("jira", "jira-cloud"):
        return json_reply(
            jira_error("Only Jira administrators can access license details."), status
        )
    if product == "atlassian-org":
        return json_reply({"code": status, "message": "Forbidden"}, status)
    if product == "crowd":
        message = "Only Crowd administrators can access license visibility."
        return json_reply(crowd_error("PERMISSION_DENIED", message), status)
    msg = "User is not permitted to view license information"
    return json_reply(confluence_error(status, msg), status)


def login_page(product: str) -> Reply:
    """What an expired session or an SSO redirect serves instead of JSON: 200 and HTML."""
    title = f"Log in - {_TITLES[product]}"
    headers = {} if product == "bitbucket" else {"X-AUSERNAME": "anonymous"}
    form = '<form id="login-form" method="post"><input name="os_username"></form>'
    return html_reply(html_page(title, "Please log in to continue.") + form, 200, headers)


def error_status(product: str, status: int, *, json_body: bool = False, now: float = 0.0) -> Reply:
    """Any status injected by a fault; 503 is a maintenance page unless json_body is set."""
    reason = _REASONS.get(status, "Error")
    headers: dict[str, str] = {}
    if status == 429 and product == "jira-cloud":
        headers |= cloud_rate_limit_headers(now, 60.0)
    elif status == 429:
        limit, interval, fill = _RATE_LIMITS.get(product, _DEFAULT_RATE_LIMIT)
        headers |= {"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": "0"}
        headers |= {"X-RateLimit-Interval-Seconds": interval, "X-RateLimit-FillRate": fill}
    if status == 503 and not json_body:
        text = f"{_TITLES[product]} is down for maintenance. Please try again later."
        return html_reply(html_page("Service Unavailable", text), status, headers)
    if status == 404:
        return not_found(product)
    message = f"{status} {reason}"
    if product == "bitbucket":
        return json_reply(bitbucket_errors(message), status, headers)
    if product in ("jira", "jira-cloud"):
        return json_reply(jira_error(message), status, headers)
    if product == "crowd":
        return json_reply(crowd_error(reason.upper().replace(" ", "_"), message), status, headers)
    body = {"statusCode": status, "message": message, "reason": reason}
    return json_reply(body, status, headers)
