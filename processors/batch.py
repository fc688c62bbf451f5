"""Raw message bytes -> enriched articles and dead letters. The core every runner calls."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from contract import Article, ErrorEnvelope, PoisonMessage
from processors.enrich import Enricher

log = logging.getLogger(__name__)

STAGE = "processors.enrich"


@dataclass
class BatchResult:
    """What a batch of raw messages became."""

    enriched: list[Article] = field(default_factory=list)
    dead: list[ErrorEnvelope] = field(default_factory=list)


def _decode(payloads: Sequence[bytes], source: str, result: BatchResult) -> list[Article]:
    articles = []
    for i, payload in enumerate(payloads):
        try:
            articles.append(Article.from_json(payload))
        except PoisonMessage as exc:
            log.error("%s message %d: %s; sent to the dead-letter topic", source, i, exc)
            result.dead.append(ErrorEnvelope.wrap(STAGE, exc, source, payload))
    return articles


def process_batch(enricher: Enricher, payloads: Sequence[bytes], source: str) -> BatchResult:
    """Decode and enrich ``payloads`` read from ``source``.

    Undecodable messages become dead letters naming the field at fault. If the batch fails in
    the model, each article is retried alone so one bad article does not sink its neighbours;
    the ones that still fail become dead letters with the article id as key.
    """
    result = BatchResult()
    articles = _decode(payloads, source, result)
    if not articles:
        return result
    try:
        result.enriched = enricher.enrich_batch(articles)
        return result
    except (ValueError, RuntimeError, IndexError, KeyError, TypeError) as batch_error:
        log.warning(
            "%s: batch of %d failed (%r); retrying one by one", source, len(articles), batch_error
        )
    for article in articles:
        try:
            result.enriched.append(enricher.enrich(article))
        except (ValueError, RuntimeError, IndexError, KeyError, TypeError) as exc:
            log.error(
                "%s: article %s (%s) failed enrichment: %r", source, article.id, article.url, exc
            )
            result.dead.append(
                ErrorEnvelope.wrap(STAGE, exc, source, article.to_json(), key=article.id)
            )
    return result
