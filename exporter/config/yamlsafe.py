"""YAML for configuration files, with limits: a hostile or broken file is refused quickly with
a `line L, column C: problem` message, and never echoes what it holds.

PyYAML shares the objects an alias points to, so an alias bomb ("billion laughs") loads fast
but expands exponentially in everything that walks the data afterwards (path resolution,
validation); deep nesting exhausts the composer's recursion; a repeated key silently replaces
the first (two `applications:` drop one). The loader counts nodes as aliases expand them, bounds
the nesting depth and refuses repeated keys.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

# A configuration of 10,000 applications has about 200,000 nodes; walking a node costs a few
# microseconds in validation, so the limit also bounds a load to about a second.
MAX_NODES = 250_000
# The configuration nests 6 levels deep; anything close to Python's recursion limit is hostile.
MAX_DEPTH = 64
MERGE_TAG = "tag:yaml.org,2002:merge"
# Quoted parts of PyYAML's messages: they quote the file (an alias name, a character).
_QUOTED = re.compile(r"""\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


class YAMLProblem(Exception):
    """One `where: what` line, safe to show: it quotes nothing from the file."""


class _Limit(yaml.MarkedYAMLError):
    """A limit of this loader; its problem text is ours, shown as is."""


class _Limits(Composer, SafeConstructor):
    """The limits, on top of PyYAML's own composer and safe constructor: whichever parser
    produces the events (libyaml's or PyYAML's), nodes are composed and checked here."""

    _depth = 0
    _nodes = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._depth += 1
        self._nodes += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Limit(None, None, f"nested deeper than {MAX_DEPTH} levels", self._mark())
            if self._nodes > MAX_NODES:
                raise _Limit(None, None, f"more than {MAX_NODES} nodes", self._mark())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _mark(self) -> yaml.Mark:
        return self.peek_event().start_mark  # type: ignore[attr-defined,no-any-return]

    def get_single_node(self) -> Node | None:
        node = super().get_single_node()
        if node is not None:
            _Expansion().size(node, 1)
        return node

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: set[str] = set()
            for key, _ in node.value:
                if isinstance(key, ScalarNode) and key.tag != MERGE_TAG:
                    if key.value in seen:
                        raise _Limit(None, None, f"duplicate key {key.value!r}", key.start_mark)
                    seen.add(key.value)
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]

    def construct_yaml_int(self, node: ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # more digits than Python converts (4,300)
            raise _Limit(None, None, "an integer with too many digits", node.start_mark) from None


class _Loader(_Limits, yaml.SafeLoader):
    """PyYAML's pure-Python parser: where PyYAML was built without libyaml."""


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]

    class _CLoader(_Limits, Resolver, CParser):
        """libyaml parses (4x faster: 10,000 applications in about a second, issue #15); the
        composer and its limits above stay PyYAML's Python ones, ahead of CParser's own."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)


for _kind in (_Loader, *((_CLoader,) if yaml.__with_libyaml__ else ())):
    _kind.add_constructor("tag:yaml.org,2002:int", _Limits.construct_yaml_int)


class _Expansion:
    """The size of a node graph with every alias expanded, memoised per node, so that a bomb
    is measured in linear time and refused before anything walks it."""

    def __init__(self) -> None:
        self._sizes: dict[int, int] = {}
        self._open: set[int] = set()

    def size(self, node: Node, depth: int) -> int:
        key = id(node)
        if key in self._sizes:
            return self._sizes[key]
        if key in self._open:
            raise _Limit(None, None, "an alias refers to a node that contains it", node.start_mark)
        if depth > MAX_DEPTH:
            raise _Limit(
                None, None, f"aliases nest deeper than {MAX_DEPTH} levels", node.start_mark
            )
        self._open.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            children = node.value
        elif isinstance(node, MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = []
        for child in children:
            total += self.size(child, depth + 1)
            if total > MAX_NODES:
                raise _Limit(
                    None, None, f"aliases expand to more than {MAX_NODES} nodes", node.start_mark
                )
        self._open.discard(key)
        self._sizes[key] = total
        return total


def load_yaml(text: str) -> Any:
    """The data of one YAML document, within the limits above; YAMLProblem otherwise."""
    try:
        # Both readers refuse control characters.
        loader = _CLoader(text) if yaml.__with_libyaml__ else _Loader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise YAMLProblem(describe(exc)) from None


def describe(exc: yaml.YAMLError) -> str:
    """`line L, column C: YAML syntax error: what`, with PyYAML's quotes of the file removed:
    they can hold a secret (`password: *S3cret` is an alias named S3cret)."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
    problem = str(getattr(exc, "problem", None) or "")
    if isinstance(exc, _Limit):
        return f"{where}: {problem}"
    # "expected alphabetic or numeric character, but found '$'" -> "... character"
    problem = _QUOTED.sub("", problem).removesuffix(", but found").strip(" ,:")
    problem = problem or "cannot be parsed"
    return f"{where}: YAML syntax error: {problem}"
