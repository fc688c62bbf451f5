"""A subscription that matched an article: what every matcher returns and every alert store
records."""

from dataclasses import dataclass, field
from typing import Any

from contract import Article, Subscription


@dataclass(frozen=True)
class Match:
    """A subscription that matched an article, with the highlights for it (Elasticsearch's,
    or the embedded matcher's)."""

    subscription: Subscription
    article: Article
    document: dict[str, Any]
    highlights: dict[str, list[str]] = field(default_factory=dict)
