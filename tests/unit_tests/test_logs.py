"""LogCompressor: repetition collapses; errors, traces, rare lines and failure sections survive verbatim."""

from __future__ import annotations

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.logs import LogCompressor, analyse_log

from ._content_support import MARKER, kept_lines_in_order, restore, run_compressor

PY_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/worker.py", line 88, in handle\n'
    "    result = charge(order)\n"
    '  File "/srv/app/billing.py", line 41, in charge\n'
    "    raise PaymentDeclined(order.id)\n"
    "billing.PaymentDeclined: order 7731 declined by gateway\n"
)
JAVA_TRACE = (
    "2024-03-01 10:00:09,101 ERROR [main] c.a.Service - request failed\n"
    "java.lang.IllegalStateException: pool exhausted\n"
    "\tat com.acme.db.Pool.acquire(Pool.java:120)\n"
    "\tat com.acme.db.Repo.load(Repo.java:45)\n"
    "Caused by: java.net.SocketTimeoutException: connect timed out\n"
    "\tat java.base/java.net.Socket.connect(Socket.java:609)\n"
    "\t... 12 more\n"
)


def _app_log(n: int = 400) -> str:
    lines = ["2024-03-01 10:00:00,000 INFO [main] app.Boot - starting service v2.4.1\n"]
    for i in range(n):
        lines.append(
            f"2024-03-01 10:00:{i % 60:02d},{i:03d} INFO [worker-{i % 4}] app.Handler - "
            f"handled request id=req-{1000 + i} in {3 + i % 17} ms from 10.0.{i % 8}.{i % 250}\n"
        )
        if i == 120:
            lines.append("2024-03-01 10:01:00,500 WARN [main] app.Cache - cache nearly full (91%)\n")
            lines.append(PY_TRACE)
        if i == 250:
            lines.append("2024-03-01 10:02:00,000 INFO [main] app.Admin - config reloaded by operator alice\n")
            lines.append(JAVA_TRACE)
    lines.append("2024-03-01 10:05:00,000 INFO [main] app.Boot - shutdown complete\n")
    return "".join(lines)


_compress = functools.partial(run_compressor, LogCompressor())


def test_repeated_lines_collapse_and_everything_important_survives_verbatim() -> None:
    log = _app_log()
    out, ctx = _compress(log)
    assert out.modified and out.transform and out.transform.startswith("log:")
    assert ctx.count(out.text) < ctx.count(log) * 0.3
    assert kept_lines_in_order(out.text, log)
    for must in (
        "starting service v2.4.1",  # first line
        "shutdown complete",  # last line
        "cache nearly full (91%)",  # warning
        "config reloaded by operator alice",  # rare template
    ):
        assert must in out.text
    assert PY_TRACE in out.text  # whole traceback, exception line included
    assert JAVA_TRACE in out.text  # frames, Caused by and "... 12 more"
    assert MARKER.search(out.text) and "repeated lines omitted" in out.text


def test_markers_resolve_to_the_dropped_lines_through_a_real_store() -> None:
    store = CompressionStore()
    log = _app_log()
    out, _ = _compress(log, store=store)
    assert out.refs and all(ref in store for ref in out.refs)
    assert restore(out.text, store) == log


def test_retrieve_with_a_query_finds_a_dropped_line() -> None:
    store = CompressionStore()
    out, _ = _compress(_app_log(), store=store)
    assert "req-1200 " not in out.text
    found = "".join(store.retrieve(ref, "req-1200") for ref in out.refs)
    assert "handled request id=req-1200 in" in found


def test_go_panic_is_kept_whole() -> None:
    panic = (
        "panic: runtime error: index out of range [3] with length 3\n\n"
        "goroutine 17 [running]:\n"
        "main.lookup(...)\n"
        "\t/src/app/table.go:42 +0x1d\n"
        "main.handle(0xc000010000)\n"
        "\t/src/app/server.go:88 +0x65\n"
    )
    filler = "".join(f"12:00:{i:02d} INFO served /health in {i % 5} ms\n" for i in range(60))
    log = filler + panic + "\n" + filler
    out, _ = _compress(log)
    assert out.modified and panic in out.text


def test_query_identifier_keeps_an_otherwise_repeated_line() -> None:
    log = _app_log()
    out, _ = _compress(log, query="Why was request req-1333 slow?")
    assert "request id=req-1333 in" in out.text
    assert "request id=req-1334 in" not in out.text


def test_repeated_errors_keep_their_first_occurrences_and_count_the_rest() -> None:
    lines = (
        ["service start\n"]
        + [f"12:00:{i % 60:02d} ERROR upstream 10.1.1.{i % 200} refused connection (attempt {i})\n" for i in range(300)]
        + ["service stop\n"]
    )
    log = "".join(lines)
    out, ctx = _compress(log)
    assert "(attempt 0)" in out.text and "(attempt 4)" in out.text
    assert ctx.count(out.text) < ctx.count(log) * 0.2
    assert "repeated lines omitted" in out.text


def test_identical_stack_trace_is_kept_once_and_its_repeat_dropped_whole() -> None:
    filler = "".join(f"12:00:{i:02d} INFO poll cycle {i} ok\n" for i in range(40))
    log = "boot\n" + filler + PY_TRACE + filler + PY_TRACE + filler + "done\n"
    out, _ = _compress(log)
    assert out.text.count("Traceback (most recent call last):") == 1
    assert PY_TRACE in out.text


def _gha_line(ts: int, text: str) -> str:
    return f"2022-04-13T14:53:{ts % 60:02d}.{ts:07d}Z {text}\n"


def test_ci_log_drops_progress_keeps_failure_section_and_timestamps() -> None:
    lines = [_gha_line(0, "##[group]Run actions/checkout@v3"), _gha_line(1, "Syncing repository: acme/shop")]
    lines += [_gha_line(2 + i, f"go: downloading github.com/lib{i}/mod{i} v1.{i}.0") for i in range(150)]
    lines += [_gha_line(200 + i, f"Received {i * 1000} of 314264396 ({i / 10:.1f}%), 159.7 MBs/sec") for i in range(60)]
    lines += [
        _gha_line(300, "##[group]Run go test ./..."),
        _gha_line(301, "=== RUN   TestCheckout"),
        _gha_line(302, "    checkout_test.go:62: expected total 42, got 41"),
        _gha_line(303, "--- FAIL: TestCheckout (0.01s)"),
        _gha_line(304, "FAIL\tgithub.com/acme/shop/checkout\t0.013s"),
        _gha_line(305, "##[error]Process completed with exit code 1."),
        _gha_line(306, "Post job cleanup."),
    ]
    log = "".join(lines)
    out, ctx = _compress(log, query="Why did this CI build fail?")
    assert ctx.count(out.text) < ctx.count(log) * 0.3
    for line in lines[-7:]:
        assert line in out.text  # verbatim, timestamp prefix included
    assert "go: downloading github.com/lib77/mod77" not in out.text
    assert "progress lines omitted" in out.text


def test_maven_failure_summary_and_compiler_errors_survive() -> None:
    body = [
        f"[INFO] Running org.acme.suite.Test{i}\n[INFO] Tests run: {i % 9 + 1}, Failures: 0, Errors: 0, "
        f"Skipped: 0, Time elapsed: 0.0{i} s - in org.acme.suite.Test{i}\n"
        for i in range(80)
    ]
    tail = (
        "[ERROR] /ws/src/main/java/org/acme/Cart.java:[31,17] cannot find symbol\n"
        "[INFO] ------------------------------------------------------------------------\n"
        "[INFO] BUILD FAILURE\n"
        "[INFO] Total time:  22.049 s\n"
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.1:compile\n"
        "Finished: FAILURE\n"
    )
    log = "Started by timer\n" + "".join(body) + tail
    out, _ = _compress(log)
    assert out.modified
    assert tail in out.text
    assert "Running org.acme.suite.Test50\n" not in out.text  # a listing over class names collapses


def test_carriage_return_progress_lines_are_noise() -> None:
    progress = "".join(f"Progress (1): {k}/11 kB\r" for k in range(1, 12))
    lines = (
        ["[INFO] Scanning for projects...\n"]
        + [
            f"{progress}Downloaded from central: https://repo/x/lib{i}/1.0/lib{i}-1.0.jar (11 kB, 90 kB/s)\n"
            for i in range(60)
        ]
        + ["[INFO] BUILD SUCCESS\n"]
    )
    log = "".join(lines)
    out, _ = _compress(log)
    assert out.modified and "lib30-1.0.jar" not in out.text and "[INFO] BUILD SUCCESS" in out.text


def test_short_or_unrepetitive_input_is_returned_unchanged_with_a_reason() -> None:
    short = "one\ntwo\nthree\n"
    out, _ = _compress(short)
    assert not out.modified and out.text == short and out.reason
    unique = "".join(f"line number {i} says {w}\n" for i, w in enumerate("abcdefghijklmnopqrstuvwxyz"))
    out, _ = _compress(unique)
    assert not out.modified and out.text == unique


def test_fails_open_on_bad_input() -> None:
    out, _ = _compress(None)  # type: ignore[arg-type]
    assert not out.modified and out.reason and "failed open" in out.reason
    binary = "\x00\x01\x02garbage\xff" * 500
    out, _ = _compress(binary)
    assert out.text == binary or out.modified


def test_output_is_deterministic() -> None:
    log = _app_log(300)
    first, _ = _compress(log, query="request latency")
    second, _ = _compress(log, query="request latency")
    assert first.text == second.text and first.refs == second.refs


def test_analyse_log_matches_lines_without_ci_prefix_but_keeps_raw_lines() -> None:
    log = _gha_line(1, "\x1b[36;1mmake build\x1b[0m") + _gha_line(2, "make build")
    parsed = analyse_log(log)
    assert "".join(parsed.raw) == log
    assert parsed.core == ["make build", "make build"]
    assert parsed.template[0] == parsed.template[1]


_LOG_LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "INFO ok",
                "WARN slow",
                "ERROR boom",
                "",
                "  at a.B.c(B.java:1)",
                "Traceback (most recent call last):",
            ]
        ),
        st.builds(lambda n, w: f"{n:05d} INFO worker {w} done", st.integers(0, 99999), st.sampled_from("abc")),
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40),
    ),
    min_size=0,
    max_size=120,
)


@settings(max_examples=40, deadline=None)
@given(_LOG_LINES)
def test_never_inflates_and_kept_lines_are_originals(lines: list[str]) -> None:
    text = "\n".join(lines)
    out, ctx = _compress(text)
    assert ctx.count(out.text) <= ctx.count(text)
    if out.modified:
        assert kept_lines_in_order(out.text, text)
