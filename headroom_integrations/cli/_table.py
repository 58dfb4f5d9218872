"""Plain-text tables for the terminal: aligned columns, numbers on the right."""

from __future__ import annotations

from collections.abc import Sequence

from ..reports import Table

__all__ = ["render_table", "render_titled"]


def render_table(headers: Sequence[str] | None, rows: Sequence[Sequence[str]], numeric: Sequence[bool]) -> str:
    """Columns padded to their widest cell; ``headers=None`` gives a bare key/value block."""
    lines = [list(headers)] if headers is not None else []
    widths = [max(len(str(cell)) for cell in column) for column in zip(*lines, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = [
            str(cell).rjust(width) if is_num else str(cell).ljust(width)
            for cell, width, is_num in zip(cells, widths, numeric, strict=True)
        ]
        return "  ".join(out).rstrip()

    head = [line(headers), "  ".join("-" * w for w in widths)] if headers is not None else []
    return "\n".join([*head, *(line(row) for row in rows)])


def render_titled(table: Table) -> str:
    """A report :class:`Table` with its title (and note) for the terminal."""
    parts = [table.title, render_table(table.headers, table.rows, table.numeric)]
    if table.note:
        parts.append(table.note)
    return "\n".join(parts)
