"""Failed jobs: what went wrong, and how long to wait before the next attempt."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from exporter.metrics import Reason
from exporter.sources.model import SourceError

log = logging.getLogger("exporter.sync.poller")  # it logs for the poller

# After a failure, retry after 5 s, 10 s, 20 s ... but never later than the interval.
BACKOFF_BASE: Final = 5.0
# 5 * 2**30 s is 170 years: no interval is longer, and the exponent never overflows.
MAX_EXPONENT: Final = 30
# A Retry-After (or X-RateLimit-Reset) further away than this is taken as this: a server's
# typo or a date in year 9999 must not park an application for good.
MAX_RETRY_AFTER: Final = 6 * 3600.0
# Failures that a retry cannot fix before someone acts. A 401 in particular must not be
# retried: Atlassian locks the account behind a CAPTCHA after a few failed logins, and a
# proxy that refuses its login (407) may lock a directory account the same way.
NO_EARLY_RETRY: Final[frozenset[Reason]] = frozenset(
    {"http_401", "http_403", "http_407", "secret_file"}
)


def backoff(interval: float, failures: int, reason: Reason, retry_after: float | None) -> float:
    """Seconds before the next attempt after `failures` failures in a row."""
    if reason in NO_EARLY_RETRY:
        delay = interval
    else:
        exponent = min(max(failures - 1, 0), MAX_EXPONENT)
        delay = min(interval, BACKOFF_BASE * 2.0**exponent)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))  # never sooner than asked
    return delay


@dataclass(frozen=True)
class Failure:
    reason: Reason
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
    # Not an upstream fault: a bug of the exporter. Counted apart, with its traceback once.
    failure = Failure("internal", f"exporter bug: {type(exc).__name__}")
    log.error(
        "%s failed application=%s reason=%s error=%r",
        what,
        application,
        failure.reason,
        failure.message,
        exc_info=exc,
    )
    return failure
