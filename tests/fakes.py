"""Hand-driven stand-ins for the exporter's collaborators: a clock and a scripted license source.

Importable helpers behind the root conftest's fixtures (test modules never import each other).
"""

from __future__ import annotations

from collections import defaultdict

from exporter.config.load import Application
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot, SourceError

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class Clock:
    """A clock that moves only when a test moves it; pass it wherever a `clock=` is injected."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def snap(used: int) -> Snapshot:
    return Snapshot((ProductLicense("jira-software", used, 500, 500 - used),))


class FakeSource:
    """Answers each sync of an application with the next scripted outcome (the last repeats)."""

    def __init__(self, clock: Clock, **scripts: list[Snapshot | SourceError]) -> None:
        self.clock = clock
        self.scripts = scripts
        self.calls: defaultdict[str, list[float]] = defaultdict(list)
        self.duration = 0.0

    async def fetch(self, client: LinkClient, app: Application) -> Snapshot:
        self.calls[app.name].append(self.clock.now)
        self.clock.now += self.duration
        script = self.scripts[app.name]
        outcome = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(outcome, SourceError):
            raise outcome
        return outcome
