"""TabularCompressor: header, edges, query rows, errors, outliers and rare values stay verbatim."""

from __future__ import annotations

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.tabular import TabularCompressor

from ._content_support import MARKER, assert_store_independent, kept_lines_in_order, make_ctx, restore


def _csv(delimiter: str = ",") -> str:
    rows = [delimiter.join(["id", "host", "region", "latency_ms", "status"])]
    for i in range(300):
        region = "ap-south" if i == 77 else ("eu-west" if i % 2 else "us-east")
        latency = 9000 if i == 150 else 100 + (i * 7) % 13
        status = "error: upstream timeout" if i == 120 else "ok"
        rows.append(delimiter.join([str(i), f"host-{i:03d}", region, str(latency), status]))
    return "\n".join(rows) + "\n"


def test_csv_keeps_the_rows_that_matter() -> None:
    text = _csv()
    store = CompressionStore()
    ctx = make_ctx("what happened on host-042?", store=store)
    out = TabularCompressor().compress(text, ctx)
    assert out.modified and (out.transform or "").startswith("tabular:")
    lines = out.text.splitlines()
    for row in (
        "id,host,region,latency_ms,status",
        "0,host-000,us-east,100,ok",
        "299,host-299,eu-west,100,ok",
        "42,host-042,us-east,108,ok",
        "120,host-120,us-east,108,error: upstream timeout",
        "150,host-150,us-east,9000,ok",
        "77,host-077,ap-south,106,ok",
    ):
        assert row in lines, row
    assert "200,host-200,us-east,101,ok" not in lines
    assert kept_lines_in_order(out.text, text)
    assert restore(out.text, store) == text
    assert ctx.count(out.text) < 0.2 * ctx.count(text)
    assert all(m.group(2) == "rows" for m in MARKER.finditer(out.text))


def test_tsv_and_row_budget() -> None:
    text = _csv("\t")
    out = TabularCompressor().compress(text, make_ctx("", table_max_rows=6))
    kept_rows = [ln for ln in out.text.splitlines()[1:] if not MARKER.search(ln)]
    assert len(kept_rows) <= 6
    assert "120\thost-120\tus-east\t108\terror: upstream timeout" in kept_rows


def test_quoted_multiline_records_stay_whole() -> None:
    rows = ["id,note,value"] + [f'{i},"line one of {i}\nline two of {i}",{i % 5}' for i in range(60)]
    text = "\n".join(rows) + "\n"
    store = CompressionStore()
    out = TabularCompressor().compress(text, make_ctx("", store=store))
    assert out.modified
    for i in range(60):
        assert (f'{i},"line one of {i}' in out.text) == (f'line two of {i}"' in out.text)
    assert restore(out.text, store) == text


def test_markdown_and_aligned_tables() -> None:
    markdown = "| name | size |\n|------|------|\n" + "".join(f"| file_{i}.txt | {i * 10} |\n" for i in range(80))
    out = TabularCompressor().compress(markdown, make_ctx("file_33.txt"))
    assert out.modified
    assert out.text.startswith("| name | size |\n|------|------|\n| file_0.txt | 0 |")
    assert "| file_33.txt | 330 |" in out.text and "| file_50.txt | 500 |" not in out.text
    aligned = "NAME          READY   STATUS    RESTARTS\n" + "".join(
        f"api-{i:03d}       1/1     {'CrashLoopBackOff' if i == 40 else 'Running'}   {i % 2}\n" for i in range(90)
    )
    out = TabularCompressor().compress(aligned, make_ctx(""))
    assert out.modified and "api-040       1/1     CrashLoopBackOff   0" in out.text
    assert kept_lines_in_order(out.text, aligned)


def test_non_tables_and_small_tables_are_unchanged() -> None:
    for text in ("just a sentence of prose without structure", "a,b\n1,2\n3,4\n", ""):
        out = TabularCompressor().compress(text, make_ctx(""))
        assert not out.modified and out.text == text and out.reason


def test_deterministic() -> None:
    assert_store_independent(TabularCompressor(), _csv(), "host-042")
