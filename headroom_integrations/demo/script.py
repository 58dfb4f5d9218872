"""What the demo's scripted model does next, decided only from the text it was sent.

Both scripted models (LangChain and Agno) delegate here, so the two agents
behave identically. The script calls the three tools in order, follows the
issue the failing test points at, fetches any issue it cannot see through
``headroom_retrieve`` (with the ref from the omission marker Headroom left),
and then answers by quoting what it actually received. Nothing is known in
advance but the question: if compression had dropped the failing test or the
queried product, the answer would say so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Answer", "ToolCall", "ToolResult", "next_step"]

_SKU_RE = re.compile(r"\(([A-Z0-9]{2,4}-\d{3,5})\)")
_BUILD_RE = re.compile(r"\bbuild (\d+)")
_REPO_RE = re.compile(r"\b([\w.-]+/[\w.-]+) issue tracker")
_FAILED_RE = re.compile(r"^.*?FAILED (\S+) - (.+)$", re.MULTILINE)
_ISSUE_MENTION_RE = re.compile(r"#(\d{3,6})\b")
_REF_RE = re.compile(r'headroom_retrieve ref=([0-9a-f]+)|"_headroom_ref":\s*"([0-9a-f]+)"')

RETRIEVE = "headroom_retrieve"


@dataclass(frozen=True)
class ToolResult:
    """One tool result the model was sent: the tool's name, the call's arguments and the text."""

    name: str
    args: dict[str, Any]
    text: str


@dataclass(frozen=True)
class ToolCall:
    """The model's next move: call tool ``name`` with ``args``."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """The model's final reply."""

    text: str


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _items(text: str, key: str | None = None) -> list[dict[str, Any]]:
    """The JSON objects of a (possibly compressed) JSON list, or of ``data[key]``."""
    data = _json(text)
    if key is not None and isinstance(data, dict):
        data = data.get(key)
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _refs(text: str) -> list[str]:
    return [a or b for a, b in _REF_RE.findall(text)]


def _last(results: Sequence[ToolResult], name: str) -> ToolResult | None:
    return next((r for r in reversed(results) if r.name == name), None)


def _issues_seen(
    results: Sequence[ToolResult], tools: tuple[str, ...] = ("list_issues", RETRIEVE)
) -> dict[int, dict[str, Any]]:
    """Every issue record the model has been sent by ``tools``, by number."""
    seen: dict[int, dict[str, Any]] = {}
    for result in results:
        if result.name in tools:
            for item in _items(result.text):
                if isinstance(item.get("number"), int):
                    seen[item["number"]] = item
    return seen


def _wanted_issue(results: Sequence[ToolResult]) -> int | None:
    """The first issue mentioned by the CI failure or a seen issue's body that the model has not seen."""
    seen = _issues_seen(results)
    log = _last(results, "get_ci_log")
    mentions = [int(n) for n in _ISSUE_MENTION_RE.findall(log.text)] if log else []
    for number in sorted(seen):
        mentions += [int(n) for n in _ISSUE_MENTION_RE.findall(str(seen[number].get("body", "")))]
    return next((n for n in mentions if n not in seen), None)


def _product_line(question: str, results: Sequence[ToolResult]) -> str:
    search = _last(results, "search_products")
    sku = (_SKU_RE.findall(question) or ["?"])[0]
    product = next((p for p in _items(search.text, "results") if p.get("sku") == sku), None) if search else None
    if product is None:
        return f"Product {sku}: not found in what I was sent."
    stock = f"{product['stock']} in stock" if product.get("in_stock") else "out of stock"
    return f"Product {sku}: {product['title']}, ${product['price_usd']}, {stock} ({product['seller']})."


def _failure_line(results: Sequence[ToolResult]) -> str:
    log = _last(results, "get_ci_log")
    found = _FAILED_RE.search(log.text) if log else None
    if found is None:
        return "CI: no failing test in what I was sent."
    return f"CI: {found.group(1)} failed: {found.group(2)}"


def _issue_lines(results: Sequence[ToolResult]) -> list[str]:
    log = _last(results, "get_ci_log")
    seen = _issues_seen(results)
    listed = _issues_seen(results, ("list_issues",))
    linked = [int(n) for n in _ISSUE_MENTION_RE.findall(log.text)] if log else []
    lines = []
    for number in linked:
        issue = seen.get(number)
        if issue is None:
            lines.append(f"Issue #{number}: not found in what I was sent.")
            continue
        lines.append(f"Issue #{number} ({issue.get('state')}): {issue.get('title')}")
        for cited in _ISSUE_MENTION_RE.findall(str(issue.get("body", ""))):
            other = seen.get(int(cited))
            via = "" if int(cited) in listed else " (fetched back with headroom_retrieve)"
            title = other.get("title") if other else "not found in what I was sent"
            lines.append(f"  it cites #{cited}{via if other else ''}: {title}")
    return lines


def next_step(question: str, results: Sequence[ToolResult]) -> ToolCall | Answer:
    """The call to make after ``results`` (all tool results so far, oldest first), or the answer."""
    names = {r.name for r in results}
    if "search_products" not in names:
        sku = (_SKU_RE.findall(question) or [question])[0]
        return ToolCall("search_products", {"query": sku})
    if "get_ci_log" not in names:
        build = _BUILD_RE.search(question)
        return ToolCall("get_ci_log", {"build": int(build.group(1)) if build else 0})
    if "list_issues" not in names:
        repo = _REPO_RE.search(question)
        return ToolCall("list_issues", {"repo": repo.group(1) if repo else ""})
    issues = _last(results, "list_issues")
    wanted = _wanted_issue(results)
    refs = _refs(issues.text) if issues else []
    if wanted is not None and refs and RETRIEVE not in names:
        return ToolCall(RETRIEVE, {"ref": refs[0], "query": str(wanted)})
    return Answer("\n".join([_product_line(question, results), _failure_line(results), *_issue_lines(results)]))
