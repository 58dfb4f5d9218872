"""An append-only JSON Lines file that many threads and processes can write at once.

Each record is one ``write()`` of a whole line to a file opened with
``O_APPEND``, under an exclusive ``fcntl.flock``; readers take a shared lock.
So concurrent writers never interleave bytes and a reader never sees half a
line from a live writer. A line left broken by a crash is skipped (and
logged) on read instead of making the whole file unreadable.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import StorageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no fcntl; appends stay unlocked there
    fcntl = None  # type: ignore[assignment]

__all__ = ["JsonlFile", "JsonlMetrics"]

logger = logging.getLogger(__name__)


@contextmanager
def _locked(fd: int, exclusive: bool) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


class JsonlFile:
    """Locked appends of JSON objects to ``path`` and a tolerant full read."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))
        except OSError as exc:
            raise StorageError(f"cannot open metrics file {path}: {exc}", {"path": path}) from None

    def append(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line, atomically with respect to other writers."""
        data = (json.dumps(record, sort_keys=True, ensure_ascii=True, allow_nan=False) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                with _locked(fd, exclusive=True):
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        except OSError as exc:
            raise StorageError(f"cannot append to metrics file {self.path}: {exc}", {"path": self.path}) from None

    def read(self) -> list[dict[str, Any]]:
        """Every well-formed record, in file (append) order."""
        try:
            with open(self.path, "rb") as handle, _locked(handle.fileno(), exclusive=False):
                raw = handle.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StorageError(f"cannot read metrics file {self.path}: {exc}", {"path": self.path}) from None
        records: list[dict[str, Any]] = []
        for number, line in enumerate(raw.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                records.append(record)
            else:
                logger.warning("skipping malformed line %d of metrics file %s", number, self.path)
        return records


def _timestamp(record: dict[str, Any]) -> float | None:
    value = record.get("timestamp")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class JsonlMetrics:
    """Metrics records, one JSON line each; the window, order and limit are applied after reading."""

    def __init__(self, path: str) -> None:
        self._file = JsonlFile(path)

    def events(self) -> JsonlMetrics:
        """The feedback events, in a sibling file (``metrics.jsonl`` -> ``metrics.feedback.jsonl``)."""
        stem, dot, suffix = self.path.rpartition(".")
        return JsonlMetrics(f"{stem}.feedback.{suffix}" if dot and "/" not in suffix else f"{self.path}.feedback")

    def append(self, data: dict[str, Any]) -> None:
        self._file.append(data)

    def select(
        self, start_time: float | None, end_time: float | None, newest_first: bool, limit: int | None
    ) -> list[dict[str, Any]]:
        chosen: list[tuple[float, int, dict[str, Any]]] = []
        for position, record in enumerate(self._file.read()):
            stamp = _timestamp(record)
            if stamp is None:
                logger.warning("skipping metrics record without a timestamp in %s", self.path)
            elif (start_time is None or stamp >= start_time) and (end_time is None or stamp < end_time):
                chosen.append((stamp, position, record))
        if newest_first:
            chosen.sort(key=lambda item: (item[0], item[1]), reverse=True)
        records = [record for _, _, record in chosen]
        return records if limit is None else records[:limit]

    def since(self, position: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """Records after the first ``position`` ones (at most the newest ``limit``), newest first, and the new count."""
        records = self._file.read()
        return len(records), records[position:][::-1][:limit]

    @property
    def path(self) -> str:
        return self._file.path

    def flush(self) -> None:
        """Every append is written at once."""

    def close(self) -> None:
        """Nothing to release: every append and read opens the file afresh."""
