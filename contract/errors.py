"""Typed errors. The type decides the route: retry, dead-letter, or a clear message to the user."""


class NewsmonError(Exception):
    """Base class of every error newsmon raises on purpose."""


class ConfigError(NewsmonError):
    """Configuration is invalid (a settings value, a feeds file, a taxonomy file)."""


class ModelNotFoundError(ConfigError):
    """No spaCy model package could be loaded under any of the accepted names."""


class TransientError(NewsmonError):
    """A failure that may succeed later (network, broker, cluster busy): retry with backoff."""


class FeedError(NewsmonError):
    """A feed could not be fetched or parsed. Names the feed; the other feeds go on."""

    def __init__(self, feed: str, reason: str, *, transient: bool = True) -> None:
        super().__init__(f"feed {feed!r}: {reason}")
        self.feed = feed
        self.reason = reason
        self.transient = transient


class PoisonMessage(NewsmonError):
    """A message that will never process: route it to the dead-letter topic, never retry.

    Args:
        reason: what is wrong, naming the field where one is at fault.
        payload: the original bytes, kept for the dead-letter envelope.
        field: the offending field, if one is to blame.
    """

    def __init__(self, reason: str, payload: bytes = b"", field: str | None = None) -> None:
        where = f" (field {field!r})" if field else ""
        super().__init__(f"{reason}{where}")
        self.reason = reason
        self.payload = payload
        self.field = field


class InvalidQuery(NewsmonError):
    """A subscription query Elasticsearch (or newsmon's field check) refuses.

    Args:
        query: the query as the user wrote it.
        reason: the parser's message, or which field is unknown.
    """

    def __init__(self, query: str, reason: str) -> None:
        super().__init__(f"invalid query {query!r}: {reason}")
        self.query = query
        self.reason = reason
