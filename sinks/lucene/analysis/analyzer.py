"""The ``newsmon_english`` analyzer of the local stack, in Python.

Elasticsearch (``sinks/elasticsearch/mapping.py``, choice ``standard+stop+hunspell``) analyses
title, text and summary with: the ``standard`` tokenizer, ``lowercase``, ``stop`` (``_english_``,
leaving position gaps) and ``hunspell`` (en_US, dedup). :func:`analyze` gives the same terms at the
same positions, so queries can be evaluated without Elasticsearch (see
``sinks/lucene/evaluate.py``).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from sinks.lucene.analysis.stemmer import default_stemmer
from sinks.lucene.analysis.tokenizer import token_spans

ENGLISH_STOP_WORDS = frozenset(
    (
        *("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into"),
        *("is", "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then"),
        *("there", "these", "they", "this", "to", "was", "will", "with"),
    )
)
"""Lucene's ``EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`` (Elasticsearch's ``_english_``)."""


class Token(NamedTuple):
    """One position of analysed text.

    Attributes:
        position: Lucene's position (stop words removed leave gaps).
        stems: the terms indexed at this position (hunspell's stems, or the lower-cased token).
        start: offset of the token's first character in the text.
        end: offset after its last character.
    """

    position: int
    stems: frozenset[str]
    start: int
    end: int


def lowercase(token: str) -> str:
    """Lucene's ``LowerCaseFilter``: each character's simple lower-case mapping."""
    if token.isascii():
        return token.lower()
    # per character: no final-sigma context rule, and U+0130 maps to a plain "i"
    return "".join("i" if c == "\u0130" else c.lower() for c in token)


@functools.lru_cache(maxsize=200_000)
def term_stems(term: str) -> frozenset[str]:
    """What the hunspell filter emits for the lower-cased token ``term``."""
    return frozenset(default_stemmer().stems(term))


def analyze(text: str) -> list[Token]:
    """Analyse ``text`` as ``newsmon_english`` does: tokens with positions, stems, offsets."""
    tokens: list[Token] = []
    for position, (start, end) in enumerate(token_spans(text)):
        term = lowercase(text[start:end])
        if term in ENGLISH_STOP_WORDS:
            continue
        tokens.append(Token(position, term_stems(term), start, end))
    return tokens


def analyze_terms(text: str) -> list[tuple[int, frozenset[str]]]:
    """Only (position, stems) of :func:`analyze`: what a query string's text becomes."""
    return [(t.position, t.stems) for t in analyze(text)]
