"""README and docs/: the two set-up commands stay first, every link resolves, and the examples
the README shows pass the tools they are written for."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dashboards import rules
from dashboards.render import GENERATED_DIR
from tests.deploy.files import tool

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DEMO = (
    "python3 -m venv .venv && .venv/bin/pip install . && "
    ".venv/bin/atlassian-license-exporter --demo"
)


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.S | re.M)


def test_readme_opens_with_what_it_is_and_exactly_two_set_up_commands() -> None:
    text = README.read_text()
    assert text.startswith("# atlassian-license-exporter\n\nCentralized license visibility")
    before_sections = text.split("\n## ", 1)[0]
    assert code_blocks(before_sections, "sh") == [f"{DEMO}\n", "scripts/test.sh\n"]
    assert "![" in before_sections and "(docs/status-page.png)" in before_sections


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


DOCUMENTS = [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_relative_link_resolves(document: Path) -> None:
    text = document.read_text()
    anchors = {slug(h) for h in re.findall(r"^#+ (.*)$", text, re.M)}
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        if path:
            assert (document.parent / path).exists(), f"{document.name}: {target}"
        elif anchor:
            assert anchor in anchors, f"{document.name}: no heading for #{anchor}"


def readme_yaml(containing: str) -> str:
    (block,) = [b for b in code_blocks(README.read_text(), "yaml") if containing in b]
    return block


@pytest.mark.integration
def test_readme_alertmanager_example_passes_amtool_and_routes_by_severity(tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    config.write_text(readme_yaml("receivers:"))
    amtool = tool("amtool", "prometheus-alertmanager")
    result = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    for severity in sorted({a.severity for a in rules.ALERTS}):
        routed = subprocess.run(
            [amtool, "config", "routes", "test", f"--config.file={config}", f"severity={severity}"],
            capture_output=True,
            text=True,
        )
        expected = "license-pager" if severity == "critical" else "license-tickets"
        assert routed.stdout.split() == [expected], (severity, routed.stdout, routed.stderr)


@pytest.mark.integration
def test_readme_prometheus_example_loads_the_shipped_rules(tmp_path: Path) -> None:
    text = readme_yaml("rule_files:")
    shipped = "/etc/prometheus/rules/atlassian-license-rules.yaml"
    assert shipped in text
    shutil.copy(GENERATED_DIR / rules.RULES_FILE, tmp_path / "rules.yaml")
    config = tmp_path / "prometheus.yml"
    config.write_text(text.replace(shipped, str(tmp_path / "rules.yaml")))
    result = subprocess.run(
        [tool("promtool", "prometheus"), "check", "config", str(config)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout
