"""Writing compressed results (``-o``) in the shape they came in, never as a half-written file.

Results go to a temporary file next to the target and are moved into place
at the end, so a crash never leaves a truncated JSON document. After an
interrupt the file holds exactly the conversations that were finished.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ..engine.errors import StorageError
from ._inputs import Conversation

__all__ = ["ResultWriter"]


def _umask() -> int:
    """The process umask (reading it means setting it; it is put straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class ResultWriter:
    """Collects one result per conversation and writes them to ``target`` (``-`` is stdout)."""

    def __init__(self, target: str | None, kind: str) -> None:
        self._target = target
        self._kind = kind
        self._held: list[Any] = []
        self._handle: IO[str] | None = None
        self._tmp: str | None = None
        if target and target != "-" and kind == "jsonl":
            self._handle = self._open_tmp(Path(target))

    def _open_tmp(self, target: Path) -> IO[str]:
        try:
            fd, self._tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
        except OSError as exc:
            raise StorageError(f"cannot write {target}: {exc.strerror or exc}", {"file": str(target)}) from None
        return os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace")  # lone surrogates: JSON escapes

    def add(self, conversation: Conversation, messages: list[Any]) -> None:
        """Record the compressed ``messages`` of ``conversation``."""
        if not self._target:
            return
        if self._kind == "tool_output":
            self._held.append(messages[-1].get("content"))
            return
        value = conversation.with_messages(messages)
        if self._kind != "jsonl":
            self._held.append(value)
        elif self._handle is not None:
            self._handle.write(json.dumps(value, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")

    def _document(self) -> str:
        if self._kind == "tool_output":
            content = self._held[0] if self._held else ""
            return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        value = self._held if self._kind == "json_list" else (self._held[0] if self._held else [])
        return json.dumps(value, ensure_ascii=False, indent=2) + "\n"

    def finish(self) -> None:
        """Move what was written into place (or print it for ``-``)."""
        if not self._target:
            return
        if self._target == "-":
            if self._kind != "jsonl":
                sys.stdout.write(self._document())
            sys.stdout.flush()
            return
        target = Path(self._target)
        if self._handle is None:
            self._handle = self._open_tmp(target)
            self._handle.write(self._document())
        self._handle.close()
        try:
            # mkstemp makes the file private (0600); the result gets what the user's umask gives a new file.
            os.chmod(str(self._tmp), 0o666 & ~_umask())
            os.replace(str(self._tmp), target)
        except OSError as exc:
            raise StorageError(f"cannot write {target}: {exc.strerror or exc}", {"file": str(target)}) from None
        self._tmp = None

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """On an error the temporary file is removed and the target left as it was."""
        if self._tmp is not None:
            if self._handle is not None:
                self._handle.close()
            Path(self._tmp).unlink(missing_ok=True)
