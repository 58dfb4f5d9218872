"""``headroom-integrations mcp``: the MCP server over stdio, or streamable HTTP with ``--http``."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import DEFAULT_STORE, port_number
from ._extras import require_extra

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mcp",
        help="run the MCP server (tools: headroom_compress, headroom_retrieve, headroom_stats)",
        description="Serve the Headroom MCP tools over stdio (for MCP clients that launch this command) or "
        "streamable HTTP at /mcp. Needs the 'mcp' extra.",
    )
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="address for --http (default: 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8000, help="port for --http (default: 8000)")
    parser.add_argument(
        "--store",
        default=DEFAULT_STORE,
        help=f"CCR and metrics store, shared with the proxy and the CLI (default: {DEFAULT_STORE})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    require_extra("mcp", ("mcp",), "headroom-integrations mcp")
    from ..mcp import run as serve

    serve(args.store, http=args.http, host=args.host, port=args.port)
    return 0
