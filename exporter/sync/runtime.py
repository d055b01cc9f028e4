"""The running exporter: its config source, the poller, and configuration reloads."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from exporter.config.load import ConfigError, load_config
from exporter.config.targets import Targets, resolve
from exporter.serve.collector import ReloadStatus
from exporter.sync.poller import Poller
from exporter.sync.shard import Shard, select

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        poller: Poller,
        config_path: Path | None,
        *,
        lifecycle: bool = False,
        shard: Shard | None = None,
    ) -> None:
        self.poller = poller
        self.shard = shard
        self.config_path = config_path
        self.lifecycle = lifecycle
        self.started = poller.clock.time()
        self.reload_status = ReloadStatus(True, self.started)
        self.last_reload_error: str | None = None
        self._reloading = asyncio.Lock()  # one reload at a time, in the order asked

    @property
    def targets(self) -> Targets:
        return self.poller.targets

    async def reload(self) -> None:
        """Load the config file again; a bad file is refused and the running config stays.

        The file is read and parsed in a thread: the event loop keeps serving /metrics and
        /-/healthy however long a large or hostile file takes to refuse."""
        if self.config_path is None:
            raise ConfigError("(demo)", ["(file): the demo configuration cannot be reloaded"])
        async with self._reloading:
            await self._reload(self.config_path)

    async def _reload(self, path: Path) -> None:
        try:
            config = await asyncio.to_thread(load_config, path)
        except Exception as exc:
            # Every failure refuses the reload with a message, never a traceback; of an
            # unexpected error only its type, as its text may quote the file.
            error = (
                exc
                if isinstance(exc, ConfigError)
                else ConfigError(str(path), [f"(file): cannot load: {type(exc).__name__}"])
            )
            self.reload_status = ReloadStatus(False, self.reload_status.last_success)
            self.last_reload_error = str(error)
            self.poller.touch(config=True)  # the reload status on /metrics changed
            log.error("config reload failed, keeping the running config: %s", error)
            raise error from None
        self.poller.apply(select(resolve(config), self.shard))
        self.reload_status = ReloadStatus(True, self.poller.clock.time())
        self.last_reload_error = None
        log.info("config reloaded file=%s applications=%d", path, len(config.applications))
