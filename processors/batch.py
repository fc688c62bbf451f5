"""Raw message bytes -> enriched articles and dead letters. The core every runner calls."""

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from contract import Article, ErrorEnvelope, NewsmonError, PoisonMessage
from processors.enrich import Enricher

log = logging.getLogger(__name__)

STAGE = "processors.enrich"
GROUP_CHARS = 30_000
"""Articles are enriched in groups of about this many characters (about a second of spaCy on
one core, and ~100 MiB at most), and a stop is honoured between groups."""


class Interrupted(NewsmonError):
    """A stop was asked for in the middle of a batch: nothing of it is published; the batch is
    redone at the next start (enrichment is idempotent per article id)."""


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


def _groups(articles: list[Article], limit: int) -> Iterator[list[Article]]:
    group: list[Article] = []
    size = 0
    for article in articles:
        length = min(len(article.body), limit)
        if group and size + length > limit:
            yield group
            group, size = [], 0
        group.append(article)
        size += length
    if group:
        yield group


def process_batch(
    enricher: Enricher,
    payloads: Sequence[bytes],
    source: str,
    should_stop: Callable[[], bool] | None = None,
) -> BatchResult:
    """Decode and enrich ``payloads`` read from ``source``.

    Undecodable messages become dead letters naming the field at fault. If a group fails in
    the model, each of its articles is retried alone so one bad article does not sink its
    neighbours; the ones that still fail become dead letters with the article id as key.

    Raises:
        Interrupted: ``should_stop()`` said so between two groups of articles.
    """
    result = BatchResult()
    articles = _decode(payloads, source, result)
    for group in _groups(articles, GROUP_CHARS):
        if should_stop is not None and should_stop():
            raise Interrupted(f"{source}: stopped in the middle of a batch; it will be redone")
        _enrich_group(enricher, group, source, result)
    return result


def _enrich_group(
    enricher: Enricher, articles: list[Article], source: str, result: BatchResult
) -> None:
    try:
        result.enriched.extend(enricher.enrich_batch(articles))
        return
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
