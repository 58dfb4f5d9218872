"""TextCompressor / select_sentences: relevant sentences verbatim, in order, within budget."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.text import TextCompressor, select_sentences, split_sentences

from ._content_support import MARKER, assert_store_independent, make_ctx, restore

_TOPICS = ["rivers", "mountains", "forests", "deserts", "coasts", "lakes", "glaciers", "valleys"]


def _article() -> str:
    paragraphs = []
    for p, topic in enumerate(_TOPICS):
        sentences = [f"The region's {topic} shape the local climate in many ways."]
        sentences += [
            f"Observers have described the {topic} in survey report number {p}{k} with great care."
            if k % 3 == 0
            else f"Most visitors remember the {topic} for their quiet beauty and long history."
            for k in range(7)
        ]
        if topic == "glaciers":
            sentences.insert(4, "The Aletsch glacier lost 1.3 kilometres of length between 1980 and 2020.")
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs) + "\n"


def test_keeps_the_answer_and_the_opening_verbatim_in_order() -> None:
    text = _article()
    store = CompressionStore()
    out = TextCompressor().compress(text, make_ctx("How much length did the Aletsch glacier lose?", store=store))
    assert out.modified and (out.transform or "").startswith("text:")
    assert "The Aletsch glacier lost 1.3 kilometres of length between 1980 and 2020." in out.text
    assert out.text.startswith("The region's rivers shape the local climate in many ways.")
    position = 0
    for sentence in _kept_sentences(out.text):
        position = text.find(sentence, position)
        assert position >= 0, sentence
    assert restore(out.text, store, whole_line=False) == text
    ctx = make_ctx()
    assert ctx.count(out.text) <= 0.5 * ctx.count(text)


def _kept_sentences(output: str) -> list[str]:
    pieces = MARKER.sub("\x00", output).split("\x00")
    return [s.strip() for piece in pieces for s in split_sentences(piece) if s.strip()]


def test_sentences_are_never_reworded() -> None:
    text = _article()
    out = TextCompressor().compress(text, make_ctx("forests climate"))
    originals = {s.strip() for s in split_sentences(text)}
    kept = _kept_sentences(out.text)
    assert kept and all(sentence in originals for sentence in kept)


def test_select_sentences_respects_the_budget() -> None:
    text = _article()
    ctx = make_ctx()
    for budget in (60, 150, 400):
        out = select_sentences(text, "glacier length", budget, make_ctx())
        assert out.modified
        assert ctx.count(out.text) <= budget
    assert "Aletsch" in select_sentences(text, "Aletsch glacier", 150, make_ctx()).text
    fits = select_sentences(text, "x", ctx.count(text), make_ctx())
    assert not fits.modified and fits.text == text


def test_short_text_is_not_inflated() -> None:
    text = "One sentence here. Another one there."
    out = TextCompressor().compress(text, make_ctx("sentence"))
    assert not out.modified and out.text == text and out.reason


def test_abbreviations_and_initials_do_not_split() -> None:
    text = "Dr. Smith met J. R. Tolkien at 5 p.m. in the U.S. embassy. They talked, e.g. about maps. Then left."
    sentences = split_sentences(text)
    assert sentences[0].startswith("Dr. Smith met J. R. Tolkien")
    assert "".join(sentences) == text


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc XYZ.!?\n\"'1")), max_size=300))
def test_split_sentences_is_lossless(text: str) -> None:
    assert "".join(split_sentences(text)) == text


def test_deterministic_and_store_independent() -> None:
    assert_store_independent(TextCompressor(), _article(), "deserts")
