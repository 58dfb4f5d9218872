"""Every ``examples/*.py`` script runs as a user runs it, exits 0 and prints the savings it claims.

One harness for all examples: each public script (not ``_private`` helpers)
runs once, in a fresh interpreter; every one must report a positive saving,
and the ones below also keep the specific promises their docstrings make.
A new example is picked up without touching this file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.support.examples import EXAMPLES, run_example

SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
# "98.4% saved", "2,476 tokens saved", "15,421 tool-result tokens saved", "headroom_tokens_saved: 56772"
_SAVINGS = re.compile(r"\b(\d[\d,]*(?:\.\d+)?)(?:%| (?:[\w-]+ ){0,2}tokens?)? saved|tokens_saved: (\d[\d,]*)", re.I)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _langchain_chain(out: str) -> None:
    assert "payment gateway timeout on order 48137" in out.splitlines()[0]
    assert "% saved) by smart_crusher" in out
    assert "'calls': 1" in out


def _langsmith_metadata(out: str) -> None:
    assert "test_payment_retry failed" in out.splitlines()[0]
    for key in (
        "headroom_tokens_before",
        "headroom_tokens_after",
        "headroom_tokens_saved",
        "headroom_savings_percent",
        "headroom_transforms",
        "ls_provider: offline",
    ):
        assert key in out, key
    assert "usage on the run: {'input_tokens'" in out


def _langchain_agent(out: str) -> None:
    turns = re.findall(r"turn (\d): (\d+) messages in state, tool messages per call: \[1\]", out)
    assert [(t, int(n)) for t, n in turns] == [("1", 4), ("2", 8), ("3", 12)]
    assert "payment gateway timeout on order 48137" in out
    assert "ERROR payments order 48137 rejected" in out
    assert '"id": 48399' in out.split("retrieved by ref:")[1]
    saved = re.search(r"\(([\d.]+)% saved\)", out)
    assert saved is not None and float(saved.group(1)) > 90


def _langchain_rag(out: str) -> None:
    base = re.search(r"base retriever: \d+ documents, ([\d,]+) tokens", out)
    kept = re.search(r"HeadroomRetriever: (\d+) documents, ([\d,]+) tokens", out)
    assert base is not None and kept is not None
    assert int(kept.group(1)) == 3 and _number(kept.group(2)) <= 220 < _number(base.group(1))
    assert "Rotate the gateway API key" in out.split("answer:")[1]
    assert "whole page back by ref" in out


def _agno_agent(out: str) -> None:
    answers = [line for line in out.splitlines() if line.startswith("answer:")]
    assert len(answers) == 2 and all("payment gateway timeout on order 48137" in a for a in answers)
    percent = re.search(r"HeadroomAgnoModel: .* \(([\d.]+)% saved\) by smart_crusher", out)
    assert percent is not None and float(percent.group(1)) > 90
    assert re.search(r"HeadroomCompressionManager: [\d,]+ tool-result tokens saved", out)
    read = [_number(n) for n in re.findall(r"read ([\d,]+) characters", out)]
    assert read[0] < read[-1] / 10  # with Headroom the model read a tenth of what it reads without


_PROMISES: dict[str, Callable[[str], None]] = {
    "agno_agent.py": _agno_agent,
    "langchain_agent.py": _langchain_agent,
    "langchain_chain.py": _langchain_chain,
    "langchain_rag.py": _langchain_rag,
    "langsmith_metadata.py": _langsmith_metadata,
}


def test_every_example_is_found() -> None:
    assert set(_PROMISES) <= set(SCRIPTS), sorted(set(_PROMISES) - set(SCRIPTS))


@pytest.mark.slow
@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs_and_reports_savings(name: str) -> None:
    out = run_example(name)
    saved = [_number(a or b) for a, b in _SAVINGS.findall(out)]
    assert any(n > 0 for n in saved), f"{name} printed no savings:\n{out}"
    promise = _PROMISES.get(name)
    if promise is not None:
        promise(out)
