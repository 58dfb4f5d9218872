"""What the commands share: the default store, input options, config loading and the record loop."""

from __future__ import annotations

import argparse
import atexit
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..engine.config import HeadroomConfig
from ..engine.errors import ConfigurationError
from ._inputs import Conversation, InputSource, open_source
from ._progress import Progress, StopOnInterrupt

__all__ = [
    "DEFAULT_PERIOD",
    "DEFAULT_STORE",
    "EXIT_INTERRUPTED",
    "add_input_command",
    "interrupted_exit",
    "load_config",
    "open_input",
    "port_number",
    "positive_int",
    "run_each",
]

DEFAULT_STORE = "sqlite:///headroom.db"
DEFAULT_PERIOD = "week"  # stats and report show the same window unless told otherwise
EXIT_INTERRUPTED = 130  # the shell convention for a SIGINT


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def add_input_command(
    subparsers: Any, name: str, run: Callable[[argparse.Namespace], int], *, help: str, description: str
) -> argparse.ArgumentParser:
    """A subcommand that reads conversations, with the input options every such command takes."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help, description=description)
    parser.set_defaults(run=run)
    parser.add_argument(
        "file", help="OpenAI messages JSON, a JSONL of conversations, or a raw tool output ('-' reads stdin)"
    )
    parser.add_argument(
        "--as-tool-output",
        action="store_true",
        help="treat FILE as one raw tool output (wrapped as a tool call and its result)",
    )
    parser.add_argument("--tool-name", default="tool", help="tool name for --as-tool-output (default: tool)")
    parser.add_argument(
        "--query",
        help="what the model must answer (default: each conversation's last user message, or a JSONL line's \"query\")",
    )
    parser.add_argument("--model", default="gpt-4o", help="model the context is for (default: gpt-4o)")
    parser.add_argument("--token-budget", type=positive_int, help="also fit the history into this many tokens")
    parser.add_argument("--config", help="HeadroomConfig as a TOML or JSON file ('-' reads stdin)")
    parser.add_argument(
        "--progress", action="store_true", help="show a progress bar on stderr even when it is not a terminal"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON (keys in the README)")
    parser.add_argument(
        "--max-rows", type=positive_int, default=40, help="most rows in per-message tables (default: 40)"
    )
    return parser


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0 (any free port) to 65535."""
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port in [0, 65535], got {text!r}")
    return value


def load_config(path: str | None, *, stdin_taken: bool = False) -> HeadroomConfig:
    """The ``--config`` file (``-``: standard input, unless FILE already reads it)."""
    if path == "-":
        if stdin_taken:
            raise ConfigurationError(
                "FILE and --config cannot both read stdin ('-')",
                {"field": "--config", "value": "-", "allowed": "a path"},
            )
        return HeadroomConfig.from_text(sys.stdin.buffer.read())
    return HeadroomConfig.from_file(path) if path else HeadroomConfig()


def _stdin_file() -> Path:
    """Standard input saved to a private temporary file (JSONL is read twice: checked, then processed)."""
    folder = Path(tempfile.mkdtemp(prefix="headroom-stdin-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "stdin"
    with path.open("wb") as handle:
        shutil.copyfileobj(sys.stdin.buffer, handle)
    return path


def open_input(args: argparse.Namespace) -> InputSource:
    path = _stdin_file() if args.file == "-" else args.file
    return open_source(path, as_tool_output=args.as_tool_output, tool_name=args.tool_name, query=args.query)


def run_each(source: InputSource, args: argparse.Namespace, handle: Callable[[Conversation], None]) -> int:
    """Call ``handle`` on every conversation (progress on stderr, Ctrl-C stops between them).

    Returns how many conversations were handled.
    """
    enabled = bool(args.progress) or (sys.stderr.isatty() and source.total > 1)
    with StopOnInterrupt() as stop, Progress(source.total, "conversations", enabled=enabled) as progress:
        for conversation in source:
            if stop.requested:
                break
            handle(conversation)
            progress.advance()
    return progress.done


def interrupted_exit(done: int, total: int, detail: str = "") -> int:
    """The exit code after handling ``done`` of ``total`` conversations, saying so when stopped early."""
    if done >= total:
        return 0
    print(f"headroom-integrations: interrupted after {done} of {total} conversations{detail}", file=sys.stderr)
    return EXIT_INTERRUPTED
