"""The proxy's cost: pass-through latency overhead vs calling the upstream directly, and requests/s.

The proxy runs as users run it (``headroom-integrations proxy`` in its own
process) in front of the loopback fake OpenAI upstream of the test suite.
Every tool-output case of the corpus becomes a chat-completions request
(system / user query / assistant tool call / tool result). Latency: one
request at a time over a kept-alive connection, straight to the upstream vs
through the proxy; "cold" is the first time the proxy sees a case (full
compression), "warm" a repeat (the engine's output cache hits, as on every
later agent hop), "tiny" a one-line request with nothing to compress (the
proxy's own overhead). Throughput: CONCURRENCY clients sending REQUESTS
warm requests to ``/v1/compress`` and to the pass-through.

Usage: ``python benchmarks/bench_proxy.py [corpus_dir] [--limit N]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _corpus import DEFAULT_CORPUS, load_cases, percentile, table, tool_conversation  # noqa: E402

from tests.support.upstreams import FakeUpstream  # noqa: E402

CONCURRENCY = 32
REQUESTS = 1000
TINY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi."}]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_proxy(upstream: str, store: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    args = ["proxy", "--port", str(port), "--upstream-openai", upstream + "/v1", "--store", f"sqlite:///{store}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "headroom_integrations.cli", *args],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/health", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the proxy did not start")


def _ms(client: httpx.Client, url: str, body: bytes) -> float:
    started = time.perf_counter()
    response = client.post(url, content=body, headers={"content-type": "application/json"})
    response.read()
    elapsed = (time.perf_counter() - started) * 1000.0
    assert response.status_code == 200, response.text
    return elapsed


def _latency(client: httpx.Client, direct: str, proxied: str, bodies: list[bytes]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []

    def row(label: str, measure: Callable[[bytes], tuple[float, float]], inputs: list[bytes]) -> None:
        pairs = [measure(body) for body in inputs]
        base = [d for d, _ in pairs]
        through = [p for _, p in pairs]
        overhead = [p - d for d, p in pairs]
        rows.append(
            (
                label,
                len(pairs),
                f"{percentile(base, 0.5):.2f}",
                f"{percentile(through, 0.5):.2f}",
                f"{percentile(overhead, 0.5):.2f}",
                f"{percentile(overhead, 0.95):.2f}",
            )
        )

    row("cold (compress)", lambda b: (_ms(client, direct, b), _ms(client, proxied, b)), bodies)
    row(
        "warm (cached)",
        lambda b: (min(_ms(client, direct, b) for _ in range(3)), min(_ms(client, proxied, b) for _ in range(3))),
        bodies,
    )
    tiny = json.dumps(TINY).encode()
    row("tiny (nothing to do)", lambda b: (_ms(client, direct, b), _ms(client, proxied, b)), [tiny] * 200)
    return rows


async def _throughput(url: str, bodies: list[bytes]) -> float:
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=120, headers={"content-type": "application/json"}) as client:
        queue = list(range(REQUESTS))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                response = await client.post(url, content=bodies[i % len(bodies)])
                assert response.status_code == 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return REQUESTS / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=10, help="tool-output cases per source (default: 10)")
    args = parser.parse_args()
    cases = load_cases(args.corpus, kinds={"tool_output"}, limit=args.limit)
    bodies = [json.dumps({"model": "gpt-4o", "messages": tool_conversation(c)}).encode() for c in cases]
    with FakeUpstream() as upstream, tempfile.TemporaryDirectory() as tmp:
        process, proxy = _start_proxy(upstream.url, Path(tmp) / "headroom.db")
        try:
            with httpx.Client(timeout=120) as client:
                rows = _latency(client, upstream.url + "/v1/chat/completions", proxy + "/v1/chat/completions", bodies)
            compress_bodies = [json.dumps({"messages": tool_conversation(c)}).encode() for c in cases]
            rates = [
                ("upstream directly", asyncio.run(_throughput(upstream.url + "/v1/chat/completions", bodies))),
                ("proxy pass-through", asyncio.run(_throughput(proxy + "/v1/chat/completions", bodies))),
                ("proxy /v1/compress", asyncio.run(_throughput(proxy + "/v1/compress", compress_bodies))),
                (
                    "proxy pass-through, tiny",
                    asyncio.run(_throughput(proxy + "/v1/chat/completions", [json.dumps(TINY).encode()])),
                ),
            ]
        finally:
            process.terminate()
            process.wait(timeout=15)
    sizes = sorted(len(b) for b in bodies)
    print(
        f"{len(cases)} tool-output cases (median body {sizes[len(sizes) // 2] / 1024:.0f} KB), loopback, 2 CPU cores\n"
    )
    print("Latency per request, ms (one at a time)")
    columns = [
        ("requests", 22),
        ("n", 5),
        ("direct p50", 11),
        ("proxy p50", 10),
        ("overhead p50", 13),
        ("overhead p95", 13),
    ]
    print(table(columns, rows))
    print(f"\nThroughput, {CONCURRENCY} concurrent clients, {REQUESTS} warm requests")
    print(table([("target", 26), ("requests/s", 11)], [(name, f"{rate:.0f}") for name, rate in rates]))


if __name__ == "__main__":
    main()
