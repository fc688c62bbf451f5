"""process_batch: good messages enriched, bad ones dead-lettered, neighbours unaffected."""

from collections.abc import Callable

import orjson
import pytest

from contract import Article, ErrorEnvelope
from processors.batch import STAGE, Interrupted, process_batch
from processors.enrich import Enricher

Factory = Callable[..., Article]
SOURCE = "news.articles.raw"


def test_good_and_bad_payloads(enricher: Enricher, make_article: Factory) -> None:
    first = make_article(
        url="https://example.com/1", title="NATO allies pledge air defence to Ukraine"
    )
    second = make_article(url="https://example.com/2", title="Putin speaks in Moscow")
    wrong_field = orjson.loads(make_article(url="https://example.com/3").to_json())
    wrong_field["lane"] = "sideways"
    bad_json = b'{"id": "x", "url": '
    payloads = [first.to_json(), bad_json, orjson.dumps(wrong_field), second.to_json()]

    result = process_batch(enricher, payloads, SOURCE)

    assert [a.id for a in result.enriched] == [first.id, second.id]
    assert all(a.enriched_at is not None for a in result.enriched)
    assert "NATO" in {e.name for e in result.enriched[0].entities}
    assert [e.payload() for e in result.dead] == [bad_json, orjson.dumps(wrong_field)]
    for envelope in result.dead:
        assert envelope.stage == STAGE
        assert envelope.source == SOURCE
        assert envelope.error_type == "PoisonMessage"
        back = ErrorEnvelope.model_validate_json(envelope.to_json())
        assert back.payload() == envelope.payload()
    assert "'lane'" in result.dead[1].error


def test_all_bad_batch_returns_only_dead_letters(enricher: Enricher) -> None:
    result = process_batch(enricher, [b"nope", b"[]"], SOURCE)
    assert result.enriched == []
    assert len(result.dead) == 2


def test_empty_batch(enricher: Enricher) -> None:
    result = process_batch(enricher, [], SOURCE)
    assert (result.enriched, result.dead) == ([], [])


class _FlakyEnricher(Enricher):
    """Fails the whole batch, and any article titled 'boom' on its own."""

    def enrich_batch(self, articles: list[Article]) -> list[Article]:  # type: ignore[override]
        if len(articles) > 1 or articles[0].title == "boom":
            raise ValueError("model exploded")
        return super().enrich_batch(articles)


def test_failed_batch_is_retried_one_by_one(enricher: Enricher, make_article: Factory) -> None:
    flaky = _FlakyEnricher(enricher.nlp, enricher.gazetteer, enricher.taxonomy)
    good = make_article(url="https://example.com/ok", title="Fine")
    bad = make_article(url="https://example.com/boom", title="boom")

    result = process_batch(flaky, [good.to_json(), bad.to_json()], SOURCE)

    assert [a.id for a in result.enriched] == [good.id]
    assert len(result.dead) == 1
    assert result.dead[0].key == bad.id
    assert result.dead[0].error_type == "ValueError"
    assert Article.from_json(result.dead[0].payload()) == bad


def test_a_stop_between_groups_abandons_the_batch(
    enricher: Enricher, make_article: Factory
) -> None:
    """Long articles are enriched in groups; a stop asked for in between ends the batch
    without a result (it is redone at the next start), so stopping takes seconds."""
    long_text = "Talks in Geneva resumed. " * 8_000  # 200,000 characters: a group each
    payloads = [
        make_article(url=f"https://example.com/{i}", text=long_text).to_json() for i in range(3)
    ]
    asked: list[int] = []

    def stop_after_first_group() -> bool:
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(Interrupted, match="stopped in the middle of a batch"):
        process_batch(enricher, payloads, SOURCE, stop_after_first_group)
    assert len(asked) == 2
