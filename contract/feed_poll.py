"""One poll of one feed, as a record: the history behind feed health.

The poller's state (:mod:`ingest.state`) keeps only each feed's latest outcome; a
``FeedPoll`` is kept per poll, so health can be read over time (articles per day against the
feed's own history, how long it has been failing). The embedded mode keeps them in the state
database; on a cluster they are also indexed into Elasticsearch (``newsmon-feed-polls``) for
the Kibana dashboard.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PollStatus = Literal["ok", "not-modified", "failed", "disabled"]


class FeedPoll(BaseModel):
    """What one poll of one feed gave."""

    model_config = ConfigDict(frozen=True)

    feed: str = Field(description="the feed's name (its URL when it has none)")
    url: str = Field(description="the feed's URL as the feeds file gives it")
    polled_at: datetime
    status: PollStatus
    articles: int = Field(0, ge=0, description="new articles (and new versions) it published")
    failures: int = Field(0, ge=0, description="consecutive failures, this one included")
    error: str = Field("", description="why it failed (one line), empty when it did not")
    duration_ms: float = Field(0.0, ge=0, description="fetch and parse time")
