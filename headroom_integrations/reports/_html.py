"""The self-contained HTML report: one file, inline CSS and SVG, nothing fetched.

A Content-Security-Policy forbids every network load, so the page provably
works offline (and in a mail attachment or a CI artifact). Styles are scoped
to ``.headroom-report`` so the page can also be shown inline in a notebook.
"""

from __future__ import annotations

from html import escape

from ._data import EMPTY_TEXT, KIND_LABELS, ReportData, Table
from ._svg import Series, bar_chart, column_chart
from .numbers import fmt_int, fmt_ms, fmt_pct, fmt_usd

__all__ = ["render_html"]

_BEFORE, _AFTER, _SAVED, _LATENCY = "#a0aec0", "#2b6cb0", "#2f855a", "#805ad5"
# Tables whose chart already tells the story: their numbers sit behind a "Data" toggle.
_FOLDED = ("timeline", "latency")  # and their per-kind variants (``timeline.tool_result``)

_CSS = """
.headroom-report{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a202c;
 max-width:1000px;margin:0 auto;padding:24px;background:#fff;line-height:1.4}
.headroom-report h1{font-size:26px;margin:0 0 4px}
.headroom-report h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
.headroom-report .meta,.headroom-report .note,.headroom-report footer{color:#4a5568;font-size:13px}
.headroom-report .cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.headroom-report .card{flex:1 1 140px;border:1px solid #e2e8f0;border-radius:8px;padding:12px 14px}
.headroom-report .card .label{color:#4a5568;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.headroom-report .card .value{font-size:20px;font-weight:600;margin-top:2px}
.headroom-report .card .sub{color:#4a5568;font-size:12px}
.headroom-report .card.primary .value{color:#2f855a}
.headroom-report table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
.headroom-report th,.headroom-report td{padding:4px 8px;border-bottom:1px solid #edf2f7;text-align:left}
.headroom-report th{background:#f7fafc;font-weight:600}
.headroom-report td.num,.headroom-report th.num{text-align:right;font-variant-numeric:tabular-nums}
.headroom-report .empty{padding:16px;border:1px dashed #cbd5e0;border-radius:8px;color:#4a5568}
.headroom-report details summary{cursor:pointer;color:#2b6cb0;font-size:13px}
.headroom-report svg.chart{display:block;margin:8px 0;max-width:100%;height:auto}
.headroom-report .scroll{overflow-x:auto;max-width:100%}
@media (max-width:600px){.headroom-report{padding:12px}.headroom-report h1{font-size:20px}}
"""


def _table(table: Table) -> str:
    def cell(tag: str, text: str, numeric: bool) -> str:
        return f'<{tag} class="num">{escape(text)}</{tag}>' if numeric else f"<{tag}>{escape(text)}</{tag}>"

    head = "".join(cell("th", h, n) for h, n in zip(table.headers, table.numeric, strict=True))
    body = "\n".join(
        "<tr>" + "".join(cell("td", c, n) for c, n in zip(row, table.numeric, strict=True)) + "</tr>"
        for row in table.rows
    )
    # Wide tables scroll inside their own box on a narrow screen instead of widening the page.
    return (
        f'<div class="scroll"><table data-table="{escape(table.key)}">\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table></div>"
    )


def _chart(data: ReportData, key: str) -> str:
    """The chart drawn above table ``key`` (empty when that table has none)."""
    base, _, kind = key.partition(".")
    kind = kind or "model_call"
    s = data.of_kind(kind)
    if base == "timeline":
        timeline = data.timelines[kind]
        return column_chart(
            key,
            f"Tokens before vs after compression over time, {KIND_LABELS[kind]} (UTC)",
            [b.label for b in timeline],
            [
                Series("tokens before", tuple(float(b.tokens_before) for b in timeline), _BEFORE),
                Series("tokens after", tuple(float(b.tokens_after) for b in timeline), _AFTER),
            ],
            unit="tokens",
        )
    if base in ("by_transform", "by_tool"):
        groups = s.by_transform if base == "by_transform" else s.by_tool
        items = sorted(((name, float(g.tokens_saved)) for name, g in groups.items()), key=lambda i: (-i[1], i[0]))
        title = f"Tokens saved {base.replace('_', ' ')}, {KIND_LABELS[kind]}"
        return bar_chart(key, title, items, unit="tokens", color=_SAVED)
    if key == "latency":
        return column_chart(
            "latency",
            "Compression latency distribution (requests per time range)",
            [b.label for b in data.latency],
            [Series("requests", tuple(float(b.requests) for b in data.latency), _LATENCY)],
            unit="requests",
        )
    return ""


def _cards(data: ReportData) -> str:
    s = data.summary
    median = dict(data.latency_percentiles).get("p50")
    cards = []
    for kind in data.kinds:
        k, label = data.of_kind(kind), KIND_LABELS[kind]
        cards += [
            (
                "primary",
                f"Tokens saved in {label}",
                fmt_int(k.total_tokens_saved),
                f"{fmt_pct(100 * k.savings_ratio)}: {fmt_int(k.total_tokens_before)} \u2192 "
                f"{fmt_int(k.total_tokens_after)} tokens",
            ),
            ("", f"{label.capitalize()} recorded", fmt_int(k.total_requests), "compressed calls"),
            (
                "",
                f"Estimated cost saved, {label}",
                fmt_usd(k.total_cost_saved_usd),
                f"estimate at list input prices as of {s.prices_as_of}"
                + (f"; no price for model {', '.join(k.unpriced_models)}" if k.unpriced_models else ""),
            ),
        ]
    cards.append(("", "Median compression time", fmt_ms(median) if median is not None else "n/a", "per record"))
    return (
        '<section class="cards">\n'
        + "\n".join(
            f'<div class="card {kind}" data-card="{escape(label)}"><div class="label">{escape(label)}</div>'
            f'<div class="value">{escape(value)}</div><div class="sub">{escape(sub)}</div></div>'
            for kind, label, value, sub in cards
        )
        + "\n</section>"
    )


def render_html(data: ReportData, *, version: str) -> str:
    """The whole page for ``data``; the same data always gives the same bytes."""
    title = f"Headroom savings report ({data.period})"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style>",
        '</head><body><main class="headroom-report">',
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Savings {escape(data.window_text)} \u00b7 store <code>{escape(data.store_url)}</code></p>',
        _cards(data),
    ]
    if data.empty:
        parts.append(
            f'<p class="empty">{escape(EMPTY_TEXT)} Run <code>headroom-integrations compress</code> or an '
            "integration with a metrics store, then generate the report again.</p>"
        )
    tables = data.tables()
    # The cards already lead with the totals, so the page keeps their full table for last.
    for table in [*tables[1:], tables[0]]:
        section = [f'<section id="{escape(table.key)}"><h2>{escape(table.title)}</h2>']
        chart = _chart(data, table.key)
        if chart:
            section.append(chart)
        if table.key.partition(".")[0] in _FOLDED:
            section.append(f"<details><summary>Data</summary>\n{_table(table)}\n</details>")
        else:
            section.append(_table(table))
        if table.note:
            section.append(f'<p class="note">{escape(table.note)}</p>')
        parts.append("\n".join(section) + "\n</section>")
    parts.append(
        f"<footer><p>{escape(data.footnote)} Generated by headroom-integrations {escape(version)}.</p></footer>"
    )
    parts.append("</main></body></html>\n")
    return "\n".join(parts)
