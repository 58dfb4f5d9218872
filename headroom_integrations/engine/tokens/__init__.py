"""Token counting: exact offline encodings, model families, message overheads, a shared count cache."""

from __future__ import annotations

from .tokenizer import TokenCount, Tokenizer, count_tokens_messages, count_tokens_text, get_tokenizer

__all__ = ["TokenCount", "Tokenizer", "count_tokens_messages", "count_tokens_text", "get_tokenizer"]
