"""The embedded subscription matcher: Lucene/Elasticsearch query_string semantics, highlights, FTS5.

Every expectation here is what the percolator of the local stack answers (checked with
tests/integration/test_integration_parity.py and by hand with ``_validate/query?explain``).
"""

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from contract import InvalidQuery
from sinks.lucene.evaluate import (
    FTS5_COLUMNS,
    FTS5_TOKENIZE,
    CompiledQuery,
    DocumentView,
    compile_query,
    fts5_row,
)

DOC: dict[str, Any] = {
    "title": "Kremlin rejects 30-day ceasefire proposed at Jeddah talks",
    "text": (
        "The Kremlin on Tuesday rejected a proposal for a 30-day ceasefire along the front line "
        "in Ukraine. Spokesman Dmitry Peskov told reporters that Moscow's conditions had not "
        "been met. War and peace were discussed; U.S.-led talks resumed."
    ),
    "summary": "Moscow says no to a truce",
    "topics": ["ceasefire", "peace-talks"],
    "entities": ["Russia", "Ukraine", "Dmitry Peskov"],
    "countries": ["Russia", "Ukraine"],
    "people": ["Dmitry Peskov"],
    "entity_types": ["GPE", "PERSON"],
    "source": "Reuters",
    "language": "en",
    "url": "https://example.com/world/1",
}


def matches(query: str, doc: dict[str, Any] = DOC) -> bool:
    return compile_query(query).matches(doc)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Lucene's boolean rules per group (default operator OR)
        ("ceasefire", True),
        ("sanctions", False),
        ("ceasefire sanctions", True),
        ("ceasefire AND sanctions", False),
        ("sanctions OR ceasefire AND Kremlin", True),  # sanctions +ceasefire +Kremlin
        ("ceasefire OR sanctions AND tariffs", False),  # ceasefire +sanctions +tariffs
        ("ceasefire AND sanctions OR Kremlin", False),  # +ceasefire +sanctions Kremlin
        ("sanctions OR NOT ceasefire", False),  # sanctions -ceasefire: needs sanctions
        ("ceasefire OR NOT sanctions", True),
        ("NOT sanctions", True),  # a pure negation matches everything else
        ("-ceasefire", False),
        ("+ceasefire -sanctions", True),
        ("+ceasefire -Kremlin", False),
        ("ceasefire AND (NOT Kremlin)", False),
        ("sanctions OR (NOT tariffs)", True),  # nested groups are fixed too
        ("NOT (sanctions OR tariffs)", True),
        ("NOT sanctions AND NOT tariffs", True),
        ("-ceasefire OR -Kremlin", False),
        ("ceasefire -(Kremlin AND tariffs)", True),
        # stop words: the clause disappears; an empty query matches nothing
        ("the", False),
        ("NOT the", False),
        ("the OR of", False),
        ("sanctions the AND ceasefire", False),  # AND after "the" makes sanctions required
        ("ceasefire the AND Kremlin", True),
        ("(the) OR ceasefire", True),
        ("", False),
        # fields: bare words look in title and text, not summary
        ("truce", False),
        ("summary:truce", True),
        ("title:Tuesday", False),
        ("text:Tuesday", True),
        ("title:(Tuesday OR Jeddah)", True),
        ("title:Tuesday Jeddah", True),  # Jeddah is a bare word again
        # analysis: stems, several positions, phrases with gaps
        ("rejecting", True),  # reject, as "rejects" and "rejected"
        ("Rejected", True),
        ("proposals", True),
        ("cease-fire", False),
        ("Peskov-style", True),  # one of two positions
        ('"front line"', True),
        ('"line front"', False),
        ('"war and peace"', True),
        ('"war the peace"', True),  # the stop word leaves a gap of one position
        ('"war peace"', False),
        ('"the ceasefire"', True),
        ('"U.S.-led talks"', True),
        ('"ceasefire"~0', True),
        # keyword fields: exact, case-sensitive, whole values
        ("topics:ceasefire", True),
        ("topics:Ceasefire", False),
        ('entities:"Dmitry Peskov"', True),
        ("entities:Dmitry\\ Peskov", True),
        ("entities:Dmitry Peskov", True),  # entities:Dmitry OR Peskov (in the text)
        ("countries:(Russia Ukraine)", False),  # consecutive terms are one text
        ("countries:(Russia OR Ukraine)", True),
        ("countries:(Russia AND NOT Ukraine)", False),
        ("source:Reuters AND language:en", True),
        ("source:reuters", False),
        ('url:"https://example.com/world/1"', True),
        # wildcards, regular expressions, ranges, exists
        ("negotiat*", False),
        ("reject*", True),
        ("title:Kreml*", True),
        ("text:configur*", False),
        ("Spokes?an", True),
        ("text:*ble", False),
        ("text:*ported", False),
        ("text:report*", True),
        ("countries:Ukr*", True),
        ("countries:ukr*", False),
        ("countries:*kraine", True),
        ("countries:U?raine", True),
        ("topics:/peace.*/", True),
        ("title:/kreml.n/", True),
        ("title:/Kreml.n/", False),  # regular expressions are not lower-cased
        ("countries:[A TO S]", True),
        ("countries:{Russia TO Ukraine}", False),
        ("countries:[Russia TO Ukraine}", True),
        ("source:>Q", True),
        ("source:<=Reuters", True),
        ("source:<Reuters", False),
        ("*", True),
        ("summary:*", True),
        ("flags:*", False),
        ("_exists_:people", True),
        ("*:*", True),
        ("-topics:*", False),
        ("ceasefire^2 OR sanctions^0.5", True),
    ],
)
def test_query_semantics(query: str, expected: bool) -> None:
    assert matches(query) is expected


def test_several_values_of_a_text_field_are_apart() -> None:
    doc = {"title": ["war and", "peace"]}
    assert matches("title:war AND title:peace", doc)
    assert not matches('title:"war and peace"', doc)


def test_documents_without_text_fields() -> None:
    doc = {"topics": ["coup"], "title": ""}
    assert matches("topics:coup", doc)
    assert not matches("coup", doc)
    assert matches("*", doc)  # an empty title still exists for Elasticsearch
    assert not matches("*", {"topics": ["coup"], "title": None})
    assert matches("NOT coup", doc)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ('"front line"~2', "proximity"),
        ("Ukrain~", "fuzzy"),
        ("topic:ceasefire", "unknown field 'topic'"),
        ("top*:ceasefire", "field patterns"),
        ("ceasefire && truce", "AND, OR and NOT"),
        ("title:(ceasefire AND", "Syntax error"),
        ("title:/a@b/", "'@'"),
        ("NOT -ceasefire", "two operators"),
    ],
)
def test_what_cannot_be_evaluated_is_an_invalid_query(query: str, reason: str) -> None:
    with pytest.raises(InvalidQuery, match=reason):
        compile_query(query)


def test_compiled_queries_are_cached_and_documents_analysed_once() -> None:
    assert compile_query("ceasefire") is compile_query("ceasefire")
    view = DocumentView.of(DOC)
    assert DocumentView.of(view) is view
    assert view.text("text") is view.text("text")
    assert compile_query("Kremlin").matches(view)


# --- highlights -----------------------------------------------------------------------------------
def test_highlights_mark_positive_terms_in_sentences() -> None:
    found = compile_query('ceasefire AND "front line" -sanctions').highlights(DOC)
    assert set(found) == {"title", "text"}
    assert found["title"] == ["Kremlin rejects 30-day <em>ceasefire</em> proposed at Jeddah talks"]
    (sentence,) = found["text"]
    assert "<em>ceasefire</em> along the <em>front</em> <em>line</em>" in sentence
    assert sentence.startswith("The Kremlin on Tuesday")


def test_highlights_leave_out_negated_terms_and_other_fields() -> None:
    found = compile_query("topics:ceasefire AND NOT Kremlin AND summary:truce").highlights(DOC)
    assert found == {"summary": ["Moscow says no to a <em>truce</em>"]}
    assert compile_query("sanctions").highlights(DOC) == {}


def test_highlights_are_at_most_three_fragments_of_about_200_characters() -> None:
    sentence = "Filler words about nothing at all, repeated. "
    long_sentence = "A very long sentence " + "with words " * 60 + "about missiles again."
    text = " ".join([sentence * 3, "Missiles hit the port. " * 6, long_sentence])
    found = compile_query("missiles").highlights({"text": text})["text"]
    assert len(found) == 3
    assert all(len(f.replace("<em>", "").replace("</em>", "")) <= 200 for f in found)
    assert all("<em>Missiles</em>" in f or "<em>missiles</em>" in f for f in found)


def test_highlights_feed_the_explanation_of_clauses() -> None:
    from sinks.lucene.clauses import clauses, explain

    query = "ceasefire AND topics:ceasefire"
    found = explain(clauses(query), DOC, compile_query(query).highlights(DOC))
    assert [c.matched for c in found] == [True, True]
    assert found[0].hits and "ceasefire" in found[0].hits[0]


# --- FTS5 prefilter -------------------------------------------------------------------------------
CORPUS = Path(__file__).resolve().parents[3] / "data" / "labelled" / "dev.jsonl"


def _corpus() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[:80]]
    return [
        {
            "title": r["title"],
            "text": r["text"],
            **({"summary": r["text"][:80]} if i % 3 == 0 else {}),
            "topics": r["topics"],
            "entities": r["entities"],
            "countries": r["entities"][:2],
            "source": ["Reuters", "AP News", "TASS"][i % 3],
        }
        for i, r in enumerate(rows)
    ]


def _queries(docs: list[dict[str, Any]]) -> list[str]:
    rnd = random.Random(7)
    words: list[str] = sorted(
        {w.strip(".,'\"") for d in docs for w in str(d["text"]).split() if len(w) > 3}
    )
    topics = sorted({t for d in docs for t in d["topics"]})
    entities = sorted({e for d in docs for e in d["entities"]})

    def leaf() -> str:
        word = rnd.choice(words)
        return rnd.choice(
            [
                word,
                word[: rnd.randint(2, len(word))] + "*",
                f"title:{word}",
                f"summary:{word}",
                f'"{word} {rnd.choice(words)}"',
                f'"{" ".join(rnd.choice(docs)["text"].split()[3:6])}"',
                f"topics:{rnd.choice(topics)}",
                f'entities:"{rnd.choice(entities)}"',
                f"countries:{rnd.choice(entities)[:3]}*",
                word[:2] + "?" + word[3:],
                f"source:{rnd.choice(['Reuters', 'TASS', 'BBC'])}",
                "summary:*",
                "the",
            ]
        )

    queries = []
    for _ in range(300):
        a, b, c = leaf(), leaf(), leaf()
        queries.append(
            rnd.choice(
                [
                    a,
                    f"{a} AND {b}",
                    f"{a} OR {b}",
                    f"{a} OR {b} AND {c}",
                    f"{a} AND NOT {b}",
                    f"NOT {a}",
                    f"({a} OR {b}) AND ({b} OR {c})",
                    f"+{a} {b} -{c}",
                ]
            )
        )
    return queries


def test_fts5_expressions_select_a_superset_of_the_matches() -> None:
    docs = _corpus()
    db = sqlite3.connect(":memory:")
    db.execute(
        f"CREATE VIRTUAL TABLE fts USING fts5({', '.join(FTS5_COLUMNS)}, "
        f"tokenize='{FTS5_TOKENIZE}')"
    )
    for rowid, doc in enumerate(docs):
        row = fts5_row(doc)
        db.execute(
            "INSERT INTO fts(rowid, title, text, summary, kw) VALUES (?, ?, ?, ?, ?)",
            (rowid, row["title"], row["text"], row["summary"], row["kw"]),
        )
    narrowed = checked = 0
    for query in _queries(docs):
        compiled: CompiledQuery = compile_query(query)
        expected = {i for i, doc in enumerate(docs) if compiled.matches(doc)}
        expression = compiled.fts5()
        if expression is None:
            continue
        selected = {
            r for (r,) in db.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (expression,))
        }
        assert expected <= selected, (query, expression, expected - selected)
        checked += 1
        narrowed += len(selected) < len(docs)
    assert checked > 150 and narrowed > 150


def test_fts5_expressions_by_query_kind() -> None:
    assert compile_query("NOT ceasefire").fts5() is None
    assert compile_query("ceasefire OR NOT truce").fts5() is not None  # ceasefire -truce
    assert compile_query("ceasefire OR *kraine").fts5() is None  # a leading wildcard: no
    assert compile_query("ceasefire AND text:*kraine").fts5() == (
        '(title : ("ceasefire") OR text : ("ceasefire"))'
    )
    assert compile_query("title:restrictions").fts5() == 'title : ("restriction")'
    assert compile_query("title:lift*").fts5() == 'title : ("lift" *)'
    assert compile_query("the").fts5() == 'kw : "none"'
    assert compile_query("topics:ceasefire").fts5().startswith('kw : ("k')  # type: ignore[union-attr]


def test_fts5_rows_hold_stems_and_keyword_tokens() -> None:
    row = fts5_row({"title": "Zürich talks resumed", "topics": ["coup"], "summary": ""})
    assert row["title"] == "zzzx0000fcrich talk resume"  # z: zz, ü: zx0000fc
    assert row["text"] == "" and row["summary"] == ""
    assert len(row["kw"].split()) == 4  # title, summary ("" exists) and topics; one topic
