"""Reject unknown keyword arguments with the closest valid name.

A typo such as ``HeadroomChatModel(..., tokn_budget=100)`` must not be silently
ignored: it raises :class:`ConfigurationError` naming the argument, what it
probably meant (``difflib.get_close_matches``) and every accepted name.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from .errors import ConfigurationError

__all__ = ["check_arguments", "strict_arguments", "unknown_argument"]

C = TypeVar("C", bound=type)


def unknown_argument(owner: str, name: str, value: Any, allowed: Iterable[str]) -> ConfigurationError:
    """The error for an unknown argument or field ``name`` of ``owner``."""
    names = sorted(set(allowed))
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    details: dict[str, Any] = {"field": f"{owner}.{name}", "value": value, "allowed": names}
    if close:
        details["suggestion"] = close[0]
    return ConfigurationError(f"{owner} got an unknown argument {name!r}{hint}", details)


def check_arguments(owner: str, given: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Raise :func:`unknown_argument` for the first name of ``given`` not in ``allowed``."""
    known = set(allowed)
    for name, value in given.items():
        if name not in known:
            raise unknown_argument(owner, name, value, known)


def _keyword_names(init: Callable[..., Any]) -> set[str] | None:
    """Names ``init`` accepts by keyword; None when it takes ``**kwargs``."""
    params = inspect.signature(init).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in params if p.kind in keyword} - {"self"}


def strict_arguments(cls: C) -> C:
    """Class decorator: unknown keyword arguments of ``cls(...)`` raise ConfigurationError."""
    init = cls.__dict__.get("__init__", cls.__init__)  # type: ignore[misc]
    allowed = set() if init is object.__init__ else _keyword_names(init)
    if allowed is None:
        raise TypeError(f"{cls.__name__}.__init__ takes **kwargs; check them with check_arguments")

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        check_arguments(type(self).__name__, kwargs, allowed)
        init(self, *args, **kwargs)

    setattr(cls, "__init__", __init__)  # noqa: B010 - mypy rejects assigning a method directly
    return cls
