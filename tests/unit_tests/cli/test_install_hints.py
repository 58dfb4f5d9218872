"""Install hints name a command that works for how the package is installed."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from headroom_integrations.cli._extras import require_extra
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.errors import ConfigurationError, HeadroomError
from headroom_integrations.engine.install import DISTRIBUTION, install_command

REPO = Path(__file__).resolve().parents[3]


def test_checkout_installs_get_the_checkout_path_not_the_index_name() -> None:
    try:
        raw = metadata.distribution(DISTRIBUTION).read_text("direct_url.json") or ""
    except metadata.PackageNotFoundError:
        raw = ""
    command = install_command("langchain")
    if '"editable": true' in raw or not raw:
        assert command == f'pip install -e "{REPO}[langchain]"'
    else:
        assert command == f'pip install "{DISTRIBUTION}[langchain]"'


def test_no_extras_installs_the_package_itself() -> None:
    assert "[" not in install_command()
    assert install_command().startswith("pip install ")


def test_demo_without_langchain_prints_what_to_install(tmp_path: Path) -> None:
    # A site directory whose langchain_core import finds nothing: the demo must not traceback.
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "import importlib.machinery\n"
        "class _Finder(importlib.machinery.PathFinder):\n"
        "    @classmethod\n"
        "    def find_spec(cls, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('langchain', 'langchain_core'):\n"
        "            return None\n"
        "        return importlib.machinery.PathFinder.find_spec(name, path, target)\n"
        "sys.meta_path = [f for f in sys.meta_path if f is not importlib.machinery.PathFinder] + [_Finder]\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-m", "headroom_integrations.demo", "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "install it with: pip install" in done.stderr and "[langchain]" in done.stderr


@pytest.mark.parametrize(
    ("url", "module", "extra"),
    [("redis://127.0.0.1:1/0", "redis", "redis"), ("postgresql://u@127.0.0.1:1/db", "psycopg", "postgres")],
)
def test_store_backends_missing_their_client_name_this_installs_command(
    url: str, module: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError
    with pytest.raises(ConfigurationError) as info:
        CompressionStore(url=url)
    assert install_command(extra) in str(info.value)


def test_cli_commands_missing_an_extra_name_this_installs_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)
    with pytest.raises(HeadroomError) as info:
        require_extra("proxy", ("fastapi",), "proxy")
    assert info.value.message.endswith(install_command("proxy"))


def test_no_hint_spells_out_the_published_name_by_hand() -> None:
    """Every install hint comes from install_command, so none can be wrong for a checkout."""
    package = REPO / "headroom_integrations"
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "install.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "pip install" in line and "headroom-integrations[" in line and "``" not in line  # ``...``: docs
    ]
    assert offenders == []
