"""Subscription queries taken apart: fields checked, clauses listed, each explained."""

import pytest

from contract import InvalidQuery
from sinks.lucene.clauses import check_fields, clauses, explain

QUERY = (
    'topics:ceasefire AND entities:"Vladimir Putin" AND NOT source:tass '
    "AND (text:truc* OR ceasefire) -language:fr"
)


def test_clauses_name_field_kind_and_negation() -> None:
    found = {c.text: c for c in clauses(QUERY)}
    assert list(found) == [
        "topics:ceasefire",
        'entities:"Vladimir Putin"',
        "NOT source:tass",
        "text:truc*",
        "ceasefire",
        "NOT language:fr",
    ]
    assert found['entities:"Vladimir Putin"'].kind == "phrase"
    assert found['entities:"Vladimir Putin"'].value == "Vladimir Putin"
    assert found["text:truc*"].kind == "wildcard"
    assert found["ceasefire"].fields == ("title", "text")
    assert found["NOT source:tass"].negated and found["NOT language:fr"].negated
    assert not found["topics:ceasefire"].negated


def test_double_negation_is_positive() -> None:
    (clause,) = clauses("NOT (NOT topics:coup)")
    assert not clause.negated


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("topic:ceasefire", "unknown field 'topic'; fields are: author, canonical_url, countries"),
        ("published:[now-1d TO now]", "unknown field 'published'"),
        ("topics:(ceasefire AND", "unexpected end of expression"),
    ],
)
def test_check_fields_refuses(query: str, message: str) -> None:
    with pytest.raises(InvalidQuery, match=message.replace("(", r"\(")):
        check_fields(query)


def test_check_fields_accepts_every_article_field() -> None:
    assert len(check_fields("countries:Ukr* AND entity_types:NORP AND url:*bbc*")) == 3


def test_explain_keyword_wildcard_text_and_negation() -> None:
    document = {
        "topics": ["ceasefire"],
        "entities": ["Vladimir Putin", "Ukraine"],
        "source": "reuters",
        "language": "en",
    }
    highlights = {"text": ["a <em>truce</em> was agreed", "no <em>ceasefires</em> yet"]}
    result = {c.clause: c for c in explain(clauses(QUERY), document, highlights)}
    assert result["topics:ceasefire"].matched and result["topics:ceasefire"].hits == ["ceasefire"]
    assert result['entities:"Vladimir Putin"'].hits == ["Vladimir Putin"]
    assert result["NOT source:tass"].matched and result["NOT source:tass"].hits == []
    assert result["text:truc*"].hits == ["a truce was agreed"]
    # a bare word is explained from the title and text highlights, stemmed loosely
    assert result["ceasefire"].hits == ["no ceasefires yet"]
    assert result["NOT language:fr"].matched


def test_explain_reports_an_unmatched_or_branch_and_a_present_negated_value() -> None:
    found = clauses("(topics:coup OR topics:elections) AND NOT countries:Mali")
    result = {c.clause: c for c in explain(found, {"topics": ["coup"], "countries": ["Mali"]}, {})}
    assert result["topics:coup"].matched
    assert not result["topics:elections"].matched
    assert not result["NOT countries:Mali"].matched
    assert result["NOT countries:Mali"].hits == ["Mali"]
