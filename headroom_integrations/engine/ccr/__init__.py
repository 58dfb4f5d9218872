"""Compress-cache-retrieve: the store behind every ref, query filtering, refs and markers.

What a compressor drops goes into a :class:`CompressionStore` under a
content-hash ref; the marker left in the text names that ref, and
:func:`retrieve` (or the ``headroom_retrieve`` tool) gets the original back,
whole or filtered by a query.
"""

from __future__ import annotations

from .markers import REF_LENGTH, content_ref, has_headroom_marker, omission_marker
from .store import (
    RETRIEVE_TOOL_NAME,
    CompressionStore,
    StoredEntry,
    StoreStats,
    get_default_store,
    retrieve,
    set_default_store,
)

__all__ = [
    "REF_LENGTH",
    "RETRIEVE_TOOL_NAME",
    "CompressionStore",
    "StoreStats",
    "StoredEntry",
    "content_ref",
    "get_default_store",
    "has_headroom_marker",
    "omission_marker",
    "retrieve",
    "set_default_store",
]
