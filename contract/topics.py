"""Kafka topic names. One place, so every stage and every deployment agrees on them."""

from typing import Final


class Topics:
    """The topics newsmon reads and writes."""

    POLLED: Final = "news.articles.polled"
    """Articles as the feeds gave them, keyed by article id: the full-text stage's input."""
    RAW: Final = "news.articles.raw"
    """Normalised articles (with their page's text where fetched), keyed by article id."""
    ENRICHED: Final = "news.articles.enriched"
    """Articles with entities and topics, ready for indexing and alerting."""
    REPLAY_RAW: Final = "news.replay.raw"
    """Articles replayed from archives: same pipeline, no live alerts."""
    DLQ: Final = "news.dlq"
    """Error envelopes for messages no stage could process."""
    ALERTS: Final = "news.alerts"
    """Alerts (one per subscription and story; updates keep the id), keyed by alert id."""

    ALL: Final = (POLLED, RAW, ENRICHED, REPLAY_RAW, DLQ, ALERTS)
