"""Agno integration (the ``agno`` extra): Headroom for Agno agents.

Three ways in, all deciding through the shared engine:

* ``HeadroomAgnoModel(wrapped_model=...)``: every provider call of the agent's
  tool loop is sent a compressed conversation; the session keeps originals.
* ``HeadroomCompressionManager()`` in Agno's own slot
  (``Agent(compress_tool_results=True, compression_manager=...)``): tool results
  get a deterministic ``compressed_content``, no LLM call.
* ``headroom_tool_hook`` (+ ``HeadroomPostHook``): compress at the source.

Add ``headroom_retrieve`` (or ``HeadroomRetrieveTools``) to the agent's tools
so it can fetch anything that was left out. Only this subpackage imports Agno.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("agno") is None:
    from ..engine.install import install_command

    raise ImportError(f"headroom_integrations.agno needs Agno; install it with: {install_command('agno')}")

from ._convert import CompressedAgnoMessages, compress_agno_messages  # noqa: E402
from .compression import HeadroomCompressionManager  # noqa: E402
from .hooks import HeadroomPostHook, HeadroomToolHook, headroom_tool_hook  # noqa: E402
from .models import HeadroomAgnoModel  # noqa: E402
from .tools import HeadroomRetrieveTools, headroom_retrieve  # noqa: E402

__all__ = [
    "CompressedAgnoMessages",
    "HeadroomAgnoModel",
    "HeadroomCompressionManager",
    "HeadroomPostHook",
    "HeadroomRetrieveTools",
    "HeadroomToolHook",
    "compress_agno_messages",
    "headroom_retrieve",
    "headroom_tool_hook",
]
