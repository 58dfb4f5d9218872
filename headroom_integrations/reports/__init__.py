"""Savings reports from a metrics store: self-contained HTML with inline SVG charts, or Markdown.

``generate_report("sqlite:///headroom.db", "html", "week")`` returns the page
as a string; the same data and ``now`` always give the same bytes.
"""

from __future__ import annotations

import datetime as _dt

from ._data import KIND_LABELS, PERIODS, Bucket, LatencyBin, ReportData, Table, check_choice, load_report_data
from ._html import render_html
from ._markdown import render_markdown

__all__ = [
    "FORMATS",
    "KIND_LABELS",
    "PERIODS",
    "Bucket",
    "LatencyBin",
    "ReportData",
    "Table",
    "generate_report",
    "load_report_data",
]

FORMATS = ("html", "markdown")


def generate_report(
    store_url: str,
    format: str = "html",
    period: str = "week",
    *,
    now: float | _dt.datetime | None = None,
) -> str:
    """Render the savings recorded in the metrics store at ``store_url`` over ``period``.

    ``period`` is ``day`` (the current UTC hour and the 23 before), ``week``
    (the current UTC day and the 6 before) or ``all``; ``now`` (epoch seconds
    or a datetime, default the current time) ends the window. Raises
    :class:`ConfigurationError` for an unknown format or period and
    :class:`StorageError` when the store does not exist or cannot be read.
    """
    from .. import __version__

    check_choice("format", format, FORMATS)
    data = load_report_data(store_url, period, now=now)
    render = render_html if format == "html" else render_markdown
    return render(data, version=__version__)
