"""Per-tool compression profiles: leave one tool's output alone, or crush it differently.

Some tool outputs must reach the model byte for byte (a database row the model
will quote, a signed payload); others deserve a tighter or looser crush than
the default. A :class:`ToolProfile` says so for one tool name, and
:func:`config_for_tool` turns a validated mapping of profiles into the config
the engine uses for that tool's results (None: do not compress them).

Profiles are validated when they are resolved, so a typo raises
:class:`ConfigurationError` naming the closest valid option instead of being
ignored.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .config import HeadroomConfig, SmartCrusherConfig
from .errors import ConfigurationError

__all__ = ["ToolProfile", "config_for_tool", "resolve_tool_profiles"]

# Names Headroom's documentation uses for SmartCrusherConfig.max_items_after_crush.
_ALIASES = {"max_items": "max_items_after_crush", "max_array_items": "max_items_after_crush"}
_CRUSHER_FIELDS = tuple(f.name for f in fields(SmartCrusherConfig))


def _unknown(owner: str, key: str, allowed: list[str]) -> ConfigurationError:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ConfigurationError(
        f"unknown option {key!r} in {owner}{hint}",
        {"field": f"{owner}.{key}", "value": key, "allowed": allowed},
    )


@dataclass(frozen=True)
class ToolProfile:
    """How one tool's results are compressed.

    ``skip_compression`` passes them through untouched; ``smart_crusher``
    holds :class:`SmartCrusherConfig` field overrides applied on top of the
    request's config for this tool only.
    """

    skip_compression: bool = False
    smart_crusher: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.skip_compression, bool):
            raise ConfigurationError(
                "ToolProfile.skip_compression must be a bool",
                {"field": "ToolProfile.skip_compression", "value": self.skip_compression, "allowed": "bool"},
            )
        overrides = dict(self.smart_crusher or {})
        for key in overrides:
            if key not in _CRUSHER_FIELDS:
                raise _unknown("ToolProfile.smart_crusher", key, sorted(_CRUSHER_FIELDS))
        replace(SmartCrusherConfig(), **overrides)  # type and range checks, once
        object.__setattr__(self, "smart_crusher", overrides)

    @classmethod
    def from_value(cls, name: str, value: ToolProfile | Mapping[str, Any]) -> ToolProfile:
        """Accept a profile or the documented flat dict (``{"skip_compression": True, "max_items": 5}``)."""
        if isinstance(value, ToolProfile):
            return value
        if not isinstance(value, Mapping):
            raise ConfigurationError(
                f"tool profile for {name!r} must be a dict or ToolProfile",
                {"field": f"tool_profiles[{name!r}]", "value": value, "allowed": "dict | ToolProfile"},
            )
        allowed = sorted({"skip_compression", *_CRUSHER_FIELDS, *_ALIASES})
        crusher: dict[str, Any] = {}
        for key, item in value.items():
            if key not in allowed:
                raise _unknown(f"tool_profiles[{name!r}]", str(key), allowed)
            if key != "skip_compression":
                crusher[_ALIASES.get(key, key)] = item
        try:
            return cls(skip_compression=value.get("skip_compression", False), smart_crusher=crusher)
        except ConfigurationError as exc:
            exc.details["field"] = f"tool_profiles[{name!r}]: {exc.details.get('field')}"
            raise

    def apply(self, config: HeadroomConfig) -> HeadroomConfig:
        """``config`` with this profile's crusher overrides (the same object when there are none)."""
        if not self.smart_crusher:
            return config
        return replace(config, smart_crusher=replace(config.smart_crusher, **self.smart_crusher))


def resolve_tool_profiles(profiles: Mapping[str, Any] | None) -> dict[str, ToolProfile]:
    """Validate a ``{tool name: profile}`` mapping once, before any compression."""
    if profiles is None:
        return {}
    if not isinstance(profiles, Mapping):
        raise ConfigurationError(
            "tool_profiles must map tool names to profiles",
            {"field": "tool_profiles", "value": type(profiles).__name__, "allowed": "dict[str, dict]"},
        )
    return {str(name): ToolProfile.from_value(str(name), value) for name, value in profiles.items()}


def config_for_tool(
    profiles: Mapping[str, ToolProfile], tool_name: str | None, config: HeadroomConfig
) -> HeadroomConfig | None:
    """The config for results of ``tool_name``; None when its profile skips compression."""
    profile = profiles.get(tool_name or "")
    if profile is None:
        return config
    return None if profile.skip_compression else profile.apply(config)
