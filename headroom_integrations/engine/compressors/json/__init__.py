"""JSON compression: SmartCrusher keeps the records that matter and marks the rest by ref."""

from __future__ import annotations

from .smart_crusher import ArrayReport, CrushResult, SmartCrusher

__all__ = ["ArrayReport", "CrushResult", "SmartCrusher"]
