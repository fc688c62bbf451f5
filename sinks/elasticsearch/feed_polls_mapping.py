"""The ``newsmon-feed-polls`` index: one document per feed poll (:class:`contract.FeedPoll`).

Written by the cluster's poller; read by the Kibana dashboard's feed-health panels. Every field
is a keyword, number or date, so every field aggregates.
"""

from typing import Any

FEED_POLLS_INDEX = "newsmon-feed-polls"

FEED_POLLS_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "feed": {"type": "keyword"},
        "url": {"type": "keyword"},
        "polled_at": {"type": "date"},
        "status": {"type": "keyword"},
        "articles": {"type": "integer"},
        "failures": {"type": "integer"},
        "error": {"type": "keyword", "ignore_above": 1024},
        "duration_ms": {"type": "float"},
    },
}
