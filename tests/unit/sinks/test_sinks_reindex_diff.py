"""The backend-neutral reindex diff: per topic and entity type, with examples."""

from collections.abc import Callable

from contract import Article, Entity, TopicMatch
from sinks.reindex_diff import diff_versions, subscription_changes


def _tagged(
    make_article: Callable[..., Article], n: int, topics: list[str], people: list[str]
) -> Article:
    return make_article(
        url=f"https://example.com/{n}",
        title=f"story {n}",
        topics=[TopicMatch(topic=t, score=1.0, evidence=[]) for t in topics],
        entities=[Entity(name=p, label="PERSON", text=p, count=1, first_offset=0) for p in people],
    )


def test_topics_and_entities_gained_and_lost(make_article: Callable[..., Article]) -> None:
    old = [
        _tagged(make_article, 1, ["ceasefire", "sanctions"], ["Ann"]),
        _tagged(make_article, 2, ["ceasefire"], []),
        _tagged(make_article, 3, [], ["Bob"]),
        _tagged(make_article, 4, ["coup"], []),  # only in the old version
    ]
    new = [
        _tagged(make_article, 1, ["sanctions"], ["Ann", "Cy"]),
        _tagged(make_article, 2, ["ceasefire", "peace-talks"], []),
        _tagged(make_article, 3, [], []),
        _tagged(make_article, 5, ["peace-talks"], []),  # only in the new one
    ]
    diff = diff_versions(old, new)
    assert (diff.old_articles, diff.new_articles, diff.only_old, diff.only_new) == (4, 4, 1, 1)
    assert diff.changed == 3
    topics = {t.topic: t for t in diff.topics}
    assert (topics["ceasefire"].added, topics["ceasefire"].removed) == (0, 1)
    assert topics["ceasefire"].removed_examples == ["story 1"]
    assert (topics["peace-talks"].added, topics["peace-talks"].removed) == (2, 0)
    assert topics["peace-talks"].added_examples == ["story 2", "story 5"]
    assert (topics["coup"].added, topics["coup"].removed) == (0, 1)
    assert "sanctions" not in topics
    (people,) = diff.entities
    assert (people.label, people.gained, people.lost) == ("PERSON", 1, 1)
    assert (people.gained_examples, people.lost_examples) == (["Cy"], ["Bob"])
    assert diff.topics[0].topic == "peace-talks"  # most changed first


def test_examples_are_capped_at_three(make_article: Callable[..., Article]) -> None:
    new = [_tagged(make_article, n, ["coup"], []) for n in range(10)]
    (coup,) = diff_versions([], new).topics
    assert coup.added == 10 and len(coup.added_examples) == 3


def test_subscription_changes_only_lists_differences() -> None:
    queries = {"a": "topics:coup", "b": "x", "c": "y"}
    changes = subscription_changes(queries, {"a": 3, "b": 1}, {"a": 0, "b": 1, "c": 5})
    assert [(c.id, c.old, c.new) for c in changes] == [("c", 0, 5), ("a", 3, 0)]
