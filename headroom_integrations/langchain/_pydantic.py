"""Pydantic-based LangChain classes: typos and bad values surface as ConfigurationError.

Pydantic wraps a ``ValueError`` raised by a validator (and ConfigurationError is
one) in its own ValidationError; :func:`configuration_errors` gives the
user the ConfigurationError back, with its ``details``. :func:`check_fields`
rejects a keyword no field accepts, naming the closest field.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from ..engine.arguments import check_arguments
from ..engine.errors import ConfigurationError

__all__ = ["check_fields", "configuration_errors"]


def _accepted(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(name)
        if isinstance(info.alias, str):
            names.add(info.alias)
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        names.update(c for c in getattr(alias, "choices", ()) if isinstance(c, str))
    return names


def check_fields(model: type[BaseModel], given: Mapping[str, Any], also: Iterable[str] = ()) -> None:
    """ConfigurationError for a keyword that is neither a field, a field's alias nor in ``also``."""
    check_arguments(model.__name__, given, _accepted(model) | set(also))


@contextmanager
def configuration_errors() -> Iterator[None]:
    """Re-raise the ConfigurationError behind pydantic's ValidationError."""
    try:
        yield
    except PydanticValidationError as exc:
        for error in exc.errors():
            original = (error.get("ctx") or {}).get("error")
            if isinstance(original, ConfigurationError):
                raise original from None
        raise
