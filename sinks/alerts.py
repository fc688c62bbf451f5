"""Alerts from matches, whichever store keeps them: a new alert per subscription and story, one
more copy of a story, the alert id, and what an alert says about an article."""

from datetime import datetime

from contract import Alert, AlertArticle, Article, alert_id
from sinks.lucene.clauses import clauses, explain
from sinks.matches import Match

MAX_COPIES = 500
"""Article ids kept per alert (a wire story can be copied by hundreds of feeds)."""


def alert_article(article: Article) -> AlertArticle:
    """What an alert says about one article."""
    return AlertArticle(
        id=article.id,
        url=article.url,
        title=article.title,
        source=article.source,
        published=article.published,
        language=article.language,
        summary=(article.summary or article.text)[:400],
    )


def build_alert(match: Match, now: datetime) -> Alert:
    """A new alert (version 1) for a match, with its explanation."""
    subscription, article = match.subscription, match.article
    explained = explain(clauses(subscription.query), match.document, match.highlights)
    wanted = {hit for c in explained if c.field == "topics" and not c.negated for hit in c.hits}
    topics = [t for t in article.topics if t.topic in wanted] or list(article.topics)
    entities = sorted(article.entities, key=lambda e: (-e.count, e.first_offset))
    return Alert(
        alert_id=build_key(match),
        subscription_id=subscription.id,
        subscription_name=subscription.name,
        owner=subscription.owner,
        query=subscription.query,
        story_id=article.story_id or article.id,
        article=alert_article(article),
        latest=alert_article(article),
        article_ids=[article.id],
        sources=[article.source],
        clauses=explained,
        topics=topics,
        entities=[e.name for e in entities],
        replayed=article.lane == "replay",
        created_at=now,
        updated_at=now,
    )


def with_copy(stored: Alert, article: Article, now: datetime) -> Alert | None:
    """``stored`` with one more copy of its story (next version), or None when ``article`` is
    already in it (a redelivery: the stored version is published again)."""
    if article.id in stored.article_ids:
        return None
    return stored.model_copy(
        update={
            "version": stored.version + 1,
            "latest": alert_article(article),
            "article_ids": [*stored.article_ids, article.id][-MAX_COPIES:],
            "sources": sorted({*stored.sources, article.source}),
            "updated_at": now,
        }
    )


def build_key(match: Match) -> str:
    """The alert id a match belongs to."""
    subscription, article = match.subscription, match.article
    key = article.id if subscription.every_article else (article.story_id or article.id)
    return alert_id(subscription.id, key)
