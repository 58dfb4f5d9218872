"""``python -m headroom_integrations.demo [--out DIR] [--live]``."""

from __future__ import annotations

import importlib.util
import sys

from ..engine.install import install_command

# The demo's agent is a LangChain agent: without it, say what to install instead of a traceback.
_NEEDED = ("langchain_core", "langchain")
_missing = [name for name in _NEEDED if importlib.util.find_spec(name) is None]
if _missing:
    print(
        f"headroom_integrations.demo needs LangChain ({', '.join(_missing)} not installed); "
        f"install it with: {install_command('langchain')}",
        file=sys.stderr,
    )
    raise SystemExit(1)

from .run import main  # noqa: E402

raise SystemExit(main())
