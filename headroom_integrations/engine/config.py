"""Configuration objects, one per concept, with the fields Headroom documents.

Configs are mutable dataclasses (``config.smart_crusher.min_tokens_to_crush = 100``
works, as in Headroom's documentation). Every assignment is checked on the spot
(type and range of that one field) and :meth:`validate` checks the rules that
tie fields together; the engine calls it before it uses a config. A bad value
raises :class:`ConfigurationError` whose ``details`` name the field, the value
and the allowed range. An unknown name, in a constructor or an assignment,
raises too and suggests the closest valid one.

A few documented fields describe Headroom machinery this package does not have
(TOIN importance scores, summaries, memory tiers; retrieval feedback is the
local loop of :mod:`.feedback`). They are accepted so configuration
written for Headroom loads unchanged; setting one to a value the engine cannot
honour emits an :class:`UnsupportedOptionWarning` saying so, instead of
silently doing nothing.
"""

from __future__ import annotations

import copy
import enum
import functools
import json
import math
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from .arguments import unknown_argument
from .errors import ConfigurationError, UnsupportedOptionWarning

T = TypeVar("T")

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # Python 3.10: the decorator only informs type checkers

    def dataclass_transform(**_: Any) -> Callable[[T], T]:
        return lambda obj: obj


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

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
# Where IntelligentContextConfig.note_role may put the note that stands for dropped history.
NOTE_ROLES = ("user", "system")


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


# --- field specs ------------------------------------------------------------------------
# A field's metadata says how one assignment is checked ("check") and, for a documented
# field the engine cannot fully honour, which values it does honour ("honoured") and why
# the others are ignored ("note").


def _bad(owner: object, name: str, value: Any, allowed: Any, what: str) -> ConfigurationError:
    label = f"{type(owner).__name__}.{name}"
    return ConfigurationError(f"{label} must be {what}", {"field": label, "value": value, "allowed": allowed})


def _range_check(lo: float | None, hi: float | None, integer: bool, optional: bool) -> Callable[..., Any]:
    allowed = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
    kind = "an integer" if integer else "a number"

    def check(owner: object, name: str, value: Any) -> Any:
        if value is None and optional:
            return None
        bad_type = isinstance(value, bool) or not isinstance(value, int if integer else (int, float))
        if (
            bad_type
            or (isinstance(value, float) and math.isnan(value))
            or (lo is not None and value < lo)
            or (hi is not None and value > hi)
        ):
            shown = f"{allowed} or None" if optional else allowed
            raise _bad(owner, name, value, shown, f"{kind} in {shown}")
        return value

    return check


def _bool_check(owner: object, name: str, value: Any) -> Any:
    if not isinstance(value, bool):
        raise _bad(owner, name, value, "bool", "a bool")
    return value


def _text_check(owner: object, name: str, value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise _bad(owner, name, value, "non-empty str", "a non-empty string")
    return value


def _choice_check(allowed: tuple[Any, ...]) -> Callable[..., Any]:
    def check(owner: object, name: str, value: Any) -> Any:
        if value not in allowed:
            raise _bad(owner, name, value, list(allowed), f"one of {list(allowed)}")
        return value

    return check


def _strings_check(choices: tuple[str, ...] | None, regex: bool) -> Callable[..., Any]:
    def check(owner: object, name: str, value: Any) -> Any:
        allowed = f"list of {'regular expressions' if regex else 'str'}"
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise _bad(owner, name, value, allowed, f"a {allowed}")
        for item in value:
            if not isinstance(item, str) or (choices is not None and item not in choices):
                raise _bad(owner, name, value, list(choices) if choices else allowed, f"a {allowed}")
            if regex:
                try:
                    re.compile(item)
                except re.error as exc:
                    raise _bad(owner, name, item, "a valid regular expression", f"valid regexes ({exc})") from None
        return list(value)

    return check


def _spec(default: Any, check: Callable[..., Any], honoured: tuple[Any, ...] | None, note: str) -> Any:
    meta: dict[str, Any] = {"check": check}
    if honoured is not None:
        meta.update(honoured=honoured, note=note)
    if isinstance(default, list):
        return field(default_factory=functools.partial(list, default), metadata=meta)
    return field(default=default, metadata=meta)


def _num(
    default: float | None,
    lo: float | None = None,
    hi: float | None = None,
    *,
    integer: bool = False,
    optional: bool = False,
    honoured: tuple[Any, ...] | None = None,
    note: str = "",
) -> Any:
    return _spec(default, _range_check(lo, hi, integer, optional), honoured, note)


def _flag(default: bool, *, honoured: tuple[Any, ...] | None = None, note: str = "") -> Any:
    return _spec(default, _bool_check, honoured, note)


def _sub(factory: Callable[[], Any], cls: type) -> Any:
    def check(owner: object, name: str, value: Any) -> Any:
        if isinstance(value, Mapping):
            return _build(cls, value)
        if not isinstance(value, cls):
            raise _bad(owner, name, value, cls.__name__, f"{cls.__name__} or a dict")
        return value

    return field(default_factory=factory, metadata={"check": check})


_NO_TOIN = (
    "this package has no TOIN (shared importance scores); retrieval feedback is SmartCrusherConfig.use_feedback_hints"
)


def _caller_stacklevel() -> int:
    """Stack level of the first frame outside this module and the dataclass machinery."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and (
        frame.f_code.co_filename in (__file__, "<string>") or frame.f_globals.get("__name__") == "dataclasses"
    ):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


class _Config:
    """Base of every config: checked assignment, aliases, unknown names rejected."""

    ALIASES: ClassVar[dict[str, str]] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        cls = type(self)
        target = cls.ALIASES.get(name, name)
        specs = _field_specs(cls)
        spec = specs.get(target)
        if spec is None:
            if isinstance(getattr(cls, name, None), property):
                object.__setattr__(self, name, value)
                return
            raise unknown_argument(cls.__name__, name, value, [*specs, *cls.ALIASES])
        check = spec.metadata.get("check")
        if check is not None:
            value = check(self, target, value)
        object.__setattr__(self, target, value)
        honoured = spec.metadata.get("honoured")
        if honoured is not None and value not in honoured and value != _default_of(spec):
            warnings.warn(
                f"{cls.__name__}.{target}={value!r} is accepted but not honoured: {spec.metadata['note']}",
                UnsupportedOptionWarning,
                stacklevel=_caller_stacklevel(),
            )

    def validate(self) -> None:
        """Check every field again plus the rules that tie fields together."""
        for name, spec in _field_specs(type(self)).items():
            check = spec.metadata.get("check")
            if check is not None:
                check(self, name, getattr(self, name))
            sub = getattr(self, name)
            if isinstance(sub, _Config):
                sub.validate()
        self._validate_together()

    def _validate_together(self) -> None:
        """Rules across fields (none by default)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        clone = object.__new__(type(self))
        for name in _field_specs(type(self)):
            object.__setattr__(clone, name, copy.deepcopy(getattr(self, name), memo))
        return clone


def _field_specs(cls: type) -> dict[str, Field[Any]]:
    """The dataclass fields of ``cls`` by name (stored on the class by :func:`_config`)."""
    specs: dict[str, Field[Any]] = cls.__dict__["_FIELD_SPECS"]
    return specs


def _default_of(spec: Field[Any]) -> Any:
    if spec.default is not MISSING:
        return spec.default
    if spec.default_factory is not MISSING:
        return spec.default_factory()
    return MISSING


C = TypeVar("C", bound=type)


@dataclass_transform(field_specifiers=(field, Field))
def _config(decorated: C) -> C:
    """Make ``cls`` a mutable config dataclass whose constructor knows its aliases."""
    cls: Any = dataclass(decorated)
    cls._FIELD_SPECS = {f.name: f for f in fields(cls)}
    init = cls.__dict__["__init__"]
    aliases: dict[str, str] = cls.ALIASES

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        specs = _field_specs(cls)
        for name in list(kwargs):
            if name in specs:
                continue
            target = aliases.get(name)
            if target is None:
                raise unknown_argument(cls.__name__, name, kwargs[name], [*specs, *aliases])
            if target in kwargs:
                raise ConfigurationError(
                    f"{cls.__name__}: {name} is another name for {target}; give one of them",
                    {"field": f"{cls.__name__}.{name}", "value": kwargs[name], "allowed": [target]},
                )
            kwargs[target] = kwargs.pop(name)
        init(self, *args, **kwargs)

    setattr(cls, "__init__", __init__)  # noqa: B010 - assigning a method directly upsets mypy
    for alias, target in aliases.items():
        setattr(cls, alias, property(functools.partial(_read, name=target), doc=f"Another name for ``{target}``."))
    return decorated


def _read(owner: object, *, name: str) -> Any:
    return getattr(owner, name)


# --- the configs --------------------------------------------------------------------------


SCORER_TYPES = ("auto", "bm25", "embedding", "hybrid")


@_config
class RelevanceScorerConfig(_Config):
    """Which relevance scorer ranks items against the query, and its parameters.

    ``scorer_type`` (documented also as ``tier``): ``"bm25"``, ``"embedding"``,
    ``"hybrid"`` or ``"auto"`` (hybrid when the bundled embedding model can run).
    ``hybrid_alpha`` is the BM25 weight (0 = embedding only, 1 = BM25 only).
    ``embedding_model`` None means the bundled all-MiniLM-L6-v2.
    """

    ALIASES: ClassVar[dict[str, str]] = {"tier": "scorer_type"}

    scorer_type: str = _spec("bm25", _choice_check(SCORER_TYPES), None, "")
    bm25_k1: float = _num(1.5, 0.0, 10.0)
    bm25_b: float = _num(0.75, 0.0, 1.0)
    embedding_model: str = field(default=DEFAULT_EMBEDDING_MODEL, metadata={"check": lambda o, n, v: _model(o, n, v)})
    hybrid_alpha: float = _num(0.5, 0.0, 1.0)
    adaptive_alpha: bool = _flag(True)
    relevance_threshold: float = _num(
        0.25,
        0.0,
        1.0,
        honoured=(),
        note="the JSON crusher keeps items above SmartCrusherConfig.relevance_threshold; "
        "the other compressors rank by relevance within their budget",
    )
    embedding_batch_size: int = _num(32, 1, 4096, integer=True)
    embedding_cache_size: int = _num(10_000, 0, integer=True)
    hybrid_embed_top_k: int = _num(48, 1, integer=True)


def _model(owner: object, name: str, value: Any) -> str:
    """None selects the bundled model; anything else must be a non-empty string."""
    return DEFAULT_EMBEDDING_MODEL if value is None else str(_text_check(owner, name, value))


@_config
class SmartCrusherConfig(_Config):
    """How JSON arrays are reduced (see :class:`SmartCrusher`).

    Always kept: the first ``keep_first`` and last ``keep_last`` items, error
    items (``preserve_errors``), numeric anomalies beyond
    ``anomaly_std_threshold`` standard deviations, change points (level shifts
    beyond ``variance_threshold``, when ``preserve_change_points``) and items
    matching the query above ``relevance_threshold``; at most
    ``max_items_after_crush`` in total unless more must be kept.
    ``relevance`` ranks items against the query (and, inside a HeadroomConfig,
    every other compressor's lines and sentences too). ``use_feedback_hints``
    applies what ``headroom_retrieve`` calls taught about a tool (a larger
    item budget, ``keep_terms``; see :mod:`~.feedback`).
    """

    enabled: bool = _flag(True)
    min_tokens_to_crush: int = _num(200, 0, integer=True)
    min_items_to_analyze: int = _num(5, 2, integer=True)
    max_items_after_crush: int = _num(15, 1, integer=True)
    keep_first: int = _num(3, 0, integer=True)
    keep_last: int = _num(2, 0, integer=True)
    relevance_threshold: float = _num(0.3, 0.0, 1.0)
    anomaly_std_threshold: float = _num(2.0, 0.0)
    variance_threshold: float = _num(2.0, 0.0)
    preserve_errors: bool = _flag(True)
    preserve_change_points: bool = _flag(True)
    uniqueness_threshold: float = _num(
        0.1, 0.0, 1.0, honoured=(), note="near-constant fields are found by grouping items, not by this ratio"
    )
    similarity_threshold: float = _num(
        0.8, 0.0, 1.0, honoured=(), note="near-identical items are grouped by their shape and value kinds"
    )
    factor_out_constants: bool = _flag(False, honoured=(False,), note="the original JSON schema is always kept")
    include_summaries: bool = _flag(False, honoured=(False,), note="the engine never writes generated text")
    # Apply what retrievals taught (engine/feedback.py) to this config's tool outputs.
    use_feedback_hints: bool = _flag(True)
    toin_confidence_threshold: float = _num(0.3, 0.0, 1.0, honoured=(), note=_NO_TOIN)
    dedup_identical_items: bool = _flag(
        True, honoured=(True,), note="identical items always compete for one slot of the budget"
    )
    first_fraction: float = _num(0.3, 0.0, 1.0, honoured=(), note="the items kept at the start are keep_first")
    last_fraction: float = _num(0.15, 0.0, 1.0, honoured=(), note="the items kept at the end are keep_last")
    relevance: RelevanceScorerConfig = _sub(RelevanceScorerConfig, RelevanceScorerConfig)
    min_savings_ratio: float = _num(0.1, 0.0, 0.99)
    max_string_chars: int = _num(2000, 64, integer=True)
    max_scalar_items: int = _num(50, 4, integer=True)
    max_depth: int = _num(200, 1, 10_000, integer=True)
    # First/last items kept (at each end) instead of keep_first/keep_last when the
    # query names its target (an exact identifier or a clearly relevant item).
    focused_keep_ends: int = _num(1, 0, integer=True)
    # JSON left whole (nothing worth dropping) also loses its null, "", [] and {} object fields
    # when that saves tokens; the original is stashed and a note names its ref.
    omit_empty_fields: bool = _flag(True)
    # Items holding one of these strings verbatim are always kept (within the must-keep cap), when
    # the string picks out at most half of the items; set by a tool profile or learned from retrievals.
    keep_terms: list[str] = _spec([], _strings_check(None, False), None, "")

    def _validate_together(self) -> None:
        if self.keep_first + self.keep_last > self.max_items_after_crush:
            raise ConfigurationError(
                "SmartCrusherConfig.keep_first + keep_last must not exceed max_items_after_crush",
                {
                    "field": "SmartCrusherConfig.keep_first",
                    "value": self.keep_first + self.keep_last,
                    "allowed": f"[0, {self.max_items_after_crush}]",
                },
            )

    def __post_init__(self) -> None:
        self._validate_together()


@_config
class ContentCompressionConfig(_Config):
    """Shared knobs of the content compressors (logs, search, code, diff, HTML, prose)."""

    enabled: bool = _flag(True)
    min_tokens_to_compress: int = _num(200, 0, integer=True)
    min_savings_ratio: float = _num(0.1, 0.0, 0.99)
    max_lines_per_template: int = _num(2, 1, integer=True)
    rare_template_max_count: int = _num(3, 0, integer=True)
    search_max_matches_per_file: int = _num(5, 1, integer=True)
    diff_context_lines: int = _num(1, 0, integer=True)
    text_target_ratio: float = _num(0.35, 0.05, 1.0)
    code_target_ratio: float = _num(0.5, 0.05, 1.0)
    diff_max_tokens: int = _num(0, 0, integer=True)
    table_max_rows: int = _num(30, 3, integer=True)
    compress_user_messages: bool = _flag(False)
    compress_system_messages: bool = _flag(False)


# Headroom's documented defaults: ISO dates and timestamps and the usual "today is" phrasings.
_DATE_PATTERNS = [
    r"Current [Dd]ate:?\s*\d{4}-\d{2}-\d{2}",
    r"Today is \w+,?\s+\w+ \d+",
    r"Today's date:?\s*\d{4}-\d{2}-\d{2}",
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
]


@_config
class CacheAlignerConfig(_Config):
    """Keeps the system prompt's prefix byte-stable so provider prompt caches hit.

    ``extract_dates`` moves dynamic values (dates, times, ids, and whatever
    ``date_patterns`` / ``dynamic_patterns`` match) into a tail after
    ``dynamic_tail_separator``; ``normalize_whitespace`` strips trailing spaces
    and ``collapse_blank_lines`` squeezes blank-line runs (never inside fenced code).
    """

    ALIASES: ClassVar[dict[str, str]] = {"move_dynamic_values": "extract_dates"}

    enabled: bool = _flag(True)
    extract_dates: bool = _flag(True)
    normalize_whitespace: bool = _flag(True)
    collapse_blank_lines: bool = _flag(True)
    date_patterns: list[str] = _spec(_DATE_PATTERNS, _strings_check(None, True), None, "")
    dynamic_patterns: list[str] = _spec([], _strings_check(None, True), None, "")
    dynamic_tail_separator: str = _spec("\n\n[Dynamic context]\n", _text_check, None, "")
    stable_prefix_min_tokens: int = _num(
        100, 0, integer=True, honoured=(), note="the prefix is aligned whatever its size; see the reported metrics"
    )
    use_dynamic_detector: bool = _flag(True, honoured=(True,), note="dynamic values are always detected")
    detection_tiers: list[str] = _spec(
        ["regex"],
        _strings_check(("regex", "ner", "semantic"), False),
        (["regex"],),
        "only the regex tier exists here (no NER or semantic models)",
    )
    extra_dynamic_labels: list[str] = _spec(
        [], _strings_check(None, False), ([],), "labels need the NER tier; use dynamic_patterns"
    )
    entropy_threshold: float = _num(0.7, 0.0, 1.0, honoured=(), note="dynamic values are found by pattern, not entropy")


@_config
class RollingWindowConfig(_Config):
    """Oldest-first dropping of whole turns to fit a budget.

    ``max_tokens`` is the window's budget when a call gives none (None: the
    model's context limit less ``output_buffer_tokens``). Documented aliases:
    ``preserve_system`` = ``keep_system``, ``preserve_recent_turns`` and
    ``min_keep_turns`` = ``keep_last_turns``.
    """

    ALIASES: ClassVar[dict[str, str]] = {
        "preserve_system": "keep_system",
        "preserve_recent_turns": "keep_last_turns",
        "min_keep_turns": "keep_last_turns",
    }

    enabled: bool = _flag(True)
    keep_system: bool = _flag(True)
    keep_last_turns: int = _num(2, 0, integer=True)
    output_buffer_tokens: int = _num(4000, 0, integer=True)
    max_tokens: int | None = _num(None, 1, integer=True, optional=True)
    drop_oldest_first: bool = _flag(True, honoured=(True,), note="the rolling window always drops oldest first")
    prefer_drop_tool_outputs: bool = _flag(
        False, honoured=(False,), note="units are dropped by age; IntelligentContextManager weighs content"
    )


@_config
class ScoringWeights(_Config):
    """Weights of the signals that decide which history units matter; normalised to sum 1.0.

    A new ScoringWeights is normalised; after later assignments use
    :meth:`normalized` (the engine always does). ``semantic_similarity`` is the
    unit's relevance to the query, ``error_indicator`` whether it reports an
    error, ``token_density`` its unique-word share. Documented short names
    ``relevance``, ``error`` and ``density`` are aliases.
    """

    ALIASES: ClassVar[dict[str, str]] = {
        "relevance": "semantic_similarity",
        "error": "error_indicator",
        "density": "token_density",
    }

    recency: float = _num(0.20, 0.0)
    semantic_similarity: float = _num(0.20, 0.0)
    toin_importance: float = _num(0.25, 0.0, honoured=(0, 0.0), note=_NO_TOIN)
    error_indicator: float = _num(0.15, 0.0)
    forward_reference: float = _num(0.15, 0.0)
    token_density: float = _num(0.05, 0.0)

    def _validate_together(self) -> None:
        if self._total() <= 0:
            raise ConfigurationError(
                "ScoringWeights must not all be zero",
                {"field": "ScoringWeights", "value": self._total(), "allowed": "(0, inf)"},
            )

    def _total(self) -> float:
        return float(sum(getattr(self, f.name) for f in fields(self)))

    def __post_init__(self) -> None:
        self._validate_together()
        total = self._total()
        for f in fields(self):
            object.__setattr__(self, f.name, getattr(self, f.name) / total)

    def normalized(self) -> ScoringWeights:
        """A copy whose weights sum to 1.0 (checked: they must not all be zero)."""
        self.validate()
        clone = copy.deepcopy(self)
        total = self._total()
        for f in fields(self):
            object.__setattr__(clone, f.name, getattr(self, f.name) / total)
        return clone


@_config
class IntelligentContextConfig(_Config):
    """Importance-scored history management under a token budget.

    ``use_importance_scoring`` False ranks units by age alone (oldest dropped
    first); ``recency_decay_rate`` is the exponential decay per unit from the
    end of the conversation; ``compress_before_drop`` tries a compressed copy
    of a unit before dropping it. ``weights`` is an alias of ``scoring_weights``.
    ``note_role`` is where the one note naming dropped history goes, so that
    no two user messages become adjacent and no system message appears after
    the first (strict providers such as Anthropic): ``"user"`` (default) keeps it
    where the history was cut, merged into the user message right after (or
    before) the cut, else as a user message of its own between non-user
    messages; the system prompt stays byte-identical for prompt caches.
    ``"system"`` appends it to the leading system message (or opens the
    conversation with a system message when there is none).
    """

    ALIASES: ClassVar[dict[str, str]] = {"weights": "scoring_weights"}

    enabled: bool = _flag(True)
    keep_system: bool = _flag(True)
    keep_last_turns: int = _num(2, 0, integer=True)
    output_buffer_tokens: int = _num(4000, 0, integer=True)
    use_importance_scoring: bool = _flag(True)
    scoring_weights: ScoringWeights = _sub(ScoringWeights, ScoringWeights)
    recency_decay_rate: float = _num(0.1, 0.0, 10.0)
    compress_before_drop: bool = _flag(True)
    note_role: str = _spec("user", _choice_check(NOTE_ROLES), None, "")
    toin_integration: bool = _flag(True, honoured=(False,), note=_NO_TOIN)
    toin_confidence_threshold: float = _num(0.3, 0.0, 1.0, honoured=(), note=_NO_TOIN)
    compress_threshold: float = _num(
        0.1, 0.0, 1.0, honoured=(), note="units are compressed before dropping whenever compress_before_drop is set"
    )
    summarization_enabled: bool = _flag(
        False, honoured=(False,), note="the engine never writes summaries (no generated text)"
    )
    summarization_model: str | None = _spec(
        None, lambda o, n, v: v if v is None else _text_check(o, n, v), (None,), "no summaries are written"
    )
    summary_max_tokens: int = _num(500, 1, integer=True, honoured=(), note="no summaries are written")
    summarize_threshold: float = _num(0.25, 0.0, 1.0, honoured=(), note="no summaries are written")
    memory_tiers_enabled: bool = _flag(False, honoured=(False,), note="dropped units go to the CCR store")
    warm_tier_enabled: bool = _flag(False, honoured=(False,), note="dropped units go to the CCR store")
    cold_tier_enabled: bool = _flag(False, honoured=(False,), note="dropped units go to the CCR store")

    def to_rolling_window_config(self) -> RollingWindowConfig:
        """The equivalent oldest-first window (same protections and output buffer)."""
        return RollingWindowConfig(
            enabled=self.enabled,
            keep_system=self.keep_system,
            keep_last_turns=self.keep_last_turns,
            output_buffer_tokens=self.output_buffer_tokens,
        )


@_config
class CCRConfig(_Config):
    """Compress-cache-retrieve: where dropped content is kept and for how long.

    ``inject_tool`` / ``inject_system_instructions`` are the integrations'
    business (the LangChain middleware and Agno hooks register
    ``headroom_retrieve`` themselves).
    """

    enabled: bool = _flag(True)
    store_max_entries: int = _num(1000, 1, integer=True)
    store_max_bytes: int = _num(256 * 1024 * 1024, 1024, integer=True)
    store_ttl_seconds: float = _num(3600.0, 1)
    inject_retrieval_marker: bool = _flag(True)
    min_items_to_cache: int = _num(1, 1, integer=True)
    # Record cut outputs and headroom_retrieve calls in the metrics store (engine/feedback.py).
    feedback_enabled: bool = _flag(True)
    inject_tool: bool = _flag(True, honoured=(True,), note="the integrations decide whether to offer the tool")
    inject_system_instructions: bool = _flag(
        False, honoured=(False,), note="the retrieval hint is written next to each omission instead"
    )


_SUBCONFIGS: dict[str, type] = {
    "smart_crusher": SmartCrusherConfig,
    "content": ContentCompressionConfig,
    "cache_aligner": CacheAlignerConfig,
    "rolling_window": RollingWindowConfig,
    "intelligent_context": IntelligentContextConfig,
    "ccr": CCRConfig,
}


def _build(cls: type[T], values: Mapping[str, Any]) -> T:
    """Build ``cls`` from a mapping; unknown keys raise ConfigurationError naming the closest field."""
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigurationError(str(exc), {"field": cls.__name__}) from None


def _store_url_check(owner: object, name: str, value: Any) -> Any:
    """None, ``memory://`` or ``sqlite:///PATH``: exactly what :class:`CompressionStore` opens."""
    if value is None:
        return None
    from .storage.sqlite import parse_store_url

    try:
        parse_store_url(value, ("memory", "sqlite"), "HeadroomConfig.store_url")
    except ConfigurationError:
        allowed = [None, "memory://", "sqlite:///PATH"]
        raise _bad(owner, name, value, allowed, "None, memory:// or sqlite:///PATH") from None
    return value


def _limits_check(owner: object, name: str, value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise _bad(owner, name, value, "dict[str, int]", "a dict of model names to positive ints")
    for model, limit in value.items():
        if not isinstance(model, str) or isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigurationError(
                "HeadroomConfig.model_context_limits maps model names to positive ints",
                {"field": f"HeadroomConfig.model_context_limits[{model!r}]", "value": limit, "allowed": "[1, inf]"},
            )
    return dict(value)


@_config
class HeadroomConfig(_Config):
    """Everything Headroom needs to know, in one validated object.

    Sub-configs may be given as their dataclass or as a plain dict
    (``HeadroomConfig(smart_crusher={"max_items_after_crush": 10})``).
    ``relevance`` is the relevance scoring every compressor uses; it is the
    same object as ``smart_crusher.relevance``. ``store_url`` is where
    :func:`compress` keeps dropped content when no store is passed: None or
    ``memory://`` the process-wide in-memory store, ``sqlite:///PATH`` a file
    other processes can read.
    """

    smart_crusher: SmartCrusherConfig = _sub(SmartCrusherConfig, SmartCrusherConfig)
    content: ContentCompressionConfig = _sub(ContentCompressionConfig, ContentCompressionConfig)
    cache_aligner: CacheAlignerConfig = _sub(CacheAlignerConfig, CacheAlignerConfig)
    rolling_window: RollingWindowConfig = _sub(RollingWindowConfig, RollingWindowConfig)
    intelligent_context: IntelligentContextConfig = _sub(IntelligentContextConfig, IntelligentContextConfig)
    ccr: CCRConfig = _sub(CCRConfig, CCRConfig)
    store_url: str | None = field(default=None, metadata={"check": _store_url_check})
    default_mode: HeadroomMode = field(
        default=HeadroomMode.OPTIMIZE, metadata={"check": lambda o, n, v: HeadroomMode.parse(v)}
    )
    model_context_limits: dict[str, int] = field(default_factory=dict, metadata={"check": _limits_check})

    @property
    def relevance(self) -> RelevanceScorerConfig:
        """The relevance settings of every compressor (the same object as ``smart_crusher.relevance``)."""
        return self.smart_crusher.relevance

    @relevance.setter
    def relevance(self, value: RelevanceScorerConfig | Mapping[str, Any]) -> None:
        self.smart_crusher.relevance = value  # type: ignore[assignment]

    def with_changes(self, **changes: Any) -> HeadroomConfig:
        """An independent copy with some top-level fields replaced (validated again)."""
        clone = copy.deepcopy(self)
        relevance = changes.pop("relevance", None)
        clone = replace(clone, **changes)
        if relevance is not None:
            clone.relevance = relevance
        return clone

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
        return cls._parse(raw, p.suffix.lower() == ".toml", f"config file {p}")

    @classmethod
    def from_text(cls, text: str | bytes) -> HeadroomConfig:
        """Parse a config given as text (e.g. on stdin): JSON when it starts with ``{``, else TOML."""
        raw = text.encode("utf-8") if isinstance(text, str) else text
        return cls._parse(raw, not raw.lstrip().startswith(b"{"), "config text")

    @classmethod
    def _parse(cls, raw: bytes, toml: bool, source: str) -> HeadroomConfig:
        try:
            if toml:
                try:
                    import tomllib
                except ModuleNotFoundError:  # Python 3.10
                    import tomli as tomllib  # type: ignore[no-redef]
                data: Any = tomllib.loads(raw.decode("utf-8"))
                data = data.get("headroom", data)
            else:
                data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"cannot parse {source}: {exc}", {"field": "path"}) from None
        return cls.from_dict(data)

    def get_context_limit(self, model: str) -> int | None:
        """The user's override for ``model`` (exact name, then longest prefix), else None.

        None means "ask the provider" (see :meth:`context_limit` for the built-in table).
        """
        if model in self.model_context_limits:
            return self.model_context_limits[model]
        prefixes = [known for known in self.model_context_limits if model.startswith(known)]
        return self.model_context_limits[max(prefixes, key=len)] if prefixes else None

    def context_limit(self, model: str, default: int = 128_000) -> int:
        """The context window of ``model``: the override, then known families, then ``default``."""
        override = self.get_context_limit(model)
        if override is not None:
            return override
        from .models import context_limit_for

        return context_limit_for(model, default)


def _headroom_init(init: Callable[..., None]) -> Callable[..., None]:
    """HeadroomConfig(relevance=...) sets ``smart_crusher.relevance`` after the fields."""

    @functools.wraps(init)
    def __init__(self: HeadroomConfig, *args: Any, relevance: Any = None, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if relevance is not None:
            self.relevance = relevance

    return __init__


setattr(HeadroomConfig, "__init__", _headroom_init(HeadroomConfig.__init__))  # noqa: B010
