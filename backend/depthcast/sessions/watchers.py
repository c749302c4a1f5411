"""Callbacks told of every change of a job, from its worker thread (each hands over to its
own event loop: api.job_events)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Watchers:
    """A thread-safe list of callbacks; one that fails is logged and the others still run."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def watch(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` (from any thread) after every change; returns the unwatch."""
        with self._lock:
            self._callbacks.append(callback)

        def unwatch() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)
        return unwatch

    def notify(self) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - a watcher's loop may be gone
                logger.debug("job watcher failed", exc_info=True)
