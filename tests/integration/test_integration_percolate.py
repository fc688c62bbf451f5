"""The real percolator: subscription queries against enriched articles, on the test stack."""

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from elasticsearch import Elasticsearch

from contract import Article, Entity, InvalidQuery, Subscription, TopicMatch
from sinks.elasticsearch.alerts import AlertStore
from sinks.elasticsearch.percolate import Percolator
from sinks.elasticsearch.subscriptions import SubscriptionStore

WEBHOOK = [{"type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "s3cret"}]

QUERIES = {
    "and-not": 'topics:ceasefire AND entities:"Vladimir Putin" AND NOT source:tass',
    "phrase": 'text:"nuclear armageddon"',
    "phrase-order": 'text:"armageddon nuclear"',
    "wildcard-text": "title:negotiat*",
    "wildcard-keyword": "countries:Ukr*",
    "field-scope": "title:sanctions",
    "bare-word": "sanctions",
    "type": "entity_types:NORP AND language:en",
    "or-group": "(topics:coup OR topics:elections) AND -flags:no-text",
    "minus": "topics:ceasefire -countries:Ukraine",
}


def _entity(name: str, label: str, kb_id: str | None = None) -> Entity:
    return Entity(name=name, label=label, text=name, count=1, first_offset=0, kb_id=kb_id)


@pytest.fixture
def subscriptions(percolator: Elasticsearch) -> Iterator[SubscriptionStore]:
    store = SubscriptionStore(percolator, f"test-{uuid.uuid4().hex[:8]}-subscriptions")
    store.setup()
    for name, query in QUERIES.items():
        store.put(
            Subscription(id=name, name=name, owner="tests", query=query, channels=WEBHOOK),
            refresh=False,
        )
    percolator.indices.refresh(index=store.index)
    yield store
    percolator.indices.delete(index=store.index)


@pytest.fixture
def article(make_article: Callable[..., Article]) -> Callable[..., Article]:
    def make(n: int, **fields: object) -> Article:
        return make_article(url=f"https://example.com/p/{n}", **fields)

    return make


def test_percolator_and_not_phrase_wildcard_and_field_scope(
    subscriptions: SubscriptionStore, article: Callable[..., Article]
) -> None:
    putin_ceasefire = article(
        1,
        title="Kremlin open to negotiations",
        text="Putin says a ceasefire is possible, and warns of nuclear Armageddon.",
        source="reuters",
        entities=[
            _entity("Vladimir Putin", "PERSON", "Q7747"),
            _entity("Ukraine", "GPE", "UA"),
            _entity("Russians", "NORP"),
        ],
        topics=[TopicMatch(topic="ceasefire", score=2.0, evidence=[])],
    )
    same_from_tass = putin_ceasefire.model_copy(
        update={"id": "tass-copy", "url": "https://tass.example/1", "source": "tass"}
    )
    sanctions_in_text_only = article(
        3, title="Markets fall", text="New sanctions on oil exporters.", source="ap"
    )
    coup = article(
        4,
        title="Army seizes power",
        text="Soldiers took the palace.",
        topics=[TopicMatch(topic="coup", score=1.0, evidence=[])],
        flags=[],
    )
    percolator = Percolator(subscriptions.es, subscriptions.index)
    batch = [putin_ceasefire, same_from_tass, sanctions_in_text_only, coup]
    found = {(m.article.id, m.subscription.id) for m in percolator.match(batch)}

    def subs_of(a: Article) -> set[str]:
        return {s for aid, s in found if aid == a.id}

    assert subs_of(putin_ceasefire) == {
        "and-not",
        "phrase",
        "wildcard-text",
        "wildcard-keyword",
        "type",
    }
    # NOT source:tass removes exactly that subscription for the TASS copy.
    assert subs_of(same_from_tass) == subs_of(putin_ceasefire) - {"and-not"}
    # field scoping: title:sanctions does not look at the text; a bare word does.
    assert subs_of(sanctions_in_text_only) == {"bare-word"}
    assert subs_of(coup) == {"or-group"}
    # a phrase is ordered; "-countries:Ukraine" excludes the article naming Ukraine.
    assert not any(s in {"phrase-order", "minus"} for _, s in found)


def test_one_request_per_batch_matches_the_same_as_one_by_one(
    subscriptions: SubscriptionStore, article: Callable[..., Article]
) -> None:
    articles = [
        article(n, title=title, text=text)
        for n, (title, text) in enumerate(
            [
                ("EU agrees sanctions", "The bloc agreed."),
                ("Negotiators meet", "Talks resumed."),
                ("Weather", "Sunny."),
            ]
        )
    ]
    percolator = Percolator(subscriptions.es, subscriptions.index)
    batched = {(m.article.id, m.subscription.id) for m in percolator.match(articles)}
    single = {(m.article.id, m.subscription.id) for a in articles for m in percolator.match([a])}
    assert batched == single
    assert batched == {
        (articles[0].id, "field-scope"),
        (articles[0].id, "bare-word"),
        (articles[1].id, "wildcard-text"),
    }


def test_disabled_subscription_never_matches(
    subscriptions: SubscriptionStore, article: Callable[..., Article]
) -> None:
    stored = subscriptions.get("bare-word")
    assert stored is not None
    subscriptions.put(stored.model_copy(update={"enabled": False}))
    hit = article(9, title="sanctions", text="sanctions")
    found = {
        m.subscription.id for m in Percolator(subscriptions.es, subscriptions.index).match([hit])
    }
    assert found == {"field-scope"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("topics:(ceasefire AND", "Cannot parse"),
        ('title:"no end', "Cannot parse"),
        ("topic:ceasefire", "unknown field 'topic'"),
        ("   ", "empty"),
    ],
)
def test_a_bad_query_is_refused_with_the_parsers_message(
    subscriptions: SubscriptionStore, query: str, message: str
) -> None:
    with pytest.raises(InvalidQuery, match=message):
        subscriptions.put(
            Subscription(id="bad", name="bad", owner="t", query=query, channels=WEBHOOK)
        )
    assert subscriptions.get("bad") is None


def test_alerts_are_per_story_and_explain_the_match(
    subscriptions: SubscriptionStore, article: Callable[..., Article], es: Elasticsearch
) -> None:
    store = AlertStore(es, f"test-{uuid.uuid4().hex[:8]}-alerts")
    store.setup()
    copies = [
        article(
            20 + n,
            title="Kremlin open to negotiations",
            text="Putin says a ceasefire is possible.",
            source=f"feed-{n}",
            story_id="story-1",
            entities=[_entity("Vladimir Putin", "PERSON")],
            topics=[TopicMatch(topic="ceasefire", score=2.0, evidence=[])],
        )
        for n in range(3)
    ]
    percolator = Percolator(subscriptions.es, subscriptions.index)
    now = datetime.now(UTC)
    first = store.record(percolator.match(copies[:1]), now)
    later = store.record(percolator.match(copies[1:]), now)
    again = store.record(percolator.match(copies[2:]), now)  # redelivery
    by_sub = {a.subscription_id: a for a in first}
    assert by_sub["and-not"].version == 1
    assert {a.subscription_id: a.version for a in later}["and-not"] == 3
    redelivered = {a.subscription_id: a for a in again}["and-not"]
    assert redelivered.version == 3  # same alert again, nothing new
    assert redelivered.alert_id == by_sub["and-not"].alert_id
    assert redelivered.sources == ["feed-0", "feed-1", "feed-2"]
    clauses = {c.clause: c for c in by_sub["and-not"].clauses}
    assert clauses["topics:ceasefire"].matched and clauses["topics:ceasefire"].hits == ["ceasefire"]
    assert clauses['entities:"Vladimir Putin"'].hits == ["Vladimir Putin"]
    assert clauses["NOT source:tass"].negated and clauses["NOT source:tass"].matched
    text_clause = {
        c.clause: c for c in {a.subscription_id: a for a in first}["wildcard-text"].clauses
    }
    assert text_clause["title:negotiat*"].hits == ["Kremlin open to negotiations"]
    es.indices.delete(index=store.index)
