"""Creating the index template, the first versioned index and the alias (idempotent)."""

import logging

from elasticsearch import Elasticsearch

from sinks.es_mapping import index_template

log = logging.getLogger(__name__)


def ensure_index(es: Elasticsearch, alias: str) -> str:
    """Make sure ``alias`` points at a write index built from the current template.

    Returns:
        The name of the write index.
    """
    es.indices.put_index_template(name=alias, **index_template(alias))
    if es.indices.exists_alias(name=alias):
        info = es.indices.get_alias(name=alias)
        for index, body in info.items():
            if body["aliases"][alias].get("is_write_index", len(info) == 1):
                return str(index)
        return str(next(iter(info)))
    first = f"{alias}-v1"
    if not es.indices.exists(index=first):
        es.indices.create(index=first, aliases={alias: {"is_write_index": True}})
        log.info("created index %s behind alias %s", first, alias)
    else:
        es.indices.put_alias(index=first, name=alias, is_write_index=True)
    return first
