"""HeadroomClient over the real OpenAI and Anthropic SDKs: savings, retention and the overhead of wrapping.

Every corpus case is sent through the real SDK to a loopback server
(``tests/support/provider_servers.py``): tool outputs as an agent sends them
(OpenAI: system / user / assistant tool call / tool result; Anthropic: the
same as ``tool_use`` / ``tool_result`` blocks with a top-level system),
conversations as given (OpenAI only). Per source it prints the tokens saved,
how many ``must_keep`` groups reach the provider, the p50 compression time and
the client's overhead beyond compression: ``wall(HeadroomClient) - wall(SDK
sending the same compressed request) - compression_ms``, cold (first call)
and warm (a repeat, as on every later agent hop; minimum of 3); a negative
overhead is below the timing noise of the HTTP round trip. The Anthropic rows
run after the OpenAI ones on the same tool outputs, so their compression is
the engine's cached output (as on a later agent hop). The last line
is the share of Anthropic input tokens read from the provider cache on the
second identical request, with HeadroomClient's cache_control breakpoints.

Usage: ``python benchmarks/bench_client.py [corpus_dir] [--source NAME ...] [--limit N]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import anthropic  # noqa: E402
import openai  # noqa: E402
from _corpus import DEFAULT_CORPUS, by_source, load_cases, percentile, retention, serialise, table  # noqa: E402
from _corpus import tool_conversation as openai_tool_conversation  # noqa: E402

from headroom_integrations import HeadroomClient  # noqa: E402
from tests.support.provider_servers import ProviderServer  # noqa: E402

RUNS = 3
COLUMNS = [
    ("source", 24),
    ("sdk", 9),
    ("cases", 5),
    ("saved", 6),
    ("kept", 9),
    ("compress p50", 12),
    ("overhead cold", 13),
    ("overhead warm", 13),
]


def _anthropic_request(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "system": "You are a helpful assistant. Use the tools to answer.",
        "messages": [
            {"role": "user", "content": case.get("query") or "Summarize the tool output."},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "toolu_0", "name": case.get("tool_name") or "tool", "input": {}}
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": case["content"]}],
            },
        ],
    }


def _wall(fn: Any, **kwargs: Any) -> float:
    started = time.perf_counter()
    fn(**kwargs)
    return (time.perf_counter() - started) * 1000.0


def _measure(
    server: ProviderServer, client: HeadroomClient, wrapped: Any, direct: Any, request: dict[str, Any]
) -> dict[str, Any]:
    """One case: tokens, retention of what the provider received, compression time and overhead."""
    cold = _wall(wrapped, **request)
    (record,) = client.get_metrics(limit=1)
    sent = server.requests[-1].body
    sent_request = {k: v for k, v in sent.items() if k in ("messages", "system", "model", "max_tokens")}
    warm = min(_wall(wrapped, **request) for _ in range(RUNS))
    warm_ms = client.get_metrics(limit=1)[0].compression_ms
    bare = min(_wall(direct, **sent_request) for _ in range(RUNS))
    return {
        "before": record.tokens_before,
        "after": record.tokens_after,
        "received": serialise(sent.get("messages") or []) + "\n" + str(sent.get("system") or ""),
        "compress": record.compression_ms,
        "overhead_cold": cold - bare - record.compression_ms,
        "overhead_warm": warm - bare - warm_ms,
    }


def _row(source: str, sdk: str, rows: list[dict[str, Any]], cases: list[dict[str, Any]]) -> list[object]:
    before, after = sum(r["before"] for r in rows), sum(r["after"] for r in rows)
    groups = sum(len(c["must_keep"]) for c in cases)
    kept = sum(retention(r["received"], c["must_keep"]) for r, c in zip(rows, cases, strict=True))
    return [
        source,
        sdk,
        len(rows),
        f"{100.0 * (before - after) / before:.1f}%" if before else "-",
        f"{kept}/{groups}",
        f"{percentile([r['compress'] for r in rows], 0.5):.2f}",
        f"{percentile([r['overhead_cold'] for r in rows], 0.5):.2f}",
        f"{percentile([r['overhead_warm'] for r in rows], 0.5):.2f}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--source", action="append", help="only these sources (repeatable)")
    parser.add_argument("--limit", type=int, default=0, help="at most N cases per source")
    args = parser.parse_args(argv)
    cases = load_cases(
        args.corpus, sources=args.source, kinds=("conversation", "tool_output"), limit=args.limit or None
    )

    with ProviderServer() as server:
        oa = openai.OpenAI(api_key="sk-bench", base_url=server.openai_base_url, max_retries=0)
        an = anthropic.Anthropic(api_key="sk-bench", base_url=server.anthropic_base_url, max_retries=0)
        oa_client, an_client = HeadroomClient(oa, store_url="memory://"), HeadroomClient(an, store_url="memory://")
        oa_create, an_create = oa_client.chat.completions.create, an_client.messages.create
        oa_create(model="gpt-4o", messages=[{"role": "user", "content": "warm up"}])

        rows: list[list[object] | None] = []
        everything: list[dict[str, Any]] = []
        cache_read = cache_input = 0
        for source, source_cases in sorted(by_source(cases).items()):
            measured = []
            for case in source_cases:
                messages = openai_tool_conversation(case) if case["kind"] == "tool_output" else case["messages"]
                request = {"model": "gpt-4o", "messages": messages}
                measured.append(_measure(server, oa_client, oa_create, oa.chat.completions.create, request))
            rows.append(_row(source, "openai", measured, source_cases))
            everything += measured
            tool_cases = [c for c in source_cases if c["kind"] == "tool_output"]
            if tool_cases:
                measured = []
                for case in tool_cases:
                    request = {"model": "claude-sonnet-4-5", "max_tokens": 256, **_anthropic_request(case)}
                    measured.append(_measure(server, an_client, an_create, an.messages.create, request))
                    usage = an_create(**request).usage
                    cache_read += usage.cache_read_input_tokens or 0
                    cache_input += (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
                    cache_input += usage.input_tokens
                rows.append(_row(source, "anthropic", measured, tool_cases))
                everything += measured
        rows.append(None)

    print("HeadroomClient through the real SDKs to a loopback server; times in ms")
    print(table(COLUMNS, rows, left=2))
    cold, warm = (percentile([r[k] for r in everything], 0.5) for k in ("overhead_cold", "overhead_warm"))
    print(
        f"\nclient overhead beyond compression, p50 of {len(everything)} requests: cold {cold:.2f}, warm {warm:.2f} ms"
    )
    print(f"anthropic repeat request: {cache_read:,} of {cache_input:,} input tokens read from the provider cache")
    return 0


if __name__ == "__main__":
    sys.exit(main())
