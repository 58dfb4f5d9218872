"""Run history transforms in order, each failing open, and account for what changed.

A transform (cache alignment, content compression, a context manager) takes
messages and returns a :class:`TransformResult`. The pipeline chains them,
skips one that raises (with a warning: the user's call must go through),
tracks which input message every output message came from, and can report
a per-message ``diff``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..arguments import strict_arguments
from ..models import DEFAULT_MODEL, resolve_model
from ..tokens.tokenizer import get_tokenizer
from ._tokens import message_tokens

if TYPE_CHECKING:
    from .cache_aligner import CachePrefixMetrics

__all__ = [
    "MessageChange",
    "Transform",
    "TransformPipeline",
    "TransformResult",
    "message_diff",
    "unchanged_result",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageChange:
    """One message that differs between a transform's input and output.

    ``status`` is ``"modified"`` (same message, new content), ``"removed"``
    (dropped; ``index_after`` is None) or ``"added"`` (a note the transform
    inserted; ``index_before`` is None).
    """

    status: str
    role: str
    index_before: int | None
    index_after: int | None
    tokens_before: int
    tokens_after: int


@dataclass(frozen=True)
class TransformResult:
    """Messages after one or more transforms, with an honest account of the change.

    ``source_indices[i]`` is the input index of output message ``i`` (None for
    a note a transform inserted as a message of its own). ``markers`` (Headroom:
    ``markers_inserted``) are the notes inserted where content was removed,
    ``refs`` the store refs that bring it back. ``floor_tokens`` is set when a
    budget could not be met: the tokens of what no budget removes. ``cache_metrics``
    is set by :class:`CacheAligner`, ``timing`` maps each pipeline step to its milliseconds.
    """

    messages: list[Any]
    tokens_before: int
    tokens_after: int
    transforms_applied: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    source_indices: list[int | None] = field(default_factory=list)
    diff: list[MessageChange] | None = None
    cache_metrics: CachePrefixMetrics | None = None
    timing: dict[str, float] = field(default_factory=dict)
    floor_tokens: int | None = None

    @property
    def tokens_saved(self) -> int:
        return max(0, self.tokens_before - self.tokens_after)

    @property
    def markers_inserted(self) -> list[str]:
        """Headroom's name for ``markers``."""
        return self.markers


@runtime_checkable
class Transform(Protocol):
    """A step of the pipeline: ``name`` plus ``transform(messages, **ctx)``.

    ``ctx`` carries ``model``, ``query``, ``token_budget``, ``model_limit`` and
    whatever else the caller passes; a transform ignores keys it does not use.
    """

    name: str

    def transform(self, messages: Sequence[Mapping[str, Any]], **ctx: Any) -> TransformResult: ...


def unchanged_result(
    messages: Sequence[Mapping[str, Any]], model: str, warnings: Sequence[str] = ()
) -> TransformResult:
    """The result of a transform that changed nothing."""
    tokens = int(get_tokenizer(model).count_messages(list(messages)))
    return TransformResult(
        messages=list(messages),
        tokens_before=tokens,
        tokens_after=tokens,
        warnings=list(warnings),
        source_indices=list(range(len(messages))),
    )


def message_diff(
    before: Sequence[Mapping[str, Any]],
    after: Sequence[Mapping[str, Any]],
    source_indices: Sequence[int | None],
    model: str = DEFAULT_MODEL,
) -> list[MessageChange]:
    """Per-message changes between ``before`` and ``after``, in output order then removals."""
    tokenizer = get_tokenizer(model)
    changes: list[MessageChange] = []
    for index_after, (msg, source) in enumerate(zip(after, source_indices, strict=True)):
        role = str(msg.get("role", "")) if isinstance(msg, Mapping) else ""
        if source is None:
            tokens = message_tokens(tokenizer, msg)
            changes.append(MessageChange("added", role, None, index_after, 0, tokens))
        elif msg != before[source]:
            changes.append(
                MessageChange(
                    "modified",
                    role,
                    source,
                    index_after,
                    message_tokens(tokenizer, before[source]),
                    message_tokens(tokenizer, msg),
                )
            )
    kept = {s for s in source_indices if s is not None}
    for index_before, msg in enumerate(before):
        if index_before not in kept:
            role = str(msg.get("role", "")) if isinstance(msg, Mapping) else ""
            changes.append(MessageChange("removed", role, index_before, None, message_tokens(tokenizer, msg), 0))
    return changes


def _checked(result: Any, n_inputs: int) -> TransformResult:
    """Reject a result that would corrupt the conversation (wrong type, bad indices)."""
    if not isinstance(result, TransformResult) or not isinstance(result.messages, list):
        raise TypeError(f"transform returned {type(result).__name__}, not TransformResult")
    if len(result.source_indices) != len(result.messages):
        raise ValueError("transform returned source_indices of the wrong length")
    if any(s is not None and not 0 <= s < n_inputs for s in result.source_indices):
        raise ValueError("transform returned an out-of-range source index")
    return result


@strict_arguments
class TransformPipeline:
    """Applies transforms in order; a transform that raises is skipped with a warning."""

    name = "pipeline"

    def __init__(self, transforms: Sequence[Transform]) -> None:
        self.transforms = list(transforms)

    def transform(self, messages: Sequence[Mapping[str, Any]], *, diff: bool = False, **ctx: Any) -> TransformResult:
        """Run every transform; ``diff=True`` also reports per-message changes."""
        model = resolve_model(ctx.get("model"))
        ctx["model"] = model
        original = list(messages)
        current = list(original)
        sources: list[int | None] = list(range(len(original)))
        applied: list[str] = []
        markers: list[str] = []
        warnings: list[str] = []
        refs: list[str] = []
        timing: dict[str, float] = {}
        cache_metrics: CachePrefixMetrics | None = None
        for step in self.transforms:
            name = getattr(step, "name", type(step).__name__)
            started = time.perf_counter()
            try:
                result = _checked(step.transform(current, **ctx), len(current))
            except Exception as exc:  # fail open: skip the step, keep its input
                logger.warning("transform %s failed and was skipped: %r", name, exc, exc_info=True)
                warnings.append(f"{name} failed and was skipped: {type(exc).__name__}: {exc}")
                continue
            finally:
                timing[name] = timing.get(name, 0.0) + (time.perf_counter() - started) * 1000.0
            cache_metrics = result.cache_metrics or cache_metrics
            sources = [None if s is None else sources[s] for s in result.source_indices]
            current = result.messages
            applied.extend(result.transforms_applied)
            markers.extend(result.markers)
            warnings.extend(result.warnings)
            refs.extend(r for r in result.refs if r not in refs)
        tokenizer = get_tokenizer(model)
        result = TransformResult(
            messages=current,
            tokens_before=int(tokenizer.count_messages(original)),
            tokens_after=int(tokenizer.count_messages(current)),
            transforms_applied=applied,
            markers=markers,
            warnings=warnings,
            refs=refs,
            source_indices=sources,
            cache_metrics=cache_metrics,
            timing=timing,
        )
        if diff:
            result = replace(result, diff=message_diff(original, result.messages, result.source_indices, model))
        return result
