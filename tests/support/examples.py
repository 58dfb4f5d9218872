"""Run a script of ``examples/`` as a user runs it (a fresh interpreter) and return what it printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["EXAMPLES", "run_example"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, timeout: float = 120) -> str:
    """stdout of ``python examples/<name>``; fails the test with its stderr when it exits non-zero."""
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout
