"""A log handler that fails the test when the package logs content or secrets.

Records of the ``headroom_integrations`` loggers, at every level, are held
to three rules: no secret-looking string (API keys, passwords), none of the
content canaries the hostile inputs plant, and no message over 1 KB. The
formatted traceback of a record is checked for secrets and canaries too.
"""

from __future__ import annotations

import logging
import re

__all__ = ["CANARIES", "MAX_RECORD_BYTES", "LeakCatcher", "leaks"]

MAX_RECORD_BYTES = 1024
# Text that only ever appears inside message content of the generated inputs.
CANARIES = (
    "fragile item, handle with care",
    "payment gateway timeout",
    "lorem ipsum",
    "You are a support agent",
    "flush failed: connection reset",
    "Let me look.",
)
_SECRET = re.compile(r"sk-[A-Za-z0-9_-]{12,}|AKIA[0-9A-Z]{16}|password=|ghp_[A-Za-z0-9]{20,}|hunter2")


def leaks(text: str) -> list[str]:
    """What in ``text`` looks like a secret or content."""
    found = _SECRET.findall(text)
    return found + [c for c in CANARIES if c in text]


class LeakCatcher(logging.Handler):
    """Collects every record and the problems found in it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0  # records are checked as they come, not kept (100k-put tests log a lot)
        self.problems: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        message = record.getMessage()
        where = f"{record.name}:{record.lineno} [{record.levelname}]"
        size = len(message.encode("utf-8", "surrogatepass"))
        if size > MAX_RECORD_BYTES:
            self.problems.append(f"{where} logged {size} bytes: {message[:120]!r}...")
        trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        found = leaks(message + "\n" + trace)
        if found:
            self.problems.append(f"{where} logged content or secrets {found[:3]}: {message[:160]!r}")

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems[:10])
