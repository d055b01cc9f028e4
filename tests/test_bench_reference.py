"""The benchmark's scrape reference: the exporter's samples as plain prometheus_client metrics.

bench/run.py compares the exporter's render with this reference's and reports whether the
sample lines are identical; a reference that drops or adds a label would make the comparison
measure different work.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import generate_latest

from bench.measure import percentile, table
from bench.reference import build_registry, families_from_exposition, sample_lines, samples

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.prom"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_reference_renders_the_same_sample_lines(path: Path) -> None:
    exposition = path.read_bytes()
    registry = build_registry(families_from_exposition(exposition.decode()))
    assert sample_lines(generate_latest(registry)) == sample_lines(exposition)


def test_label_less_family_keeps_no_labels() -> None:
    text = "# HELP up_ok Up.\n# TYPE up_ok gauge\nup_ok 1.0\n"
    (family,) = families_from_exposition(text)
    assert family["labelnames"] == []
    assert sample_lines(generate_latest(build_registry([family]))) == ["up_ok 1.0"]


def test_samples_keeps_every_label_set() -> None:
    text = (
        "# TYPE f counter\n"
        'f_total{application="a",reason="timeout"} 2.0\n'
        'f_total{application="a",reason="http"} 3.0\n'
    )
    assert sum(value for _, value in samples(text, "f_total")) == 5.0


def test_percentile_is_nearest_rank_and_table_is_markdown() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 99) == 4.0
    assert table("a | b", [[1, "x"]]) == ["| a | b |", "|---|---|", "| 1 | x |"]
