"""Where the elidable parts of source code are: function bodies and long docstrings.

Three finders share one result type, :class:`Block`:

* :func:`python_ast_blocks` — exact, via :mod:`ast`, for whole Python modules;
  every cut it proposes keeps the module parseable once the body is replaced
  by ``...`` (docstring interiors stay inside their string literal).
* :func:`indent_blocks` — Python fragments (``sed -n`` ranges, tracebacks' files)
  by ``def``/``class`` headers and indentation.
* :func:`brace_blocks` — C-family languages (JS/TS, Java, Go, Rust, C/C++, C#,
  shell functions) by signature shape and brace matching that skips strings
  and comments.

A fragment that starts inside a body (no header in view) yields an unnamed
block for that leading run, so it can be elided like any other body.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Block", "Cut", "brace_blocks", "indent_blocks", "python_ast_blocks"]

Lines = Sequence[str | None]


@dataclass(frozen=True)
class Cut:
    """Lines ``[start, end)`` that may be elided; ``doc`` cuts lie inside a string literal."""

    start: int
    end: int
    indent: str
    doc: bool = False


@dataclass(frozen=True)
class Block:
    """One definition: its name ("" when unknown), full line span and elidable cuts."""

    name: str
    start: int
    end: int
    cuts: tuple[Cut, ...]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _depth(line: str) -> int:
    return len(_indent(line).expandtabs(8))


# --- Python, exact (ast) -------------------------------------------------------------------------

_DOC_OPEN = re.compile(r"\s*[rRuU]?(\"\"\"|''')")
_MIN_DOC_LINES = 4


def _first_line(node: ast.stmt) -> int:
    """1-based first line of ``node``, its decorators included."""
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno


def _starts_line(node: ast.stmt, lines: Sequence[str]) -> bool:
    """True when only whitespace precedes ``node`` on its first line (col_offset counts UTF-8 bytes)."""
    if getattr(node, "decorator_list", None):
        return lines[_first_line(node) - 1].lstrip().startswith("@")
    line = lines[node.lineno - 1].encode("utf-8", "surrogatepass")
    return not line[: node.col_offset].strip()


def _docstring(body: Sequence[ast.stmt]) -> ast.Expr | None:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def _doc_cut(first: int, last: int, lines: Sequence[str | None]) -> Cut | None:
    """Interior of a triple-quoted docstring on lines ``first..last``; summary and closing lines stay."""
    opening = lines[first]
    if opening is None or last - first + 1 < _MIN_DOC_LINES:
        return None
    m = _DOC_OPEN.match(opening)
    closing = lines[last]
    if m is None or closing is None or not closing.rstrip().endswith(m.group(1)):
        return None
    if any(line is None or m.group(1) in line for line in lines[first + 1 : last]):
        return None  # not one plain literal (implicit concatenation, odd quoting)
    summary = first + 1 if not opening[m.end() :].strip() else first
    if last - (summary + 1) < 2:
        return None
    return Cut(summary + 1, last, _indent(opening), doc=True)


def _ast_doc_cut(node: ast.Expr | None, lines: Sequence[str]) -> tuple[Cut, ...]:
    if node is None or node.end_lineno is None:
        return ()
    cut = _doc_cut(node.lineno - 1, node.end_lineno - 1, lines)
    return (cut,) if cut else ()


def _ast_function(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: Sequence[str]) -> Block:
    start = _first_line(node) - 1
    end = node.end_lineno or node.lineno
    doc = _docstring(node.body)
    cuts = list(_ast_doc_cut(doc, lines))
    rest = node.body[1:] if doc else node.body
    if rest and _starts_line(rest[0], lines) and (doc is None or _first_line(rest[0]) > (doc.end_lineno or 0)):
        first = (doc.end_lineno or 0) if doc else _first_line(rest[0]) - 1
        cuts.append(Cut(first, end, _indent(lines[_first_line(rest[0]) - 1])))
    return Block(node.name, start, end, tuple(cuts))


def _ast_walk(stmts: Iterable[ast.stmt], lines: Sequence[str], out: list[Block]) -> None:
    for node in stmts:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append(_ast_function(node, lines))
        elif isinstance(node, ast.ClassDef):
            cuts = _ast_doc_cut(_docstring(node.body), lines)
            if cuts:
                out.append(Block(node.name, node.lineno - 1, node.end_lineno or node.lineno, cuts))
            _ast_walk(node.body, lines, out)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith, getattr(ast, "TryStar", ast.Try))):
            for field in ("body", "orelse", "finalbody"):
                _ast_walk(getattr(node, field, ()), lines, out)
            for handler in getattr(node, "handlers", ()):
                _ast_walk(handler.body, lines, out)


def python_ast_blocks(lines: Sequence[str]) -> list[Block] | None:
    """Blocks of a whole Python module, or None when it does not parse."""
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    out: list[Block] = []
    cuts = _ast_doc_cut(_docstring(tree.body), lines)
    if cuts:
        out.append(Block("", 0, cuts[0].end + 1, cuts))
    _ast_walk(tree.body, lines, out)
    return sorted(out, key=lambda b: b.start)


# --- Python fragments (indentation) --------------------------------------------------------------

_PY_HEADER = re.compile(r"(\s*)(?:async\s+)?(def|class)\s+(\w+)")
_MAX_HEADER_LINES = 40


def _header_end(lines: Lines, i: int) -> int | None:
    """Index of the line closing a ``def``/``class`` header (``:`` at bracket depth 0)."""
    depth = 0
    for j in range(i, min(len(lines), i + _MAX_HEADER_LINES)):
        line = lines[j]
        if line is None:
            return None
        code = _strip_code(line, "python")
        depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
        if depth <= 0 and code.rstrip().endswith(":"):
            return j
    return None


def _indented_end(lines: Lines, start: int, depth: int) -> int:
    """End (exclusive) of the run from ``start`` indented deeper than ``depth``; trailing blanks excluded."""
    end = start
    for j in range(start, len(lines)):
        line = lines[j]
        if line is None:
            break
        if not line.strip():
            continue
        if _depth(line) <= depth:
            break
        end = j + 1
    return end


def _indent_doc(lines: Lines, first: int, end: int) -> tuple[Cut | None, int]:
    """A docstring opening the body at ``first``: its interior cut and the line after it."""
    line = lines[first] if first < end else None
    m = _DOC_OPEN.match(line) if line is not None else None
    if line is None or m is None:
        return None, first
    quote = m.group(1)
    if quote in line[m.end() :]:
        return None, first + 1
    for j in range(first + 1, end):
        other = lines[j]
        if other is not None and quote in other:
            return _doc_cut(first, j, lines), j + 1
    return None, first


def _decorated_start(lines: Lines, i: int, depth: int) -> int:
    start = i
    while start > 0:
        prev = lines[start - 1]
        if prev is None or not prev.lstrip().startswith("@") or _depth(prev) != depth:
            break
        start -= 1
    return start


def indent_blocks(lines: Lines) -> list[Block]:
    """Blocks of Python text that need not parse (fragments, numbered listings)."""
    out: list[Block] = []
    headers: list[int] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _PY_HEADER.match(line) if line is not None else None
        end_of_header = _header_end(lines, i) if m else None
        if line is None or m is None or end_of_header is None:
            i += 1
            continue
        headers.append(i)
        depth = _depth(line)
        body_end = _indented_end(lines, end_of_header + 1, depth)
        if m.group(2) == "class":
            doc, _ = _indent_doc(lines, _next_code(lines, end_of_header + 1, body_end), body_end)
            if doc:
                out.append(Block(m.group(3), i, body_end, (doc,)))
            i = end_of_header + 1
            continue
        first = _next_code(lines, end_of_header + 1, body_end)
        doc, after = _indent_doc(lines, first, body_end)
        cuts = [doc] if doc else []
        rest = _next_code(lines, after, body_end)
        if rest < body_end:
            cuts.append(Cut(after, body_end, _indent(lines[rest] or "")))
        out.append(Block(m.group(3), _decorated_start(lines, i, depth), body_end, tuple(cuts)))
        i = max(body_end, i + 1)
    return _with_orphans(lines, out, headers)


def _next_code(lines: Lines, start: int, end: int) -> int:
    """First non-blank line in ``[start, end)`` (``end`` when none)."""
    for j in range(start, end):
        line = lines[j]
        if line is None or line.strip():
            return j
    return end


def _with_orphans(lines: Lines, blocks: list[Block], headers: Sequence[int]) -> list[Block]:
    """Add an unnamed block for each indented run that opens a fragment before any header."""
    header_set = set(headers)
    covered = [False] * len(lines)
    for block in blocks:
        for j in range(block.start, block.end):
            covered[j] = True
    out = list(blocks)
    j = 0
    while j < len(lines):
        seg_start = j
        while j < len(lines) and lines[j] is not None:
            j += 1
        first = _next_code(lines, seg_start, j)
        line = lines[first] if first < j else None
        if line is not None and _depth(line) > 0 and not covered[first] and first not in header_set:
            end = first
            for k in range(first, j):
                text = lines[k] or ""
                if k in header_set or covered[k] or (text.strip() and _depth(text) == 0):
                    break
                if text.strip():
                    end = k + 1
            if end > first:
                out.append(Block("", first, end, (Cut(first, end, _indent(line)),)))
        j += 1
    return sorted(out, key=lambda b: b.start)


# --- C-family (braces) ---------------------------------------------------------------------------

_CONTROL = frozenset(
    "if else for while switch catch do try finally return synchronized with foreach using lock unsafe "
    "loop match select case default new throw await yield sizeof typeof".split()
)
_CONTAINER = re.compile(
    r"^(?:[\w@.<>\[\]\s]*\s)?(?:class|interface|struct|enum|impl|trait|namespace|module|object|mod|union|"
    r"extension|protocol|record)\b[^=(]*\{$"
)
# a parameter list closes, then optional qualifiers / return type, then the body opens
_SIGNATURE = re.compile(
    r"\)\s*(?:(?:const|override|final|noexcept|async|mut)\s*)*(?:throws\s+[\w.,\s]+|->\s*[^{;]+|:\s*[^{;=]+|"
    r"where\s+[^{;]+|\([^{;]*\)|[\w.*<>\[\]]+)?\s*\{$|=>\s*\{$"
)
_CALLEE = re.compile(r"([A-Za-z_$][\w$]*)\s*(?:<[^<>()]*>)?\s*\(")
_NOT_NAMES = frozenset(("func", "function", "fn", "async"))
_ASSIGNED = re.compile(r"([A-Za-z_$][\w$]*)\s*[:=]\s*(?:async\s*)?(?:function\b|\()")
_STRING_RE = {
    "default": re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|`(?:\\.|[^`\\])*`"),
    "rust": re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\]){1,2}'"),
    "python": re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'"),
}
_COMMENT_RE = {"python": re.compile(r"#.*"), "shell": re.compile(r"(?:^|\s)#.*")}
_LINE_COMMENT = re.compile(r"//.*")
_MAX_SIGNATURE_LINES = 6
# A function spanning more than this share of the text wraps the module; its inner functions are the blocks.
_WRAPPER_SHARE = 0.5


def _strip_code(line: str, language: str | None) -> str:
    """``line`` without string literals and line comments (block comments are handled by the caller)."""
    text = _STRING_RE.get(language or "", _STRING_RE["default"]).sub('""', line)
    return _COMMENT_RE.get(language or "", _LINE_COMMENT).sub("", text)


def _scrub(lines: Lines, language: str | None) -> list[str | None]:
    """Every line stripped of strings and comments, block comments included."""
    out: list[str | None] = []
    in_block = False
    for line in lines:
        if line is None:
            out.append(None)
            in_block = False
            continue
        text = line
        if in_block:
            close = text.find("*/")
            if close < 0:
                out.append("")
                continue
            text, in_block = text[close + 2 :], False
        text = _strip_code(text, language)
        while "/*" in text and language not in ("python", "shell"):
            head, _, tail = text.partition("/*")
            close = tail.find("*/")
            if close < 0:
                text, in_block = head, True
                break
            text = head + " " + tail[close + 2 :]
        out.append(text)
    return out


def _statement(scrubbed: Sequence[str | None], i: int) -> tuple[str, int]:
    """The statement ending at line ``i`` (back to a ``;``, ``{`` or ``}``) and its first line."""
    parts = [(scrubbed[i] or "").strip()]
    first = i
    for j in range(i - 1, max(-1, i - _MAX_SIGNATURE_LINES), -1):
        prev = (scrubbed[j] or "").strip()
        if scrubbed[j] is None or not prev or prev[-1] in ";{}" or prev.startswith(("@", "#", "[")):
            break
        parts.insert(0, prev)
        first = j
    return " ".join(parts), first


def _function_name(statement: str) -> str | None:
    """The defined name when ``statement`` (ending in ``{``) opens a function body, else None."""
    statement = statement.lstrip("} \t")
    first = re.match(r"[A-Za-z_$]+", statement)
    if first and first.group(0) in _CONTROL:
        return None
    if _CONTAINER.match(statement) or not _SIGNATURE.search(statement):
        return None
    for call in _CALLEE.finditer(statement):
        if call.group(1) not in _CONTROL and call.group(1) not in _NOT_NAMES:
            return call.group(1)
    assigned = _ASSIGNED.search(statement)
    return assigned.group(1) if assigned else ""


def _matching_close(scrubbed: Sequence[str | None], i: int) -> int:
    """Line of the brace closing the block opened at the end of line ``i`` (segment end if cut off)."""
    depth = 0
    for j in range(i, len(scrubbed)):
        text = scrubbed[j]
        if text is None:
            return j
        for ch in text:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return j
    return len(scrubbed)


def brace_blocks(lines: Lines, language: str | None) -> list[Block]:
    """Function blocks of brace-delimited code; bodies end before the closing-brace line."""
    scrubbed = _scrub(lines, language)
    out: list[Block] = []
    headers: list[int] = []
    i = 0
    while i < len(lines):
        text = (scrubbed[i] or "").strip()
        name: str | None = None
        if text == "{" and i > 0 and scrubbed[i - 1]:  # brace on its own line (Allman style)
            statement, first_line = _statement(scrubbed, i - 1)
            name = _function_name(statement + " {")
        elif text.endswith("{"):
            statement, first_line = _statement(scrubbed, i)
            name = _function_name(statement)
        if name is None:
            i += 1
            continue
        close = _matching_close(scrubbed, i)
        if close - i > _WRAPPER_SHARE * len(lines):
            i += 1  # a module wrapper (IIFE, define(...)): look inside it instead
            continue
        headers.append(i)
        first = _next_code(lines, i + 1, close)
        if first < close:
            cut = Cut(i + 1, close, _indent(lines[first] or ""))
            out.append(Block(name, first_line, min(close + 1, len(lines)), (cut,)))
        i = max(close, i + 1)
    return _with_orphans(lines, out, headers)
