"""The HTML report renders in a real browser: headless Chromium draws the charts, not a blank page."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from headroom_integrations import MetricsStore, RequestMetrics
from headroom_integrations.reports import generate_report

NOW = 1_795_000_000.0  # a fixed instant: the page is the same on every run
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
HEIGHT = 2000
# Colours the report draws with (tokens after, tokens saved, tokens before).
AFTER_BLUE, SAVED_GREEN, BEFORE_GREY = bytes.fromhex("2b6cb0"), bytes.fromhex("2f855a"), bytes.fromhex("a0aec0")


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, pixel rows) of an 8-bit RGB/RGBA non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    low, high = int.from_bytes(b"\x7f" * stride, "big"), int.from_bytes(b"\x80" * stride, "big")
    rows, prev = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1 : start + 1 + stride]
        if kind == 0:
            out = line
        elif kind == 2:  # Up: a byte-wise sum done on whole rows at once
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            out = (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big")
        else:
            cur = bytearray(line)
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                if kind == 1:
                    cur[i] = (cur[i] + left) & 255
                elif kind == 3:
                    cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 255
                else:
                    cur[i] = (cur[i] + _paeth(left, prev[i], prev[i - bpp] if i >= bpp else 0)) & 255
            out = bytes(cur)
        rows.append(out)
        prev = out
    return width, height, bpp, rows


def _pixels(rows: list[bytes], bpp: int, colour: bytes) -> int:
    return sum(sum(1 for i in range(0, len(row), bpp) if row[i : i + 3] == colour) for row in rows[::2])


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [390, 1400])  # a phone and a desktop
def test_report_renders_with_visible_charts(tmp_path: Path, width: int) -> None:
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    with MetricsStore(url) as store:
        for i in range(30):
            store.record(
                RequestMetrics(
                    request_id=f"r{i}",
                    timestamp=NOW - 3600 * (i * 5 % 160) - 60,
                    model="gpt-4o",
                    mode="optimize",
                    tokens_before=4000 + 700 * (i % 9),
                    tokens_after=400 + 90 * (i % 5),
                    transforms=(("smart_crusher:50->6",), ("log:800->30",), ("search:60->9",))[i % 3],
                    compression_ms=0.5 * (i + 1),
                    tool_names=(("search_api", "ci_log", "github_issues")[i % 3],),
                    integration="langchain",
                )
            )
    page = tmp_path / "report.html"
    page.write_text(generate_report(url, "html", "week", now=NOW), encoding="utf-8")
    png = tmp_path / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            f"--window-size={width},{HEIGHT}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = png.read_bytes()
    assert len(data) > 20_000
    shot_width, height, bpp, rows = _decode_png(data)
    assert (shot_width, height) == (width, HEIGHT)
    sampled = [row[i : i + 3] for row in rows[::8] for i in range(0, len(row), bpp * 8)]
    non_white = sum(1 for px in sampled if px != b"\xff\xff\xff") / len(sampled)
    assert non_white > 0.03, f"page is nearly blank ({non_white:.1%} non-white)"
    # the charts' bars are drawn: each series colour covers a solid area
    for colour in (AFTER_BLUE, SAVED_GREEN, BEFORE_GREY):
        assert _pixels(rows, bpp, colour) > 500 * width // 1400, colour.hex()
    # the charts scale to the window: bars reach its right part, none is cut off past it
    grey_columns = [i // bpp for row in rows[::2] for i in range(0, len(row), bpp) if row[i : i + 3] == BEFORE_GREY]
    assert max(grey_columns) > width * 0.6
