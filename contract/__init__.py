"""The wire contract every newsmon stage shares: models, topic names, ids and typed errors.

This package is the bottom layer: it imports nothing from the stages or the application.
"""

from contract.addresses import AddressPolicy, AllowEntry, blocked_kind
from contract.alert import (
    Alert,
    AlertArticle,
    ClauseMatch,
    FeedHealthNumbers,
    SpikeNumbers,
    alert_id,
)
from contract.article import (
    SCHEMA_VERSION,
    Article,
    Entity,
    Evidence,
    TopicMatch,
)
from contract.envelope import ErrorEnvelope
from contract.errors import (
    BlockedAddress,
    ConfigError,
    FeedError,
    InvalidQuery,
    ModelNotFoundError,
    NewsmonError,
    PoisonMessage,
    TransientError,
    UnsupportedScheme,
)
from contract.feed_poll import FeedPoll, PollStatus
from contract.ids import article_id, canonical_url
from contract.subscription import (
    QUERY_FIELDS,
    AnyChannel,
    Channel,
    ConsoleChannel,
    Digest,
    EmailChannel,
    KafkaChannel,
    QuietHours,
    SlackChannel,
    Spike,
    Subscription,
    WebhookChannel,
)
from contract.topics import Topics

__all__ = [
    "QUERY_FIELDS",
    "SCHEMA_VERSION",
    "AddressPolicy",
    "Alert",
    "AlertArticle",
    "AllowEntry",
    "AnyChannel",
    "Article",
    "BlockedAddress",
    "Channel",
    "ClauseMatch",
    "ConfigError",
    "ConsoleChannel",
    "Digest",
    "EmailChannel",
    "Entity",
    "ErrorEnvelope",
    "Evidence",
    "FeedError",
    "FeedHealthNumbers",
    "FeedPoll",
    "InvalidQuery",
    "KafkaChannel",
    "ModelNotFoundError",
    "NewsmonError",
    "PoisonMessage",
    "PollStatus",
    "QuietHours",
    "SlackChannel",
    "Spike",
    "SpikeNumbers",
    "Subscription",
    "TopicMatch",
    "Topics",
    "TransientError",
    "UnsupportedScheme",
    "WebhookChannel",
    "alert_id",
    "article_id",
    "blocked_kind",
    "canonical_url",
]
