"""HTML: the readable text of a page, with its structure, minus markup and boilerplate.

Built on the standard library's :mod:`html.parser`. Dropped: ``script``,
``style``, ``noscript``, ``svg``, ``template``, ``iframe``, navigation and page
chrome (``nav``, ``header``, ``footer``, ``aside``), hidden elements
(``hidden``, ``aria-hidden="true"``, ``display:none``) and comments. Kept:
the title, headings (``#``), list items (``-``/``1.``), table rows
(``cell | cell``), ``pre``/``code`` text verbatim, paragraphs, and in-content
links once as ``text (url)``. Runs of link-only lines (link clouds) go. The
original HTML is stashed whole, so nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ..arguments import strict_arguments
from ..ccr.markers import content_ref
from ._elide import never_raises
from .base import CompressionContext, CompressorOutput

__all__ = ["HtmlCompressor", "html_to_text"]

NAME = "html"
_RAW = frozenset(("script", "style"))  # html.parser always finds their end tags
_SKIP = _RAW | frozenset(
    (
        "noscript",
        "svg",
        "template",
        "iframe",
        "canvas",
        "object",
        "nav",
        "header",
        "footer",
        "aside",
        "button",
        "select",
        "datalist",
        "dialog",
        "map",
    )
)
_VOID = frozenset(
    (
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    )
)
_BLOCK = frozenset(
    (
        "p",
        "div",
        "section",
        "article",
        "main",
        "blockquote",
        "figure",
        "figcaption",
        "dl",
        "dt",
        "dd",
        "ul",
        "ol",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "form",
        "fieldset",
        "address",
        "details",
        "summary",
        "body",
        "html",
        "caption",
        "label",
        "legend",
    )
)
_HEADINGS = {f"h{i}": "#" * i for i in range(1, 7)}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_MIN_CLOUD = 4


@dataclass
class _Line:
    """One output line under construction: its prefix, text pieces and how much of it is link text."""

    prefix: str = ""
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    verbatim: bool = False

    def text(self) -> str:
        if self.verbatim:
            return "".join(self.parts).strip("\n")
        return _SPACE.sub(" ", "".join(self.parts)).strip()


class _Extractor(HTMLParser):
    """Streams readable lines out of HTML; tolerant of unclosed and stray tags."""

    def __init__(self, skip: frozenset[str] = _SKIP) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_tags = skip
        self.lines: list[_Line] = []
        self.title = ""
        self._line = _Line()
        self._skip: list[str] = []  # tag names whose content is being skipped (nesting-aware)
        self._in_title = False
        self._pre = 0
        self._lists: list[list[int]] = []  # per open list: [is_ordered, next number]
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None
        self._link: tuple[str, int] | None = None  # href and where its text starts
        self._shown: set[str] = set()

    # -- helpers --------------------------------------------------------------
    def _flush(self, prefix: str = "") -> None:
        if self._line.text():
            self.lines.append(self._line)
        self._line = _Line(prefix=prefix)

    def _buffer(self) -> list[str]:
        return self._cell if self._cell is not None else self._line.parts

    def _write(self, text: str) -> None:
        self._buffer().append(text)

    # -- parser callbacks -----------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
            return
        if self._skip:
            if tag == self._skip[-1] and tag not in _VOID:
                self._skip.append(tag)
            return
        attributes = {k.lower(): (v or "") for k, v in attrs}
        hidden = (
            "hidden" in attributes
            or attributes.get("aria-hidden", "").lower() == "true"
            or bool(_HIDDEN_STYLE.search(attributes.get("style", "")))
            or (tag == "input" and attributes.get("type", "").lower() == "hidden")
        )
        if (tag in self.skip_tags or hidden) and tag not in _VOID:
            if tag in _BLOCK or tag in self.skip_tags:
                self._flush()
            self._skip.append(tag)
            return
        self._open(tag, attributes)

    def _open(self, tag: str, attributes: dict[str, str]) -> None:
        if tag in _HEADINGS:
            self._flush(_HEADINGS[tag] + " ")
        elif tag in ("ul", "ol"):
            self._flush()
            self._lists.append([tag == "ol", 1])
        elif tag == "li":
            depth = max(0, len(self._lists) - 1)
            marker = "-"
            if self._lists and self._lists[-1][0]:
                marker = f"{self._lists[-1][1]}."
                self._lists[-1][1] += 1
            self._flush("  " * depth + marker + " ")
        elif tag == "pre":
            self._flush()
            self._pre += 1
            self._line.verbatim = True
        elif tag == "tr":
            self._flush()
            self._cells = []
        elif tag in ("td", "th") and self._cells is not None:
            self._cell = []
        elif tag == "br":
            self._write("\n" if self._pre else " ")
            if not self._pre and self._cell is None:
                self._flush(self._line.prefix if not self._line.text() else "")
        elif tag == "img" and attributes.get("alt", "").strip():
            self._write(f" {attributes['alt'].strip()} ")
        elif tag == "a":
            href = attributes.get("href", "").strip()
            self._link = (href, len("".join(self._buffer())))
        elif tag == "code" and not self._pre:
            self._write("`")
        elif tag in _BLOCK or tag == "hr":
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
        elif tag in _HEADINGS or tag == "li" or tag in _BLOCK:
            if tag in ("ul", "ol") and self._lists:
                self._lists.pop()
            self._flush()
        elif tag == "pre" and self._pre:
            self._pre -= 1
            self._flush()
        elif tag in ("td", "th") and self._cells is not None and self._cell is not None:
            self._cells.append(_SPACE.sub(" ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "tr" and self._cells is not None:
            if any(self._cells):
                self._line.parts.append(" | ".join(self._cells))
            self._cells = None
            self._flush()
        elif tag == "a" and self._link is not None:
            self._close_link(*self._link)
            self._link = None
        elif tag == "code" and not self._pre:
            self._write("`")

    def _close_link(self, href: str, start: int) -> None:
        buffer = self._buffer()
        text = "".join(buffer)[start:]
        if buffer is self._line.parts:
            self._line.link_chars += len(text.strip())
        if href and not href.startswith(("#", "javascript:", "mailto:")) and href not in self._shown and text.strip():
            self._shown.add(href)
            buffer.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self._write(data)

    def close(self) -> None:
        super().close()
        self._flush()

    @property
    def unclosed_skip(self) -> bool:
        return bool(self._skip)


def html_to_text(html: str) -> str:
    """Readable text of ``html`` (see the module docstring for what is kept).

    When a boilerplate element never closes (sloppy HTML), skipping it would
    swallow the rest of the page, so the page is read again skipping only
    scripts and styles.
    """
    parser = _Extractor()
    parser.feed(html)
    parser.close()
    if parser.unclosed_skip:
        parser = _Extractor(_RAW)
        parser.feed(html)
        parser.close()
    lines = _drop_link_clouds(parser.lines)
    out = [f"# {_SPACE.sub(' ', parser.title).strip()}"] if parser.title.strip() else []
    for line in lines:
        text = line.text()
        if line.verbatim:
            out.append(f"```\n{text}\n```")
        else:
            out.append(line.prefix + text)
    return "\n".join(out)


def _drop_link_clouds(lines: list[_Line]) -> list[_Line]:
    """Remove runs of ``_MIN_CLOUD`` or more lines that are nothing but link text."""

    def link_only(line: _Line) -> bool:
        text = line.text()
        return not line.verbatim and bool(text) and line.link_chars >= 0.8 * len(re.sub(r" \(\S+\)", "", text))

    out: list[_Line] = []
    run: list[_Line] = []
    for line in [*lines, _Line()]:
        if line.parts and link_only(line):
            run.append(line)
            continue
        if len(run) < _MIN_CLOUD:
            out.extend(run)
        run = []
        if line.parts:
            out.append(line)
    return out


@strict_arguments
class HtmlCompressor:
    """Content compressor for HTML pages and fragments (``name="html"``)."""

    name = NAME

    def compress(self, text: str, ctx: CompressionContext) -> CompressorOutput:
        return _compress(text, ctx)


@never_raises(NAME)
def _compress(text: str, ctx: CompressionContext) -> CompressorOutput:
    extracted = html_to_text(text)
    if not extracted.strip():
        return CompressorOutput.unchanged(text, f"{NAME}: no readable text found")
    before = ctx.count(text)
    dropped = max(0, before - ctx.count(extracted))

    def render(ref: str) -> str:
        return extracted + "\n" + ctx.marker(dropped, "tokens of markup and boilerplate", ref)

    out = render(content_ref(text))
    after = ctx.count(out)
    needed = ctx.config.content.min_savings_ratio
    if after > before * (1.0 - needed):
        return CompressorOutput.unchanged(text, f"{NAME}: extraction saves too little ({before} -> {after} tokens)")
    ref = ctx.stash(text, "text")
    if ref != content_ref(text):
        out = render(ref)
    return CompressorOutput(text=out, modified=True, transform=f"{NAME}:{before}->{after}", refs=(ref,))
