"""Refs and markers: how compressed text points back at what it dropped.

A ref is a hash of the dropped content, so the same bytes get the same ref in
every process; a marker is the one line a compressor leaves where it cut. Both
are shared by every compressor, the store and the integrations.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["REF_LENGTH", "content_ref", "has_headroom_marker", "omission_marker"]

REF_LENGTH = 24


def content_ref(content: str) -> str:
    """Stable ref of ``content``: the same bytes give the same ref in every process."""
    return hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:REF_LENGTH]


def omission_marker(count: int, unit: str, ref: str, note: str = "", *, names_tool: bool = True) -> str:
    """The one-line marker text-based compressors leave where they cut.

    Every compressor uses this wording so the model learns a single pattern:
    how much is gone, and the ref that ``headroom_retrieve`` takes to get it back.
    ``names_tool`` False (the model has no retrieve tool): the ref alone, so the
    model is never told to call a tool it does not have.
    """
    extra = f" {note}" if note else ""
    tool = "headroom_retrieve " if names_tool else ""
    return f"[... {count} {unit} omitted{extra}; {tool}ref={ref} ...]"


# What every marker carries: JSON markers name the ref under this key, text markers use
# omission_marker's wording. Text holding either was produced by Headroom already.
_MARKER_SIGNS = ('"_headroom_ref"', "headroom_retrieve ref=")
_BARE_MARKER = re.compile(r"\[\.\.\. \d+ \w+ omitted[^\]]*; ref=[0-9a-f]{" + str(REF_LENGTH) + r"} \.\.\.\]")


def has_headroom_marker(text: str) -> bool:
    """True when ``text`` is Headroom output; compressing it again would cut what was kept."""
    if any(sign in text for sign in _MARKER_SIGNS):
        return True
    return "; ref=" in text and _BARE_MARKER.search(text) is not None
