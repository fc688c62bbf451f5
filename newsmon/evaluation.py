"""``newsmon eval``: topic and entity quality on a labelled corpus, per split.

The corpus is JSON Lines, one item per line (``id``, ``kind``, ``title``, ``text``, ``topics``,
``entities``); see ``tests/data/labelled/GUIDELINES.md``. Entities are compared by canonical name:
gold names go through the same gazetteer as the predictions, so "Zelenskyy" in the gold file and
"Volodymyr Zelensky" predicted are one entity, and names compare case-insensitively.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from contract import Article, ConfigError, PoisonMessage
from newsmon.tagging import json_object

if TYPE_CHECKING:  # spaCy loads slowly: only the commands that score import it
    from processors.enrich import Enricher
    from processors.gazetteer import Gazetteer

DEFAULT_CORPUS = Path("tests/data/labelled")
SCORED_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC"})
"""Entity types the gold files list (NORP that names a country is already GPE)."""
ITEM_KEYS = ("id", "kind", "title", "text", "topics", "entities")


@dataclass(frozen=True)
class Item:
    """One labelled news item."""

    id: str
    kind: str
    title: str
    text: str
    topics: frozenset[str]
    entities: tuple[str, ...]
    split: str


@dataclass
class Counts:
    """True positives, false positives, false negatives, and the scores they give."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, gold: set[str], predicted: set[str]) -> None:
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class Miss:
    """One item where prediction and gold differ (for the tuning loop and the report)."""

    item: str
    missing_topics: list[str]
    extra_topics: list[str]
    missing_entities: list[str]
    extra_entities: list[str]


@dataclass
class Report:
    """Scores of one split."""

    split: str
    items: int
    topics: dict[str, Counts]
    entities: Counts
    kinds: dict[str, int] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        scores = [c.f1 for c in self.topics.values()]
        return sum(scores) / len(scores) if scores else 0.0

    def as_dict(self, with_misses: bool = False) -> dict[str, object]:
        data: dict[str, object] = {
            "split": self.split,
            "items": self.items,
            "kinds": self.kinds,
            "topic_macro_f1": round(self.macro_f1, 4),
            "topics": {name: c.as_dict() for name, c in sorted(self.topics.items())},
            "entities": self.entities.as_dict(),
        }
        if with_misses:
            data["misses"] = [m.__dict__ for m in self.misses]
        return data


def _item(line: str, where: str, split: str, topic_names: set[str]) -> Item:
    data = json_object(line, where)
    for key in ITEM_KEYS:
        if key not in data:
            raise PoisonMessage(f"{where}: missing field", line.encode(), key)
    unknown = set(data["topics"]) - topic_names
    if unknown:
        raise PoisonMessage(f"{where}: unknown topics {sorted(unknown)}", line.encode(), "topics")
    return Item(
        id=str(data["id"]),
        kind=str(data["kind"]),
        title=str(data["title"]),
        text=str(data["text"]),
        topics=frozenset(data["topics"]),
        entities=tuple(str(e) for e in data["entities"]),
        split=split,
    )


def load_corpus(directory: Path, topic_names: Iterable[str]) -> list[Item]:
    """Every ``*.jsonl`` file in ``directory``; the file's stem is the item's split.

    Raises:
        ConfigError: no corpus files in ``directory``.
        PoisonMessage: a line is not a valid item (file, line and field named).
    """
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise ConfigError(f"no labelled corpus (*.jsonl) in {directory}")
    names = set(topic_names)
    items = []
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                items.append(_item(line, f"{path}:{n}", path.stem, names))
    return items


REGION_WORDS = (" oblast", " province", " region", " governorate")
"""'Ryazan' and 'Ryazan Oblast' (or 'Ryazan region') name one region: compared without it."""


def _canonical(name: str, gazetteer: "Gazetteer") -> str:
    known = gazetteer.lookup(name)
    if known is None and name[:4] in ("the ", "The "):
        known = gazetteer.lookup(name[4:])
        name = name[4:]
    key = (known.name if known else name).casefold()
    for word in REGION_WORDS:
        key = key.removesuffix(word)
    return key


def _predicted_entities(article: Article, gazetteer: "Gazetteer") -> set[str]:
    return {_canonical(e.name, gazetteer) for e in article.entities if e.label in SCORED_LABELS}


def score(
    items: Sequence[Item],
    articles: Sequence[Article],
    topic_names: Iterable[str],
    gazetteer: "Gazetteer",
    split: str,
) -> Report:
    """Compare enriched ``articles`` with the gold ``items`` (same order)."""
    report = Report(
        split=split, items=len(items), topics={t: Counts() for t in topic_names}, entities=Counts()
    )
    for item, article in zip(items, articles, strict=True):
        report.kinds[item.kind] = report.kinds.get(item.kind, 0) + 1
        predicted = {m.topic for m in article.topics}
        for topic, counts in report.topics.items():
            counts.add({topic} & item.topics, {topic} & predicted)
        gold_entities = {_canonical(e, gazetteer) for e in item.entities}
        found = _predicted_entities(article, gazetteer)
        report.entities.add(gold_entities, found)
        if predicted != item.topics or found != gold_entities:
            report.misses.append(
                Miss(
                    item=item.id,
                    missing_topics=sorted(item.topics - predicted),
                    extra_topics=sorted(predicted - item.topics),
                    missing_entities=sorted(gold_entities - found),
                    extra_entities=sorted(found - gold_entities),
                )
            )
    return report


def _as_article(item: Item) -> Article:
    return Article(
        id=item.id,
        url=f"urn:newsmon:eval:{item.id}",
        title=item.title,
        text=item.text,
        source="eval",
        fetched_at=datetime.now(UTC),
    )


def evaluate(enricher: "Enricher", items: Sequence[Item]) -> dict[str, Report]:
    """Enrich every item once; a report per split plus ``all``."""
    articles = enricher.enrich_batch([_as_article(i) for i in items])
    topic_names = [t.name for t in enricher.taxonomy.topics]
    reports = {}
    splits = sorted({i.split for i in items})
    for split in [*splits, "all"]:
        pairs = [(i, a) for i, a in zip(items, articles, strict=True) if split in ("all", i.split)]
        reports[split] = score(
            [i for i, _ in pairs], [a for _, a in pairs], topic_names, enricher.gazetteer, split
        )
    return reports
