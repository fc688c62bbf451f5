"""What the replay readers yield: one item per WARC record, JSONL line or saved file.

Nothing read is ever dropped without a trace: what cannot be replayed is a :class:`Skipped` with
a one-word reason (counted by the runner) and a one-line message naming the file and position.
"""

from dataclasses import dataclass
from datetime import datetime

from contract import Article

MAX_BODY = 20_000_000
"""The largest body kept (decoded bytes); a larger one is skipped as ``too-large``."""


@dataclass(frozen=True, slots=True)
class FeedResponse:
    """A response (or a saved file) whose body is an RSS, Atom or RDF feed.

    Attributes:
        url: ``WARC-Target-URI``; for a saved file, its ``file://`` URI.
        fetched_at: ``WARC-Date`` (UTC); for a saved file, its modification time.
        body: the payload, de-chunked and content-decoded.
        content_type: the response's ``Content-Type``, if any.
        where: ``path@offset`` (the record's byte offset), or ``path`` for a saved file.
    """

    url: str
    fetched_at: datetime
    body: bytes
    content_type: str | None
    where: str


@dataclass(frozen=True, slots=True)
class PageResponse:
    """A 200 response whose body is an HTML or XHTML page (an article page); fields as in
    :class:`FeedResponse`."""

    url: str
    fetched_at: datetime
    body: bytes
    content_type: str | None
    where: str


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """One JSONL line that is an article (in the ``replay`` lane); ``where`` is ``path:line``."""

    article: Article
    where: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something read that is not replayed, and why.

    Attributes:
        where: ``path@offset``, ``path:line`` or ``path``.
        reason: one short word: ``request``, ``warcinfo``, ``http-404``, ``truncated``,
            ``not-json``, ``binary``, ...
        message: one line naming the file, the position and what was wrong.
        record: False for a whole file (``not-warc``, ``binary``, ``unreadable``, ``missing``).
    """

    where: str
    reason: str
    message: str
    record: bool = True


ReplayItem = FeedResponse | PageResponse | StoredArticle | Skipped


def file_skipped(where: str, reason: str, what: str) -> Skipped:
    """A whole file skipped: ``{where}: {what}``."""
    return Skipped(where, reason, f"{where}: {what}", record=False)
