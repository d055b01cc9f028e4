"""serve/lines.py formats sample lines byte for byte as prometheus_client's encoders do, for the
encoders it claims, and claims no other."""

from __future__ import annotations

import functools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics

from exporter import metrics as m
from exporter.serve.lines import NotPlain, fast_for, legacy_names, lines
from exporter.serve.render import _Families, trailer_of

TEXT = choose_encoder("")[0]
OPENMETRICS = choose_encoder("application/openmetrics-text; version=1.0.0")[0]
ENCODERS = [
    TEXT,
    OPENMETRICS,
    choose_encoder("application/openmetrics-text; version=1.0.0; escaping=allow-utf-8")[0],
    choose_encoder("text/plain; version=1.0.0; escaping=allow-utf-8")[0],
]


def encoded(encoder: object, family: Metric) -> bytes:
    """The family's sample lines as the encoder writes them: its output minus the headers."""
    assert callable(encoder)
    text: bytes = encoder(_Families((family,)))
    text = text.removesuffix(trailer_of(encoder))
    return b"".join(line + b"\n" for line in text.split(b"\n") if line and line[:1] != b"#")


label_values = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from('\\\n"{},='),
    max_size=12,
)
values = (
    st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.0, -0.0, 1e21, 1e-7, 123456789.125, 2.0**53])
)


@settings(max_examples=300, deadline=None)
@given(
    counter=st.booleans(),
    samples=st.lists(
        st.tuples(st.lists(label_values, min_size=2, max_size=2), values), min_size=1, max_size=4
    ),
)
def test_lines_are_the_encoders_own(counter: bool, samples: list[tuple[list[str], float]]) -> None:
    for encoder in ENCODERS:
        kind = CounterMetricFamily if counter else GaugeMetricFamily
        family = kind("atlassian_license_x", "Help.", labels=["application", "b_label"])
        for labels, value in samples:
            if counter and (math.isnan(value) or value < 0):
                continue  # counters refuse these themselves
            family.add_metric(labels, value)
        assert lines(family) == encoded(encoder, family)


def test_a_family_without_labels() -> None:
    family = GaugeMetricFamily("atlassian_license_y", "Help.", value=3)
    assert lines(family) == encoded(TEXT, family) == b"atlassian_license_y 3.0\n"


@pytest.mark.parametrize(
    ("accept", "fast"),
    [
        ("", True),
        ("text/plain", True),
        ("text/plain; version=0.0.4", True),
        ("application/openmetrics-text; version=1.0.0", True),
        ("application/openmetrics-text", True),
        # What Prometheus 3 asks for: legacy names are written as they are.
        ("application/openmetrics-text; version=1.0.0; escaping=allow-utf-8", True),
        ("text/plain; version=1.0.0; escaping=allow-utf-8", True),
        # Other escapings rewrite names (dots doubles every underscore): the encoder's path.
        ("text/plain; version=1.0.0; escaping=dots", False),
        ("application/openmetrics-text; version=1.0.0; escaping=values", False),
        ("application/openmetrics-text; version=2.0.0", False),
    ],
)
def test_only_the_encoders_it_matches_take_the_fast_path(accept: str, fast: bool) -> None:
    assert fast_for(choose_encoder(accept)[0]) is fast


def test_other_callables_never_do() -> None:
    assert fast_for(generate_latest) and fast_for(openmetrics.generate_latest)
    assert not fast_for(functools.partial(generate_latest, None))
    assert not fast_for(lambda registry: b"")


def test_the_contract_has_legacy_names_only() -> None:
    assert legacy_names(m.ALL_METRICS)
    assert not legacy_names([m.MetricSpec("a.b", "gauge", (), "x")])
    assert not legacy_names([m.MetricSpec("a", "gauge", ("é",), "x")])


def test_what_it_does_not_format_is_refused() -> None:
    family = CounterMetricFamily("atlassian_license_c", "Help.", labels=["a"])
    family.add_metric(["x"], 1, created=1.0)  # a _created sample
    with pytest.raises(NotPlain):
        lines(family)
    timed = GaugeMetricFamily("atlassian_license_g", "Help.", labels=["a"])
    timed.add_metric(["x"], 1, timestamp=5)
    with pytest.raises(NotPlain):
        lines(timed)
