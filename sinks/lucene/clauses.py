"""Subscription queries taken apart: which fields they name, and their clauses.

Elasticsearch decides whether a query matches (the percolator); this module, built on luqum's
Lucene parser, says *why*: it lists the query's leaf clauses and checks each against the
percolated document and the highlights Elasticsearch returned for it.
"""

import fnmatch
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from luqum.exceptions import ParseError
from luqum.parser import parser
from luqum.tree import (
    Fuzzy,
    Group,
    Item,
    Not,
    Phrase,
    Prohibit,
    Proximity,
    Range,
    Regex,
    SearchField,
    Term,
)

from contract import ClauseMatch, InvalidQuery
from contract.subscription import DEFAULT_QUERY_FIELDS, QUERY_FIELDS

TEXT_FIELDS = frozenset({"title", "text", "summary"})
_EM = re.compile(r"<em>(.*?)</em>", re.S)


@dataclass(frozen=True)
class Clause:
    """One leaf of a query: ``entities:"Vladimir Putin"``, ``-source:tass``, ``truce*``."""

    text: str
    fields: tuple[str, ...]
    value: str
    kind: str  # word, phrase, wildcard, range, regex, fuzzy
    negated: bool


def _parse(query: str) -> Item:
    try:
        return parser.parse(query)
    except (ParseError, ValueError, TypeError) as exc:  # luqum raises plain errors too
        raise InvalidQuery(query, str(exc)) from exc


def _kind(node: Item) -> str:
    if isinstance(node, Phrase):
        return "phrase"
    if isinstance(node, Range):
        return "range"
    if isinstance(node, Regex):
        return "regex"
    if isinstance(node, Fuzzy | Proximity):
        return "fuzzy"
    if isinstance(node, Term) and node.has_wildcard():
        return "wildcard"
    return "word"


def _leaves(node: Item, fields: tuple[str, ...], negated: bool) -> Iterator[Clause]:
    if isinstance(node, SearchField):
        yield from _leaves(node.expr, (node.name,), negated)
        return
    if isinstance(node, Not | Prohibit):
        yield from _leaves(node.a, fields, not negated)
        return
    if isinstance(node, Term | Range | Fuzzy | Proximity):
        value = str(node).strip()
        if isinstance(node, Phrase):
            value = value[1:-1]
        prefix = "NOT " if negated else ""
        where = f"{fields[0]}:" if len(fields) == 1 else ""
        yield Clause(f"{prefix}{where}{str(node).strip()}", fields, value, _kind(node), negated)
        return
    if isinstance(node, Group) or node.children:
        for child in node.children:
            yield from _leaves(child, fields, negated)


@functools.lru_cache(maxsize=50_000)
def clauses(query: str) -> tuple[Clause, ...]:
    """The leaf clauses of ``query``, with the fields each looks at.

    Cached: the alerter explains every match, and parsing takes about 0.5 ms, a cost that
    would otherwise be paid once per match (hundreds per article with 10k subscriptions).

    Raises:
        InvalidQuery: luqum cannot parse it.
    """
    return tuple(_leaves(_parse(query), DEFAULT_QUERY_FIELDS, False))


def check_fields(query: str, allowed: Mapping[str, str] = QUERY_FIELDS) -> tuple[Clause, ...]:
    """Refuse a query that names a field articles do not have (``topic:`` for ``topics:``).

    Elasticsearch would accept it and never match, which is worse than an error.

    Raises:
        InvalidQuery: unparseable, or a field is unknown; the message lists the valid fields.
    """
    found = clauses(query)
    for clause in found:
        for name in clause.fields:
            if name not in allowed and not any(fnmatch.fnmatch(f, name) for f in allowed):
                raise InvalidQuery(
                    query, f"unknown field {name!r}; fields are: {', '.join(sorted(allowed))}"
                )
    return found


def _values(document: Mapping[str, Any], name: str) -> list[str]:
    value = document.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _keyword_hits(clause: Clause, values: Sequence[str]) -> list[str]:
    if clause.kind == "wildcard":
        return [v for v in values if fnmatch.fnmatchcase(v, clause.value)]
    if clause.kind == "regex":
        pattern = clause.value.strip("/")
        return [v for v in values if re.fullmatch(pattern, v)]
    return [v for v in values if v == clause.value]


def _stem(word: str) -> str:
    word = word.lower().strip("*?")
    return word[: max(4, len(word) - 3)]


def _text_hits(clause: Clause, fragments: Sequence[str]) -> list[str]:
    """Highlighted fragments whose highlighted words belong to this clause."""
    wanted = [_stem(w) for w in re.findall(r"\w+", clause.value)]
    hits = []
    for fragment in fragments:
        marked = [m.lower() for m in _EM.findall(fragment)]
        words = [w for m in marked for w in re.findall(r"\w+", m)]
        if any(w.startswith(s) or s.startswith(_stem(w)) for s in wanted for w in words):
            hits.append(_EM.sub(r"\1", fragment))
    return hits


def explain(
    found: Sequence[Clause], document: Mapping[str, Any], highlights: Mapping[str, Sequence[str]]
) -> list[ClauseMatch]:
    """For each clause: did this document satisfy it, and with what.

    Args:
        found: the query's clauses (:func:`clauses`).
        document: the percolated document (keyword fields as lists of values).
        highlights: Elasticsearch's highlight fragments for this document, by field.
    """
    result = []
    for clause in found:
        hits: list[str] = []
        for name in clause.fields:
            if name in TEXT_FIELDS:
                hits += _text_hits(clause, highlights.get(name, []))
            else:
                hits += _keyword_hits(clause, _values(document, name))
        present = bool(hits)
        result.append(
            ClauseMatch(
                clause=clause.text,
                field=",".join(clause.fields),
                negated=clause.negated,
                matched=present != clause.negated,
                hits=hits[:5],
            )
        )
    return result
