"""Byte-identical output across processes with different PYTHONHASHSEED: the engine and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.reliability._hostile import conversation

ROOT = Path(__file__).resolve().parents[2]
_SCRIPT = """
import hashlib, json, sys
from headroom_integrations import CCRConfig, CompressionStore, compress
from tests.reliability._checks import canonical
from tests.reliability._hostile import conversation
for seed in range(int(sys.argv[1])):
    result = compress(conversation(seed), token_budget=900 if seed % 3 == 0 else None,
                      store=CompressionStore(CCRConfig(store_max_entries=100_000)))
    print(seed, hashlib.sha256(canonical([result.messages, result.refs]).encode()).hexdigest())
"""


def _run(args: list[str], hash_seed: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=240, check=False)


def test_compress_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    outputs = {s: _run([sys.executable, "-c", _SCRIPT, "60"], s, tmp_path) for s in ("0", "1", "4242")}
    for done in outputs.values():
        assert done.returncode == 0, done.stderr[-2000:]
    assert outputs["0"].stdout == outputs["1"].stdout == outputs["4242"].stdout
    assert len(outputs["0"].stdout.splitlines()) == 60


def test_cli_compress_on_hostile_files_is_stable_and_never_crashes(tmp_path: Path) -> None:
    files = []
    for seed in range(6):
        path = tmp_path / f"conv{seed}.json"
        # JSON cannot hold lone surrogates unescaped: ensure_ascii writes them as \\ud800 escapes.
        path.write_text(json.dumps(conversation(seed)), encoding="utf-8")
        files.append(path)
    (tmp_path / "binary.log").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "broken.json").write_text('[{"role": "user", "content": "hi"}, {"role"')
    results: dict[str, list[str]] = {}
    for hash_seed in ("0", "99"):
        outs = []
        for path in [*files, tmp_path / "binary.log", tmp_path / "empty.json", tmp_path / "broken.json"]:
            extra = ["--as-tool-output"] if path.suffix == ".log" else []
            out = tmp_path / f"{path.stem}.{hash_seed}.out"
            args = [sys.executable, "-m", "headroom_integrations.cli", "compress", str(path), *extra, "-o", str(out)]
            done = _run(
                [*args, "--store", f"sqlite:///{tmp_path / f'ccr{hash_seed}.db'}", "--no-metrics"], hash_seed, tmp_path
            )
            assert "Traceback" not in done.stderr, done.stderr[-2000:]
            assert done.returncode in (0, 1, 2), done.stderr[-2000:]
            outs.append(
                out.read_text(encoding="utf-8", errors="surrogateescape") if out.exists() else f"rc={done.returncode}"
            )
        results[hash_seed] = outs
    assert results["0"] == results["99"]
    assert all(not o.startswith("rc=") for o in results["0"][:6]), "valid conversations must compress"
