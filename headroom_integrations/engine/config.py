"""Configuration objects, one per concept, validated once at construction.

All configs are frozen dataclasses: a config is checked when it is built and
can then be shared freely between threads and calls. A bad value raises
:class:`ConfigurationError` whose ``details`` name the field, the value and the
allowed range, so a user sees exactly what to fix.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigurationError

__all__ = [
    "CCRConfig",
    "CacheAlignerConfig",
    "ContentCompressionConfig",
    "HeadroomConfig",
    "HeadroomMode",
    "IntelligentContextConfig",
    "RelevanceScorerConfig",
    "RollingWindowConfig",
    "ScoringWeights",
    "SmartCrusherConfig",
]


class HeadroomMode(str, enum.Enum):
    """What a call does: measure only, compress, or plan without side effects."""

    AUDIT = "audit"
    OPTIMIZE = "optimize"
    SIMULATE = "simulate"

    @classmethod
    def parse(cls, value: HeadroomMode | str) -> HeadroomMode:
        """Accept an enum member or its (case-insensitive) name."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise ConfigurationError(
                f"unknown mode {value!r}",
                {"field": "mode", "value": value, "allowed": [m.value for m in cls]},
            ) from None


def _check_range(
    owner: object,
    name: str,
    lo: float | None = None,
    hi: float | None = None,
    *,
    integer: bool = False,
) -> None:
    """Raise ConfigurationError unless ``owner.name`` is a number within [lo, hi]."""
    value = getattr(owner, name)
    allowed = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
    kind = "integer" if integer else "number"
    bad_type = isinstance(value, bool) or not isinstance(value, int if integer else (int, float))
    if (
        bad_type
        or (isinstance(value, float) and math.isnan(value))
        or (lo is not None and value < lo)
        or (hi is not None and value > hi)
    ):
        raise ConfigurationError(
            f"{type(owner).__name__}.{name} must be a {kind} in {allowed}",
            {"field": f"{type(owner).__name__}.{name}", "value": value, "allowed": allowed},
        )


def _check_choice(owner: object, name: str, allowed: tuple[Any, ...]) -> None:
    value = getattr(owner, name)
    if value not in allowed:
        raise ConfigurationError(
            f"{type(owner).__name__}.{name} must be one of {list(allowed)}",
            {"field": f"{type(owner).__name__}.{name}", "value": value, "allowed": list(allowed)},
        )


def _check_bool(owner: object, *names: str) -> None:
    for name in names:
        value = getattr(owner, name)
        if not isinstance(value, bool):
            raise ConfigurationError(
                f"{type(owner).__name__}.{name} must be a bool",
                {"field": f"{type(owner).__name__}.{name}", "value": value, "allowed": "bool"},
            )


@dataclass(frozen=True)
class SmartCrusherConfig:
    """How JSON arrays are reduced (see :class:`SmartCrusher`)."""

    enabled: bool = True
    min_tokens_to_crush: int = 200
    min_items_to_analyze: int = 5
    max_items_after_crush: int = 15
    keep_first: int = 3
    keep_last: int = 2
    relevance_threshold: float = 0.3
    anomaly_std_threshold: float = 2.0
    variance_threshold: float = 2.0
    preserve_errors: bool = True
    min_savings_ratio: float = 0.1
    max_string_chars: int = 2000
    max_scalar_items: int = 50
    max_depth: int = 200
    # First/last items kept (at each end) instead of keep_first/keep_last when the
    # query names its target (an exact identifier or a clearly relevant item).
    focused_keep_ends: int = 1

    def __post_init__(self) -> None:
        _check_bool(self, "enabled", "preserve_errors")
        _check_range(self, "min_tokens_to_crush", 0, None, integer=True)
        _check_range(self, "min_items_to_analyze", 2, None, integer=True)
        _check_range(self, "max_items_after_crush", 1, None, integer=True)
        _check_range(self, "keep_first", 0, None, integer=True)
        _check_range(self, "keep_last", 0, None, integer=True)
        _check_range(self, "relevance_threshold", 0.0, 1.0)
        _check_range(self, "anomaly_std_threshold", 0.0, None)
        _check_range(self, "variance_threshold", 0.0, None)
        _check_range(self, "min_savings_ratio", 0.0, 0.99)
        _check_range(self, "max_string_chars", 64, None, integer=True)
        _check_range(self, "max_scalar_items", 4, None, integer=True)
        _check_range(self, "max_depth", 1, 10_000, integer=True)
        _check_range(self, "focused_keep_ends", 0, None, integer=True)
        if self.keep_first + self.keep_last > self.max_items_after_crush:
            raise ConfigurationError(
                "SmartCrusherConfig.keep_first + keep_last must not exceed max_items_after_crush",
                {
                    "field": "SmartCrusherConfig.keep_first",
                    "value": self.keep_first + self.keep_last,
                    "allowed": f"[0, {self.max_items_after_crush}]",
                },
            )


@dataclass(frozen=True)
class ContentCompressionConfig:
    """Shared knobs of the content compressors (logs, search, code, diff, HTML, prose)."""

    enabled: bool = True
    min_tokens_to_compress: int = 200
    min_savings_ratio: float = 0.1
    max_lines_per_template: int = 2
    rare_template_max_count: int = 3
    search_max_matches_per_file: int = 5
    diff_context_lines: int = 1
    text_target_ratio: float = 0.35
    code_target_ratio: float = 0.5
    diff_max_tokens: int = 0
    table_max_rows: int = 30
    compress_user_messages: bool = False
    compress_system_messages: bool = False

    def __post_init__(self) -> None:
        _check_bool(self, "enabled", "compress_user_messages", "compress_system_messages")
        _check_range(self, "min_tokens_to_compress", 0, None, integer=True)
        _check_range(self, "min_savings_ratio", 0.0, 0.99)
        _check_range(self, "max_lines_per_template", 1, None, integer=True)
        _check_range(self, "rare_template_max_count", 0, None, integer=True)
        _check_range(self, "search_max_matches_per_file", 1, None, integer=True)
        _check_range(self, "diff_context_lines", 0, None, integer=True)
        _check_range(self, "text_target_ratio", 0.05, 1.0)
        _check_range(self, "code_target_ratio", 0.05, 1.0)
        _check_range(self, "diff_max_tokens", 0, None, integer=True)
        _check_range(self, "table_max_rows", 3, None, integer=True)


@dataclass(frozen=True)
class CacheAlignerConfig:
    """Keeps the system prompt's prefix byte-stable so provider prompt caches hit."""

    enabled: bool = True
    normalize_whitespace: bool = True
    move_dynamic_values: bool = True
    dynamic_tail_header: str = "[Dynamic context]"

    def __post_init__(self) -> None:
        _check_bool(self, "enabled", "normalize_whitespace", "move_dynamic_values")
        if not isinstance(self.dynamic_tail_header, str) or not self.dynamic_tail_header.strip():
            raise ConfigurationError(
                "CacheAlignerConfig.dynamic_tail_header must be a non-empty string",
                {
                    "field": "CacheAlignerConfig.dynamic_tail_header",
                    "value": self.dynamic_tail_header,
                    "allowed": "non-empty str",
                },
            )


@dataclass(frozen=True)
class RollingWindowConfig:
    """Oldest-first dropping of whole turns to fit a budget."""

    enabled: bool = True
    keep_system: bool = True
    keep_last_turns: int = 2
    output_buffer_tokens: int = 4000

    def __post_init__(self) -> None:
        _check_bool(self, "enabled", "keep_system")
        _check_range(self, "keep_last_turns", 0, None, integer=True)
        _check_range(self, "output_buffer_tokens", 0, None, integer=True)


@dataclass(frozen=True)
class ScoringWeights:
    """Weights of the signals that decide which history units matter; normalised to sum 1."""

    recency: float = 0.3
    relevance: float = 0.3
    error: float = 0.15
    forward_reference: float = 0.15
    density: float = 0.1

    def __post_init__(self) -> None:
        names = [f.name for f in fields(self)]
        for name in names:
            _check_range(self, name, 0.0, None)
        total = sum(getattr(self, n) for n in names)
        if total <= 0:
            raise ConfigurationError(
                "ScoringWeights must not all be zero",
                {"field": "ScoringWeights", "value": total, "allowed": "(0, inf)"},
            )
        for name in names:
            object.__setattr__(self, name, getattr(self, name) / total)


@dataclass(frozen=True)
class IntelligentContextConfig:
    """Importance-scored history management under a token budget."""

    enabled: bool = True
    keep_system: bool = True
    keep_last_turns: int = 2
    output_buffer_tokens: int = 4000
    compress_before_drop: bool = True
    weights: ScoringWeights = field(default_factory=ScoringWeights)

    def __post_init__(self) -> None:
        _check_bool(self, "enabled", "keep_system", "compress_before_drop")
        _check_range(self, "keep_last_turns", 0, None, integer=True)
        _check_range(self, "output_buffer_tokens", 0, None, integer=True)
        if isinstance(self.weights, Mapping):
            object.__setattr__(self, "weights", _build(ScoringWeights, self.weights))
        if not isinstance(self.weights, ScoringWeights):
            raise ConfigurationError(
                "IntelligentContextConfig.weights must be ScoringWeights",
                {"field": "IntelligentContextConfig.weights", "value": self.weights, "allowed": "ScoringWeights"},
            )


@dataclass(frozen=True)
class CCRConfig:
    """Compress-cache-retrieve: where dropped content is kept and for how long."""

    enabled: bool = True
    store_max_entries: int = 1000
    store_max_bytes: int = 256 * 1024 * 1024
    store_ttl_seconds: float = 3600.0
    inject_retrieval_marker: bool = True
    min_items_to_cache: int = 1

    def __post_init__(self) -> None:
        _check_bool(self, "enabled", "inject_retrieval_marker")
        _check_range(self, "store_max_entries", 1, None, integer=True)
        _check_range(self, "store_max_bytes", 1024, None, integer=True)
        _check_range(self, "store_ttl_seconds", 1, None)
        _check_range(self, "min_items_to_cache", 1, None, integer=True)


SCORER_TYPES = ("auto", "bm25", "embedding", "hybrid")


@dataclass(frozen=True)
class RelevanceScorerConfig:
    """Which relevance scorer ranks items against the query, and its parameters."""

    scorer_type: str = "bm25"
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    hybrid_alpha: float = 0.5
    adaptive_alpha: bool = True
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_batch_size: int = 32
    embedding_cache_size: int = 10_000
    hybrid_embed_top_k: int = 48

    def __post_init__(self) -> None:
        _check_choice(self, "scorer_type", SCORER_TYPES)
        _check_range(self, "bm25_k1", 0.0, 10.0)
        _check_range(self, "bm25_b", 0.0, 1.0)
        _check_range(self, "hybrid_alpha", 0.0, 1.0)
        _check_bool(self, "adaptive_alpha")
        _check_range(self, "embedding_batch_size", 1, 4096, integer=True)
        _check_range(self, "embedding_cache_size", 0, None, integer=True)
        _check_range(self, "hybrid_embed_top_k", 1, None, integer=True)


_SUBCONFIGS: dict[str, type] = {
    "smart_crusher": SmartCrusherConfig,
    "content": ContentCompressionConfig,
    "cache_aligner": CacheAlignerConfig,
    "rolling_window": RollingWindowConfig,
    "intelligent_context": IntelligentContextConfig,
    "ccr": CCRConfig,
    "relevance": RelevanceScorerConfig,
}

T = TypeVar("T")


def _build(cls: type[T], values: Mapping[str, Any]) -> T:
    """Build ``cls`` from a mapping, rejecting unknown keys with a clear error."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigurationError(
            f"unknown {cls.__name__} option(s): {', '.join(unknown)}",
            {"field": f"{cls.__name__}.{unknown[0]}", "value": values[unknown[0]], "allowed": sorted(known)},
        )
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigurationError(str(exc), {"field": cls.__name__}) from None


@dataclass(frozen=True)
class HeadroomConfig:
    """Everything Headroom needs to know, in one validated object.

    Sub-configs may be given as their dataclass or as a plain dict
    (``HeadroomConfig(smart_crusher={"max_items_after_crush": 10})``).
    """

    smart_crusher: SmartCrusherConfig = field(default_factory=SmartCrusherConfig)
    content: ContentCompressionConfig = field(default_factory=ContentCompressionConfig)
    cache_aligner: CacheAlignerConfig = field(default_factory=CacheAlignerConfig)
    rolling_window: RollingWindowConfig = field(default_factory=RollingWindowConfig)
    intelligent_context: IntelligentContextConfig = field(default_factory=IntelligentContextConfig)
    ccr: CCRConfig = field(default_factory=CCRConfig)
    relevance: RelevanceScorerConfig = field(default_factory=RelevanceScorerConfig)
    store_url: str = "sqlite:///headroom.db"
    default_mode: HeadroomMode = HeadroomMode.OPTIMIZE
    model_context_limits: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, cls in _SUBCONFIGS.items():
            value = getattr(self, name)
            if isinstance(value, Mapping):
                object.__setattr__(self, name, _build(cls, value))
            elif not isinstance(value, cls):
                raise ConfigurationError(
                    f"HeadroomConfig.{name} must be {cls.__name__} or a dict",
                    {"field": f"HeadroomConfig.{name}", "value": value, "allowed": cls.__name__},
                )
        object.__setattr__(self, "default_mode", HeadroomMode.parse(self.default_mode))
        if not isinstance(self.store_url, str) or not (
            self.store_url.startswith(("sqlite://", "jsonl://", "memory://"))
        ):
            raise ConfigurationError(
                "HeadroomConfig.store_url must start with sqlite://, jsonl:// or memory://",
                {
                    "field": "HeadroomConfig.store_url",
                    "value": self.store_url,
                    "allowed": ["sqlite:///PATH", "jsonl:///PATH", "memory://"],
                },
            )
        limits = dict(self.model_context_limits or {})
        for model, limit in limits.items():
            if not isinstance(model, str) or isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise ConfigurationError(
                    "HeadroomConfig.model_context_limits maps model names to positive ints",
                    {"field": f"HeadroomConfig.model_context_limits[{model!r}]", "value": limit, "allowed": "[1, inf]"},
                )
        object.__setattr__(self, "model_context_limits", limits)

    def with_changes(self, **changes: Any) -> HeadroomConfig:
        """A copy with some top-level fields replaced (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (round-trips through :meth:`from_dict`)."""
        data = asdict(self)
        data["default_mode"] = self.default_mode.value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HeadroomConfig:
        """Build from a plain mapping such as parsed TOML or JSON."""
        if not isinstance(data, Mapping):
            raise ConfigurationError("configuration must be a mapping", {"field": "HeadroomConfig"})
        return _build(cls, data)

    @classmethod
    def from_file(cls, path: str | Path) -> HeadroomConfig:
        """Load a ``.toml`` or ``.json`` file; a ``[headroom]`` table is accepted in TOML."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"cannot read config file {p}: {exc}", {"field": "path"}) from None
        try:
            if p.suffix.lower() == ".toml":
                try:
                    import tomllib
                except ModuleNotFoundError:  # Python 3.10
                    import tomli as tomllib  # type: ignore[no-redef]
                data: Any = tomllib.loads(raw.decode("utf-8"))
                data = data.get("headroom", data)
            else:
                data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"cannot parse config file {p}: {exc}", {"field": "path"}) from None
        return cls.from_dict(data)

    def context_limit(self, model: str, default: int = 128_000) -> int:
        """The configured context window of ``model`` (override, then known families)."""
        if model in self.model_context_limits:
            return self.model_context_limits[model]
        from .models import context_limit_for

        return context_limit_for(model, default)
