"""A scripted license source for the poller tests (the hand-moved clock is factories.FakeClock).

Importable helpers, so test modules never import each other.
"""

from __future__ import annotations

from collections import defaultdict

from exporter.config.models import ApplicationBase as Application
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot, SourceError
from exporter.sync.poller import Poller
from tests.factories import FakeClock

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, where the root conftest's clock starts


def snap(used: int) -> Snapshot:
    return Snapshot((ProductLicense("jira-software", used, 500, 500 - used),))


class FakeSource:
    """Answers each sync of an application with the next scripted outcome (the last repeats)."""

    def __init__(self, clock: FakeClock, **scripts: list[Snapshot | SourceError]) -> None:
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


async def run_for(p: Poller, clock: FakeClock, seconds: float, step: float = 30) -> None:
    """Drive `p` for `seconds` of the fake clock, in steps of `step`."""
    end = clock.now + seconds
    while clock.now < end:
        await p.run_due()
        clock.now += step
