"""Number and time formatting shared by every report format and the CLI.

One place decides how a count, a share, a price or an instant is written, so
the HTML, the Markdown and the terminal always show the same figures.
"""

from __future__ import annotations

import datetime as _dt

__all__ = ["fmt_compact", "fmt_int", "fmt_ms", "fmt_pct", "fmt_usd", "fmt_utc", "pct_of"]


def fmt_int(value: int) -> str:
    """``12345`` -> ``"12,345"``."""
    return f"{value:,}"


def pct_of(part: float, whole: float) -> float:
    """``part`` as a percentage of ``whole`` (0 when ``whole`` is 0)."""
    return 100.0 * part / whole if whole else 0.0


def fmt_pct(percent: float) -> str:
    """``96.123`` -> ``"96.1%"``."""
    return f"{percent:.1f}%"


def fmt_usd(dollars: float | None) -> str:
    """Dollars with enough decimals that small per-request savings do not read as zero; None: "no price"."""
    if dollars is None:
        return "no price"
    return f"${dollars:,.2f}" if abs(dollars) >= 100 else f"${dollars:,.4f}"


def fmt_ms(millis: float) -> str:
    """``12.3456`` -> ``"12.3 ms"``."""
    return f"{millis:,.1f} ms"


def fmt_compact(value: float) -> str:
    """Short axis labels: ``1500`` -> ``"1.5k"``, ``2_000_000`` -> ``"2M"``."""
    for threshold, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def fmt_utc(epoch: float, spec: str = "%Y-%m-%d %H:%M UTC") -> str:
    """An instant in UTC, so a report reads the same on every machine."""
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).strftime(spec)
