"""DiffCompressor: every changed line and header survives; far context shrinks; markers resolve."""

from __future__ import annotations

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.diff import DiffCompressor

from ._content_support import assert_store_independent, kept_lines_in_order, make_ctx, restore


def _hunk(old_start: int, context: int, removed: list[str], added: list[str], tag: str) -> str:
    before = [f" {tag} context line {k} before the change\n" for k in range(context)]
    after = [f" {tag} context line {k} after the change\n" for k in range(context)]
    old_len = 2 * context + len(removed)
    new_len = 2 * context + len(added)
    header = f"@@ -{old_start},{old_len} +{old_start},{new_len} @@ def {tag}_function():\n"
    return (
        header
        + "".join(before)
        + "".join(f"-{r}\n" for r in removed)
        + "".join(f"+{a}\n" for a in added)
        + "".join(after)
    )


def _file(path: str, hunks: str) -> str:
    return f"diff --git a/{path} b/{path}\nindex 1a2b3c4..5d6e7f8 100644\n--- a/{path}\n+++ b/{path}\n" + hunks


def _diff() -> str:
    return (
        _file(
            "src/billing/tax.py",
            _hunk(10, 12, ["    rate = 0.19"], ["    rate = Decimal('0.19')"], "tax")
            + _hunk(80, 12, ["-- legacy SQL comment", "    return x"], ["    return round(x, 2)"], "totals"),
        )
        + "diff --git a/assets/logo.png b/assets/logo.png\nindex 000..111 100644\n"
        "Binary files a/assets/logo.png and b/assets/logo.png differ\n"
        + "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
        + _file(
            "src/web/views.py",
            _hunk(200, 12, ["    return render(req)"], ["    return render(req, cache=False)"], "views"),
        )
    )


def _changed(diff: str) -> list[str]:
    return [ln for ln in diff.splitlines() if ln.startswith(("+", "-")) and not ln.startswith(("+++ ", "--- a/"))]


def test_every_changed_line_and_header_survives_and_far_context_goes() -> None:
    diff = _diff()
    store = CompressionStore()
    out = DiffCompressor().compress(diff, make_ctx("why is tax wrong", store=store))
    assert out.modified and (out.transform or "").startswith("diff:")
    lines = out.text.splitlines()
    for line in _changed(diff):
        assert line in lines
    assert "--- legacy SQL comment" in lines  # a removed "-- ..." line, not a file header
    for header in (
        "diff --git a/run.sh b/run.sh",
        "old mode 100644",
        "new mode 100755",
        "Binary files a/assets/logo.png and b/assets/logo.png differ",
        "+++ b/src/web/views.py",
    ):
        assert header in lines
    assert sum(1 for ln in lines if ln.startswith("@@ ")) == 3
    assert " tax context line 11 before the change" in lines  # the window (1 line) next to the change
    assert " tax context line 5 before the change" not in lines
    assert kept_lines_in_order(out.text, diff)
    assert restore(out.text, store) == diff
    assert make_ctx().count(out.text) < make_ctx().count(diff)


def test_context_window_is_configurable() -> None:
    diff = _diff()
    wide = DiffCompressor().compress(diff, make_ctx("", diff_context_lines=3))
    assert " tax context line 9 before the change" in wide.text.splitlines()
    none = DiffCompressor().compress(diff, make_ctx("", diff_context_lines=0))
    assert " tax context line 11 before the change" not in none.text.splitlines()
    assert all(line in none.text.splitlines() for line in _changed(diff))


def test_default_never_summarises_files_even_when_huge() -> None:
    big = "".join(
        _file(f"pkg/mod_{k}.py", _hunk(1, 1, [f"old {k}"] * 30, [f"new {k}"] * 30, f"m{k}")) for k in range(8)
    )
    out = DiffCompressor().compress(big, make_ctx("fix pkg/mod_3.py"))
    assert not out.modified or all(line in out.text.splitlines() for line in _changed(big))


def test_opt_in_budget_summarises_files_the_query_does_not_touch() -> None:
    big = "".join(
        _file(f"pkg/mod_{k}.py", _hunk(1, 1, [f"old value {k}"] * 30, [f"new value {k}"] * 30, f"m{k}"))
        for k in range(8)
    )
    store = CompressionStore()
    out = DiffCompressor().compress(big, make_ctx("what changed in pkg/mod_3.py", store=store, diff_max_tokens=600))
    assert out.modified
    assert "+new value 3" in out.text and "+new value 6" not in out.text
    assert "+++ b/pkg/mod_6.py" in out.text and "diff lines omitted (+30 -30)" in out.text
    assert restore(out.text, store) == big


def test_truncated_or_malformed_hunks_fail_open_and_keep_changes() -> None:
    diff = _diff()
    cut = diff[: len(diff) * 2 // 3]
    for text in (cut, diff.replace("@@ -80,", "@@ -80,x")):
        out = DiffCompressor().compress(text, make_ctx("tax"))
        assert isinstance(out.text, str)
        assert all(line in out.text.splitlines() for line in _changed(text) if "@@" not in line)


def test_not_a_diff_is_returned_unchanged() -> None:
    text = "hello\nworld\n" * 50
    out = DiffCompressor().compress(text, make_ctx(""))
    assert not out.modified and out.text == text and out.reason


def test_deterministic() -> None:
    assert_store_independent(DiffCompressor(), _diff(), "tax")
