"""Creating the index template, the first versioned index and the alias (idempotent)."""

import logging
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from contract import ConfigError
from sinks.elasticsearch.mapping import ANALYZER_CHOICES, MAPPINGS, index_template

log = logging.getLogger(__name__)


def english_analysis(es: Elasticsearch) -> dict[str, Any]:
    """The best English analysis settings this cluster supports (probed with ``_analyze``)."""
    for name, settings, probe in ANALYZER_CHOICES:
        try:
            es.indices.analyze(text="restrictions were lifted", **probe)
        except ApiError:  # 400, or 500 where a hunspell dictionary is missing
            continue
        log.info("English text analysis: %s", name)
        return settings
    raise ConfigError("the Elasticsearch cluster supports none of newsmon's English analyzers")


def create_if_missing(es: Elasticsearch, index: str, mappings: dict[str, Any]) -> bool:
    """Create the one-shard ``index`` with ``mappings`` unless it exists; a worker that loses
    the race to create it is fine.

    Returns:
        True when the index was already there.
    """
    if es.indices.exists(index=index):
        return True
    try:
        es.indices.create(
            index=index,
            settings={"number_of_shards": 1, "number_of_replicas": 0},
            mappings=mappings,
        )
    except ApiError as exc:
        if "resource_already_exists" not in str(exc):
            raise
    return False


def ensure_index(es: Elasticsearch, alias: str) -> str:
    """Make sure ``alias`` points at a write index built from the current template.

    Returns:
        The name of the write index.
    """
    es.indices.put_index_template(name=alias, **index_template(alias, english_analysis(es)))
    if es.indices.exists_alias(name=alias):
        info = es.indices.get_alias(name=alias)
        write = next(
            (
                str(index)
                for index, body in info.items()
                if body["aliases"][alias].get("is_write_index", len(info) == 1)
            ),
            str(next(iter(info))),
        )
        # New article fields are additive: put them on the existing index (strict mapping).
        es.indices.put_mapping(index=write, properties=MAPPINGS["properties"])
        return write
    first = f"{alias}-v1"
    if not es.indices.exists(index=first):
        es.indices.create(index=first, aliases={alias: {"is_write_index": True}})
        log.info("created index %s behind alias %s", first, alias)
    else:
        es.indices.put_alias(index=first, name=alias, is_write_index=True)
    return first
