"""The scrape reference: the exporter's samples as plain prometheus_client metrics.

Every family of the exporter's exposition becomes a `Gauge` (a `Counter` for the counter
family) with the same name, HELP, label names, label values and values, on a private
registry, rendered by prometheus_client's own `generate_latest`.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics
from prometheus_client.parser import text_string_to_metric_families

Families = list[dict[str, Any]]
# An empty family needs some label name, or a Gauge would expose a default 0 sample.
_EMPTY_LABELS = ["application"]


def families_from_exposition(text: str) -> Families:
    """Label names come from the samples themselves (the union, in order of appearance)."""
    out: Families = []
    for family in text_string_to_metric_families(text):
        labelnames = list(dict.fromkeys(k for s in family.samples for k in s.labels))
        if not family.samples:
            labelnames = _EMPTY_LABELS
        out.append(
            {
                "name": family.name,
                "type": family.type,
                "help": family.documentation,
                "labelnames": labelnames,
                "samples": [
                    [[s.labels.get(name, "") for name in labelnames], s.value]
                    for s in family.samples
                ],
            }
        )
    return out


def build_registry(families: Families) -> CollectorRegistry:
    disable_created_metrics()  # the exporter's counter family has no _created samples
    registry = CollectorRegistry()
    for family in families:
        names = family["labelnames"]
        cls = Counter if family["type"] == "counter" else Gauge
        metric = cls(family["name"], family["help"], names, registry=registry)
        for values, value in family["samples"]:
            child = metric.labels(*values) if names else metric
            if isinstance(child, Counter):
                child.inc(value)
            else:
                child.set(value)
    return registry


def sample_lines(exposition: bytes) -> list[str]:
    return sorted(
        line for line in exposition.decode().splitlines() if line and not line.startswith("#")
    )
