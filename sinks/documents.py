"""The article as a document: the shape both article stores keep and the percolator matches.

Documents keep every Article field; ``entities`` and ``topics`` hold the canonical names as
keywords (what people type in query strings: ``entities:"Vladimir Putin"``), and the
``*_details`` fields keep counts, scores and evidence. Elasticsearch maps it
(:mod:`sinks.elasticsearch.mapping`), SQLite stores it as JSON, the Python matcher evaluates
queries on :func:`percolate_document`.
"""

from typing import Any

from contract import Article, Entity
from contract.subscription import QUERY_FIELDS

PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


def _is_country(entity: Entity) -> bool:
    """Countries carry their ISO 3166 alpha-2 code as kb_id (cities and people a QID)."""
    kb_id = entity.kb_id or ""
    return entity.label == "GPE" and len(kb_id) == 2 and kb_id.isupper()


def to_document(article: Article, indexed_at: str) -> dict[str, Any]:
    """The Elasticsearch document for ``article``."""
    doc = article.model_dump(mode="json", exclude={"entities", "topics"})
    entities = article.entities
    doc.update(
        indexed_at=indexed_at,
        dated=(article.published or article.fetched_at).isoformat(),
        entities=[e.name for e in entities],
        entity_types=sorted({e.label for e in entities}),
        people=[e.name for e in entities if e.label == "PERSON"],
        organizations=[e.name for e in entities if e.label == "ORG"],
        places=[e.name for e in entities if e.label in PLACE_LABELS],
        countries=[e.name for e in entities if _is_country(e)],
        entity_details=[e.model_dump(mode="json") for e in entities],
        topics=[t.topic for t in article.topics],
        topic_details=[t.model_dump(mode="json") for t in article.topics],
    )
    return doc


def from_document(source: dict[str, Any]) -> Article:
    """Rebuild the Article from a stored document."""
    fields = {k: v for k, v in source.items() if k in Article.model_fields}
    fields["entities"] = source.get("entity_details", [])
    fields["topics"] = source.get("topic_details", [])
    return Article.model_validate(fields)


def percolate_document(article: Article) -> dict[str, Any]:
    """The article as the subscriptions index sees it: its query fields, nothing else."""
    doc = to_document(article, indexed_at="")
    return {name: doc[name] for name in QUERY_FIELDS if doc.get(name) not in (None, "", [])}
