"""The tree a compiled subscription query is made of, and the documents it runs on.

See ``sinks/lucene/evaluate.py`` for how query strings become these nodes; each node is the Lucene
query Elasticsearch builds, reduced to whether it matches one document (plus the tokens it
matched, for highlights, and an FTS5 expression selecting a superset, for prefiltering).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from contract import InvalidQuery
from sinks.lucene.analysis import Token, analyze, lowercase
from sinks.lucene.fts import (
    NO_MATCH,
    all_of,
    any_of,
    column_filter,
    encode,
    keyword_token,
    presence_token,
    quote,
    text_values,
    values,
)

POSITION_GAP = 100
"""Elasticsearch's position_increment_gap between the values of a multi-valued text field."""


# --- documents ------------------------------------------------------------------------------------
@dataclass
class TextField:
    """One analysed text field: its values, tokens, indexed terms and their positions."""

    texts: list[str]
    tokens: list[tuple[int, Token]]  # (index of the value in texts, token)
    terms: frozenset[str]
    postings: dict[str, set[int]]

    @classmethod
    def of(cls, texts: list[str]) -> TextField:
        tokens: list[tuple[int, Token]] = []
        postings: dict[str, set[int]] = {}
        base = 0
        for index, text in enumerate(texts):
            analysed = analyze(text)
            for token in analysed:
                if base:
                    token = token._replace(position=base + token.position)
                tokens.append((index, token))
                for stem in token.stems:
                    postings.setdefault(stem, set()).add(token.position)
            if analysed:
                base += analysed[-1].position + 1 + POSITION_GAP
        return cls(texts, tokens, frozenset(postings), postings)


class DocumentView:
    """One document (``percolate_document`` shape); text fields are analysed once, on demand."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._text: dict[str, TextField] = {}
        self._keywords: dict[str, tuple[str, ...]] = {}

    @classmethod
    def of(cls, document: DocumentView | Mapping[str, Any]) -> DocumentView:
        """Wrap ``document`` (a DocumentView is returned as it is)."""
        return document if isinstance(document, DocumentView) else cls(document)

    def text(self, name: str) -> TextField:
        """The analysed text field ``name`` (empty when absent)."""
        found = self._text.get(name)
        if found is None:
            found = self._text[name] = TextField.of(text_values(self.document, name))
        return found

    def keywords(self, name: str) -> tuple[str, ...]:
        """The values of the keyword field ``name``."""
        found = self._keywords.get(name)
        if found is None:
            found = self._keywords[name] = tuple(values(self.document, name))
        return found

    def has(self, name: str) -> bool:
        """Whether the field has a value (Elasticsearch's ``exists``: any value but null)."""
        return bool(self.keywords(name))  # a text field with "" exists too (it has norms)


Hits = dict[str, set[int]]
"""Per text field, the indexes (in TextField.tokens) of the tokens a query matched."""


# --- the query tree -------------------------------------------------------------------------------
class Node:
    """A compiled query (or part of one)."""

    def matches(self, doc: DocumentView) -> bool:
        raise NotImplementedError

    def hits(self, doc: DocumentView, out: Hits) -> None:
        """Add the tokens this (positive) query part matches in ``doc``."""

    def fts(self) -> str | None:
        """An FTS5 expression selecting a superset of the matches, or None."""
        return None

    def children(self) -> Iterator[tuple[Node, bool]]:
        """Sub-queries, each with whether it is negated."""
        return iter(())


class MatchAll(Node):
    def matches(self, doc: DocumentView) -> bool:
        return True


class MatchNone(Node):
    def matches(self, doc: DocumentView) -> bool:
        return False

    def fts(self) -> str | None:
        return NO_MATCH


@dataclass(eq=False)
class Bool(Node):
    """Lucene's BooleanQuery (with Elasticsearch's match-all filter for pure negations)."""

    must: list[Node] = field(default_factory=list)
    should: list[Node] = field(default_factory=list)
    must_not: list[Node] = field(default_factory=list)

    def matches(self, doc: DocumentView) -> bool:
        if not all(q.matches(doc) for q in self.must):
            return False
        if any(q.matches(doc) for q in self.must_not):
            return False
        if self.must:
            return True
        if self.should:
            return any(q.matches(doc) for q in self.should)
        return bool(self.must_not)  # fixNegativeQueryIfNeeded: "-a" matches all but a

    def fts(self) -> str | None:
        if self.must:
            return all_of([q.fts() for q in self.must])
        if self.should:
            return any_of([q.fts() for q in self.should])
        return None

    def children(self) -> Iterator[tuple[Node, bool]]:
        yield from ((q, False) for q in (*self.must, *self.should))
        yield from ((q, True) for q in self.must_not)


@dataclass(eq=False)
class Any_(Node):
    """A disjunction: Elasticsearch's dis_max over fields, or SHOULD clauses of one text."""

    options: list[Node]

    def matches(self, doc: DocumentView) -> bool:
        return any(q.matches(doc) for q in self.options)

    def fts(self) -> str | None:
        return any_of([q.fts() for q in self.options])

    def children(self) -> Iterator[tuple[Node, bool]]:
        return ((q, False) for q in self.options)


@dataclass(eq=False)
class TextLeaf(Node):
    """Base of the queries on one text field's indexed terms."""

    name: str

    def term_matches(self, term: str) -> bool:
        raise NotImplementedError

    def matches(self, doc: DocumentView) -> bool:
        return any(self.term_matches(t) for t in doc.text(self.name).terms)

    def hits(self, doc: DocumentView, out: Hits) -> None:
        tokens = doc.text(self.name).tokens
        found = {i for i, (_, t) in enumerate(tokens) if any(map(self.term_matches, t.stems))}
        if found:
            out.setdefault(self.name, set()).update(found)


@dataclass(eq=False)
class TextTerm(TextLeaf):
    """Any of these terms at one position (TermQuery, SynonymQuery)."""

    stems: frozenset[str]

    def term_matches(self, term: str) -> bool:
        return term in self.stems

    def matches(self, doc: DocumentView) -> bool:
        return not self.stems.isdisjoint(doc.text(self.name).terms)

    def fts(self) -> str | None:
        return column_filter([self.name], " OR ".join(quote(encode(s)) for s in sorted(self.stems)))


@dataclass(eq=False)
class TextPhrase(Node):
    """Terms at fixed relative positions (PhraseQuery / MultiPhraseQuery, slop 0)."""

    name: str
    parts: list[tuple[int, frozenset[str]]]  # (offset from the first part, terms)

    def _starts(self, doc: DocumentView) -> list[int]:
        postings = doc.text(self.name).postings
        sets = [
            (off, set().union(*(postings.get(s, ()) for s in terms))) for off, terms in self.parts
        ]
        if any(not found for _, found in sets):
            return []
        first_off, first = sets[0]
        return sorted(
            p - first_off
            for p in first
            if all(p - first_off + off in found for off, found in sets[1:])
        )

    def matches(self, doc: DocumentView) -> bool:
        return bool(self._starts(doc))

    def hits(self, doc: DocumentView, out: Hits) -> None:
        starts = self._starts(doc)
        if not starts:
            return
        wanted = {start + off for start in starts for off, _ in self.parts}
        tokens = doc.text(self.name).tokens
        found = {i for i, (_, t) in enumerate(tokens) if t.position in wanted}
        out.setdefault(self.name, set()).update(found)

    def fts(self) -> str | None:
        groups = [" OR ".join(quote(encode(s)) for s in sorted(t)) for _, t in self.parts]
        return column_filter([self.name], " AND ".join(f"({g})" for g in groups))


@dataclass(eq=False)
class TextPrefix(TextLeaf):
    prefix: str

    def term_matches(self, term: str) -> bool:
        return term.startswith(self.prefix)

    def fts(self) -> str | None:
        if not self.prefix:
            return None
        return column_filter([self.name], quote(encode(self.prefix)) + " *")


@dataclass(eq=False)
class TextPattern(TextLeaf):
    """Wildcard, regular expression or range over the indexed terms."""

    pattern: Matcher

    def term_matches(self, term: str) -> bool:
        return self.pattern.matches(term)

    def fts(self) -> str | None:
        prefix = self.pattern.literal_prefix
        if not prefix:
            return None
        return column_filter([self.name], quote(encode(prefix)) + " *")


@dataclass(eq=False)
class Keyword(Node):
    """A keyword field: an exact value, or a wildcard, regular expression or range."""

    name: str
    value: str | None = None
    pattern: Matcher | None = None

    def matches(self, doc: DocumentView) -> bool:
        found = doc.keywords(self.name)
        if self.pattern is None:
            return self.value in found
        return any(self.pattern.matches(v) for v in found)

    def fts(self) -> str | None:
        if self.pattern is None and self.value is not None:
            return column_filter(["kw"], quote(keyword_token(self.name, self.value)))
        return None


@dataclass(eq=False)
class Exists(Node):
    name: str

    def matches(self, doc: DocumentView) -> bool:
        return doc.has(self.name)

    def fts(self) -> str | None:
        return column_filter(["kw"], quote(presence_token(self.name)))


# --- matchers for wildcards, regular expressions and ranges --------------------------------------
@dataclass(frozen=True)
class Matcher:
    """A predicate on one term or value; ``literal_prefix`` every match starts with."""

    regex: re.Pattern[str] | None = None
    low: str | None = None
    high: str | None = None
    include_low: bool = True
    include_high: bool = True
    literal_prefix: str = ""

    def matches(self, value: str) -> bool:
        if self.regex is not None:
            return self.regex.fullmatch(value) is not None
        if self.low is not None and (
            value < self.low or (value == self.low and not self.include_low)
        ):
            return False
        return not (
            self.high is not None
            and (value > self.high or (value == self.high and not self.include_high))
        )


def wildcard_matcher(pattern: str, normalize: bool) -> Matcher:
    """Lucene's WildcardQuery: ``*`` any string, ``?`` one character, ``\\`` escapes.

    ``normalize``: lower-case the literal parts (Elasticsearch's normalizeWildcardPattern for
    text fields; an escaped character stays as it is).
    """
    out: list[str] = []
    prefix: list[str] = []
    in_prefix = True
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            literal = pattern[i + 1]
            i += 2
        elif c in "*?":
            out.append(".*" if c == "*" else ".")
            in_prefix = False
            i += 1
            continue
        else:
            literal = lowercase(c) if normalize else c
            i += 1
        out.append(re.escape(literal))
        if in_prefix:
            prefix.append(literal)
    return Matcher(regex=re.compile("".join(out), re.S), literal_prefix="".join(prefix))


_REGEX_UNSUPPORTED = set("#@&~<>")


def regex_matcher(query: str, pattern: str) -> Matcher:
    """Lucene's RegExp (whole term, case-sensitive) as a Python pattern.

    Raises:
        InvalidQuery: the pattern uses an operator the embedded matcher does not translate.
    """
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                raise InvalidQuery(query, "regular expression ends with an escape character")
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
                out.append(c)
            elif (c == "^" and out[-1] == "[") or c == "-":
                out.append(c)
            else:
                out.append(re.escape(c))
        elif c == "[":
            in_class = True
            out.append(c)
        elif c == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                raise InvalidQuery(query, "unterminated string in regular expression")
            out.append(re.escape(pattern[i + 1 : end]))
            i = end + 1
            continue
        elif c in _REGEX_UNSUPPORTED:
            raise InvalidQuery(
                query, f"the embedded matcher does not support {c!r} in regular expressions"
            )
        elif c in "^$":
            out.append(re.escape(c))
        else:
            out.append(c)
        i += 1
    try:
        return Matcher(regex=re.compile("".join(out), re.S))
    except re.error as exc:
        raise InvalidQuery(query, f"invalid regular expression: {exc}") from exc
