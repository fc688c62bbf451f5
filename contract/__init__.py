"""The wire contract every newsmon stage shares: models, topic names, ids and typed errors.

This package is the bottom layer: it imports nothing from the stages or the application.
"""

from contract.article import (
    SCHEMA_VERSION,
    Article,
    Entity,
    Evidence,
    TopicMatch,
)
from contract.envelope import ErrorEnvelope
from contract.errors import (
    ConfigError,
    FeedError,
    ModelNotFoundError,
    NewsmonError,
    PoisonMessage,
    TransientError,
)
from contract.ids import article_id, canonical_url
from contract.topics import Topics

__all__ = [
    "SCHEMA_VERSION",
    "Article",
    "ConfigError",
    "Entity",
    "ErrorEnvelope",
    "Evidence",
    "FeedError",
    "ModelNotFoundError",
    "NewsmonError",
    "PoisonMessage",
    "TopicMatch",
    "Topics",
    "TransientError",
    "article_id",
    "canonical_url",
]
