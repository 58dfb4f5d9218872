"""Without Agno installed, the integration says how to get it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_missing_agno_raises_an_import_error_naming_the_extra() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
        "try:\n"
        "    import headroom_integrations.agno\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    # -S: no site-packages, so Agno is not importable (the package itself comes from the repo path)
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True)
    # Run from the checkout (not installed): the hint installs this checkout, not the index's copy.
    assert f'pip install -e "{REPO}[agno]"' in out.stdout
