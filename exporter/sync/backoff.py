"""Failed syncs and user scans: what went wrong, and when to try again."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from exporter.sources.model import SourceError

log = logging.getLogger("exporter.sync.poller")

# After a failure, retry after 5 s, 10 s, 20 s ... but never later than the interval.
BACKOFF_BASE = 5.0
# Failures that a retry cannot fix before someone acts. A 401 in particular must not be
# retried: Atlassian locks the account behind a CAPTCHA after a few failed logins.
NO_EARLY_RETRY = frozenset({"http_401", "http_403", "secret_file"})


def backoff(interval: float, failures: int, reason: str, retry_after: float | None) -> float:
    """Seconds before the next attempt after `failures` failures in a row."""
    if reason in NO_EARLY_RETRY:
        delay = interval
    else:
        delay = min(interval, BACKOFF_BASE * 2 ** (failures - 1))
    if retry_after is not None:
        delay = max(delay, retry_after)  # never sooner than the server asked
    return delay


@dataclass(frozen=True)
class Failure:
    reason: str
    message: str
    retry_after: float | None = None


def describe_failure(exc: Exception, what: str, application: str) -> Failure:
    """Log one line for a failed `what` ("sync", "user scan") and say why it failed."""
    if isinstance(exc, SourceError):
        log.warning(
            "%s failed application=%s url_path=%s reason=%s error=%r",
            what,
            application,
            exc.path,
            exc.reason,
            exc.message,
        )
        return Failure(exc.reason, exc.message, exc.retry_after)
    # A bug or a shape no check foresaw: count it, keep running; the traceback only at debug.
    failure = Failure("invalid_response", f"unexpected {type(exc).__name__}")
    log.error(
        "%s failed application=%s reason=%s error=%r",
        what,
        application,
        failure.reason,
        f"{failure.message}: {exc}",
    )
    log.debug("traceback of the failed %s", what, exc_info=True)
    return failure
