"""When to try again after a failed sync or user scan."""

from __future__ import annotations

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
