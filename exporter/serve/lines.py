"""Sample lines formatted as prometheus_client's encoders format them, in a fraction of the time.

prometheus_client formats a sample for the text format and for OpenMetrics in about 10 us on
this machine: its name and every label name go through escaping functions (OpenMetrics
rewrites the name character by character), for names that cannot need it. At 10,000
applications a full render is 26,000 samples before the first sync and 230,000 after, so the
first render of a body (which the first scrape waits for) and every render after a sync spent
most of their time there (issue #15).

The fast path applies only where the result is the same by construction: the two encoders
Prometheus and people ask for (text and OpenMetrics 1.0.0, with the `underscores` or
`allow-utf-8` escaping of names, which leave legacy names alone), and metric and label
names of the legacy character set, which the contract and the owner-label validation
guarantee. The value is formatted by prometheus_client's own floatToGoString; label values
are escaped as both encoders escape them. check_layout() compares the two at start-up and the
exporter refuses to start if they differ (an upgraded prometheus_client that formats
otherwise); tests/test_lines.py compares them on random values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import exposition
from prometheus_client.core import Metric
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString as _untyped_float_to_go

from exporter import metrics as m

# prometheus_client's value formatting, typed: the same function, called as it is.
floatToGoString: Callable[[float], str] = _untyped_float_to_go

Encoder = Callable[..., bytes]
_LEGACY = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_NAMES_KEPT = (openmetrics.UNDERSCORES, openmetrics.ALLOWUTF8)


def fast_for(encoder: Encoder) -> bool:
    """Whether `encoder` is one that lines() formats exactly (see the module docstring)."""
    func, keywords = encoder, {}
    if isinstance(encoder, functools.partial):
        if encoder.args:
            return False
        func, keywords = encoder.func, dict(encoder.keywords)
    # Legacy names are written as they are with both: `underscores` (the default) and
    # `allow-utf-8` (what Prometheus 3 asks for); `dots` and `values` rewrite them.
    if keywords.pop("escaping", openmetrics.UNDERSCORES) not in _NAMES_KEPT:
        return False
    if func is exposition.generate_latest:
        return not keywords
    if func is openmetrics.generate_latest:
        return keywords.pop("version", "1.0.0") == "1.0.0" and not keywords
    return False


def legacy_names(specs: Iterable[m.MetricSpec]) -> bool:
    """Whether every family's name and label names are of the legacy character set."""
    return all(
        _LEGACY.fullmatch(spec.name) and all(_LEGACY.fullmatch(label) for label in spec.labels)
        for spec in specs
    )


class NotPlain(ValueError):
    """A sample lines() does not format: other than a gauge's or a counter's `_total`, or with a
    timestamp, an exemplar or a native histogram (the collector makes none of those)."""


def _escape(value: str) -> str:
    # prometheus_client's _escape for label values (ALLOWUTF8), in both formats.
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def lines(family: Metric) -> bytes:
    """The sample lines of `family`, without its HELP and TYPE headers."""
    return sample_lines(family, family.samples)


def sample_lines(family: Metric, samples: Sequence[Sample]) -> bytes:
    """The lines of `samples`, some of `family`'s, as lines(family) has them."""
    if family.type == "counter":
        name = family.name + "_total"
    elif family.type == "gauge":
        name = family.name
    else:
        raise NotPlain(family.name)
    out = []
    for sample in samples:
        # A counter's _created, or any decoration, is laid out otherwise by the encoders.
        if sample.name != name or sample.timestamp is not None or sample.exemplar is not None:
            raise NotPlain(sample.name)
        if sample.native_histogram is not None:
            raise NotPlain(sample.name)
        labels = sample.labels
        value = floatToGoString(sample.value)
        if labels:
            pairs = ",".join([f'{k}="{_escape(v)}"' for k, v in sorted(labels.items())])
            out.append(f"{sample.name}{{{pairs}}} {value}\n")
        else:
            out.append(f"{sample.name} {value}\n")
    return "".join(out).encode()
