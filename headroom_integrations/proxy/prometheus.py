"""In-process counters of the proxy, rendered in the Prometheus text exposition format.

The durable record of savings is the :class:`MetricsStore`; these counters are
what a scraper reads: requests by route and status, tokens before / after /
saved, and latency histograms. They cover this process since it started.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LATENCY_BUCKETS_S", "ProxyMetrics"]

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_S) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
        self.total += seconds

    def lines(self, name: str, labels: str) -> list[str]:
        out, cumulative = [], 0
        for bound, count in zip((*map(repr, LATENCY_BUCKETS_S), "+Inf"), self.counts, strict=True):
            cumulative += count
            out.append(f'{name}_bucket{{{labels},le="{bound}"}} {cumulative}')
        out.append(f"{name}_sum{{{labels}}} {self.total!r}")
        out.append(f"{name}_count{{{labels}}} {cumulative}")
        return out


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class ProxyMetrics:
    """Thread-safe counters; ``route`` is a short name (``compress``, ``openai``, ``anthropic``, ...)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, int], int] = {}
        self._latency: dict[str, _Histogram] = {}
        self._compressions: dict[str, int] = {}
        self._tokens: dict[str, list[int]] = {}  # route -> [before, after]
        self._compression_latency: dict[str, _Histogram] = {}

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(route, status)] = self._requests.get((route, status), 0) + 1
            self._latency.setdefault(route, _Histogram()).observe(seconds)

    def observe_compression(self, route: str, tokens_before: int, tokens_after: int, compression_ms: float) -> None:
        with self._lock:
            self._compressions[route] = self._compressions.get(route, 0) + 1
            tokens = self._tokens.setdefault(route, [0, 0])
            tokens[0] += tokens_before
            tokens[1] += tokens_after
            self._compression_latency.setdefault(route, _Histogram()).observe(compression_ms / 1000.0)

    def snapshot(self) -> dict[str, Any]:
        """Totals since start, for ``/v1/stats``."""
        with self._lock:
            before = sum(t[0] for t in self._tokens.values())
            after = sum(t[1] for t in self._tokens.values())
            return {
                "requests": sum(self._requests.values()),
                "requests_by_route": {
                    route: sum(n for (r, _), n in self._requests.items() if r == route)
                    for route in sorted({r for r, _ in self._requests})
                },
                "compressions": sum(self._compressions.values()),
                "tokens_before": before,
                "tokens_after": after,
                "tokens_saved": before - after,
            }

    def render(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        with self._lock:
            lines = [
                "# HELP headroom_proxy_requests_total HTTP requests answered, by route and status.",
                "# TYPE headroom_proxy_requests_total counter",
            ]
            for (route, status), n in sorted(self._requests.items()):
                lines.append(f'headroom_proxy_requests_total{{route="{_label(route)}",status="{status}"}} {n}')
            lines += [
                "# HELP headroom_proxy_compressions_total Requests whose messages went through compress().",
                "# TYPE headroom_proxy_compressions_total counter",
            ]
            lines += [
                f'headroom_proxy_compressions_total{{route="{_label(r)}"}} {n}'
                for r, n in sorted(self._compressions.items())
            ]
            for index, kind in enumerate(("before", "after")):
                lines += [
                    f"# HELP headroom_proxy_tokens_{kind}_total Prompt tokens {kind} compression.",
                    f"# TYPE headroom_proxy_tokens_{kind}_total counter",
                ]
                lines += [
                    f'headroom_proxy_tokens_{kind}_total{{route="{_label(r)}"}} {t[index]}'
                    for r, t in sorted(self._tokens.items())
                ]
            lines += [
                "# HELP headroom_proxy_tokens_saved_total Prompt tokens compression removed.",
                "# TYPE headroom_proxy_tokens_saved_total counter",
            ]
            lines += [
                f'headroom_proxy_tokens_saved_total{{route="{_label(r)}"}} {t[0] - t[1]}'
                for r, t in sorted(self._tokens.items())
            ]
            for name, histograms, what in (
                ("headroom_proxy_request_duration_seconds", self._latency, "Time to answer a request"),
                ("headroom_proxy_compression_duration_seconds", self._compression_latency, "Time spent compressing"),
            ):
                lines += [f"# HELP {name} {what}, by route.", f"# TYPE {name} histogram"]
                for route, histogram in sorted(histograms.items()):
                    lines += histogram.lines(name, f'route="{_label(route)}"')
        return "\n".join(lines) + "\n"
