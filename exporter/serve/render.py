"""The incremental renderer: /metrics' lines formatted per application only when it changed,
kept in blocks, handed out as the parts of the body; byte for byte, once joined, what
prometheus_client's encoder gives.

prometheus_client formats every sample on every render (about 0.1 ms a sample, 65 % of a
render). Between two scrapes usually one application in a hundred has finished a sync, so the
renderer keeps each application's formatted lines and formats again only those whose
fingerprint (what the collector reads from them) changed, those of a block in one go. The
headers come from prometheus_client's own encoders, and so do the sample lines for any format
serve/lines.py does not format exactly as they do; check_layout() proves at start-up that the
encoders' output can be split and that serve/lines.py matches it.
"""

from __future__ import annotations

import asyncio
import logging
import math
from array import array
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Final

from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from exporter.metrics import ALL_METRICS
from exporter.serve.collector import Batch, LicenseCollector, Placed, new_families
from exporter.serve.lines import fast_for, legacy_names, lines, sample_lines
from exporter.sync.poller import AppState

log = logging.getLogger(__name__)

Encoder = Callable[[Collector], bytes]
# Formatted sample lines, by the position of their family in the exposition.
Chunk = tuple[tuple[int, bytes], ...]
# Renders the whole body in one format: (encoder, content type) -> body.
Renderer = Callable[[Encoder, str], bytes]
# A body as the parts to send one after the other: each family's header, then its lines block
# by block (the blocks' own bytes, not copies), ..., the trailer last. Joined, they are the
# body; /metrics never joins them (at 10,000 applications that is a second 20 MiB copy).
Parts = tuple[bytes, ...]
# Formats kept rendered. prometheus_client copies the version asked for in Accept into the
# content type (e.g. `version=9.9.9`), so a client could otherwise make every request a new
# format, each cached for good. Prometheus and curl use two.
MAX_FORMATS = 4


class LayoutError(ValueError):
    """prometheus_client's output is not laid out as the incremental renderer assumes: the
    exporter refuses to start (check_layout), and a render never falls back to a slower path."""


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def trailer_of(encoder: Encoder) -> bytes:
    return encoder(_Families(()))  # "" in text 0.0.4, "# EOF\n" in OpenMetrics


@dataclass(frozen=True)
class _Layout:
    """One format's fixed text: a header per family (HELP, TYPE), and what ends the body.

    Kept as bytes, as the encoders give them: the body is joined from bytes without a str
    copy of it (1.2 MB at 1000 applications), which is most of a render's memory peak.
    """

    headers: tuple[bytes, ...]
    trailer: bytes
    fast: bool = False  # sample lines formatted by serve/lines.py, not by the encoder

    @classmethod
    def of(cls, encoder: Encoder) -> _Layout:
        trailer = trailer_of(encoder)
        headers = tuple(
            encoder(_Families((family,))).removesuffix(trailer)
            for family in new_families().values()
        )
        return cls(headers, trailer, fast_for(encoder) and legacy_names(ALL_METRICS))

    def render(self, encoder: Encoder, placed: list[Placed]) -> Chunk:
        """The sample lines of each family in `placed`, by position, formatted as `encoder`
        formats them."""
        if self.fast:
            return tuple((position, lines(family)) for position, family in placed)
        return self.encoded(encoder, placed)

    def encoded(self, encoder: Encoder, placed: list[Placed]) -> Chunk:
        """render(), by `encoder` itself: its text split at the family headers.

        Headers start with '#' and no sample line does, so each header is found exactly.
        """
        text = encoder(_Families(family for _, family in placed))
        positions = [position for position, _ in placed]
        headers = [self.headers[position] for position in positions]
        parts = []
        start = 0
        for position, header, following in zip(
            positions, headers, (*headers[1:], None), strict=True
        ):
            if not text.startswith(header, start):
                raise LayoutError(f"exposition out of order at {header!r}")
            start += len(header)
            end = (
                len(text) - len(self.trailer) if following is None else text.index(following, start)
            )
            parts.append((position, text[start:end]))
            start = end
        return tuple(parts)


# Applications per block: the body is kept as each block's lines per family, joined once per
# block change, so a render joins (families x N / BLOCK) parts instead of (families x N) and
# one changed application costs re-joining its block (measured at 10,000 applications: the
# per-application join was 60 of a render's 70 ms).
BLOCK = 128
# render_async lets the loop run after this many blocks (about 5 ms of work each time).
YIELD_EVERY = 8


@dataclass(frozen=True)
class _Block:
    """Up to BLOCK applications, in name order: their fingerprints, and their sample lines
    joined per family position, with where each application's lines start and end. The
    joined lines are the only copy kept: an application's own lines are sliced out of them
    when its block is joined again (a separate copy per application cost 15 MiB and 200,000
    small objects at 10,000 applications)."""

    names: tuple[str, ...]
    fingerprints: tuple[tuple[object, ...], ...]
    lines: tuple[bytes, ...]
    # Per family: len(names) + 1 positions in its lines, None where the block has none (most
    # families are one application type's: 45 arrays a block were 3.9 MiB at 10,000).
    offsets: tuple[array[int] | None, ...]

    def chunk(self, index: int) -> Chunk:
        """The lines of application `index`, as its render gave them."""
        parts = []
        for position, (joined, offsets) in enumerate(zip(self.lines, self.offsets, strict=True)):
            if offsets is None:
                continue
            start, end = offsets[index], offsets[index + 1]
            if end > start:
                parts.append((position, joined[start:end]))
        return tuple(parts)


def _join(
    names: tuple[str, ...], fps: tuple[tuple[object, ...], ...], chunks: list[Chunk], families: int
) -> _Block:
    columns: dict[int, list[bytes]] = {}  # position -> its lines, application by application
    sizes: dict[int, list[int]] = {}  # position -> each application's length of them
    for index, chunk in enumerate(chunks):
        for position, part in chunk:
            column = columns.get(position)
            if column is None:
                column = columns[position] = []
                sizes[position] = [0] * len(chunks)
            column.append(part)
            sizes[position][index] = len(part)
    lines = [b""] * families
    offsets: list[array[int] | None] = [None] * families
    for position, column in columns.items():
        lines[position] = b"".join(column)
        # Unsigned 32-bit: 4 bytes an entry, where a tuple of ints would hold an object each
        # (a block's lines of one family are far below 4 GiB; more would raise OverflowError).
        offsets[position] = array("I", accumulate(sizes[position], initial=0))
    return _Block(names, fps, tuple(lines), tuple(offsets))


def _step(steps: Generator[None, None, Parts]) -> Parts | None:
    """One step of a render: None, or the body's parts once it is done."""
    try:
        next(steps)
    except StopIteration as done:
        parts: Parts = done.value
        return parts
    return None


class IncrementalRenderer:
    """Renders what `encoder(registry)` renders for a registry holding just `collector`."""

    def __init__(self, collector: LicenseCollector) -> None:
        self._collector = collector
        # Most recently used last; at most MAX_FORMATS (see there).
        self._layouts: OrderedDict[str, _Layout] = OrderedDict()
        # content type -> its blocks, in the order of the sorted applications
        self._blocks: dict[str, list[_Block]] = {}
        # Applications whose samples failed to render, logged once until they render again.
        self._failing: set[str] = set()

    def __call__(self, encoder: Encoder, content_type: str) -> bytes:
        return b"".join(self.parts(encoder, content_type))

    def parts(self, encoder: Encoder, content_type: str) -> Parts:
        """The body as its parts (see Parts): what Exposition keeps and serves."""
        steps = self._render(encoder, content_type)
        while (parts := _step(steps)) is None:
            pass
        return parts

    async def render_async(self, encoder: Encoder, content_type: str) -> bytes:
        return b"".join(await self.parts_async(encoder, content_type))

    async def parts_async(self, encoder: Encoder, content_type: str) -> Parts:
        """The same parts, letting the event loop run every YIELD_EVERY blocks: a render of
        10,000 applications holds the loop for tens of ms, which a scrape (or a sync)
        arriving meanwhile would otherwise wait for. What changes meanwhile shows in the
        blocks not yet rendered, or in the next render."""
        steps = self._render(encoder, content_type)
        while (parts := _step(steps)) is None:
            await asyncio.sleep(0)
        return parts

    def _layout(self, encoder: Encoder, content_type: str) -> _Layout:
        layout = self._layouts.get(content_type)
        if layout is None:
            layout = self._layouts[content_type] = _Layout.of(encoder)
            while len(self._layouts) > MAX_FORMATS:
                self._layouts.popitem(last=False)
        self._layouts.move_to_end(content_type)
        return layout

    def _render(self, encoder: Encoder, content_type: str) -> Generator[None, None, Parts]:
        layout = self._layout(encoder, content_type)
        collector = self._collector
        states = collector.states()
        now = collector.now()
        for gone in [t for t in self._blocks if t not in self._layouts]:
            del self._blocks[gone]
        old = self._blocks.get(content_type, [])
        # Where each application was, looked up only when a block's members changed.
        where: dict[str, tuple[_Block, int]] | None = None
        ordered = sorted(states.items())
        blocks: list[_Block] = []
        for index, start in enumerate(range(0, len(ordered), BLOCK)):
            if index and index % YIELD_EVERY == 0:
                yield
            members = ordered[start : start + BLOCK]
            names = tuple(name for name, _ in members)
            fps = tuple(collector.fingerprint(state, now) for _, state in members)
            kept = old[index] if index < len(old) else None
            if kept is not None and kept.names == names and kept.fingerprints == fps:
                blocks.append(kept)
                continue
            if kept is not None and kept.names == names:
                previous = {name: (kept, i) for i, name in enumerate(names)}
            else:
                if where is None:
                    where = {n: (b, i) for b in old for i, n in enumerate(b.names)}
                previous = where
            chunks: list[Chunk] = []
            changed: list[int] = []  # members whose lines are rendered again, together
            for index, ((name, _), fingerprint) in enumerate(zip(members, fps, strict=True)):
                found = previous.get(name)
                if found is not None and found[0].fingerprints[found[1]] == fingerprint:
                    chunks.append(found[0].chunk(found[1]))
                else:
                    chunks.append(())
                    changed.append(index)
            if changed:
                fresh = self._applications(layout, encoder, [members[i] for i in changed], now)
                for index, chunk in zip(changed, fresh, strict=True):
                    chunks[index] = chunk
            blocks.append(_join(names, fps, chunks, len(layout.headers)))
        self._blocks[content_type] = blocks
        columns: list[list[bytes]] = [[header] for header in layout.headers]
        for block in blocks:
            for position, part in enumerate(block.lines):
                if part:
                    columns[position].append(part)
        _append(columns, layout.render(encoder, collector.exporter_families()))
        columns.append([layout.trailer])
        return tuple(part for column in columns for part in column if part)

    def _applications(
        self,
        layout: _Layout,
        encoder: Encoder,
        members: list[tuple[str, AppState]],
        now: float,
    ) -> list[Chunk]:
        """The lines of each of `members`, from one encoder call for them all: an encoder call
        per application formatted every family header again and cost 0.1 ms per application
        (the first render of 10,000 took 0.7 s, which the first scrape waited for). Each
        sample is one line, so each application's lines are its samples' count of lines in
        its families' text. If any of them fails to render, each is rendered on its own, so
        that the failure stays with the application it belongs to."""
        try:
            batch = self._collector.batch_families(members, now)
            if layout.fast:
                chunks = _formatted(batch)
            else:
                chunks = _split(dict(layout.encoded(encoder, batch.placed)), batch)
        except LayoutError:
            raise
        except Exception:
            return [self._application(layout, encoder, n, state, now) for n, state in members]
        if self._failing:
            self._failing.difference_update(name for name, _ in members)
        return chunks

    def _application(
        self, layout: _Layout, encoder: Encoder, name: str, state: AppState, now: float
    ) -> Chunk:
        """One application's lines. If they cannot be rendered, its sync samples alone, so
        that one application's bad data never takes /metrics down for all the others."""
        collector = self._collector
        try:
            chunk = layout.render(encoder, collector.application_families(name, state, now))
        except LayoutError:
            raise
        except Exception as exc:  # any failure is this application's alone
            if name not in self._failing:
                # The error's type only: its text may quote the offending upstream value.
                log.error(
                    "rendering an application failed, its license and user samples are left "
                    "out application=%s error=%s",
                    name,
                    type(exc).__name__,
                )
                self._failing.add(name)
            try:
                return layout.render(encoder, collector.sync_families(name, state))
            except LayoutError:
                raise
            except Exception:
                return ()
        self._failing.discard(name)
        return chunk


# The formats Prometheus and people ask for: OpenMetrics, and the text format.
CHECKED_ACCEPTS: Final = (
    "application/openmetrics-text; version=1.0.0",
    "text/plain",
    # Prometheus 3 asks for UTF-8 names; legacy ones are laid out as above (serve/lines.py).
    "application/openmetrics-text; version=1.0.0; escaping=allow-utf-8",
    "text/plain; version=1.0.0; escaping=allow-utf-8",
)


def check_layout() -> None:
    """At start-up: prometheus_client must lay out a body with a sample in every family as the
    incremental renderer assumes, in every format Prometheus asks for, or the exporter does not
    start. The layout is prometheus_client's (pyproject pins the tested versions); falling back
    to a slower path instead would hide the break.
    """
    families = new_families()
    for spec, family in families.items():
        family.add_metric(["x"] * len(spec.labels), 1)
    placed: list[Placed] = list(enumerate(families.values()))
    tricky = _tricky_families()
    for accept in CHECKED_ACCEPTS:
        encoder, content_type = choose_encoder(accept)
        try:
            layout = _Layout.of(encoder)
            chunk = layout.render(encoder, placed)
            if layout.fast and layout.render(encoder, tricky) != layout.encoded(encoder, tricky):
                raise LayoutError("serve/lines.py formats samples otherwise than the encoder")
        except ValueError as exc:
            raise LayoutError(f"{content_type}: {exc}") from None
        ours = b"".join(layout.headers[pos] + text for pos, text in chunk) + layout.trailer
        if ours != encoder(_Families(families.values())):
            raise LayoutError(f"{content_type}: the incremental render differs from the full one")


def _tricky_families() -> list[Placed]:
    """A gauge and a counter family with samples whose label values need escaping and whose
    values are formatted in each of floatToGoString's ways (every family's names are
    checked by the full render above)."""
    values = (0, 1, 1.5, 2**53 + 1, 1e-300, 1e21, 123456789.125, math.inf, math.nan)
    texts = ("", 'say "hi"', "back\\slash", "two\nlines", "ünïcødé ✓", "a=b,c}")
    families = new_families()
    placed: list[Placed] = []
    for kind in ("gauge", "counter"):
        position, (spec, family) = next(
            (i, item)
            for i, item in enumerate(families.items())
            if item[0].type == kind and item[0].labels
        )
        for i, value in enumerate(values):
            if kind == "counter" and math.isnan(value):
                continue  # a counter refuses NaN itself
            labels = [f"{texts[(i + j) % len(texts)]}{i}" for j in range(len(spec.labels))]
            family.add_metric(labels, value)
        placed.append((position, family))
    return sorted(placed, key=lambda item: item[0])


def _ranges(batch: Batch) -> Iterator[tuple[int, int, int, int]]:
    """(application, family position, first sample, end sample) for each application's
    samples in each family of `batch`, family by family, the applications in order."""
    for j, position in enumerate(batch.positions):
        before = 0
        for i, after in enumerate(batch.counts):
            samples = after[j] if j < len(after) else 0
            if samples != before:
                yield i, position, before, samples
                before = samples


def _formatted(batch: Batch) -> list[Chunk]:
    """Each application's lines of `batch`, formatted by serve/lines.py from its own samples."""
    families = dict(batch.placed)
    parts: list[list[tuple[int, bytes]]] = [[] for _ in batch.counts]
    for i, position, first, end in _ranges(batch):
        family = families[position]
        parts[i].append((position, sample_lines(family, family.samples[first:end])))
    return [tuple(sorted(chunk)) for chunk in parts]


def _split(text: dict[int, bytes], batch: Batch) -> list[Chunk]:
    """Each application's lines in `text` (an encoder's lines of the batch by family
    position), as a render of it alone gives them: a sample is one line, in the order it was
    added."""
    parts: list[list[tuple[int, bytes]]] = [[] for _ in batch.counts]
    ends = dict.fromkeys(text, 0)  # position -> where its next application's lines start
    for i, position, first, last in _ranges(batch):
        lines, start = text.get(position, b""), ends.get(position, 0)
        end = start
        try:
            for _ in range(last - first):
                end = lines.index(b"\n", end) + 1
        except ValueError:
            raise LayoutError(f"fewer lines than samples at position {position}") from None
        parts[i].append((position, lines[start:end]))
        ends[position] = end
    for position, lines in text.items():
        if ends[position] != len(lines):
            raise LayoutError(f"more lines than samples at position {position}")
    return [tuple(sorted(chunk)) for chunk in parts]


def _append(columns: list[list[bytes]], chunk: Chunk) -> None:
    for position, text in chunk:
        columns[position].append(text)


def pieces(parts: Iterable[bytes | memoryview], size: int) -> Iterator[bytes | memoryview]:
    """`parts` joined into pieces of about `size` bytes (a part is never split), one at a
    time: only one piece is a copy at any moment, where joining them all is the whole body."""
    group: list[bytes | memoryview] = []
    pending = 0
    for part in parts:
        group.append(part)
        pending += len(part)
        if pending >= size:
            yield group[0] if len(group) == 1 else b"".join(group)
            group, pending = [], 0
    if group:
        yield group[0] if len(group) == 1 else b"".join(group)


def registry_renderer(registry: CollectorRegistry) -> Renderer:
    """The plain way: prometheus_client renders the whole registry."""
    return lambda encoder, _content_type: encoder(registry)
