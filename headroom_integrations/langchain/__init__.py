"""LangChain / LangGraph / LangSmith integration (the ``langchain`` extra).

Everything here delegates compression decisions to the shared engine; only this
subpackage imports LangChain. Names load on first use, so importing the package
costs little until a class is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

try:
    import langchain_core  # noqa: F401  (light: the package root only)
except ImportError as exc:
    from ..engine.install import install_command

    raise ImportError(
        f"headroom_integrations.langchain needs LangChain; install it with: {install_command('langchain')}"
    ) from exc

# public name -> module of this subpackage that defines it
_EXPORTS: dict[str, str] = {
    "HeadroomChatModel": "chat_models",
    "HeadroomStreamingCallbackHandler": "callbacks",
    "SavingsTracker": "_savings",
    "CompressedMessages": "_convert",
    "compress_messages": "_convert",
    "from_engine_messages": "_convert",
    "to_engine_messages": "_convert",
    "HeadroomMiddleware": "middleware",
    "create_pre_model_hook": "langgraph",
    "create_compression_node": "langgraph",
    "HeadroomChatMessageHistory": "memory",
    "HeadroomDocumentCompressor": "document_compressors",
    "HeadroomRetriever": "retrievers",
    "HeadroomToolWrapper": "tools",
    "wrap_tools": "tools",
    "create_retrieve_tool": "tools",
}

__all__ = [
    "CompressedMessages",
    "HeadroomChatMessageHistory",
    "HeadroomChatModel",
    "HeadroomDocumentCompressor",
    "HeadroomMiddleware",
    "HeadroomRetriever",
    "HeadroomStreamingCallbackHandler",
    "HeadroomToolWrapper",
    "SavingsTracker",
    "compress_messages",
    "create_compression_node",
    "create_pre_model_hook",
    "create_retrieve_tool",
    "from_engine_messages",
    "to_engine_messages",
    "wrap_tools",
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


if TYPE_CHECKING:
    from ._convert import CompressedMessages, compress_messages, from_engine_messages, to_engine_messages
    from ._savings import SavingsTracker
    from .callbacks import HeadroomStreamingCallbackHandler
    from .chat_models import HeadroomChatModel
    from .document_compressors import HeadroomDocumentCompressor
    from .langgraph import create_compression_node, create_pre_model_hook
    from .memory import HeadroomChatMessageHistory
    from .middleware import HeadroomMiddleware
    from .retrievers import HeadroomRetriever
    from .tools import HeadroomToolWrapper, create_retrieve_tool, wrap_tools
