"""Prometheus duration and byte-size syntax ("1m30s", "10MiB") as pydantic types."""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS = (
    ("y", 365 * 86400.0),
    ("w", 7 * 86400.0),
    ("d", 86400.0),
    ("h", 3600.0),
    ("m", 60.0),
    ("s", 1.0),
    ("ms", 0.001),
)
# Same grammar as Prometheus' model.ParseDuration: units largest first, each at most once.
_DURATION = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)
# Longer is a typo or hostile: 100 years, well past any interval, period or timeout. Checked
# before the arithmetic: a 400-digit number would not even convert to a float.
MAX_SECONDS = 100 * 365 * 86400
MAX_BYTES = 2**40
_SIZE = re.compile(r"^(\d+)(B|KB|MB|GB|KiB|MiB|GiB)$")
_SIZE_FACTORS = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
}


def parse_duration(value: object) -> float:
    """Seconds in a Prometheus duration string; bare numbers are refused, as Prometheus does."""
    if not isinstance(value, str):
        raise ValueError(f"{_show(value)} is not a duration: write it with a unit, e.g. 30s or 5m")
    return _seconds(value)


# Resolving targets parses each application's inactive periods; the same few strings recur in
# every one (20,000 parses at 10,000 applications, a third of the resolve). A refused string
# raises and is not cached.
@functools.lru_cache(maxsize=1024)
def _seconds(value: str) -> float:
    match = _DURATION.match(value.strip())
    if not value.strip() or match is None:
        raise ValueError(
            f"{_show(value)} is not a duration: use Prometheus syntax such as 30s, 5m, 1h30m"
        )
    groups = [(group, factor) for group, (_, factor) in zip(match.groups(), _UNITS, strict=True)]
    if any(group is not None and len(group) > 12 for group, _ in groups):
        raise ValueError(f"{_show(value)}: the duration is longer than 100 years")
    seconds = sum(int(group) * factor for group, factor in groups if group is not None)
    if seconds > MAX_SECONDS:
        raise ValueError(f"{_show(value)}: the duration is longer than 100 years")
    if seconds <= 0:
        raise ValueError(f"{_show(value)}: the duration must be greater than zero")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration string for a number of seconds."""
    millis = round(seconds * 1000)
    parts: list[str] = []
    for unit, factor in _UNITS:
        unit_ms = round(factor * 1000)
        count, millis = divmod(millis, unit_ms)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_size(value: Any) -> int:
    """Bytes in a size such as 10MiB; a bare integer is taken as bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str) and (match := _SIZE.match(value.strip())):
        size = int(match.group(1)) * _SIZE_FACTORS[match.group(2)]
    else:
        raise ValueError(
            f"{_show(value)} is not a size: write e.g. 10MiB, 512KiB or a number of bytes"
        )
    if size > MAX_BYTES:
        raise ValueError(f"{_show(value)}: the size is larger than 1TiB")
    if size <= 0:
        raise ValueError(f"{_show(value)}: the size must be greater than zero")
    return size


Duration = Annotated[float, BeforeValidator(parse_duration), PlainSerializer(format_duration)]
ByteSize = Annotated[int, BeforeValidator(parse_size)]


def _show(value: object) -> str:
    # A hostile value can be thousands of characters long; quote the start of it.
    try:
        shown = repr(value)
    except ValueError:  # an int of more than 4,300 digits has no repr
        return f"a {type(value).__name__} this long"
    return shown if len(shown) <= 40 else shown[:37] + "..."
