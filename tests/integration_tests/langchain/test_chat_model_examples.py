"""The chat-model examples run as a user runs them and show what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _run(name: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_langchain_chain_example_keeps_the_answer_and_saves_tokens() -> None:
    out = _run("langchain_chain.py")
    answer = out.splitlines()[0]
    assert "payment gateway timeout on order 48137" in answer
    assert "% saved) by smart_crusher" in out
    assert "'calls': 1" in out


@pytest.mark.slow
def test_langsmith_example_shows_the_savings_metadata_on_the_llm_run() -> None:
    out = _run("langsmith_metadata.py")
    assert "test_payment_retry failed" in out.splitlines()[0]
    for key in ("headroom_tokens_before", "headroom_tokens_after", "headroom_tokens_saved",
                "headroom_savings_percent", "headroom_transforms", "ls_provider: offline"):
        assert key in out, key
    assert "usage on the run: {'input_tokens'" in out
