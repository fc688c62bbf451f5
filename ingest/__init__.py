"""The ingest stage: poll RSS/Atom feeds and yield normalised contract Articles.

Producing to Kafka is the caller's job; the poller's state advances only when the caller commits.
"""

from ingest.feeds_file import FeedSpec, load_feeds, parse_interval
from ingest.fetch import FetchResult, fetch_feed
from ingest.html_text import clean_controls, html_to_text, plain_text
from ingest.isolation import FeedParser, InlineParser, IsolatedParser
from ingest.normalize import ParsedFeed, normalize_language, parse_feed
from ingest.poller import FeedBatch, Poller, PollPolicy
from ingest.state import FeedState, FeedStateStore

__all__ = [
    "FeedBatch",
    "FeedParser",
    "FeedSpec",
    "FeedState",
    "FeedStateStore",
    "FetchResult",
    "InlineParser",
    "IsolatedParser",
    "ParsedFeed",
    "PollPolicy",
    "Poller",
    "clean_controls",
    "fetch_feed",
    "html_to_text",
    "load_feeds",
    "normalize_language",
    "parse_feed",
    "parse_interval",
    "plain_text",
]
