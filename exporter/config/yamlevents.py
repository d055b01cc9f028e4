"""YAML data built straight from the parser's events, without PyYAML's node graph.

PyYAML composes the whole document into nodes, each with two marks, before it builds any data:
a configuration of 10,000 applications is 150,000 nodes and 300,000 marks, 76 MiB of RSS at
its peak for 13 MiB of data, and the allocator keeps most of it after the nodes are freed
(issue #15). Here each event becomes data as it arrives; only open collections and anchored
values are held. The data is what PyYAML's safe loader gives: scalars are resolved and built
by its resolver and SafeConstructor, aliases share the anchored object, and merge keys (`<<`)
merge as SafeConstructor.flatten_mapping does. Collections tagged other than !!seq or !!map
(!!set, !!omap, !!pairs, application tags) are refused: nothing in a configuration is one.

The limits (exporter/config/yamlsafe.py) are checked as events arrive, so a hostile file is
refused before its data is built: nesting depth, node count, the node count with every alias
expanded (an alias counts the whole anchored value, so a "billion laughs" file is measured in
linear time), an alias to a collection that contains it, and repeated keys.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

MERGE_TAG = "tag:yaml.org,2002:merge"
VALUE_TAG = "tag:yaml.org,2002:value"  # a `=` key, which SafeConstructor reads as a string
STR_TAG = "tag:yaml.org,2002:str"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
_NO_KEY: Any = object()
# Where an event starts: yaml.error.Mark from PyYAML's parser, yaml._yaml.Mark from libyaml's;
# only ever handed back to PyYAML's errors.
Mark = Any


# The events that open a collection (the builder dispatches on the event's exact type).
_STARTS = frozenset((MappingStartEvent, SequenceStartEvent))


def _at(event: Event) -> Mark:
    return event.start_mark


class LimitError(yaml.MarkedYAMLError):
    """A limit of this loader; its problem text is ours, shown as is."""


class Source(Protocol):
    """What builds the data: a PyYAML parser (libyaml's or PyYAML's) with a resolver and a
    SafeConstructor for scalars."""

    def get_event(self) -> Any: ...
    def check_event(self, *choices: type[Event]) -> bool: ...
    def resolve(self, kind: type[Any], value: str | None, implicit: Any) -> str: ...
    def construct_scalar_data(self, node: ScalarNode) -> Any: ...


@dataclass(slots=True)
class _Open:
    """A collection whose end event has not arrived yet."""

    mark: Mark
    anchor: str | None
    items: list[Any] | dict[Any, Any]
    size: int = 1  # nodes with every alias expanded, this one included
    key: Any = _NO_KEY  # a mapping's key waiting for its value
    key_mark: Mark | None = None
    merging: bool = False  # the waiting key is `<<`
    merges: list[tuple[Any, Mark]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)  # scalar keys as written, for repeats


@dataclass(frozen=True, slots=True)
class Limits:
    nodes: int
    depth: int


class Builder:
    """One document's data from `source`'s events."""

    def __init__(self, source: Source, limits: Limits) -> None:
        self._source = source
        self._limits = limits
        self._stack: list[_Open] = []
        self._anchors: dict[str, tuple[Any, int, Mark]] = {}
        self._opened: dict[str, Mark] = {}  # anchors of collections still open
        self._nodes = 0
        self._root: Any = None
        # One object per distinct string: keys and values such as `type: jira` or a shared
        # username repeat in every application (1.6 MiB of copies at 10,000).
        self._strings: dict[str, str] = {}
        self._plain: dict[str, str] = {}  # plain scalar -> its resolved tag (see _tag)

    def single_document(self) -> Any:
        """The data of the stream's only document (None for an empty stream)."""
        source = self._source
        source.get_event()  # stream start
        if source.check_event(StreamEndEvent):
            source.get_event()
            return None
        start = source.get_event().start_mark  # document start
        data = self._document()
        source.get_event()  # document end
        if not source.check_event(StreamEndEvent):
            event = source.get_event()
            raise ComposerError(
                "expected a single document in the stream",
                start,
                "but found another document",
                _at(event),
            )
        source.get_event()
        return data

    def _document(self) -> Any:
        get, node = self._source.get_event, self._node
        node(get())
        while self._stack:
            node(get())
        return self._root

    def _node(self, event: Event) -> None:
        stack = self._stack
        kind = type(event)
        if kind is not ScalarEvent and kind is not AliasEvent and kind not in _STARTS:
            # The end of the innermost collection (the parser pairs them).
            self._close(stack.pop())
            return
        self._nodes += 1
        if len(stack) + 1 > self._limits.depth:
            raise LimitError(
                None, None, f"nested deeper than {self._limits.depth} levels", _at(event)
            )
        if self._nodes > self._limits.nodes:
            raise LimitError(None, None, f"more than {self._limits.nodes} nodes", _at(event))
        if kind is AliasEvent:
            self._alias(event)  # type: ignore[arg-type]
            return
        anchor = event.anchor  # type: ignore[attr-defined]
        if anchor is not None and (anchor in self._anchors or anchor in self._opened):
            first = self._opened.get(anchor) or self._anchors[anchor][2]
            raise ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                first,
                "second occurrence",
                _at(event),
            )
        if kind is ScalarEvent:
            self._scalar(event)  # type: ignore[arg-type]
        else:
            self._open(event)  # type: ignore[arg-type]

    def _alias(self, event: AliasEvent) -> None:
        name = event.anchor
        if name in self._opened:
            raise LimitError(
                None, None, "an alias refers to a node that contains it", self._opened[name]
            )
        if name not in self._anchors:
            raise ComposerError(None, None, f"found undefined alias {name!r}", _at(event))
        data, size, _ = self._anchors[name]
        self._add(data, size, _at(event))

    def _scalar(self, event: ScalarEvent) -> None:
        value, tag = event.value, event.tag
        if tag is None or tag == "!":
            tag = self._tag(value, event.implicit)
        stack = self._stack
        top = stack[-1] if stack else None
        if top is not None and top.key is _NO_KEY and type(top.items) is dict:  # a key
            if tag == MERGE_TAG:
                top.key, top.key_mark, top.merging = None, _at(event), True
                return
            if value in top.keys:
                raise LimitError(None, None, f"duplicate key {value!r}", _at(event))
            top.keys.add(value)
            if tag == VALUE_TAG:
                tag = STR_TAG
        if tag == STR_TAG:
            # What SafeConstructor.construct_yaml_str gives, without a node to give it.
            data: Any = self._strings.setdefault(value, value)
        else:
            node = ScalarNode(tag, value, _at(event), None, style=event.style)
            data = self._source.construct_scalar_data(node)
            if type(data) is str:
                data = self._strings.setdefault(data, data)
        if event.anchor is not None:
            self._anchors[event.anchor] = (data, 1, _at(event))
        if top is None or top.merging or type(data) is not str:
            self._add(data, 1, _at(event))
            return
        # _add for a string into an open collection, inline: most events are one.
        top.size += 1
        if top.size > self._limits.nodes:
            raise LimitError(
                None, None, f"aliases expand to more than {self._limits.nodes} nodes", top.mark
            )
        items = top.items
        if type(items) is list:
            items.append(data)
        elif top.key is _NO_KEY:
            top.key = data  # key_mark is only read for a `<<` key, which returned above
        else:
            items[top.key] = data
            top.key = _NO_KEY

    def _tag(self, value: str, implicit: tuple[bool, bool]) -> str:
        """The resolver's tag, looked up once per distinct plain scalar: the resolver tries
        its regular expressions for every one, and the same keys and values repeat in every
        application. Without path resolvers (SafeLoader has none) the tag depends on nothing
        else."""
        if not implicit[0]:
            return self._source.resolve(ScalarNode, value, implicit)
        tag = self._plain.get(value)
        if tag is None:
            tag = self._plain[value] = self._source.resolve(ScalarNode, value, implicit)
        return tag

    def _open(self, event: CollectionStartEvent) -> None:
        mapping = isinstance(event, MappingStartEvent)
        tag = event.tag
        if tag is None or tag == "!":
            kind = MappingNode if mapping else SequenceNode
            tag = self._source.resolve(kind, None, event.implicit)
        if tag != (MAP_TAG if mapping else SEQ_TAG):
            raise ConstructorError(
                None,
                None,
                f"could not determine a constructor for the tag {tag!r}",
                _at(event),
            )
        if event.anchor is not None:
            self._opened[event.anchor] = _at(event)
        self._stack.append(_Open(_at(event), event.anchor, {} if mapping else []))

    def _close(self, done: _Open) -> None:
        data = done.items
        if done.merges:
            data = _merged(done)
        if done.anchor is not None:
            del self._opened[done.anchor]
            self._anchors[done.anchor] = (data, done.size, done.mark)
        self._add(data, done.size, done.mark)

    def _add(self, data: Any, size: int, mark: Mark) -> None:
        """A finished value into the innermost open collection (or as the document's root)."""
        if not self._stack:
            self._root = data
            return
        top = self._stack[-1]
        top.size += size
        if top.size > self._limits.nodes:
            raise LimitError(
                None, None, f"aliases expand to more than {self._limits.nodes} nodes", top.mark
            )
        if isinstance(top.items, list):
            top.items.append(data)
        elif top.key is _NO_KEY:
            if isinstance(data, (dict, list)):
                raise ConstructorError(
                    "while constructing a mapping", top.mark, "found unhashable key", mark
                )
            top.key, top.key_mark = data, mark
        else:
            if top.merging:
                top.merges.append((data, top.key_mark or mark))
            else:
                top.items[top.key] = data
            top.key, top.merging = _NO_KEY, False


def _merged(done: _Open) -> dict[Any, Any]:
    """SafeConstructor.flatten_mapping on data: the first mapping merged that has a key gives
    its value (in the order of the `<<` keys, and of a list's mappings), and the mapping's own
    keys win over every merged one."""
    out: dict[Any, Any] = {}
    for data, mark in done.merges:
        if isinstance(data, dict):
            sources = [data]
        elif isinstance(data, list):
            sources = data
        else:
            problem = "expected a mapping or list of mappings for merging, but found scalar"
            raise ConstructorError("while constructing a mapping", done.mark, problem, mark)
        for source in sources:
            if not isinstance(source, dict):
                found = "sequence" if isinstance(source, list) else "scalar"
                problem = f"expected a mapping for merging, but found {found}"
                raise ConstructorError("while constructing a mapping", done.mark, problem, mark)
            for key, value in source.items():
                out.setdefault(key, value)
    out.update(done.items)
    return out


def scalar_data(constructor: Any, node: ScalarNode) -> Any:
    """A scalar built as SafeConstructor builds it; a collection tag on a scalar gets that
    constructor's own error ("expected a mapping node, but found scalar")."""
    tag = node.tag
    build = constructor.yaml_constructors.get(tag) or constructor.yaml_constructors[None]
    data = build(constructor, node)
    if isinstance(data, types.GeneratorType):
        generator, data = data, next(data)
        for _ in generator:
            pass
    return data
