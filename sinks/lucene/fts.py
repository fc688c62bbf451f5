"""SQLite FTS5 rows and tokens for prefiltering subscription matches (see
``sinks/lucene/evaluate.py``).

An FTS5 table ``USING fts5(title, text, summary, kw, tokenize=...)`` holds, per article, the
analysed stems of each text field (the terms Elasticsearch would index) and, in ``kw``, one
token per keyword (field, value) pair plus one per present field. A compiled query's
:meth:`~sinks.lucene.evaluate.CompiledQuery.fts5` expression over these columns selects a superset
of the matching articles; :meth:`~sinks.lucene.evaluate.CompiledQuery.matches` confirms each one.

Tokens are spelled with ``[a-z0-9]`` only, so FTS5's ``ascii`` tokenizer keeps each one whole:
a stem's characters map one to one to a prefix-free code (``a``-``y`` and digits stand for
themselves, ``z`` is ``zz``, any other character ``zx`` + 6 hex digits), so "the stem starts
with P" is "the token starts with code(P)" and stem prefix queries become FTS5 prefix queries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from contract.subscription import QUERY_FIELDS
from sinks.lucene.analysis import analyze

TEXT_FIELDS = ("title", "text", "summary")
KEYWORD_FIELDS = tuple(name for name in QUERY_FIELDS if name not in TEXT_FIELDS)
FTS5_COLUMNS = ("title", "text", "summary", "kw")
"""The FTS5 table's columns, in order: the three text fields, then the keyword tokens."""
FTS5_TOKENIZE = "ascii"
"""The ``tokenize=`` option of the FTS5 table (tokens are ``[a-z0-9]+``, see the module doc)."""
NO_MATCH = 'kw : "none"'
"""An FTS5 expression no row matches (``kw`` tokens start with ``k`` or ``e``)."""

_PLAIN = frozenset("abcdefghijklmnopqrstuvwxy0123456789")


def encode(term: str) -> str:
    """The FTS5 token for an indexed term (prefix-preserving, ``[a-z0-9]+``)."""
    if all(c in _PLAIN for c in term):
        return term
    return "".join(c if c in _PLAIN else "zz" if c == "z" else f"zx{ord(c):06x}" for c in term)


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).hexdigest()


def keyword_token(field: str, value: str) -> str:
    """The ``kw`` token of one keyword value."""
    return "k" + _digest(field, value)


def presence_token(field: str) -> str:
    """The ``kw`` token saying the document has a value for ``field``."""
    return "e" + _digest(field)


def values(document: Mapping[str, Any], field: str) -> list[str]:
    """A field's values as strings (a keyword field may hold one value or a list)."""
    value = document.get(field)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def text_values(document: Mapping[str, Any], field: str) -> list[str]:
    """A text field's strings with at least one character (the others have no tokens)."""
    return [v for v in values(document, field) if v]


def _stems(texts: Iterable[str]) -> str:
    return " ".join(
        encode(stem) for text in texts for t in analyze(text) for stem in sorted(t.stems)
    )


def fts5_row(document: Mapping[str, Any]) -> dict[str, str]:
    """The FTS5 column values for ``document`` (a ``percolate_document`` dict)."""
    row = {name: _stems(text_values(document, name)) for name in TEXT_FIELDS}
    kw: list[str] = []
    for name in TEXT_FIELDS:
        if values(document, name):  # even "" exists for Elasticsearch
            kw.append(presence_token(name))
    for name in KEYWORD_FIELDS:
        found = values(document, name)
        if found:
            kw.append(presence_token(name))
            kw.extend(keyword_token(name, v) for v in found)
    row["kw"] = " ".join(kw)
    return row


def quote(token: str) -> str:
    """An FTS5 string for a token (tokens never contain a double quote)."""
    return f'"{token}"'


def column_filter(fields: Iterable[str], expression: str) -> str:
    """``expression`` restricted to the given columns."""
    names = list(dict.fromkeys(fields))
    where = names[0] if len(names) == 1 else "{" + " ".join(names) + "}"
    return f"{where} : ({expression})"


def any_of(expressions: list[str | None]) -> str | None:
    """OR of FTS5 expressions; None (cannot narrow) when any branch cannot."""
    if not expressions or any(e is None for e in expressions):
        return None
    unique = list(dict.fromkeys(e for e in expressions if e is not None))
    return unique[0] if len(unique) == 1 else "(" + " OR ".join(unique) + ")"


def all_of(expressions: list[str | None]) -> str | None:
    """AND of FTS5 expressions, leaving out those that cannot narrow (still a superset)."""
    unique = list(dict.fromkeys(e for e in expressions if e is not None))
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else "(" + " AND ".join(unique) + ")"
