"""Coding-agent outputs: test runs keep failures and the summary, tracebacks keep every project file,
``ls -R`` listings lose their caches, a repeated output becomes a pointer plus what changed."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.compressors.coding import CodingOutputCompressor, looks_like_coding_output
from headroom_integrations.engine.compressors.repeats import compress_repeat

from ._content_support import MARKER, make_ctx

SHORT = re.compile(r"\[\.\.\. \d+ (?:lines?|characters) \.\.\.\]")


def _pytest_run(passing: int = 600) -> str:
    dots = "\n".join(
        "tests/test_api.py " + "." * 60 + f" [{i:3d}%]" for i in range(0, 100, 100 // max(1, passing // 60))
    )
    banner = "\n".join(f"plugin-{i}: version 1.{i}.0 not relevant" for i in range(30))
    return (
        "============================= test session starts ==============================\n"
        f"platform linux -- Python 3.11.4, pytest-8.0.0\n{banner}\nrootdir: /repo\ncollected 182 items\n\n"
        f"{dots}\ntests/test_api.py ....F.... [100%]\n\n"
        "=================================== FAILURES ===================================\n"
        "________________________________ test_refund ___________________________________\n\n"
        "    def test_refund():\n"
        + "".join(f"        step_{i} = prepare({i})\n" for i in range(25))
        + "        order = make_order(total=40)\n"
        "        refund(order, 50)\n"
        ">       assert order.balance == 0\n"
        "E       AssertionError: assert -10 == 0\n\n"
        "tests/test_api.py:88: AssertionError\n"
        "=========================== short test summary info ============================\n"
        "FAILED tests/test_api.py::test_refund - AssertionError: assert -10 == 0\n"
        "========================= 1 failed, 181 passed in 2.31s ========================\n"
    )


def _traceback(depth: int = 12) -> str:
    frames = []
    for i in range(depth):
        path = f"/usr/lib/python3.11/importlib/mod_{i}.py" if i % 2 else f"/repo/app/layer_{i}.py"
        frames.append(f'  File "{path}", line {10 + i}, in call_{i}\n    return call_{i + 1}(value)\n')
    return "Traceback (most recent call last):\n" + "".join(frames) + "ValueError: negative refund for order 7731\n"


def _restore(text: str, store: CompressionStore) -> str:
    refs = [m.group(3) for m in MARKER.finditer(text)]
    return store.retrieve(refs[-1])


def _original_lines_only(output: str, original: str) -> bool:
    lines = set(original.splitlines())
    for line in output.splitlines():
        if MARKER.search(line) or SHORT.fullmatch(line):
            continue
        if SHORT.search(line):  # a long line's head and tail around its cut middle
            head, tail = SHORT.split(line, maxsplit=1)
            if not any(o.startswith(head) and o.endswith(tail) for o in lines):
                return False
        elif line not in lines:
            return False
    return True


def test_test_run_keeps_failure_assertion_and_summary_and_drops_the_noise() -> None:
    text = _pytest_run()
    store = CompressionStore()
    out = CodingOutputCompressor().compress(text, make_ctx("why does refund fail", store))
    assert out.modified and len(out.text) < len(text) * 0.7
    for kept in (
        ">       assert order.balance == 0",
        "E       AssertionError: assert -10 == 0",
        "FAILED tests/test_api.py::test_refund - AssertionError: assert -10 == 0",
        "1 failed, 181 passed in 2.31s",
        "tests/test_api.py:88: AssertionError",
        "    def test_refund():",
    ):
        assert kept in out.text
    # One progress line stays: it is the first to name tests/test_api.py.
    assert "plugin-7" not in out.text and out.text.count("." * 60) == 1 and "step_3 =" not in out.text
    assert _restore(out.text, store) == text


def test_traceback_keeps_the_error_the_raising_frame_and_every_project_file() -> None:
    text = _traceback()
    out = CodingOutputCompressor().compress(text, make_ctx())
    assert out.modified and "ValueError: negative refund for order 7731" in out.text
    assert all(f"/repo/app/layer_{i}.py" in out.text for i in range(0, 12, 2))
    assert "importlib/mod_3.py" not in out.text and "importlib/mod_11.py" in out.text  # the raising frame


def test_listing_drops_caches_and_keeps_entries_the_query_names() -> None:
    sections = ["./pkg:\n" + "".join(f"module_{i}.py\n" for i in range(30)) + "refunds.py\n"]
    sections.append("./pkg/__pycache__:\n" + "".join(f"module_{i}.cpython-311.pyc\n" for i in range(30)))
    sections += [f"./pkg/sub_{j}:\n" + "".join(f"part_{i}.py\n" for i in range(3)) for j in range(3)]
    text = ".:\nREADME.md\npkg\n\n" + "\n".join(sections)
    assert looks_like_coding_output(text)
    out = CodingOutputCompressor().compress(text, make_ctx("the refunds module rounds wrongly"))
    assert out.modified and "refunds.py" in out.text and "cpython-311.pyc" not in out.text
    assert "module_20.py" not in out.text and "./pkg/sub_2:" in out.text


def test_through_compress_the_output_is_byte_stable_and_smaller() -> None:
    messages = [
        {"role": "user", "content": "Fix the refund test."},
        {"role": "tool", "tool_call_id": "c1", "content": _pytest_run()},
    ]
    a = compress(messages, store=CompressionStore())
    b = compress(messages, store=CompressionStore())
    assert a.messages == b.messages and a.tokens_after < a.tokens_before
    assert any(t.startswith("coding") for t in a.transforms_applied)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Traceback (most recent call last):",
                '  File "/repo/app/x.py", line 3, in f',
                '  File "/usr/lib/python3.11/json/decoder.py", line 9, in g',
                "    return g(a)",
                "tests/test_x.py ........................................ [ 50%]",
                "tests/test_x.py::test_a PASSED",
                "Cloning test database for alias 'default'...",
                "./src:",
                "a.py",
                "mod.cpython-311.pyc",
                "",
                "E   KeyError: 'id'",
                "KeyError: 'id'",
                "x" * 900,
            ]
        ),
        min_size=0,
        max_size=80,
    ),
    st.text(max_size=20),
)
def test_any_output_keeps_only_original_lines_and_is_deterministic_and_never_larger(
    lines: list[str], query: str
) -> None:
    text = "\n".join(lines)
    store = CompressionStore()
    out = CodingOutputCompressor().compress(text, make_ctx(query, store))
    again = CodingOutputCompressor().compress(text, make_ctx(query, CompressionStore()))
    assert out.text == again.text
    ctx = make_ctx(query)
    assert ctx.count(out.text) <= ctx.count(text)
    if out.modified:
        assert _original_lines_only(out.text, text) and _restore(out.text, store) == text
        assert "KeyError: 'id'" not in text or "KeyError: 'id'" in out.text
    else:
        assert out.text == text


def _view(start: int, end: int, changed: int | None = None) -> str:
    return "\n".join(
        f"{n:6d}\t    value_{n} = compute({n})" + ("  # fixed" if n == changed else "") for n in range(start, end)
    )


def test_a_repeated_view_becomes_a_pointer_with_only_the_changed_lines() -> None:
    first, second = _view(1, 80), _view(1, 80, changed=42)
    store = CompressionStore()
    out = compress_repeat(second, [(3, first, "the view result (call_3)")], make_ctx(store=store))
    assert (
        out is not None
        and "as in the view result (call_3)" in out.text
        and "value_42 = compute(42)  # fixed" in out.text
    )
    assert "value_41 =" not in out.text and store.retrieve(out.refs[0]) == second
    assert compress_repeat(second, [], make_ctx()) is None
    assert (
        compress_repeat(_view(200, 280), [(3, first, "the view result (call_3)")], make_ctx()) is None
    )  # nothing shared


def test_repeat_decision_is_the_same_on_every_later_hop() -> None:
    view = {"role": "tool", "tool_call_id": "a", "content": _view(1, 120)}
    again = {"role": "tool", "tool_call_id": "b", "content": _view(1, 120, changed=7)}
    hop = [{"role": "user", "content": "fix compute"}, view, again]
    later = [*hop, {"role": "tool", "tool_call_id": "c", "content": _view(300, 420)}]
    first = compress(hop, store=CompressionStore())
    second = compress(later, store=CompressionStore())
    assert first.messages[2] == second.messages[2] and "as in the tool result (a)" in first.messages[2]["content"]
    assert first.messages[1] == hop[1] or first.messages[1] == second.messages[1]
    # The pointer names the call, not a position: a system prompt in front does not change it.
    prompted = compress([{"role": "system", "content": "You fix code."}, *hop], store=CompressionStore())
    assert prompted.messages[3] == first.messages[2]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=0, max_size=40), st.lists(st.integers(0, 30), min_size=0, max_size=40))
def test_a_repeat_pointer_keeps_only_new_original_lines_and_is_never_larger(a: list[int], b: list[int]) -> None:
    earlier = "\n".join(f"{n:6d}\t    value_{n} = compute({n})" for n in a)
    text = "\n".join(f"{n:6d}\t    value_{n} = compute({n})" for n in b)
    store = CompressionStore()
    out = compress_repeat(text, [(1, earlier, "message 1")], make_ctx(store=store))
    assert out == compress_repeat(text, [(1, earlier, "message 1")], make_ctx())  # same decision, same bytes
    if out is None:
        return
    ctx = make_ctx()
    assert ctx.count(out.text) < ctx.count(text) and store.retrieve(out.refs[0]) == text
    new = [line for line in text.splitlines() if line not in earlier.splitlines()]
    body = [line for line in out.text.splitlines() if not line.startswith("[...")]
    assert body == new
