"""Re-run every notebook headless and offline and save it with its outputs (``make notebooks``).

The notebooks are committed with their outputs so a reader on GitHub sees the
results; the suite runs them again (tests/integration_tests/test_notebooks.py).
Each runs in a fresh kernel from notebooks/, with the network variables
dropped as in that test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
_OFFLINE = {"AGNO_TELEMETRY": "false", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
_DROPPED = ("LANGSMITH_", "LANGCHAIN_", "OPENAI_", "ANTHROPIC_")


def execute(path: Path) -> None:
    """Run ``path`` top to bottom and write it back with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    for cell in notebook.cells:
        cell.get("metadata", {}).pop("execution", None)  # run timestamps: noise in every diff
        if cell.cell_type == "code":
            cell.outputs = _coalesced(cell.outputs)
    nbformat.write(notebook, path)


def _coalesced(outputs: list[Any]) -> list[Any]:
    """Consecutive stream outputs of one stream as one (how prints were split depends on timing)."""
    merged: list[Any] = []
    for output in outputs:
        last = merged[-1] if merged else None
        if last is not None and output.output_type == last.output_type == "stream" and output.name == last.name:
            last.text += output.text
        else:
            merged.append(output)
    return merged


def main(names: list[str]) -> None:
    for key in [k for k in os.environ if k.startswith(_DROPPED)]:
        del os.environ[key]
    os.environ.update(_OFFLINE)
    for path in [HERE / n for n in names] or sorted(HERE.glob("*.ipynb")):
        print(f"executing {path.name}", flush=True)
        execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])
