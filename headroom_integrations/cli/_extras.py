"""Commands that need an optional extra say which one, instead of failing on an ImportError."""

from __future__ import annotations

import importlib

from ..engine.errors import HeadroomError
from ..engine.install import install_command

__all__ = ["require_extra"]


def require_extra(extra: str, modules: tuple[str, ...], command: str) -> None:
    """Raise a one-line error naming the command that installs ``extra`` if one of ``modules`` is missing."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise HeadroomError(
                f"`{command}` needs the {extra!r} extra ({module} is not installed): {install_command(extra)}",
                {"extra": extra, "module": module},
            ) from None
