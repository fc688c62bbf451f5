"""Subscription queries evaluated in Python, with the answers of Elasticsearch's percolator.

A subscription is ``{"query_string": {"query": Q, "fields": ["title", "text"],
"analyze_wildcard": true}}`` (``sinks/elasticsearch/subscriptions.py``). :func:`compile_query`
parses ``Q`` with luqum and builds the query Elasticsearch 7.17's ``QueryStringQueryParser`` (on
Lucene's classic ``QueryParser``) builds (nodes of ``sinks/lucene/nodes.py``), and
:meth:`CompiledQuery.matches` runs it on one document:

* Boolean clauses per group, by Lucene's ``addClause``: ``a OR b AND c`` is ``a +b +c``,
  ``a OR NOT b`` is ``a -b``, ``a AND NOT b`` is ``+a -b``, a word is SHOULD; with a MUST
  clause the SHOULD ones do not matter, without one at least one SHOULD must match; a group of
  only MUST_NOT clauses matches every other document (``fixNegativeQueryIfNeeded``, applied to
  each group); a clause that analyses to nothing (stop words) is dropped (and an ``AND`` after
  it still makes the clause before it required); a query left empty matches nothing.
* A bare word or phrase looks in ``title`` and ``text`` (any of them); ``field:`` and
  ``field:(...)`` scope. Text fields (``title``, ``text``, ``summary``) are analysed as
  ``newsmon_english`` does (``sinks/lucene/analysis``): one position matches any of its stems,
  several positions (``cease-fire``) any position, a phrase needs every position at its offset (stop
  word gaps kept). Other fields are keywords: exact, case-sensitive, whole values.
* ``word*`` on a text field analyses ``word`` and matches terms starting with its stems (earlier
  positions as terms); ``?`` and inner ``*`` match indexed terms with the lower-cased pattern;
  on keyword fields wildcards, ``/regex/`` and ranges apply to whole values; ``field:>x`` and
  friends are ranges. ``*`` alone is "the field has a value", ``*:*`` every document,
  ``_exists_:field`` as in Elasticsearch.
* Proximity (``"..."~N``, N > 0), fuzzy (``word~``), field patterns and the ``&&``/``||``/``!``
  spellings raise :class:`InvalidQuery`.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from luqum.exceptions import ParseError
from luqum.parser import parser
from luqum.tree import (
    AndOperation,
    Boost,
    FieldGroup,
    From,
    Fuzzy,
    Group,
    Item,
    Not,
    OrOperation,
    Phrase,
    Plus,
    Prohibit,
    Proximity,
    Range,
    Regex,
    SearchField,
    To,
    UnknownOperation,
    Word,
)

from contract import InvalidQuery
from contract.subscription import DEFAULT_QUERY_FIELDS, QUERY_FIELDS
from sinks.lucene.analysis import Token, analyze, lowercase
from sinks.lucene.fts import FTS5_COLUMNS, FTS5_TOKENIZE, TEXT_FIELDS, fts5_row
from sinks.lucene.nodes import (
    Any_,
    Bool,
    DocumentView,
    Exists,
    Hits,
    Keyword,
    MatchAll,
    Matcher,
    MatchNone,
    Node,
    TextField,
    TextPattern,
    TextPhrase,
    TextPrefix,
    TextTerm,
    regex_matcher,
    wildcard_matcher,
)

__all__ = [
    "FTS5_COLUMNS",
    "FTS5_TOKENIZE",
    "CompiledQuery",
    "DocumentView",
    "compile_query",
    "fts5_row",
]

EXISTS_FIELD = "_exists_"
CONJ_NONE, CONJ_AND, CONJ_OR = 0, 1, 2
MOD_NONE, MOD_NOT, MOD_REQ = 0, 1, 2
MUST, SHOULD, MUST_NOT = "must", "should", "must_not"


# --- luqum tree -> Lucene clauses -----------------------------------------------------------------
def _unescape(query: str, text: str) -> str:
    """Lucene's discardEscapeChar: ``\\x`` is ``x``, ``\\uXXXX`` a character."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(text):
            raise InvalidQuery(query, "Term can not end with escape character")
        if text[i + 1] == "u":
            digits = text[i + 2 : i + 6]
            if len(digits) != 4 or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise InvalidQuery(query, "Truncated unicode escape sequence")
            out.append(chr(int(digits, 16)))
            i += 6
        else:
            out.append(text[i + 1])
            i += 2
    return "".join(out)


def _wildcards(text: str) -> list[int]:
    """Positions of the unescaped ``*`` and ``?`` of a term."""
    found = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in "*?":
            found.append(i)
        i += 1
    return found


class _Compiler:
    def __init__(self, query: str) -> None:
        self.query = query

    def fail(self, reason: str) -> InvalidQuery:
        return InvalidQuery(self.query, reason)

    # a Query production: clauses joined by conjunctions, each with at most one modifier
    def flatten(self, node: Item, conj: int, out: list[tuple[int, int, Item]]) -> None:
        if isinstance(node, AndOperation | OrOperation | UnknownOperation):
            inner = (
                CONJ_AND
                if isinstance(node, AndOperation)
                else CONJ_OR
                if isinstance(node, OrOperation)
                else CONJ_NONE
            )
            for i, child in enumerate(node.children):
                self.flatten(child, conj if i == 0 else inner, out)
            return
        if isinstance(node, Word) and (
            node.value in ("&&", "||") or "!" in node.value.replace("\\!", "")
        ):
            raise self.fail("use AND, OR and NOT (the embedded matcher does not read &&, || or !)")
        mods = MOD_NONE
        if isinstance(node, Not | Prohibit | Plus):
            if isinstance(node, Prohibit | Plus) and node.a.head:
                # "- word": Lucene reads a lone "-"/"+" before a space as a term of its own
                out.append((conj, MOD_NONE, _BareOperator("+" if isinstance(node, Plus) else "-")))
                self.flatten(node.a, CONJ_NONE, out)
                return
            mods = MOD_REQ if isinstance(node, Plus) else MOD_NOT
            node = node.a
            if isinstance(node, Not | Prohibit | Plus):
                raise self.fail("two operators in a row (Lucene allows one of +, -, NOT)")
        out.append((conj, mods, node))

    def group(self, node: Item, name: str | None) -> Node | None:
        items: list[tuple[int, int, Item]] = []
        self.flatten(node, CONJ_NONE, items)
        clauses: list[list[Any]] = []  # [occur, query]
        i = 0
        while i < len(items):
            conj, mods, item = items[i]
            run = _multi_term(items, i)
            if run > 1:
                # Elasticsearch does not split on whitespace: consecutive plain terms are one
                # text, analysed together (``countries:(Russia Ukraine)`` is one keyword)
                text = " ".join(str(item.value) for _, _, item in items[i : i + run])
                query = self.word(text, name, [name] if name else list(DEFAULT_QUERY_FIELDS))
                if query is not None:
                    clauses.append([SHOULD, query])
                i += run
                continue
            i += 1
            query = self.clause(item, name)
            # Lucene's QueryParserBase.addClause, default operator OR
            if clauses and conj == CONJ_AND and clauses[-1][0] != MUST_NOT:
                clauses[-1][0] = MUST
            if query is None:
                continue
            if mods == MOD_NOT:
                occur = MUST_NOT
            elif mods == MOD_REQ or conj == CONJ_AND:
                occur = MUST
            else:
                occur = SHOULD
            clauses.append([occur, query])
        if not clauses:
            return None
        if len(clauses) == 1 and clauses[0][0] != MUST_NOT:
            return clauses[0][1]  # type: ignore[no-any-return]
        result = Bool()
        for occur, query in clauses:
            getattr(result, occur).append(query)
        return result

    def clause(self, node: Item, name: str | None) -> Node | None:
        if isinstance(node, Boost):
            return self.clause(node.expr, name)
        if isinstance(node, Group | FieldGroup):
            return self.group(node.expr, name)
        if isinstance(node, SearchField):
            field = _unescape(self.query, node.name)
            expr = node.expr.expr if isinstance(node.expr, Boost) else node.expr
            if field == "*" and isinstance(expr, Word) and expr.value == "*":
                return MatchAll()
            self.check_field(field)
            if isinstance(expr, Group | FieldGroup):
                if field == EXISTS_FIELD:
                    raise self.fail("_exists_ takes a field name")
                return self.group(expr.expr, field)
            if isinstance(expr, SearchField | Not | Prohibit | Plus):
                raise self.fail(f"unexpected {str(expr).strip()!r} after {field}:")
            return self.term(expr, field)
        if isinstance(node, AndOperation | OrOperation | UnknownOperation):
            raise self.fail("unexpected operator")
        return self.term(node, name)

    def check_field(self, name: str) -> None:
        if name in QUERY_FIELDS or name == EXISTS_FIELD:
            return
        if "*" in name or "?" in name:
            raise self.fail(f"the embedded matcher does not support field patterns ({name!r})")
        raise self.fail(f"unknown field {name!r}; fields are: {', '.join(sorted(QUERY_FIELDS))}")

    # a Term production on a field (None: the default fields)
    def term(self, node: Item, name: str | None) -> Node | None:
        fields = [name] if name else list(DEFAULT_QUERY_FIELDS)
        if name == EXISTS_FIELD:
            if isinstance(node, Word | Phrase) and not _wildcards(node.value):
                target = _unescape(self.query, node.value.strip('"'))
                self.check_field(target)
                return Exists(target)
            raise self.fail("_exists_ takes a field name")
        if isinstance(node, Fuzzy):
            raise self.fail("the embedded matcher does not support fuzzy searches (word~)")
        if isinstance(node, Proximity):
            if float(node.degree or 0) != 0:
                raise self.fail("the embedded matcher does not support proximity searches (~N)")
            node = node.term
        if isinstance(node, Phrase):
            text = _unescape(self.query, node.value[1:-1])
            return _any(self.text_or_keyword(f, text, quoted=True) for f in fields)
        if isinstance(node, Regex):
            pattern = regex_matcher(self.query, node.value[1:-1])
            return _any(self.pattern(f, pattern) for f in fields)
        if isinstance(node, Range):
            return self.range(fields, node.low, node.high, node.include_low, node.include_high)
        if isinstance(node, From | To):
            bound = node.a
            if name is None:  # Lucene sees a plain term: ">x" analyses like "x"
                sign = (">" if isinstance(node, From) else "<") + ("=" if node.include else "")
                return self.word(sign + str(bound).strip(), None, fields)
            if isinstance(node, From):
                return self.range(fields, bound, None, node.include, True)
            return self.range(fields, None, bound, True, node.include)
        if not isinstance(node, Word):
            raise self.fail(f"unexpected {str(node).strip()!r}")
        return self.word(node.value, name, fields)

    def word(self, value: str, name: str | None, fields: list[str]) -> Node | None:
        if value == "*":
            return _any(Exists(f) for f in fields)
        stars = _wildcards(value)
        if not stars:
            text = _unescape(self.query, value)
            if name and len(text) > 1 and text[0] in "<>":  # title:>x is a range
                inclusive = len(text) > 2 and text[1] == "="
                bound = text[2:] if inclusive else text[1:]
                if text[0] == ">":
                    return self.range_text(fields, bound, None, inclusive, True)
                return self.range_text(fields, None, bound, True, inclusive)
            return _any(self.text_or_keyword(f, text, quoted=False) for f in fields)
        if stars == [len(value) - 1] and value[-1] == "*" and len(value) > 1:
            text = _unescape(self.query, value[:-1])
            return _any(self.prefix(f, text) for f in fields)
        return _any(
            self.pattern(f, wildcard_matcher(value, normalize=f in TEXT_FIELDS)) for f in fields
        )

    def text_or_keyword(self, name: str, text: str, quoted: bool) -> Node | None:
        if name not in TEXT_FIELDS:
            return Keyword(name, value=text)
        positions = _positions(analyze(text))
        if not positions:
            return None
        if len(positions) == 1:
            return TextTerm(name, positions[0][1])
        if quoted:
            first = positions[0][0]
            return TextPhrase(name, [(p - first, stems) for p, stems in positions])
        return Any_([TextTerm(name, stems) for _, stems in positions])

    def prefix(self, name: str, text: str) -> Node | None:
        if name not in TEXT_FIELDS:
            return Keyword(name, pattern=Matcher(regex=re.compile(re.escape(text) + ".*", re.S)))
        positions = _positions(analyze(text))
        if not positions:
            return None
        *before, (_, last) = positions
        ends = Any_([TextPrefix(name, stem) for stem in sorted(last)])
        if not before:
            return ends.options[0] if len(ends.options) == 1 else ends
        return Any_([*(TextTerm(name, stems) for _, stems in before), ends])

    def pattern(self, name: str, matcher: Matcher) -> Node:
        if name in TEXT_FIELDS:
            return TextPattern(name, matcher)
        return Keyword(name, pattern=matcher)

    def range(
        self,
        fields: list[str],
        low: Item | None,
        high: Item | None,
        include_low: bool,
        include_high: bool,
    ) -> Node | None:
        def bound(item: Item | None) -> str | None:
            if item is None:
                return None
            if isinstance(item, Prohibit):
                return "-" + (bound(item.a) or "")
            text = str(item).strip()
            if isinstance(item, Phrase):
                return _unescape(self.query, text[1:-1])
            return None if text == "*" else _unescape(self.query, text)

        return self.range_text(fields, bound(low), bound(high), include_low, include_high)

    def range_text(
        self,
        fields: list[str],
        low: str | None,
        high: str | None,
        include_low: bool,
        include_high: bool,
    ) -> Node | None:
        nodes = []
        for name in fields:
            text = name in TEXT_FIELDS  # bounds are normalised (lower-cased) for text
            matcher = Matcher(
                low=lowercase(low) if text and low is not None else low,
                high=lowercase(high) if text and high is not None else high,
                include_low=include_low,
                include_high=include_high,
            )
            nodes.append(self.pattern(name, matcher))
        return _any(nodes)


class _BareOperator(Word):  # type: ignore[misc]
    """A lone ``+``/``-`` followed by a space: Lucene's BAREOPER, a term of its own."""


def _is_term(conj: int, mods: int, item: Item) -> bool:
    """Whether the clause is a bare TERM token of Lucene's grammar (no operator, no wildcard)."""
    return (
        conj == CONJ_NONE
        and mods == MOD_NONE
        and type(item) is Word
        and not _wildcards(item.value)
        and item.value != "*"
    )


def _multi_term(items: list[tuple[int, int, Item]], start: int) -> int:
    """How many TERMs from ``start`` Lucene's MultiTerm rule joins (1: none).

    A term joins while the token after it is not ``:``, ``*``, ``~``, ``^``, AND or OR
    (``allowedPostMultiTerm``); the run needs two terms.
    """

    def allowed_after(k: int) -> bool:
        if k + 1 >= len(items):
            return True
        conj, mods, item = items[k + 1]
        if conj != CONJ_NONE:
            return False
        if mods != MOD_NONE:
            return True
        stars = isinstance(item, Word) and item.value == "*"
        star_field = isinstance(item, SearchField) and item.name == "*"
        return not (stars or star_field)

    if not _is_term(*items[start]):
        return 1
    end = start + 1
    while end < len(items) and _is_term(*items[end]) and allowed_after(end):
        end += 1
    return end - start


def _positions(tokens: Sequence[Token]) -> list[tuple[int, frozenset[str]]]:
    return [(t.position, t.stems) for t in tokens]


def _any(nodes: Any) -> Node | None:
    found = [n for n in nodes if n is not None]
    if not found:
        return None
    return found[0] if len(found) == 1 else Any_(found)


# --- the public API -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CompiledQuery:
    """A subscription query ready to run on documents."""

    query: str
    root: Node

    def matches(self, doc: DocumentView | Mapping[str, Any]) -> bool:
        """Whether Elasticsearch's percolator would match ``doc``."""
        return self.root.matches(DocumentView.of(doc))

    def highlights(self, doc: DocumentView | Mapping[str, Any]) -> dict[str, list[str]]:
        """Fragments of each text field around what the query's positive terms matched.

        The shape Elasticsearch's highlighter returns: up to 3 fragments of at most about 200
        characters per field, in text order, the matched words in ``<em>...</em>``.
        """
        view = DocumentView.of(doc)
        found: Hits = {}
        _collect(self.root, view, found)
        result = {}
        for name in TEXT_FIELDS:
            fragments = _fragments(view.text(name), found.get(name, set()))
            if fragments:
                result[name] = fragments
        return result

    def fts5(self) -> str | None:
        """An FTS5 MATCH expression selecting a superset of the matching rows (None: all rows)."""
        return self.root.fts()


def _collect(node: Node, doc: DocumentView, out: Hits) -> None:
    node.hits(doc, out)
    for child, negated in node.children():
        if not negated:
            _collect(child, doc, out)


_SENTENCE_END = re.compile("(?<=[.!?])[\"'\u201d\u2019)]*\\s+")
FRAGMENT_SIZE = 200
FRAGMENTS = 3


def _fragments(text: TextField, marked: set[int]) -> list[str]:
    """The best sentences (most matches) around the marked tokens, in text order."""
    if not marked:
        return []
    by_value: dict[int, list[Token]] = {}
    for i in sorted(marked):
        index, token = text.tokens[i]
        by_value.setdefault(index, []).append(token)
    passages: list[tuple[int, int, int, int, list[Token]]] = []
    for index, tokens in by_value.items():
        value = text.texts[index]
        bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(value)), len(value)]
        for start, end in itertools.pairwise(bounds):
            inside = [t for t in tokens if start <= t.start < end]
            if inside:
                passages.append((-len(inside), index, start, end, inside))
    passages.sort(key=lambda p: (p[0], p[1], p[2]))
    chosen = sorted(passages[:FRAGMENTS], key=lambda p: (p[1], p[2]))
    return [_fragment(text.texts[i], start, end, tokens) for _, i, start, end, tokens in chosen]


def _fragment(value: str, start: int, end: int, tokens: Sequence[Token]) -> str:
    """One sentence with matches in <em>; a long one is cut to about 200 characters from its
    start (like Elasticsearch's), or from a little before its first match when that is further."""
    if end - start > FRAGMENT_SIZE:
        first = tokens[0]
        window = start
        if first.end > start + FRAGMENT_SIZE:
            window = first.start - FRAGMENT_SIZE // 4
        if window > start:  # start at a word
            space = value.find(" ", window, first.start)
            window = space + 1 if space >= 0 else first.start
        stop = min(end, window + FRAGMENT_SIZE)
        if stop < end:  # end at a word
            space = value.rfind(" ", first.end, stop)
            stop = space if space >= 0 else max(stop, first.end)
        start, end = window, stop
    parts: list[str] = []
    at = start
    for token in tokens:
        if token.start < at or token.end > end:
            continue
        parts += [value[at : token.start], "<em>", value[token.start : token.end], "</em>"]
        at = token.end
    parts.append(value[at:end])
    return "".join(parts).strip()


_PARSE_LOCK = threading.Lock()  # luqum's PLY parser is not thread safe


@functools.lru_cache(maxsize=50_000)
def compile_query(query: str) -> CompiledQuery:
    """Compile a subscription query string (cached).

    Raises:
        InvalidQuery: luqum cannot parse it, it names an unknown field, or it uses what the
            embedded matcher does not evaluate (proximity, fuzzy, field patterns, ...).
    """
    if not query.strip():
        return CompiledQuery(query, MatchNone())
    try:
        with _PARSE_LOCK:
            tree = parser.parse(query)
    except (ParseError, ValueError, TypeError) as exc:  # luqum raises plain errors too
        raise InvalidQuery(query, str(exc)) from exc
    root = _Compiler(query).group(tree, None)
    return CompiledQuery(query, root if root is not None else MatchNone())
