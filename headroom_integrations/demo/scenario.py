"""The demo's story and its three tools, whose large outputs are generated deterministically.

A user asks why checkout is failing. The agent searches the product catalogue
(300 listings, the queried SKU among them), reads a CI log (about 1,400 lines:
install noise, 1,200 passing tests and one failure whose stack trace names an
issue) and lists the repository's 200 GitHub issues. The named issue cites an
older one that nothing in the question points at, so compression leaves it out
and the model has to fetch it back by ref. Every output is built from its
arguments with fixed arithmetic only, so the same call always returns the same
bytes: the demo, its checks and the recomputed "without Headroom" sizes agree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

__all__ = [
    "BUILD_ID",
    "CAUSE_ISSUE",
    "FAILING_TEST",
    "FAILURE_LINE",
    "LINKED_ISSUE",
    "QUERIED_SKU",
    "QUESTION",
    "REPO",
    "SYSTEM_PROMPT",
    "TOOLS",
    "get_ci_log",
    "issue_record",
    "list_issues",
    "search_products",
]

QUERIED_SKU = "AX2-7731"
BUILD_ID = 4812
REPO = "acme/shop"
FAILING_TEST = "tests/payments/test_retry.py::test_charge_retries_on_gateway_timeout"
FAILURE_LINE = "AssertionError: expected 3 charge attempts after gateway timeout, got 1"
LINKED_ISSUE = 1287
CAUSE_ISSUE = 1279
QUESTION = (
    f"Customers can't buy the Aurora X2 headphones ({QUERIED_SKU}): checkout fails at payment. "
    "Look the product up in the catalogue, "
    f"check CI build {BUILD_ID} for what broke, and see what the {REPO} issue tracker says."
)

SYSTEM_PROMPT = (
    "You are a support engineer for an online shop. Use the tools to investigate, then answer briefly, "
    "quoting the evidence. Tool results may be compressed: call headroom_retrieve with the ref an "
    "omission marker shows to see anything that was left out."
)

_TESTS = 1200
_BRANDS = ("Aurora", "Nimbus", "Vertex", "Solace", "Quill", "Harbor", "Lumen", "Orbit")
_KINDS = ("headphones", "earbuds", "speaker", "soundbar", "headset", "DAC", "amplifier", "turntable")
_FEATURES = ("noise-cancelling", "wireless", "studio", "travel", "gaming", "hi-res", "open-back", "foldable")
_SELLERS = ("SoundDepot", "AudioHaus", "MegaMart", "HiFi Corner", "TechNest")
_TEST_MODULES = ("cart", "catalog", "checkout", "search", "accounts", "shipping", "inventory", "promotions")
_ISSUE_TOPICS = (
    ("Search results page loads slowly on mobile", "performance"),
    ("Typo in the order confirmation email", "docs"),
    ("Wishlist icon misaligned in Safari", "ui"),
    ("Add dark mode to the account settings", "enhancement"),
    ("Inventory sync job logs too verbosely", "chore"),
    ("Coupon field accepts expired codes", "bug"),
    ("Shipping estimate wrong for overseas addresses", "bug"),
    ("Flaky test in the recommendations module", "tests"),
)
_BODIES = (
    "Steps to reproduce are in the linked discussion. Seen on release {release}.",
    "Reported by @{user} after upgrading to {release}; not reproducible locally yet.",
    "Happens about once a day since {release}. Logs attached in the thread.",
    "Low priority, but it confuses new users. Proposed fix in the comments.",
    "Regression in {release}? @{user} bisected it to the last dependency bump.",
)
_USERS = ("mlopez", "kchen", "asingh", "jdoe", "rnakamura", "ebrown", "tkowalski")


def _n(*parts: object) -> int:
    """A stable pseudo-random number from ``parts`` (the same in every process and Python version)."""
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:6], "big")


def _pick(options: tuple[str, ...], *parts: object) -> str:
    return options[_n(*parts) % len(options)]


# The tools' docstrings are what the model reads as their descriptions.


def search_products(query: str, limit: int = 300) -> str:
    """Search the product catalogue; returns the matching listings as JSON, best match first.

    Args:
        query: Words, a product name or a SKU.
        limit: How many listings to return.
    """
    results = []
    for i in range(max(1, min(limit, 1000))):
        brand, kind, feature = _pick(_BRANDS, "b", i), _pick(_KINDS, "k", i), _pick(_FEATURES, "f", i)
        sku = f"{brand[:2].upper()}{_n('m', i) % 9}-{1000 + _n('s', i) % 9000}"
        stock = _n("q", i) % 240
        results.append(
            {
                "sku": sku,
                "title": f"{brand} {kind.title()} {1 + _n('v', i) % 9} ({feature})",
                "price_usd": round(19 + (_n("p", i) % 48000) / 100, 2),
                "rating": round(3 + (_n("r", i) % 200) / 100, 1),
                "reviews": _n("c", i) % 5000,
                "seller": _pick(_SELLERS, "seller", i),
                "in_stock": stock > 0,
                "stock": stock,
                "url": f"https://shop.example.com/p/{sku.lower()}",
                "relevance": round(0.99 - i * 0.003, 3),
            }
        )
    target = len(results) * 2 // 3
    results[target] = {
        "sku": QUERIED_SKU,
        "title": "Aurora X2 Headphones (noise-cancelling)",
        "price_usd": 349.0,
        "rating": 4.6,
        "reviews": 2113,
        "seller": "AudioHaus",
        "in_stock": True,
        "stock": 57,
        "url": f"https://shop.example.com/p/{QUERIED_SKU.lower()}",
        "relevance": results[target]["relevance"],
    }
    return json.dumps({"query": query, "total": len(results), "results": results}, indent=2)


def get_ci_log(build: int) -> str:
    """Fetch the full console log of a CI build.

    Args:
        build: The CI build number.
    """
    t = 0
    lines: list[str] = []

    def emit(text: str) -> None:
        nonlocal t
        t += 1 + _n("t", len(lines)) % 3
        lines.append(f"2025-03-14T09:{(t // 60) % 60:02d}:{t % 60:02d}.{_n('ms', t) % 1000:03d}Z {text}")

    emit(f"##[group]Run build {build} on ubuntu-22.04 (runner gh-runner-{build % 17})")
    for i in range(160):
        package = f"{_pick(_TEST_MODULES, 'pkg', i)}-lib-{i % 23}"
        emit(f"Downloading {package}-{1 + i % 4}.{i % 10}.{i % 7}-py3-none-any.whl ({40 + _n('kb', i) % 900} kB)")
    emit("Successfully installed 160 packages")
    emit("##[endgroup]")
    emit("============================= test session starts ==============================")
    emit("platform linux -- Python 3.11.9, pytest-8.3.2, pluggy-1.5.0")
    emit("collected 1200 items")
    failing_index = 857
    for i in range(_TESTS):
        module = _pick(_TEST_MODULES, "mod", i // 40)
        test = f"tests/{module}/test_{module}_{i // 40 % 9}.py::test_case_{i % 40}"
        if i == failing_index:
            emit(f"{FAILING_TEST} FAILED [{100 * i // _TESTS:3d}%]")
        else:
            emit(f"{test} PASSED [{100 * i // _TESTS:3d}%]")
    emit("=================================== FAILURES ===================================")
    emit("__________________ test_charge_retries_on_gateway_timeout ___________________")
    for text in (
        "Traceback (most recent call last):",
        '  File "tests/payments/test_retry.py", line 88, in test_charge_retries_on_gateway_timeout',
        "    assert gateway.attempts == 3, msg",
        f"{FAILURE_LINE} (see issue #{LINKED_ISSUE})",
        '  File "shop/payments/retry.py", line 41, in charge_with_retry',
        "    if isinstance(exc, GatewayTimeout) and attempt > policy.max_attempts:",
    ):
        emit(text)
    emit("=========================== short test summary info ============================")
    emit(f"FAILED {FAILING_TEST} - {FAILURE_LINE}")
    emit("================= 1 failed, 1199 passed in 171.52s (0:02:51) =================")
    emit("##[error]Process completed with exit code 1.")
    return "\n".join(lines)


def issue_record(number: int, repo: str = REPO) -> dict[str, object]:
    """Issue ``number`` of ``repo`` as the GitHub REST API returns it (trimmed to common fields)."""
    if number == LINKED_ISSUE:
        title, label = "Checkout: payment not retried after gateway timeout", "bug"
        body = (
            "Since the retry refactor, a GatewayTimeout on charge() is not retried: charge_with_retry "
            "compares `attempt > policy.max_attempts` instead of `>=`, so customers see 'payment failed' "
            f"on the first timeout. Regression from #{CAUSE_ISSUE}."
        )
        state, comments = "open", 14
    elif number == CAUSE_ISSUE:
        title, label = "Move charge retries into RetryPolicy", "enhancement"
        body = "Replace the hard-coded retry loop with a configurable RetryPolicy (max_attempts, backoff)."
        state, comments = "closed", 3
    else:
        title, label = _ISSUE_TOPICS[_n("topic", number) % len(_ISSUE_TOPICS)]
        title = f"{title} (#{number % 97})"
        body = _pick(_BODIES, "body", number).format(release=f"2.{number % 12}", user=_pick(_USERS, "u2", number))
        state, comments = ("open", "closed")[_n("state", number) % 2], _n("cm", number) % 30
    user = _pick(_USERS, "user", number)
    return {
        "number": number,
        "title": title,
        "state": state,
        "labels": [{"name": label}],
        "user": {"login": user},
        "comments": comments,
        "created_at": f"2025-0{1 + number % 3}-{1 + number % 28:02d}T{number % 24:02d}:00:00Z",
        "html_url": f"https://github.com/{repo}/issues/{number}",
        "body": body,
    }


def list_issues(repo: str, state: str = "all") -> str:
    """List a GitHub repository's issues as JSON (GitHub REST API shape), newest first.

    Args:
        repo: The repository as owner/name.
        state: open, closed or all.
    """
    numbers = range(1400, 1200, -1)
    issues = [issue_record(n, repo) for n in numbers]
    if state in ("open", "closed"):
        issues = [i for i in issues if i["state"] == state or i["number"] == LINKED_ISSUE]
    return json.dumps(issues, indent=2)


TOOLS: dict[str, Callable[..., str]] = {f.__name__: f for f in (search_products, get_ci_log, list_issues)}
