"""Where a paged read that failed part-way resumes: one store per application, kept by the
poller on the application's state, so it lives exactly as long as the application's target.

A source puts what it needs to resume (the refused page's cursor and the counts so far) under
a key of its own, and takes it back on the next attempt. A reload that changes the target
replaces the state, and with it the store: a changed configuration never resumes an old pass.
"""

from __future__ import annotations

from typing import Any


class Checkpoints:
    # Slotted, and the dict made at the first put: every application has a store and nearly
    # none holds anything (an instance dict and an empty dict each: 2 MiB at 10,000).
    __slots__ = ("_saved",)

    def __init__(self) -> None:
        self._saved: dict[str, Any] | None = None

    def put(self, key: str, checkpoint: Any) -> None:
        if self._saved is None:
            self._saved = {}
        self._saved[key] = checkpoint

    def take(self, key: str) -> Any:
        """The checkpoint saved under `key`, removed from the store; None if there is none."""
        return None if self._saved is None else self._saved.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return self._saved is not None and key in self._saved
