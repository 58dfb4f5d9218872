"""History under a token budget: cache alignment, windowing, importance-scored fitting.

``compress(messages, token_budget=N)`` runs :class:`CacheAligner`, content
compression, then :class:`IntelligentContextManager` through a
:class:`TransformPipeline`. :class:`RollingWindow` is the simple oldest-first
alternative; :func:`detect_waste` measures what compression could remove.
"""

from __future__ import annotations

from ._dynamic import dynamic_spans
from .cache_aligner import AlignResult, CacheAligner, CachePrefixMetrics
from .intelligent_context import IntelligentContextManager
from .pipeline import MessageChange, Transform, TransformPipeline, TransformResult, message_diff
from .rolling_window import RollingWindow, WindowResult
from .waste import WasteSignals, detect_waste

__all__ = [
    "AlignResult",
    "CacheAligner",
    "CachePrefixMetrics",
    "IntelligentContextManager",
    "MessageChange",
    "RollingWindow",
    "Transform",
    "TransformPipeline",
    "TransformResult",
    "WasteSignals",
    "WindowResult",
    "detect_waste",
    "dynamic_spans",
    "message_diff",
]
