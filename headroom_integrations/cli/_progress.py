"""Long runs: a small progress bar on stderr and a Ctrl-C that stops between records.

The first Ctrl-C only asks the loop to stop after the conversation in hand,
so every stored ref and metrics record belongs to a finished conversation. A
second Ctrl-C aborts at once; the stores' SQLite transactions roll back
whatever was half-written.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType, TracebackType
from typing import Any, TextIO

__all__ = ["Progress", "StopOnInterrupt"]

_BAR_WIDTH = 30
_MIN_INTERVAL_S = 0.1


class Progress:
    """``[#####-----] 120/400 conversations  35.2/s`` redrawn in place on stderr."""

    def __init__(self, total: int, unit: str, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self._unit = unit
        self._enabled = enabled
        self._stream = stream or sys.stderr
        self._started = time.monotonic()
        self._drawn_at = 0.0

    def advance(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self._enabled and (now - self._drawn_at >= _MIN_INTERVAL_S or self.done == self.total):
            self._drawn_at = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        share = self.done / self.total if self.total else 1.0
        filled = int(share * _BAR_WIDTH)
        rate = self.done / max(now - self._started, 1e-9)
        self._stream.write(
            f"\r[{'#' * filled}{'-' * (_BAR_WIDTH - filled)}] {self.done}/{self.total} {self._unit}  {rate:.1f}/s"
        )
        self._stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._enabled and self._drawn_at:
            self._stream.write("\n")
            self._stream.flush()


class StopOnInterrupt:
    """Turns the first SIGINT into ``requested = True``; the second raises KeyboardInterrupt."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.requested = False
        self._stream = stream or sys.stderr
        self._previous: Any = None
        self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self._stream.write(
            "\nheadroom-integrations: stopping after the current conversation (Ctrl-C again to abort now)\n"
        )
        self._stream.flush()

    def __enter__(self) -> StopOnInterrupt:
        # Signal handlers can only be installed from the main thread.
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
