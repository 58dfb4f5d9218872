"""Retrieved documents under a budget: relevant excerpts kept, near-duplicates left out."""

from __future__ import annotations

from .near_duplicates import near_duplicates
from .selection import DocumentSelection, SelectedDocument, select_documents

__all__ = ["DocumentSelection", "SelectedDocument", "near_duplicates", "select_documents"]
