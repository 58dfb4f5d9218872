"""ContentRouter: the right compressor per shape, piecewise on mixed output, fail-open, never inflating."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.base import CompressionContext, CompressorOutput
from headroom_integrations.engine.compressors.detect import ContentType
from headroom_integrations.engine.compressors.router import ContentRouter, PassThrough
from headroom_integrations.engine.errors import ConfigurationError

from ._content_support import MARKER, make_ctx, restore


def _log(n: int = 200, tag: str = "worker") -> str:
    return "".join(
        f"2024-05-01 12:00:{i % 60:02d},{i:03d} INFO [{tag}-{i % 3}] svc.Queue - processed job {9000 + i} "
        f"in {i % 13} ms\n"
        for i in range(n)
    )


def _records(n: int = 60) -> list[dict[str, object]]:
    return [{"id": 1000 + i, "status": "ok", "region": "eu-west-1", "latency_ms": 20 + i % 5} for i in range(n)]


GREP = "".join(f"src/mod_{i % 3}.py:{i + 1}:    call_service(arg_{i}, retries=3, timeout=30)\n" for i in range(90))
DIFF = (
    "diff --git a/a.py b/a.py\nindex 1111111..2222222 100644\n--- a/a.py\n+++ b/a.py\n@@ -1,30 +1,30 @@\n"
    + "".join(f" unchanged context line number {i} of the module\n" for i in range(14))
    + "-old = 1\n+new = 2\n"
    + "".join(f" unchanged context line number {i} after\n" for i in range(15))
)
PYTHON = "\n\n".join(
    f'def handler_{i}(event, context):\n    """Handle event kind {i}."""\n'
    + "".join(f"    step_{k} = transform_{k}(event['payload_{k}'], context)\n" for k in range(8))
    + "    return step_7\n"
    for i in range(12)
)
HTML = (
    "<!DOCTYPE html><html><head><script>var x = 1;</script><style>p{}</style></head><body>"
    + "".join(
        f"<div class='row'><p>Row {i} describes product number {i} in the catalogue.</p></div>" for i in range(60)
    )
    + "</body></html>"
)
CSV = "id,name,region,price,stock\n" + "".join(f"{i},product {i},eu-west-1,{i * 1.5:.2f},{i % 7}\n" for i in range(200))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (json.dumps(_records()), "smart_crusher"),
        (_log(), "log"),
        (GREP, "search"),
        (PYTHON, "code"),
        (DIFF, "diff"),
        (HTML, "html"),
        (CSV, "tabular"),
        ("The committee met on Tuesday and agreed on a plan for the coming year. " * 40, "text"),
    ],
)
def test_route_picks_the_compressor_for_the_shape(text: str, name: str) -> None:
    assert ContentRouter().route(text).name == name


def test_binary_and_empty_route_to_pass_through_and_stay_unchanged() -> None:
    router = ContentRouter()
    ctx = make_ctx()
    for text, kind in (("\x00\x01\x02\x03" * 400, "binary"), ("", "empty"), ("   \n", "empty")):
        assert isinstance(router.route(text), PassThrough)
        out = router.compress(text, ctx)
        assert not out.modified and out.text == text and kind in (out.reason or "")


def test_mixed_output_is_compressed_piecewise_and_frames_stay_verbatim() -> None:
    store = CompressionStore()
    blob = json.dumps({"results": _records(80)}, indent=2)
    text = "<returncode>0</returncode>\n<output>\n" + _log(150) + blob + "\n" + _log(150, tag="reaper") + "</output>"
    ctx = make_ctx("which jobs were slow?", store)
    out = ContentRouter().compress(text, ctx, hint="bash")
    assert out.modified and out.transform and out.transform.startswith("router[")
    assert "log:" in out.transform and "smart_crusher:" in out.transform
    assert out.text.startswith("<returncode>0</returncode>\n<output>\n") and out.text.endswith("</output>")
    assert ctx.count(out.text) < ctx.count(text) * 0.5
    # The log pieces keep their first and last lines verbatim around the crushed JSON.
    assert _log(150).splitlines()[0] in out.text and _log(150, tag="reaper").splitlines()[-1] in out.text
    assert all(ref in store for ref in out.refs)


def test_header_line_then_json_body() -> None:
    body = json.dumps(_records(80), indent=2)
    text = "HTTP/1.1 200 OK\ncontent-type: application/json\n\n" + body + "\n"
    out = ContentRouter().compress(text, make_ctx())
    assert out.modified and out.text.startswith("HTTP/1.1 200 OK\ncontent-type: application/json\n\n")
    assert out.transform and out.transform.startswith("smart_crusher:")


def test_log_markers_resolve_through_the_store() -> None:
    store = CompressionStore()
    text = _log(300)
    out = ContentRouter().compress(text, make_ctx(store=store), hint="log_reader")
    assert MARKER.search(out.text)
    assert restore(out.text, store) == text


def test_respects_enabled_and_min_tokens() -> None:
    router = ContentRouter()
    text = _log(300)
    out = router.compress(text, make_ctx(enabled=False))
    assert not out.modified and "disabled" in (out.reason or "")
    out = router.compress(text, make_ctx(min_tokens_to_compress=100_000))
    assert not out.modified and "min_tokens_to_compress" in (out.reason or "")


def test_small_numbered_excerpt_passes_through_whole() -> None:
    listing = "".join(f"{n:6d}\t    value_{n} = compute(value_{n - 1}, factor={n})\n" for n in range(200, 260))
    out = ContentRouter().compress(listing, make_ctx())
    assert not out.modified and out.text == listing and "numbered excerpt" in (out.reason or "")


class _Exploding:
    name = "exploding"

    def compress(self, text: str, ctx: CompressionContext) -> CompressorOutput:
        raise RuntimeError("compressor bug")


class _Padding:
    """Claims a change but saves almost nothing: the router must refuse it."""

    name = "padding"

    def compress(self, text: str, ctx: CompressionContext) -> CompressorOutput:
        return CompressorOutput(text=text[:-2], modified=True, transform="padding:1->1")


def test_a_compressor_that_raises_fails_open() -> None:
    text = _log(300)
    router = ContentRouter(compressors={ContentType.LOG: _Exploding()})
    out = router.compress(text, make_ctx())
    assert not out.modified and out.text == text and "failed open" in (out.reason or "")


def test_no_net_savings_returns_the_original() -> None:
    text = _log(300)
    out = ContentRouter(compressors={ContentType.LOG: _Padding()}).compress(text, make_ctx())
    assert not out.modified and out.text == text and out.reason == "no net savings"


def test_compressors_override_is_validated() -> None:
    with pytest.raises(ConfigurationError):
        ContentRouter(compressors={"log": _Padding()})  # type: ignore[dict-item]


def test_deterministic() -> None:
    text = "<output>\n" + _log(200) + json.dumps(_records(50), indent=2) + "\n</output>\n"
    first = ContentRouter().compress(text, make_ctx("job 9010"))
    second = ContentRouter().compress(text, make_ctx("job 9010"))
    assert first.text == second.text and first.refs == second.refs


def test_non_text_input_fails_open() -> None:
    out = ContentRouter().compress(b"bytes", make_ctx())  # type: ignore[arg-type]
    assert not out.modified and out.text == b"bytes"


_PIECES = st.sampled_from(
    [
        _log(40),
        json.dumps(_records(10), indent=2) + "\n",
        GREP[:2000],
        "<output>\n",
        "</output>\n",
        PYTHON[:1500],
        "plain words here\n",
        "\n",
    ]
)


@settings(max_examples=25, deadline=None)
@given(st.lists(_PIECES, max_size=8), st.sampled_from([None, "bash", "ci_log"]))
def test_never_inflates(pieces: list[str], hint: str | None) -> None:
    text = "".join(pieces)
    ctx = make_ctx("job")
    out = ContentRouter().compress(text, ctx, hint=hint)
    assert ctx.count(out.text) <= ctx.count(text)
    if not out.modified:
        assert out.text == text
