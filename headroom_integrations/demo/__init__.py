"""The offline demo: ``python -m headroom_integrations.demo`` (``make demo``).

A LangChain ``create_agent`` agent and an Agno agent answer one support
question over tools that return large, realistic outputs (a product search,
a CI log with one buried failure, a GitHub issue list). Headroom compresses
what the models read; the demo prints what it saved, shows that what mattered
reached the model and that dropped data comes back intact, and writes the
savings report. Needs the ``langchain`` extra (Agno is optional).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo (imported on call, so a missing extra is reported by ``__main__``, not a traceback)."""
    from .run import main as run_demo

    return run_demo(argv)
