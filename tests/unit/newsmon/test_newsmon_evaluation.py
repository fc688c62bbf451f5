"""``newsmon eval``'s scoring: counts, canonical entity matching, corpus loading errors."""

from collections.abc import Callable
from pathlib import Path

import pytest

from contract import Article, ConfigError, Entity, PoisonMessage, TopicMatch
from newsmon.evaluation import Counts, Item, load_corpus, score
from processors.enrich import Enricher

TOPICS = ["ceasefire", "sanctions"]


def _item(**fields: object) -> Item:
    base: dict[str, object] = {
        "id": "i1",
        "kind": "keyword",
        "title": "t",
        "text": "x",
        "topics": frozenset(),
        "entities": (),
        "split": "dev",
    }
    base.update(fields)
    return Item(**base)  # type: ignore[arg-type]


def test_counts_precision_recall_f1() -> None:
    counts = Counts()
    counts.add({"a", "b", "c"}, {"a", "b", "d"})
    assert (counts.tp, counts.fp, counts.fn) == (2, 1, 1)
    assert counts.precision == pytest.approx(2 / 3)
    assert counts.recall == pytest.approx(2 / 3)
    assert counts.f1 == pytest.approx(2 / 3)
    assert Counts().f1 == 1.0  # no gold and nothing predicted: perfect, not undefined


def test_score_uses_canonical_names_and_scored_labels(
    enricher: Enricher, make_article: Callable[..., Article]
) -> None:
    article = make_article(
        topics=[TopicMatch(topic="ceasefire", score=1.0, evidence=[])],
        entities=[
            Entity(
                name="Volodymyr Zelensky", label="PERSON", text="Zelensky", count=1, first_offset=0
            ),
            Entity(name="Monday", label="DATE", text="Monday", count=1, first_offset=9),
            Entity(name="Ukraine", label="GPE", text="Ukraine", count=1, first_offset=20),
        ],
    )
    item = _item(
        topics=frozenset({"ceasefire", "sanctions"}), entities=("Zelenskyy", "ukraine", "Kyiv")
    )
    report = score([item], [article], TOPICS, enricher.gazetteer, "dev")
    assert report.topics["ceasefire"].tp == 1
    assert report.topics["sanctions"].fn == 1
    assert (report.entities.tp, report.entities.fp, report.entities.fn) == (2, 0, 1)
    assert report.macro_f1 == pytest.approx(0.5)
    assert report.misses[0].missing_entities == ["kyiv"]


def test_corpus_errors_name_file_line_and_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no labelled corpus"):
        load_corpus(tmp_path, TOPICS)
    path = tmp_path / "dev.jsonl"
    path.write_text('{"id": "a", "kind": "keyword", "title": "t", "text": "x", "topics": []}\n')
    with pytest.raises(PoisonMessage, match=r"dev\.jsonl:1") as caught:
        load_corpus(tmp_path, TOPICS)
    assert caught.value.field == "entities"
    path.write_text(
        '{"id": "a", "kind": "keyword", "title": "t", "text": "x", "topics": ["truce"], '
        '"entities": []}\n'
    )
    with pytest.raises(PoisonMessage, match="unknown topics"):
        load_corpus(tmp_path, TOPICS)


def test_split_is_the_file_name(tmp_path: Path) -> None:
    line = '{"id": "a", "kind": "none", "title": "t", "text": "x", "topics": [], "entities": []}\n'
    (tmp_path / "dev.jsonl").write_text(line)
    (tmp_path / "heldout.jsonl").write_text(line.replace('"a"', '"b"'))
    assert [(i.id, i.split) for i in load_corpus(tmp_path, TOPICS)] == [
        ("a", "dev"),
        ("b", "heldout"),
    ]
