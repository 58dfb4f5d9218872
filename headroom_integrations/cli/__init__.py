"""The ``headroom-integrations`` command: compress, simulate, report, stats, retrieve, doctor, proxy, mcp.

Every failure the user can cause (a bad file, a missing store, an unknown
ref, a bad config) ends with one ``headroom-integrations: error: ...`` line
on stderr and a non-zero exit code; a traceback appears only with ``--debug``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from ..engine.errors import ConfigurationError, HeadroomError
from . import _compress, _doctor, _mcp, _proxy, _simulate, _stores
from ._common import EXIT_INTERRUPTED

__all__ = ["build_parser", "main"]

PROG = "headroom-integrations"
EXIT_ERROR = 1
EXIT_USAGE = 2


class _OneLine(logging.Formatter):
    """Log records as single lines: engine warnings must not print tracebacks at the user."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{PROG}: {record.levelname.lower()}: {record.getMessage()}"


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Compress LLM-agent context, keep what was dropped retrievable, and report the savings.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="also log the engine's info messages")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks (for bug reports)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _compress.add_parser(subparsers)
    _simulate.add_parser(subparsers)
    _stores.add_parsers(subparsers)
    _doctor.add_parser(subparsers)
    _proxy.add_parser(subparsers)
    _mcp.add_parser(subparsers)
    return parser


def _configure_logging(verbose: bool, debug: bool) -> tuple[logging.Handler, int]:
    """Attach a stderr handler to the package logger; returns it and the level to restore."""
    handler = logging.StreamHandler(sys.stderr)
    if not debug:
        handler.setFormatter(_OneLine())
    package = logging.getLogger("headroom_integrations")
    previous = package.level
    package.addHandler(handler)
    package.setLevel(logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING)
    return handler, previous


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    args = build_parser().parse_args(argv)
    handler, previous_level = _configure_logging(args.verbose, args.debug)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error; silence the flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ConfigurationError as exc:
        if args.debug:
            raise
        _error(str(exc))
        return EXIT_USAGE
    except HeadroomError as exc:
        if args.debug:
            raise
        _error(exc.message)
        return EXIT_ERROR
    except Exception as exc:  # anything else is a bug; still one line unless --debug
        if args.debug:
            raise
        _error(f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for details)")
        return EXIT_ERROR
    finally:
        package = logging.getLogger("headroom_integrations")
        package.removeHandler(handler)
        package.setLevel(previous_level)
