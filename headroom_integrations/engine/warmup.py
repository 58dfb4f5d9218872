"""One-time setup (imports, encoding data, compressors, embedding models) timed apart from compression.

The first call in a process loads what every later call reuses. Counted as
compression, it would make the first request look ten times slower than the
rest and skew the report's latency chart and percentiles. Each place that
loads something once runs it under :func:`first_use`, which adds its time to a
per-thread clock; ``compress()`` reads :func:`spent` before and after and
reports the difference as ``warmup_ms``, outside ``compression_ms``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["first_use", "spent"]

_clock = threading.local()


def spent() -> float:
    """Milliseconds this thread has spent in :func:`first_use` blocks so far."""
    return float(getattr(_clock, "ms", 0.0))


@contextmanager
def first_use() -> Iterator[None]:
    """Time the block as warm-up (nested blocks count once, in the outermost)."""
    depth = getattr(_clock, "depth", 0)
    _clock.depth = depth + 1
    started = time.perf_counter()
    try:
        yield
    finally:
        _clock.depth = depth
        if depth == 0:
            _clock.ms = spent() + (time.perf_counter() - started) * 1000.0
