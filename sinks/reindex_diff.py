"""What a reindex changes: per topic and per entity type, the articles that gained or lost it,
with examples. Backend-neutral: it reads two streams of articles (the live version and the new
one) and keeps a small summary of the first in memory (a few hundred bytes an article, so a
million articles fit).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

from contract import Article

EXAMPLES = 3


class TopicChange(BaseModel):
    """Articles that gained (``added``) or lost (``removed``) a topic, with example titles."""

    topic: str
    added: int = 0
    removed: int = 0
    added_examples: list[str] = []
    removed_examples: list[str] = []


class EntityChange(BaseModel):
    """Articles that gained or lost entities of one type, with example names."""

    label: str
    gained: int = 0
    lost: int = 0
    gained_examples: list[str] = []
    lost_examples: list[str] = []


class SubscriptionChange(BaseModel):
    """A subscription whose match count differs between the versions."""

    id: str
    query: str
    old: int
    new: int


class VersionDiff(BaseModel):
    """The difference between two versions of the article store."""

    old_articles: int = 0
    new_articles: int = 0
    only_old: int = 0
    only_new: int = 0
    changed: int = 0
    """Articles in both whose topics or entities differ."""
    topics: list[TopicChange] = []
    entities: list[EntityChange] = []
    subscriptions: list[SubscriptionChange] = []


@dataclass(frozen=True)
class Tags:
    """What the diff compares of one article."""

    title: str
    topics: frozenset[str]
    entities: dict[str, frozenset[str]]

    @classmethod
    def of(cls, article: Article) -> "Tags":
        """The topics and the entity names by label of ``article``."""
        names: dict[str, set[str]] = {}
        for entity in article.entities:
            names.setdefault(entity.label, set()).add(entity.name)
        return cls(
            title=article.title or article.url,
            topics=frozenset(t.topic for t in article.topics),
            entities={label: frozenset(found) for label, found in names.items()},
        )


EMPTY = Tags("", frozenset(), {})


def _add_example(examples: list[str], value: str) -> None:
    if len(examples) < EXAMPLES and value not in examples:
        examples.append(value)


@dataclass
class _Tally:
    topics: dict[str, TopicChange] = field(default_factory=dict)
    entities: dict[str, EntityChange] = field(default_factory=dict)

    def compare(self, old: Tags, new: Tags) -> bool:
        title = new.title or old.title
        for topic in new.topics - old.topics:
            change = self.topics.setdefault(topic, TopicChange(topic=topic))
            change.added += 1
            _add_example(change.added_examples, title)
        for topic in old.topics - new.topics:
            change = self.topics.setdefault(topic, TopicChange(topic=topic))
            change.removed += 1
            _add_example(change.removed_examples, title)
        differs = old.topics != new.topics
        for label in old.entities.keys() | new.entities.keys():
            before = old.entities.get(label, frozenset())
            after = new.entities.get(label, frozenset())
            if before == after:
                continue
            differs = True
            entity = self.entities.setdefault(label, EntityChange(label=label))
            if after - before:
                entity.gained += 1
                for name in sorted(after - before):
                    _add_example(entity.gained_examples, name)
            if before - after:
                entity.lost += 1
                for name in sorted(before - after):
                    _add_example(entity.lost_examples, name)
        return differs


def diff_versions(old: Iterable[Article], new: Iterable[Article]) -> VersionDiff:
    """Compare two versions article by article (matched by id).

    An article only in ``old`` counts as losing all its tags; one only in ``new`` as gaining
    them. Topics and entity types are sorted by the number of articles changed, most first.
    """
    before = {a.id: Tags.of(a) for a in old}
    diff = VersionDiff(old_articles=len(before))
    tally = _Tally()
    for article in new:
        diff.new_articles += 1
        previous = before.pop(article.id, None)
        if previous is None:
            diff.only_new += 1
        if tally.compare(previous or EMPTY, Tags.of(article)) and previous is not None:
            diff.changed += 1
    for gone in before.values():
        diff.only_old += 1
        tally.compare(gone, EMPTY)
    diff.topics = sorted(tally.topics.values(), key=lambda c: (-(c.added + c.removed), c.topic))
    diff.entities = sorted(tally.entities.values(), key=lambda c: (-(c.gained + c.lost), c.label))
    return diff


def subscription_changes(
    queries: dict[str, str], old: dict[str, int], new: dict[str, int]
) -> list[SubscriptionChange]:
    """The subscriptions (id -> query) whose counts differ, the biggest change first."""
    changes = [
        SubscriptionChange(id=sid, query=query, old=old.get(sid, 0), new=new.get(sid, 0))
        for sid, query in queries.items()
        if old.get(sid, 0) != new.get(sid, 0)
    ]
    return sorted(changes, key=lambda c: (-abs(c.new - c.old), c.id))
