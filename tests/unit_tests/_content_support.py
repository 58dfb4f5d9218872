"""Helpers shared by the content-compressor tests: a real context, running a compressor, marker resolution."""

from __future__ import annotations

import re
from typing import Any

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.base import CompressionContext, Compressor, CompressorOutput
from headroom_integrations.engine.config import ContentCompressionConfig, HeadroomConfig
from headroom_integrations.engine.tokens.tokenizer import Tokenizer

MARKER = re.compile(r"\[\.\.\. (\d+) ([^\[\];]+?) omitted(?: [^;\]]*)?; headroom_retrieve ref=([0-9a-f]+) \.\.\.\]")
_TOKENIZER = Tokenizer("gpt-4o")


def make_ctx(query: str = "", store: CompressionStore | None = None, **content: Any) -> CompressionContext:
    """A context with the real gpt-4o tokenizer; ``content`` overrides ContentCompressionConfig fields."""
    config = HeadroomConfig(content=ContentCompressionConfig(**content))
    return CompressionContext(query=query, config=config, tokenizer=_TOKENIZER, store=store)


def run_compressor(
    compressor: Compressor, text: str, query: str = "", store: CompressionStore | None = None, **content: Any
) -> tuple[CompressorOutput, CompressionContext]:
    """``compressor`` on ``text`` in a :func:`make_ctx` context; returns the output and the context."""
    ctx = make_ctx(query, store, **content)
    return compressor.compress(text, ctx), ctx


def assert_store_independent(compressor: Compressor, text: str, query: str = "") -> None:
    """The output text is the same whether dropped content is stashed in a store or not."""
    without_store = compressor.compress(text, make_ctx(query)).text
    assert without_store == compressor.compress(text, make_ctx(query, store=CompressionStore())).text


def restore(text: str, store: CompressionStore, *, whole_line: bool = True) -> str:
    """Replace every marker by what its ref retrieves.

    With ``whole_line`` the marker's line prefix (indent, ``...  #``, ``//``)
    goes too, since a dropped run always starts at the beginning of a line.
    """
    out: list[str] = []
    pos = 0
    for m in MARKER.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1 if whole_line else m.start()
        start = max(start, pos)
        out.append(text[pos:start])
        out.append(store.retrieve(m.group(3)))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def kept_lines_in_order(output: str, original: str) -> bool:
    """Every output line without a marker is an original line, and they appear in the original order."""
    source = original.splitlines()
    i = 0
    for line in output.splitlines():
        if MARKER.search(line):
            continue
        while i < len(source) and source[i] != line:
            i += 1
        if i == len(source):
            return False
        i += 1
    return True
