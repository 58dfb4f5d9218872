"""Every ```python block of the README runs as written.

A block that needs a real provider is preceded by ``<!-- not-run: why -->``;
it is reported as skipped with that reason, so the exceptions stay visible.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"(?:<!-- not-run: (?P<why>[^>]*?) -->\n)?```python\n(?P<code>.*?)```", re.DOTALL)


def _blocks() -> list[tuple[int, str, str | None]]:
    text = README.read_text(encoding="utf-8")
    return [(text[: m.start("code")].count("\n") + 1, m["code"], m["why"]) for m in _BLOCK.finditer(text)]


def test_the_readme_has_python_blocks_and_most_run() -> None:
    blocks = _blocks()
    assert blocks
    assert sum(why is None for _, _, why in blocks) >= 2


@pytest.mark.parametrize(("line", "code", "why"), _blocks(), ids=lambda v: f"line{v}" if isinstance(v, int) else "")
def test_readme_block_runs(
    line: int, code: str, why: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if why is not None:
        pytest.skip(f"README line {line}: {why}")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})
