"""The running exporter: its config source, the poller, and configuration reloads."""

from __future__ import annotations

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

    @property
    def targets(self) -> Targets:
        return self.poller.targets

    def reload(self) -> None:
        """Load the config file again; a bad file is refused and the running config stays."""
        if self.config_path is None:
            raise ConfigError("(demo)", ["(file): the demo configuration cannot be reloaded"])
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            self.reload_status = ReloadStatus(False, self.reload_status.last_success)
            self.last_reload_error = str(exc)
            self.poller.touch()  # the reload status on /metrics changed
            log.error("config reload failed, keeping the running config: %s", exc)
            raise
        self.poller.apply(select(resolve(config), self.shard))
        self.reload_status = ReloadStatus(True, self.poller.clock.time())
        self.last_reload_error = None
        log.info(
            "config reloaded file=%s applications=%d", self.config_path, len(config.applications)
        )
