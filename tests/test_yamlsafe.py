"""Both YAML loaders, libyaml's parser and PyYAML's own, compose under the same limits and give
the same data: a machine whose PyYAML lacks libyaml loads configurations alike."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from exporter.config import yamlsafe

LOADERS = [pytest.param(yamlsafe._Loader, id="python")]
if yaml.__with_libyaml__:
    LOADERS.append(pytest.param(yamlsafe._CLoader, id="libyaml"))


def load(kind: type[Any], text: str) -> Any:
    loader = kind(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


CONFIG = yaml.safe_dump(
    {
        "global": {"sync_interval": "5m", "labels": {"team": "tools"}},
        "applications": [
            {"name": f"a{i}", "type": "jira", "link": {"url": f"http://x/{i}"}} for i in range(50)
        ],
    }
)


@pytest.mark.parametrize("kind", LOADERS)
def test_the_data_is_what_safe_load_gives(kind: type[Any]) -> None:
    assert load(kind, CONFIG) == yaml.safe_load(CONFIG)
    assert load(kind, "a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize("kind", LOADERS)
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("applications: " + "[" * 100 + "]" * 100 + "\n", "nested deeper than 64 levels"),
        ("x: " + "9" * 5000 + "\n", "an integer with too many digits"),
        ("a: &a [*a]\n", "an alias refers to a node that contains it"),
    ],
)
def test_the_limits_hold_for_both(kind: type[Any], text: str, problem: str) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        load(kind, text)
    assert caught.value.problem == problem
