"""YAML for configuration files, with limits: a hostile or broken file is refused quickly with
a `line L, column C: problem` message, and never echoes what it holds.

PyYAML shares the objects an alias points to, so an alias bomb ("billion laughs") loads fast
but expands exponentially in everything that walks the data afterwards (path resolution,
validation); deep nesting exhausts the composer's recursion; a repeated key silently replaces
the first (two `applications:` drop one). The loader counts nodes as aliases expand them, bounds
the nesting depth and refuses repeated keys, while it builds the data straight from the
parser's events (exporter/config/yamlevents.py: no node graph, a fifth of the memory).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from exporter.config.yamlevents import Builder, LimitError, Limits, scalar_data

# A configuration of 10,000 applications has about 200,000 nodes; walking a node costs a few
# microseconds in validation, so the limit also bounds a load to about a second.
MAX_NODES = 250_000
# The configuration nests 6 levels deep; anything close to Python's recursion limit is hostile.
MAX_DEPTH = 64
LIMITS = Limits(nodes=MAX_NODES, depth=MAX_DEPTH)
# Quoted parts of PyYAML's messages: they quote the file (an alias name, a character).
_QUOTED = re.compile(r"""\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


class YAMLProblem(Exception):
    """One `where: what` line, safe to show: it quotes nothing from the file."""


class _Limits(SafeConstructor):
    """The limits and the data, on top of PyYAML's resolver and safe constructor: whichever
    parser produces the events (libyaml's or PyYAML's), yamlevents.Builder turns them into
    data under the limits, and PyYAML's composer never runs."""

    def get_single_data(self) -> Any:
        return Builder(self, LIMITS).single_document()  # type: ignore[arg-type]

    def construct_scalar_data(self, node: ScalarNode) -> Any:
        return scalar_data(self, node)

    def construct_yaml_int(self, node: ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # more digits than Python converts (4,300)
            raise LimitError(
                None, None, "an integer with too many digits", node.start_mark
            ) from None


class _Loader(_Limits, yaml.SafeLoader):
    """PyYAML's pure-Python parser: where PyYAML was built without libyaml."""


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]

    class _CLoader(_Limits, Resolver, CParser):
        """libyaml parses (4x faster: 10,000 applications in about a second, issue #15)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)


for _kind in (_Loader, *((_CLoader,) if yaml.__with_libyaml__ else ())):
    _kind.add_constructor("tag:yaml.org,2002:int", _Limits.construct_yaml_int)


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
    if isinstance(exc, LimitError):
        return f"{where}: {problem}"
    # "expected alphabetic or numeric character, but found '$'" -> "... character"
    problem = _QUOTED.sub("", problem).removesuffix(", but found").strip(" ,:")
    problem = problem or "cannot be parsed"
    return f"{where}: YAML syntax error: {problem}"
