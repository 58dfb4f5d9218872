"""``headroom-integrations proxy`` and ``mcp``: they start, say which extra is missing, and doctor reports them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from headroom_integrations.cli import main
from headroom_integrations.engine.install import install_command

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("command", "module", "extra"),
    [("proxy", "fastapi", "proxy"), ("proxy", "uvicorn", "proxy"), ("mcp", "mcp", "mcp")],
)
def test_a_missing_extra_is_named_with_its_install_command(
    command: str, module: str, extra: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError, as if not installed
    assert main([command]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("headroom-integrations: error: ")
    assert install_command(extra) in err and module in err
    assert "\n" not in err


def test_doctor_reports_the_proxy_and_mcp_extras(capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor"])
    out = capsys.readouterr().out
    for check in ("fastapi", "uvicorn", "mcp"):
        assert re.search(rf"^(ok|missing)\s+{check}\b", out, re.MULTILINE), check


def test_bad_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["proxy", "--port", "99999"])
    assert exited.value.code == 2 and "expected a port" in capsys.readouterr().err


def test_proxy_command_serves_with_its_key_until_stopped(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="the proxy extra is not installed")
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO), "HEADROOM_PROXY_API_KEY": "env-key"}
    args = ["proxy", "--port", str(port), "--store", f"sqlite:///{tmp_path / 'h.db'}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "headroom_integrations.cli", *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(url + "/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "proxy did not start"
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        assert httpx.post(url + "/v1/compress", json={"messages": []}).status_code == 401
        ok = httpx.post(url + "/v1/compress", json={"messages": []}, headers={"authorization": "Bearer env-key"})
        assert ok.status_code == 200
    finally:
        process.terminate()
        _, err = process.communicate(timeout=15)
    assert "env-key" not in err  # the key is never logged
