"""The wire format: JSON round trip, poison detection naming the field, UTC datetimes."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from contract import SCHEMA_VERSION, Article, Entity, Evidence, PoisonMessage, TopicMatch

Factory = Callable[..., Article]


def _payload(article: Article, **changes: object) -> bytes:
    data = orjson.loads(article.to_json())
    data.update(changes)
    return orjson.dumps(data)


def test_json_round_trip_keeps_every_field(make_article: Factory) -> None:
    article = make_article(
        entities=[
            Entity(name="NATO", label="ORG", text="NATO", count=2, first_offset=0, kb_id="Q7184")
        ],
        topics=[
            TopicMatch(
                topic="ceasefire",
                score=1.0,
                evidence=[Evidence(rule="r", sentence="A ceasefire.", terms=["ceasefire"])],
            )
        ],
        enriched_at=datetime(2024, 5, 24, 11, 0, tzinfo=UTC),
        nlp_model="en_core_web_sm-3.8.0",
        taxonomy_version="1.0.0",
        lane="replay",
    )
    assert Article.from_json(article.to_json()) == article
    assert Article.from_json(article.to_json().decode()) == article
    assert orjson.loads(article.to_json())["schema_version"] == SCHEMA_VERSION


def test_non_json_is_poison() -> None:
    with pytest.raises(PoisonMessage) as caught:
        Article.from_json(b"\x00not json{")
    assert caught.value.payload == b"\x00not json{"


def test_wrong_type_names_the_field(make_article: Factory) -> None:
    payload = _payload(make_article(), fetched_at="yesterday-ish")
    with pytest.raises(PoisonMessage) as caught:
        Article.from_json(payload)
    assert caught.value.field == "fetched_at"
    assert "fetched_at" in str(caught.value)
    assert caught.value.payload == payload


def test_nested_wrong_type_names_the_path(make_article: Factory) -> None:
    payload = _payload(make_article(), entities=[{"name": "X", "label": "ORG", "text": "X"}])
    with pytest.raises(PoisonMessage) as caught:
        Article.from_json(payload)
    assert caught.value.field is not None
    assert caught.value.field.startswith("entities.0.")


def test_missing_field_is_named(make_article: Factory) -> None:
    data = orjson.loads(make_article().to_json())
    del data["source"]
    with pytest.raises(PoisonMessage) as caught:
        Article.from_json(orjson.dumps(data))
    assert caught.value.field == "source"


def test_json_that_is_not_an_object_is_poison() -> None:
    with pytest.raises(PoisonMessage):
        Article.from_json(b"[1, 2, 3]")


def test_newer_schema_version_is_poison(make_article: Factory) -> None:
    payload = _payload(make_article(), schema_version=SCHEMA_VERSION + 1)
    with pytest.raises(PoisonMessage) as caught:
        Article.from_json(payload)
    assert caught.value.field == "schema_version"
    assert str(SCHEMA_VERSION + 1) in str(caught.value)


def test_version_1_messages_are_still_read(make_article: Factory) -> None:
    payload = orjson.loads(_payload(make_article(), schema_version=1))
    for field in ("story_id", "content_hash", "duplicate_of", "flags"):
        payload.pop(field)
    article = Article.from_json(orjson.dumps(payload))
    assert (article.schema_version, article.story_id, article.flags) == (1, None, [])


def test_version_3_messages_are_read_with_the_page_fields_empty(make_article: Factory) -> None:
    payload = orjson.loads(_payload(make_article(), schema_version=3))
    for field in ("canonical_url", "author", "site_name", "text_source", "published_source"):
        payload.pop(field)
    article = Article.from_json(orjson.dumps(payload))
    assert article.schema_version == 3
    assert (article.text_source, article.canonical_url, article.published_source) == (
        "feed",
        None,
        None,
    )


def test_naive_datetimes_become_utc(make_article: Factory) -> None:
    article = make_article(
        published=datetime(2024, 5, 24, 9, 30), fetched_at=datetime(2024, 5, 24, 10, 0)
    )
    assert article.published == datetime(2024, 5, 24, 9, 30, tzinfo=UTC)
    assert article.fetched_at.tzinfo == UTC


def test_aware_datetimes_are_converted_to_utc(make_article: Factory) -> None:
    kyiv = timezone(timedelta(hours=3))
    article = make_article(published=datetime(2024, 5, 24, 12, 30, tzinfo=kyiv))
    assert article.published == datetime(2024, 5, 24, 9, 30, tzinfo=UTC)
    assert article.published is not None and article.published.utcoffset() == timedelta(0)


def test_naive_datetime_in_json_reads_as_utc(make_article: Factory) -> None:
    payload = _payload(make_article(), published="2024-05-24T09:30:00")
    assert Article.from_json(payload).published == datetime(2024, 5, 24, 9, 30, tzinfo=UTC)


def test_body_joins_title_and_text_or_summary(make_article: Factory) -> None:
    assert make_article(title="T", text="X", summary="S").body == "T\nX"
    assert make_article(title="T", text="", summary="S").body == "T\nS"
    assert make_article(title="", text="X").body == "X"
