"""CodeCompressor: outline and relevant bodies stay verbatim, Python still parses, numbers survive."""

from __future__ import annotations

import ast
import keyword

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.code import CodeCompressor, compress_code

from ._content_support import MARKER, kept_lines_in_order, make_ctx, restore


def _function(name: str, lines: int, *, doc_lines: int = 0, decorator: str = "", indent: str = "") -> str:
    out = [f"{indent}{decorator}\n"] if decorator else []
    out.append(f"{indent}def {name}(value: int, *, scale: float = 1.5) -> int:\n")
    if doc_lines:
        out.append(f'{indent}    """Compute {name} for one value.\n')
        out.extend(f"{indent}    Detail line {k} about {name} and its scaling rules.\n" for k in range(doc_lines))
        out.append(f'{indent}    """\n')
    for k in range(lines):
        out.append(f"{indent}    total_{k} = value * {k} + int(scale * {k})  # step {k} of {name}\n")
    out.append(f"{indent}    return total_{lines - 1}\n")
    return "".join(out)


def _module() -> str:
    parts = [
        '"""Billing helpers.\n\nThey compute invoices.\nLong description line one.\nLine two.\n"""\n',
        "import os\nfrom decimal import Decimal\n\nRATE = Decimal('0.19')\n\n\n",
        _function("compute_tax", 12, doc_lines=4, decorator="@cache"),
        "\n\n",
        _function("render_invoice", 14),
        '\n\nclass Ledger:\n    """A ledger of entries."""\n\n    currency = \'EUR\'\n\n',
        _function("add_entry", 10, indent="    "),
        "\n",
        _function("close_period", 16, doc_lines=3, decorator="@staticmethod", indent="    "),
    ]
    return "".join(parts)


def test_python_keeps_outline_and_the_named_body_and_still_parses() -> None:
    source = _module()
    store = CompressionStore()
    out = compress_code(source, make_ctx("Why does close_period return the wrong total?", store=store))
    assert out.modified and (out.transform or "").startswith("code:")
    ast.parse(out.text)
    # the outline stays
    for line in (
        "import os",
        "RATE = Decimal('0.19')",
        "@cache",
        "def compute_tax(",
        "class Ledger:",
        "    @staticmethod",
        "    def add_entry(",
        "    currency = 'EUR'",
        '    """Compute compute_tax for one value.',
    ):
        assert line in out.text
    # the body the query names stays whole; others are elided with `...` markers
    assert "    total_15 = value * 15 + int(scale * 15)  # step 15 of close_period" in out.text
    assert "step 3 of render_invoice" not in out.text
    assert "    ...  # [... " in out.text
    assert kept_lines_in_order(out.text, source)
    assert make_ctx().count(out.text) < make_ctx().count(source)
    assert restore(out.text, store) == source
    assert set(out.refs) == {m.group(3) for m in MARKER.finditer(out.text)}


def test_without_a_query_only_the_outline_stays() -> None:
    source = _module()
    out = CodeCompressor().compress(source, make_ctx(""))
    assert out.modified
    ast.parse(out.text)
    assert "total_3 =" not in out.text
    assert all(f"def {n}(" in out.text for n in ("compute_tax", "render_invoice", "add_entry", "close_period"))


def test_output_is_deterministic_and_identical_with_or_without_a_store() -> None:
    source = _module()
    query = "render_invoice rounding"
    first = compress_code(source, make_ctx(query))
    second = compress_code(source, make_ctx(query, store=CompressionStore()))
    assert first.text == second.text
    assert first.refs == second.refs


def test_small_or_empty_inputs_are_returned_unchanged_with_a_reason() -> None:
    tiny = "def f():\n    return 1\n"
    for text in (tiny, "", "   \n"):
        out = compress_code(text, make_ctx("f"))
        assert not out.modified and out.text == text and out.reason


def test_binary_and_malformed_input_fail_open() -> None:
    for text in ("\x00\x01\x02def (((\n" * 50, "def f(:\n" + "    x = [\n" * 300, "}" * 5000 + "{" * 5000):
        out = compress_code(text, make_ctx("f"))
        assert isinstance(out.text, str)
        if not out.modified:
            assert out.text == text and out.reason


def test_python_with_syntax_errors_uses_indentation() -> None:
    source = _module().replace("RATE = Decimal('0.19')", "RATE = Decimal('0.19'")  # unbalanced: no ast
    store = CompressionStore()
    out = compress_code(source, make_ctx("compute_tax", store=store))
    assert out.modified
    assert "step 11 of compute_tax" in out.text and "step 5 of render_invoice" not in out.text
    assert restore(out.text, store) == source


def _numbered(source: str, first: int = 1) -> str:
    return "".join(f"{n:6d}\t{line}" for n, line in enumerate(source.splitlines(keepends=True), first))


def test_cat_n_listing_keeps_its_numbers_verbatim() -> None:
    source = _module()
    listing = _numbered(source, first=120)
    store = CompressionStore()
    out = compress_code(listing, make_ctx("add_entry fails for negative values", store=store))
    assert out.modified
    assert kept_lines_in_order(out.text, listing)
    for line in out.text.splitlines():
        assert MARKER.search(line) or line.split("\t")[0].strip().isdigit()
    named = [ln for ln in listing.splitlines() if "of add_entry" in ln]
    assert named and all(ln in out.text.splitlines() for ln in named)
    assert restore(out.text, store) == listing


def test_grep_n_fragments_with_separators() -> None:
    body = "".join(f"{n}:        value_{n} = compute(value_{n - 1}, factor={n})\n" for n in range(11, 40))
    fragment = (
        '8:    def refresh(self):\n9:        """Reload."""\n10:        value_10 = 0\n'
        + body
        + "--\n"
        + "".join(f"{n}-        other_{n} = call({n})\n" for n in range(200, 230))
    )
    store = CompressionStore()
    out = compress_code(fragment, make_ctx("unrelated question", store=store), language="python")
    assert out.modified
    assert "8:    def refresh(self):" in out.text and "\n--\n" in out.text
    assert kept_lines_in_order(out.text, fragment)
    assert restore(out.text, store) == fragment


_JS = """import { db } from './db.js';

export async function loadUser(id) {
  const row = await db.query('SELECT * FROM users WHERE id = $1', [id]);
  if (!row) {
    throw new Error(`user ${id} not found`);
  }
  const profile = normalise(row.profile);
  const roles = row.roles.map((r) => r.name);
  const settings = JSON.parse(row.settings || '{}');
  return { ...row, profile, roles, settings };
}

function normalise(profile) {
  const out = {};
  for (const key of Object.keys(profile)) {
    out[key.toLowerCase()] = String(profile[key]).trim();
  }
  out.updatedAt = new Date().toISOString();
  out.source = 'db';
  out.version = 3;
  return out;
}

class Cache {
  constructor(limit) {
    this.limit = limit;
    this.items = new Map();
    this.hits = 0;
    this.misses = 0;
    this.evictions = 0;
  }

  get(key) {
    if (this.items.has(key)) {
      this.hits += 1;
      return this.items.get(key);
    }
    this.misses += 1;
    return undefined;
  }
}
"""

_GO = """package store

import "errors"

// ErrMissing is returned for unknown keys.
var ErrMissing = errors.New("missing")

func (s *Store) Get(key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	value, ok := s.data[key]
	if !ok {
		return "", ErrMissing
	}
	s.hits++
	s.lastKey = key
	s.log.Printf("get %s -> %d bytes", key, len(value))
	return value, nil
}

func (s *Store) Put(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		s.data = map[string]string{}
	}
	s.data[key] = value
	s.writes++
	s.log.Printf("put %s (%d bytes)", key, len(value))
}
"""


def test_brace_languages_elide_bodies_and_keep_closing_braces() -> None:
    for source, language, named, elided in (
        (_JS, "javascript", "this.misses += 1;", "out.source = 'db';"),
        (_GO, "go", "s.hits++", "s.writes++"),
    ):
        store = CompressionStore()
        query = "get returns stale values" if language == "javascript" else "Get returns ErrMissing too often"
        out = compress_code(source, make_ctx(query, store=store), language=language)
        assert out.modified, out.reason
        assert named in out.text and elided not in out.text
        assert "// [... " in out.text
        assert kept_lines_in_order(out.text, source)
        assert restore(out.text, store) == source


def test_language_is_detected_when_not_given() -> None:
    out = CodeCompressor().compress(_GO, make_ctx("Put"))
    assert out.modified and "s.writes++" in out.text and "s.hits++" not in out.text


# --- property: any small generated module stays valid Python and restores exactly -----------------

_names = st.from_regex(r"[a-z][a-z_]{2,9}", fullmatch=True).filter(lambda s: not keyword.iskeyword(s))


@st.composite
def _modules(draw: st.DrawFn) -> tuple[str, str]:
    names = draw(st.lists(_names, min_size=1, max_size=5, unique=True))
    parts = ["import math\n\n"]
    for n, name in enumerate(names):
        in_class = draw(st.booleans())
        indent = "    " if in_class else ""
        if in_class:
            parts.append(f"class C{n}:\n")
            if draw(st.booleans()):
                parts.append('    """Class doc."""\n')
        parts.append(
            _function(
                name,
                draw(st.integers(1, 15)),
                doc_lines=draw(st.integers(0, 5)),
                decorator=draw(st.sampled_from(["", "@property", "@decorate(1, 2)"])),
                indent=indent,
            )
        )
        parts.append("\n")
    query = " ".join(draw(st.lists(st.sampled_from(names), max_size=2)))
    return "".join(parts), query


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_modules())
def test_generated_modules_parse_restore_and_never_grow(case: tuple[str, str]) -> None:
    source, query = case
    ast.parse(source)
    store = CompressionStore()
    ctx = make_ctx(query, store=store)
    out = compress_code(source, ctx)
    ast.parse(out.text)
    assert ctx.count(out.text) <= ctx.count(source)
    assert kept_lines_in_order(out.text, source)
    assert restore(out.text, store) == source
    assert compress_code(source, make_ctx(query)).text == out.text


def test_bodies_opening_with_a_decorated_function_still_parse() -> None:
    inner = "".join(f"        step_{k} = func(*args, **kwargs) + {k}\n" for k in range(12))
    source = (
        "import functools\n\n\ndef traced(func):\n"
        "    @functools.wraps(func)\n    def wrapper(*args, **kwargs):\n"
        + inner
        + "        return step_11\n\n    return wrapper\n\n\ndef other():\n    return 1\n"
    )
    store = CompressionStore()
    out = compress_code(source, make_ctx("", store=store))
    assert out.modified
    ast.parse(out.text)
    assert "@functools.wraps(func)" not in out.text  # the decorator went with the body it belongs to
    assert restore(out.text, store) == source


def test_a_module_wrapper_function_is_opened_not_elided() -> None:
    functions = "".join(
        f"  function helper{k}(x) {{\n"
        + "".join(f"    x = x * {j} + {k};\n" for j in range(8))
        + "    return x;\n  }\n\n"
        for k in range(6)
    )
    source = "(function () {\n  'use strict';\n\n" + functions + "  window.api = { helper0 };\n})();\n"
    out = compress_code(source, make_ctx(""), language="javascript")
    assert out.modified
    assert "(function () {" in out.text and "window.api = { helper0 };" in out.text
    assert all(f"function helper{k}(x) {{" in out.text for k in range(6))
    assert "x = x * 3 + 2;" not in out.text
