"""The dashboards as the code renders them, and lookups of their panels: shared by the
dashboard tests."""

from __future__ import annotations

import json
from typing import Any

from dashboards import render
from dashboards.panels import iter_panels

Json = dict[str, Any]

DASHBOARDS: dict[str, Json] = {
    name: json.loads(text) for name, text in render.render_all().items() if name.endswith(".json")
}
PANEL_TYPES = {"row", "table", "timeseries", "stat", "gauge", "bargauge"}


def panels(name: str) -> list[Json]:
    return list(iter_panels(DASHBOARDS[name]))


def panel(name: str, title: str) -> Json:
    found = [p for p in panels(name) if p["title"] == title]
    assert len(found) == 1, title
    return found[0]
