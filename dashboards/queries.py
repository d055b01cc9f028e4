"""Every PromQL expression the project ships, for tests that run them against Prometheus.

`all_expressions()` lists dashboard targets and recording rules; `substitute()` replaces
Grafana template variables with concrete values so an expression can be sent to the HTTP API;
`metric_names()` extracts the metric names an expression reads.
"""

from __future__ import annotations

import re
from typing import Final

from . import config, render, rules
from .panels import iter_panels

# Values for Grafana's built-in variables when an expression is run outside Grafana.
BUILTIN_DEFAULTS: Final = {
    "forecast_window": config.days(config.FORECAST_RANGE_DAYS),
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
}

_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
# A whole identifier (not part of a number, duration or $variable) not followed by `(`.
_IDENT = re.compile(r"(?<![\w.:$])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()")
_KEYWORDS: Final = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "NaN", "Inf"}
    | {"group_left", "group_right", "nan", "inf", "atan2"}
)


def dashboard_expressions() -> list[tuple[str, str]]:
    out = []
    for file, dashboard in render.dashboards().items():
        for panel in iter_panels(render.dashboard_data(dashboard)):
            for target in panel.get("targets", []):
                out.append((f"{file}: {panel['title']} [{target['refId']}]", target["expr"]))
    return out


def recording_expressions() -> list[tuple[str, str]]:
    return [(f"{rules.RULES_FILE}: record {r.record}", r.expr) for r in rules.RECORDING_RULES]


def alert_expressions() -> list[tuple[str, str]]:
    """Alert expressions; empty results are normal, so kept apart from all_expressions()."""
    return [(f"{rules.RULES_FILE}: alert {a.name} ({a.severity})", a.expr) for a in rules.ALERTS]


def all_expressions() -> list[tuple[str, str]]:
    """(where, promql) for every dashboard target and every recording rule."""
    return dashboard_expressions() + recording_expressions()


def substitute(expr: str, application: str, product: str, **variables: str) -> str:
    """Replace `$name` / `${name}` template variables with concrete values.

    `product` is used verbatim inside `=~"..."` (one product matches itself). Built-ins default
    to BUILTIN_DEFAULTS; `variables` overrides them. An unknown variable raises ValueError so a
    new dashboard variable cannot silently reach Prometheus unsubstituted.
    """
    values = {**BUILTIN_DEFAULTS, "application": application, "product": product, **variables}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise ValueError(f"unknown template variable ${name} in: {expr}")
        return values[name]

    return _VARIABLE.sub(replace, expr)


def metric_names(expr: str) -> set[str]:
    """Metric names read by a PromQL expression (functions, keywords and labels excluded)."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub("", text)
    return {name for name in _IDENT.findall(text) if name not in _KEYWORDS}
