"""The one place that says how to install an extra, for how this package was installed.

A checkout (an editable install, or the source tree on ``sys.path``) needs
``pip install -e "<checkout>[extra]"``; the published name would install a
different copy. An install from an index gets the package name.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

__all__ = ["DISTRIBUTION", "install_command"]

DISTRIBUTION = "headroom-integrations"


def _checkout() -> Path | None:
    """The source checkout this package runs from, or None when it was installed from an index."""
    try:
        raw = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        raw = None
    if raw is None:
        # No install record (the source tree on sys.path, or its egg-info): a checkout has its pyproject.toml.
        root = Path(__file__).resolve().parents[2]
        return root if (root / "pyproject.toml").is_file() else None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    url = info.get("url", "") if isinstance(info, dict) else ""
    if isinstance(info, dict) and info.get("dir_info", {}).get("editable") and url.startswith("file:"):
        return Path(unquote(urlparse(url).path))
    return None


def install_command(*extras: str) -> str:
    """``pip install ...`` that adds ``extras`` to this installation of the package."""
    suffix = f"[{','.join(extras)}]" if extras else ""
    checkout = _checkout()
    if checkout is not None:
        return f'pip install -e "{checkout}{suffix}"'
    return f'pip install "{DISTRIBUTION}{suffix}"'
