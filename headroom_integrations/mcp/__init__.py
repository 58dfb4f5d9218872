"""An MCP server exposing compress / retrieve / stats to coding agents and IDE assistants.

Needs the ``mcp`` extra (the official MCP Python SDK). Start it with
``headroom-integrations mcp``; ``--store sqlite:///PATH`` shares refs and
savings with the proxy, the CLI and LangChain or Agno agents using that file.
"""

from __future__ import annotations

from .server import create_server, run
from .tools import HeadroomTools

__all__ = ["HeadroomTools", "create_server", "run"]
