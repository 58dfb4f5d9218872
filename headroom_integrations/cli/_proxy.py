"""``headroom-integrations proxy``: serve ``/v1/compress`` and the OpenAI/Anthropic pass-through."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import DEFAULT_STORE, load_config, port_number, positive_int
from ._extras import require_extra

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "proxy",
        help="run the compression proxy (HTTP: /v1/compress, OpenAI/Anthropic pass-through)",
        description="Serve POST /v1/compress, /v1/retrieve, GET /v1/stats, /health, /metrics, and compress then "
        "forward POST /v1/chat/completions (OpenAI) and /v1/messages (Anthropic) to the upstream. "
        "Needs the 'proxy' extra.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8787, help="port to listen on (default: 8787)")
    parser.add_argument(
        "--upstream-openai",
        default="https://api.openai.com/v1",
        help="OpenAI-compatible base URL, as the openai SDK's base_url (default: https://api.openai.com/v1)",
    )
    parser.add_argument(
        "--upstream-anthropic",
        default="https://api.anthropic.com",
        help="Anthropic base URL, as the anthropic SDK's base_url (default: https://api.anthropic.com)",
    )
    parser.add_argument(
        "--api-key", help="require this key from clients (default: $HEADROOM_PROXY_API_KEY; unset: no auth)"
    )
    parser.add_argument(
        "--store", default=DEFAULT_STORE, help=f"where dropped content is kept for retrieve (default: {DEFAULT_STORE})"
    )
    parser.add_argument("--metrics", help="where savings are recorded (default: the --store database)")
    parser.add_argument(
        "--max-body-bytes", type=positive_int, default=32 * 1024 * 1024, help="largest request body (default: 32 MB)"
    )
    parser.add_argument("--config", help="HeadroomConfig as a TOML or JSON file ('-' reads stdin)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    require_extra("proxy", ("fastapi", "uvicorn", "httpx"), "headroom-integrations proxy")
    from ..proxy import ProxySettings, serve

    settings = ProxySettings.with_env_key(
        host=args.host,
        port=args.port,
        upstream_openai=args.upstream_openai,
        upstream_anthropic=args.upstream_anthropic,
        api_key=args.api_key,
        store_url=args.store,
        metrics_url=args.metrics,
        max_body_bytes=args.max_body_bytes,
        config=load_config(args.config) if args.config else None,
    )
    serve(settings)
    return 0
