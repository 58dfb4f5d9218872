"""The langchain subpackage: a clear install hint without LangChain, every public name importable."""

from __future__ import annotations

import subprocess
import sys

import headroom_integrations.langchain as integration


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
    assert 'pip install "headroom-integrations[langchain]"' in out.stdout
