"""Reading fields out of upstream JSON with errors that say which field of which path."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from typing import Any

from exporter.sources.model import SourceError

__all__ = ["SourceError"]

# Seat counts are Java ints upstream; anything larger is a broken response, not a license.
MAX_COUNT = 2**31 - 1
# Products (roles, Jira types) per application: every one costs requests and series, and 5,000
# roles from one upstream once kept the exporter busy for 100 s. Real instances have a handful.
MAX_PRODUCTS = 100
# A seat limit this large is how an unlimited license looks: Confluence's
# UserCountService.getLicenseMaxUsers documents Integer.MAX_VALUE for one (docs/sources.md).
UNLIMITED_AT = 2**31 - 1
# Limits may come as Java longs; beyond this a value is garbage, not a license.
MAX_LIMIT = 2**63 - 1
# Epoch-millisecond dates between 1970 and the year 9999.
MAX_EPOCH_MS = 253_402_300_799_000


def _invalid(path: str, message: str) -> SourceError:
    return SourceError("invalid_response", path, message)


def as_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(path, f"expected a JSON object, got {type(value).__name__}")
    return value


def as_list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _invalid(path, f"expected a JSON array, got {type(value).__name__}")
    return value


def capped(items: list[Any], path: str) -> list[Any]:
    """`items` (one per product) unless there are more than MAX_PRODUCTS of them."""
    if len(items) > MAX_PRODUCTS:
        raise _invalid(path, f"{len(items)} products, more than the limit of {MAX_PRODUCTS}")
    return items


def _bounded(obj: dict[str, Any], field: str, path: str, bound: int) -> int:
    if field not in obj or obj[field] is None:
        raise _invalid(path, f"field {field!r} is missing")
    value = obj[field]
    # bool is an int in Python; a `true` seat count is a broken response.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(path, f"field {field!r} is not an integer: {_show(value)}")
    if abs(value) > bound:
        raise _invalid(path, f"field {field!r} is out of range: {value}")
    return value


def integer(
    obj: dict[str, Any],
    field: str,
    path: str,
    *,
    allow_negative: bool = False,
    bound: int = MAX_COUNT,
) -> int:
    """A required integer; negative only where the API uses it to mean unlimited. Counts are
    Java ints (the default bound); pass MAX_LIMIT for a Java long such as a version."""
    value = _bounded(obj, field, path, bound)
    if value < 0 and not allow_negative:
        raise _invalid(path, f"field {field!r} is negative: {value}")
    return value


def seat_limit(obj: dict[str, Any], field: str, path: str) -> int | None:
    """A required seat limit; None for an unlimited license, whatever the product's spelling:
    a negative value (-1, Jira's UNLIMITED_USERS) or one at or above 2^31 - 1."""
    value = _bounded(obj, field, path, MAX_LIMIT)
    return None if value < 0 or value >= UNLIMITED_AT else value


def label_value(value: str | None) -> str | None:
    """A label value spelled one way whatever the product sends: upper case, words joined by
    underscores (`Commercial`, `COMMERCIAL` and `commercial ` all become `COMMERCIAL`)."""
    if value is None:
        return None
    canonical = re.sub(r"[^0-9A-Z]+", "_", value.upper()).strip("_")
    return shared(canonical) or None


def boolean(obj: dict[str, Any], field: str, path: str) -> bool | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _invalid(path, f"field {field!r} is not a boolean: {_show(value)}")
    return value


def text(obj: dict[str, Any], field: str, path: str) -> str | None:
    value = obj.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _invalid(path, f"field {field!r} is not a string: {_show(value)}")
    return clean(value)


def clean(value: str) -> str:
    """`value` with what UTF-8 cannot encode written as escapes.

    JSON may carry lone UTF-16 surrogates (`"\\ud800"`); Python decodes them into a str that
    cannot be encoded again, so one such label value would fail every render of /metrics and
    of the status page. Upstream strings are made safe here, where they enter.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return shared(value)


# Strings up to this long are kept once for all applications (see shared).
SHARED_LENGTH = 64


def shared(value: str) -> str:
    """One object for equal short strings: product keys, license types, group names and app
    keys repeat in every application's snapshots, and each JSON parse makes new copies
    (issue #15). sys.intern'ed strings are freed like any other once nothing holds them."""
    return sys.intern(value) if len(value) <= SHARED_LENGTH else value


def epoch_ms(obj: dict[str, Any], field: str, path: str) -> float | None:
    """An optional epoch-millisecond date, returned in Unix seconds."""
    value = obj.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(path, f"field {field!r} is not an epoch-millisecond date: {_show(value)}")
    if not -MAX_EPOCH_MS <= value <= MAX_EPOCH_MS:
        raise _invalid(path, f"field {field!r} is not a plausible date: {value}")
    # 0 or negative is how some products write "no date" (a perpetual license), never a
    # license that expired in 1970: alerting on it would page for nothing.
    return value / 1000.0 if value > 0 else None


def instant(obj: dict[str, Any], field: str, path: str) -> float | None:
    """An optional point in time, epoch milliseconds or ISO-8601 text, in Unix seconds.

    For fields whose wire format the reference cannot confirm (Crowd lastActive, Confluence
    lastLogin): both encodings Atlassian uses elsewhere are accepted.
    """
    value = obj.get(field)
    if not isinstance(value, str):
        return epoch_ms(obj, field, path)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(path, f"field {field!r} is not a date: {_show(value)}") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _show(value: Any) -> str:
    # Values from an upstream can be long or hostile; show a short, safe excerpt.
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
