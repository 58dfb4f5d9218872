"""``python -m headroom_integrations.demo``: Headroom in two agents, offline, in a few seconds.

Prints a per-call savings table for a LangChain agent and an Agno agent (when
Agno is installed), proves that the buried CI failure and the queried product
reached the model and that ``headroom_retrieve`` brings dropped data back
intact, records the metrics to SQLite and writes the HTML savings report.
Exit status: 0 when every check holds, 1 when one fails, 2 when ``--live``
cannot run.
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Sequence
from pathlib import Path

from ..engine.ccr.store import CompressionStore
from ..engine.install import install_command
from ..engine.metrics import MetricsStore
from ..reports import KIND_LABELS, generate_report
from .langchain_agent import run_langchain_agent
from .langchain_model import STAND_IN_MODEL, ScriptedChatModel
from .live import LiveModels, LiveUnavailable, live_models
from .outcome import AgentRun, Check, check_run, format_run
from .scenario import QUESTION

__all__ = ["main"]

DEFAULT_OUT = "headroom_demo_output"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m headroom_integrations.demo",
        description="Headroom compressing a LangChain and an Agno agent's context, offline by default.",
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output directory (default ./{DEFAULT_OUT})")
    parser.add_argument(
        "--live",
        action="store_true",
        help="use a real model (OPENAI_API_KEY + langchain-openai, or ANTHROPIC_API_KEY + langchain-anthropic)",
    )
    parser.add_argument("--model", default=None, help="the --live model name (default: a small model)")
    return parser


def _run_agno(live: LiveModels | None, store: CompressionStore, metrics: MetricsStore) -> AgentRun | str:
    """The Agno run, or why it was skipped."""
    if importlib.util.find_spec("agno") is None:
        return f"Agno: skipped (not installed: {install_command('agno')})"
    from .agno_agent import run_agno_agent
    from .agno_model import ScriptedAgnoModel

    if live is None:
        scripted = ScriptedAgnoModel()
        return run_agno_agent(
            scripted, store=store, metrics_store=metrics, sent_tool_results=scripted.sent_tool_results
        )
    if live.agno is None:
        return f"Agno: skipped (Agno's model class for {live.name} needs the provider SDK)"
    return run_agno_agent(live.agno, store=store, metrics_store=metrics, sent_tool_results=None)


def _print_checks_verdict(checks: Sequence[Check], live: bool) -> bool:
    failed = [c for c in checks if not c.passed]
    if not failed:
        print("\nall checks passed: less context, nothing that mattered lost, the rest one call away.")
    elif live:
        print(f"\n{len(failed)} check(s) did not hold: a live model chooses its own calls (informational).")
    else:
        print(f"\n{len(failed)} check(s) FAILED.")
    return not failed or live


def _clear_previous_run(out: Path) -> None:
    """Start each run on fresh stores, so "N requests recorded" is what `stats` and the report show."""
    for name in ("headroom_metrics.db", "headroom_store.db"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            (out / f"{name}{suffix}").unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the process exit status."""
    args = _parser().parse_args(argv)
    live: LiveModels | None = None
    if args.live:
        try:
            live = live_models(args.model)
        except LiveUnavailable as exc:
            print(f"headroom demo: {exc}")
            return 2
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    _clear_previous_run(out)
    metrics_url = f"sqlite:///{out / 'headroom_metrics.db'}"
    store_url = f"sqlite:///{out / 'headroom_store.db'}"
    model_name = live.name if live else STAND_IN_MODEL
    setting = f"live: {model_name}" if live else f"offline: a scripted model standing in for {model_name}"
    print(f"Headroom demo ({setting})")
    print(f"question: {QUESTION}\n")

    with CompressionStore(url=store_url) as store, MetricsStore(metrics_url) as metrics:
        runs: list[AgentRun] = [
            run_langchain_agent(
                live.langchain if live else ScriptedChatModel(),
                store=store,
                metrics_store=metrics,
                count_model=model_name,
            )
        ]
        agno = _run_agno(live, store, metrics)
        if isinstance(agno, str):
            print(agno)
        else:
            runs.append(agno)
        checks: list[Check] = []
        for run in runs:
            run_checks = check_run(run)
            checks += run_checks
            print(format_run(run, run_checks), end="\n\n")
        summary = metrics.get_summary()

    report = out / "headroom_report.html"
    report.write_text(generate_report(metrics_url, "html", "day"), encoding="utf-8")
    kinds = ", ".join(f"{s.total_requests} {KIND_LABELS[kind]}" for kind, s in summary.by_kind.items())
    print(f"metrics: {summary.total_records} requests recorded ({kinds or 'none'}) in {metrics_url}")
    print(f"dropped originals: kept in {store_url} (every ref above can be fetched from it)")
    print(f"report: {report}")
    return 0 if _print_checks_verdict(checks, live is not None) else 1
