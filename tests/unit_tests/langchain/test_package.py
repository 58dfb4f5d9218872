"""The langchain subpackage: a clear install hint without LangChain, every public name importable."""

from __future__ import annotations

import subprocess
import sys

import headroom_integrations.langchain as integration
from headroom_integrations.engine.install import install_command


def test_every_public_name_resolves() -> None:
    for name in integration.__all__:
        assert getattr(integration, name) is not None, name


def test_missing_langchain_gives_an_install_hint() -> None:
    code = (
        "import sys\n"
        "sys.modules['langchain_core'] = None  # as if LangChain were not installed\n"
        "try:\n"
        "    import headroom_integrations.langchain\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # Installed from a checkout (editable): the hint installs that checkout, not the index's copy.
    assert f"install it with: {install_command('langchain')}" in out.stdout
