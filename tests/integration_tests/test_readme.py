"""Every ```python block of the README runs as written, in a fresh interpreter, deprecations as errors.

A block that needs a real server is preceded by ``<!-- not-run: why -->``; it is
reported as skipped with that reason, so the exceptions stay visible. A block
that only needs a provider or inputs of the reader's own is preceded by
``<!-- with: name, ... -->``, naming setups below that run first, unseen by the
reader: ``openai-loopback`` points the real OpenAI SDK (and so ``ChatOpenAI`` and
Agno's ``OpenAIChat``) at a loopback server through the environment, the
``*-inputs`` setups define the names a block takes as given (``model``,
``tools``, ``messages``...) with the offline scripted chat model of the tests.

Each block runs in its own interpreter with ``DeprecationWarning`` an error: LangChain
shows each deprecation once per process, so an earlier test could otherwise hide one.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
_BLOCK = re.compile(
    r"(?:<!-- not-run: (?P<why>[^>]*?) -->\n)?(?:<!-- with: (?P<setups>[^>]*?) -->\n)?```python\n(?P<code>.*?)```",
    re.DOTALL,
)

# Runs before every block: deprecations become errors after langchain_core's import (which resets its own
# categories to "default" and would otherwise win over the error filter).
_PRELUDE = """
import warnings
try:
    import langchain_core  # noqa: F401
except ImportError:
    pass
warnings.simplefilter("error", DeprecationWarning)
"""

_SETUPS = {
    "openai-loopback": """
import os
from tests.support.provider_servers import ProviderServer
_server = ProviderServer().__enter__()
os.environ.update(
    OPENAI_API_KEY="sk-readme", OPENAI_BASE_URL=_server.openai_base_url, OPENAI_API_BASE=_server.openai_base_url
)
""",
    "langchain-inputs": """
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel
from tests.support.fixtures import app_log
from tests.support.scripted_chat_model import ScriptedChatModel

@tool
def read_log(service: str) -> str:
    \"\"\"Read a service log.\"\"\"
    return app_log(400)

class Schema(BaseModel):
    order: int

model = ScriptedChatModel()
tools = [read_log]
messages = [SystemMessage("You are a support agent."), HumanMessage("Why did order 48137 fail?")]
prompt = ChatPromptTemplate.from_messages([("human", "{question}")])
parser = StrOutputParser()
""",
    "agno-inputs": """
from tests.support.fixtures import app_log

def read_log(service: str) -> str:
    \"\"\"Read a service log.\"\"\"
    return app_log(400)
""",
}


def _blocks() -> list[tuple[int, str, str | None, tuple[str, ...]]]:
    text = README.read_text(encoding="utf-8")
    return [
        (
            text[: m.start("code")].count("\n") + 1,
            m["code"],
            m["why"],
            tuple(s.strip() for s in (m["setups"] or "").split(",") if s.strip()),
        )
        for m in _BLOCK.finditer(text)
    ]


def test_the_readme_has_python_blocks_and_most_run() -> None:
    blocks = _blocks()
    assert blocks
    assert sum(why is None for _, _, why, _ in blocks) > len(blocks) / 2
    assert all(name in _SETUPS for *_, setups in blocks for name in setups)


def test_a_readme_block_that_warns_deprecation_fails(tmp_path: Path) -> None:
    code = "from langchain_core.chat_history import InMemoryChatMessageHistory\nInMemoryChatMessageHistory()\n"
    out = _run(code, (), tmp_path)
    assert out.returncode != 0 and "LangChainDeprecationWarning" in out.stderr


def _run(code: str, setups: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess[str]:
    source = "\n".join([_PRELUDE, *(textwrap.dedent(_SETUPS[name]) for name in setups), code])
    return subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("line", "code", "why", "setups"), _blocks(), ids=lambda v: f"line{v}" if isinstance(v, int) else ""
)
def test_readme_block_runs(line: int, code: str, why: str | None, setups: tuple[str, ...], tmp_path: Path) -> None:
    if why is not None:
        pytest.skip(f"README line {line}: {why}")
    out = _run(code, setups, tmp_path)
    assert out.returncode == 0, f"README.md:{line} failed:\n{out.stderr[-4000:]}"
