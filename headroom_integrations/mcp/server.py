"""The MCP server: ``headroom_compress``, ``headroom_retrieve`` and ``headroom_stats`` over stdio or HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from ..engine.ccr.store import RETRIEVE_TOOL_NAME
from .tools import HeadroomTools

__all__ = ["create_server", "run"]

_INSTRUCTIONS = (
    "Compress large tool outputs or conversations before reading them with headroom_compress; anything it "
    "drops stays retrievable: call headroom_retrieve with a ref (from a compress result or a marker such as "
    '"_headroom_ref") and optionally a query to get only the matching items.'
)


def create_server(store_url: str) -> tuple[MCPServer[Any], HeadroomTools]:
    """The server and its tools' state (close it when the server stops)."""
    tools = HeadroomTools(store_url)
    server: MCPServer[Any] = MCPServer("headroom", instructions=_INSTRUCTIONS, log_level="WARNING")

    @server.tool(
        name="headroom_compress",
        description="Compress a large tool output (`text`) or an OpenAI-format conversation (`messages`), "
        "keeping what matters for `query`. Returns the compressed text or messages, the refs under which "
        "dropped content is stored, and the token savings.",
    )
    def headroom_compress(
        # Plain `str` (empty = not given): the SDK would parse a JSON text typed `str | None` into objects.
        text: Annotated[str, Field(description="One raw tool output (JSON, logs, search results, code, ...).")] = "",
        messages: Annotated[
            list[dict[str, Any]] | None,
            Field(description="A conversation as OpenAI chat messages; tool results in it are compressed."),
        ] = None,
        query: Annotated[
            str, Field(description="What the content must still answer; default: the last user message, or none.")
        ] = "",
        model: Annotated[str, Field(description="Model the context is for (token counting).")] = "gpt-4o",
        tool_name: Annotated[str, Field(description="Name of the tool that produced `text`, if known.")] = "",
    ) -> dict[str, Any]:
        return tools.compress(text or None, messages, query or None, model, tool_name or None)

    @server.tool(
        name=RETRIEVE_TOOL_NAME,
        description="Get back content that Headroom compression dropped, by its ref. With `query`, only the "
        "items or lines of the original that match it.",
    )
    def headroom_retrieve(
        ref: Annotated[str, Field(description="A ref from headroom_compress or a _headroom_ref marker.")],
        query: Annotated[str, Field(description="Only return the parts of the original matching this.")] = "",
    ) -> str:
        return tools.retrieve(ref, query or None)

    @server.tool(
        name="headroom_stats",
        description="Token savings of this session and of everything recorded in the shared store.",
    )
    def headroom_stats() -> dict[str, Any]:
        return tools.stats()

    return server, tools


def run(store_url: str, *, http: bool = False, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve over stdio (the default, for MCP clients that launch the command) or streamable HTTP at ``/mcp``."""
    server, tools = create_server(store_url)
    try:
        if http:
            server.run("streamable-http", host=host, port=port)
        else:
            server.run("stdio")
    finally:
        tools.close()
