"""The tokens stage: paragraphs -> tokens with the policy lexicon and stoplists.

:mod:`~analysis.tokens.lexicon` reads the lexicon and word lists, :mod:`~analysis.tokens.segment`
holds the :class:`Tokenizer` (jieba or rjieba, parallel, deterministic) and the lexicon check,
:mod:`~analysis.tokens.cache` builds the token table and keeps it content-addressed.
"""

from analysis.tokens.cache import build_tokens, corpus_key
from analysis.tokens.segment import TOKEN_COLUMNS, Tokenizer, lexicon_check, tokenize_lines

__all__ = [
    "TOKEN_COLUMNS",
    "Tokenizer",
    "build_tokens",
    "corpus_key",
    "lexicon_check",
    "tokenize_lines",
]
