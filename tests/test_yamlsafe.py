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


# Built from events (yamlevents), not from PyYAML's nodes: the same data as safe_load.
SAME_AS_SAFE_LOAD = [
    CONFIG,
    "",
    "# only a comment\n",
    "a: &x [1, 2]\nb: *x\n",
    "plain: [1, 1.5, true, null, ~, 2026-12-02, 0x1f, '3', \"x\", yes, .inf]\n",
    "base: &b {a: 1, b: 2}\nuse: {<<: *b, b: 3, c: 4}\n",
    "one: &o {a: 1, b: 1}\ntwo: &t {b: 2, c: 2}\nuse: {<<: [*o, *t], c: 3}\n",
    "one: &o {a: 1}\ntwo: &t {a: 2, b: 2}\nuse: {<<: *o, <<: *t}\n",
    "one: &o {a: 1}\nuse: {<<: [*o, {a: 2, b: 2}], b: 3}\n",
    "d: &d {k: v}\nnested: {<<: {<<: *d, m: n}}\n",
    "= : equals\n",
    "7: int key\n1.5: float key\n",
    "list:\n  - a\n  - - b\n    - c\n  - {d: e}\n",
    "s: !!str 12\ni: !!int '12'\nb: !!binary aGk=\n",
    "--- {a: 1}\n...\n",
]


@pytest.mark.parametrize("kind", LOADERS)
@pytest.mark.parametrize("text", SAME_AS_SAFE_LOAD)
def test_the_data_is_what_safe_load_gives(kind: type[Any], text: str) -> None:
    assert load(kind, text) == yaml.safe_load(text)


@pytest.mark.parametrize("kind", LOADERS)
def test_equal_strings_are_one_object(kind: type[Any]) -> None:
    first, second = load(kind, "- {type: jira-server}\n- {type: jira-server}\n")
    assert first["type"] is second["type"]
    assert next(iter(first)) is next(iter(second))


@pytest.mark.parametrize("kind", LOADERS)
def test_an_alias_shares_the_anchored_object(kind: type[Any]) -> None:
    data = load(kind, "a: &x {k: [1]}\nb: *x\n")
    assert data["a"] is data["b"]


@pytest.mark.parametrize("kind", LOADERS)
@pytest.mark.parametrize(
    ("text", "error", "problem"),
    [
        ("a: 1\n---\nb: 2\n", "ComposerError", "but found another document"),
        ("a: &x 1\nb: &x 2\n", "ComposerError", "second occurrence"),
        ("a: *nowhere\n", "ComposerError", "found undefined alias 'nowhere'"),
        ("? [1]\n: x\n", "ConstructorError", "found unhashable key"),
        ("a: !!set {x}\n", "ConstructorError", "could not determine a constructor for the tag "
         "'tag:yaml.org,2002:set'"),
        ("a: !custom [1]\n", "ConstructorError", "could not determine a constructor for the "
         "tag '!custom'"),
        ("a: !!python/name:os.system x\n", "ConstructorError", "could not determine a "
         "constructor for the tag 'tag:yaml.org,2002:python/name:os.system'"),
        ("a: {<<: 1}\n", "ConstructorError", "expected a mapping or list of mappings for "
         "merging, but found scalar"),
        ("a: {<<: [{b: 1}, 2]}\n", "ConstructorError", "expected a mapping for merging, but "
         "found scalar"),
        ("a: !!map x\n", "ConstructorError", "expected a mapping node, but found scalar"),
    ],
)  # fmt: skip
def test_what_safe_load_refuses_is_refused(
    kind: type[Any], text: str, error: str, problem: str
) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        load(kind, text)
    assert type(caught.value).__name__ == error
    assert caught.value.problem == problem


def test_a_large_file_is_built_in_a_fraction_of_the_node_graph_memory() -> None:
    """The reason for building from events (issue #15): PyYAML's composer holds every node and
    two marks per node; the builder holds only the data and what is open."""
    import tracemalloc

    text = yaml.safe_dump(
        {"applications": [{"name": f"a{i}", "link": {"url": f"http://x/{i}"}} for i in range(2000)]}
    )
    peaks = []
    for build in (
        lambda: yaml.load(text, Loader=yaml.SafeLoader),
        lambda: load(LOADERS[-1].values[0], text),
    ):
        tracemalloc.start()
        build()
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] / 2, peaks


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
