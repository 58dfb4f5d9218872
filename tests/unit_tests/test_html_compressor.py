"""HtmlCompressor: readable text and structure stay, markup and boilerplate go, the page is stashed."""

from __future__ import annotations

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.html import HtmlCompressor, html_to_text

from ._content_support import MARKER, assert_store_independent, make_ctx

_NAV = "".join(f'<li><a href="/section/{k}">Section {k}</a></li>' for k in range(30))
_PAGE = f"""<!DOCTYPE html>
<html><head><title>Release 2.4 &amp; notes</title>
<meta charset="utf-8"><link rel="stylesheet" href="/s.css">
<style>.x {{ color: red }} body {{ margin: 0 }}</style>
<script>window.track = function() {{ return "<p>not content</p>"; }};</script></head>
<body>
<header><div class="logo">ACME</div><nav><ul>{_NAV}</ul></nav></header>
<main>
<h1>Release 2.4</h1>
<p>This release fixes the <a href="https://example.com/issues/481">startup crash</a> and makes imports
   <b>twice as fast</b>. See <a href="https://example.com/issues/481">the issue</a> for details.</p>
<h2>Changes</h2>
<ul><li>Fixed <code>parse_config()</code> on empty files</li>
<li>New option <em>retry_limit</em><ol><li>default 3</li><li>max 10</li></ol></li></ul>
<table><thead><tr><th>Setting</th><th>Default</th></tr></thead>
<tbody><tr><td>timeout</td><td>30 s</td></tr><tr><td>retry_limit</td><td>3</td></tr></tbody></table>
<pre>def load(path):
    with open(path) as f:
        return   f.read()
</pre>
<div hidden>internal build id 0xdeadbeef</div>
<span style="display:none">tracking pixel text</span>
<!-- TODO remove this comment -->
<div class="related"><a href="/a">Alpha</a></div><div><a href="/b">Beta</a></div>
<div><a href="/c">Gamma</a></div><div><a href="/d">Delta</a></div><div><a href="/e">Epsilon</a></div>
<p>Tom &amp; Jerry&nbsp;approve.<br>Second line.</p>
</main>
<aside>Sponsored: buy things</aside>
<footer><p>Copyright 2026</p><a href="/legal">Legal</a></footer>
<svg><text>vector label</text></svg>
</body></html>
"""


def test_extracts_structure_and_drops_boilerplate() -> None:
    text = html_to_text(_PAGE)
    lines = text.splitlines()
    assert lines[0] == "# Release 2.4 & notes"
    assert "# Release 2.4" in lines and "## Changes" in lines
    assert (
        "This release fixes the startup crash (https://example.com/issues/481) and makes imports "
        "twice as fast. See the issue for details." in lines
    )  # in-content link shown once
    assert "- Fixed `parse_config()` on empty files" in lines
    assert "  1. default 3" in lines and "  2. max 10" in lines
    assert "Setting | Default" in lines and "retry_limit | 3" in lines
    assert "def load(path):\n    with open(path) as f:\n        return   f.read()" in text  # pre verbatim
    assert "Tom & Jerry approve." in lines and "Second line." in lines
    for gone in (
        "color: red",
        "not content",
        "Section 7",
        "ACME",
        "0xdeadbeef",
        "tracking pixel",
        "TODO",
        "Sponsored",
        "Copyright",
        "vector label",
        "Alpha",
        "Epsilon",
    ):
        assert gone not in text, gone


def test_original_page_is_stashed_and_output_is_smaller() -> None:
    store = CompressionStore()
    ctx = make_ctx("what did 2.4 fix", store=store)
    out = HtmlCompressor().compress(_PAGE, ctx)
    assert out.modified and (out.transform or "").startswith("html:")
    assert ctx.count(out.text) < ctx.count(_PAGE) * 0.6
    markers = list(MARKER.finditer(out.text))
    assert len(markers) == 1 and markers[0].group(3) in out.refs
    assert store.retrieve(markers[0].group(3)) == _PAGE


def test_unclosed_boilerplate_does_not_swallow_the_page() -> None:
    page = "<html><body><nav><a href='/'>Home</a>" + "<p>Important paragraph about the outage.</p>" * 3
    assert "Important paragraph about the outage." in html_to_text(page)


def test_non_html_and_empty_input_are_unchanged() -> None:
    for text in ("", "plain words only, nothing to strip " * 20):
        out = HtmlCompressor().compress(text, make_ctx(""))
        assert not out.modified and out.text == text and out.reason


def test_malformed_markup_fails_open_or_extracts() -> None:
    for text in ("<div><p>unclosed <b>bold <i>italic" * 100, "<<<>>>" * 500, "<a href=" + "x" * 10000):
        out = HtmlCompressor().compress(text, make_ctx(""))
        assert isinstance(out.text, str)
        if not out.modified:
            assert out.text == text and out.reason


def test_deterministic() -> None:
    assert_store_independent(HtmlCompressor(), _PAGE)
