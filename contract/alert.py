"""The Alert: one subscription matching one story (or one spike), as versioned JSON.

An alert is per story: its id is derived from the subscription and the story, so the first
article of a story creates it (``version`` 1) and later copies update it (``version`` 2, 3, ...)
with the same id. Notifiers deliver version 1 and keep later versions as updates; the id in
every payload lets a subscriber drop anything it has seen.
"""

import hashlib
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.article import TopicMatch
from contract.wire import parse_versioned

ALERT_SCHEMA_VERSION = 1


def alert_id(subscription_id: str, key: str) -> str:
    """The stable alert id for a subscription and a story id, article id or spike window."""
    return hashlib.sha256(f"{subscription_id}\x1f{key}".encode()).hexdigest()[:32]


class ClauseMatch(BaseModel):
    """One clause of the subscription query and whether this article satisfied it."""

    model_config = ConfigDict(frozen=True)

    clause: str = Field(description='the clause as written, e.g. entities:"Vladimir Putin"')
    field: str = Field(description="the field it looks at ('title,text' for a bare word)")
    negated: bool = Field(description="the clause sits under NOT / '-'")
    matched: bool = Field(description="the article has what the clause asks for")
    hits: list[str] = Field(
        default_factory=list, description="what matched: values or highlighted snippets"
    )


class AlertArticle(BaseModel):
    """The article an alert points at: enough to read it without a search."""

    model_config = ConfigDict(frozen=True)

    id: str
    url: str
    title: str = ""
    source: str = ""
    published: datetime | None = None
    language: str | None = None
    summary: str = ""


class SpikeNumbers(BaseModel):
    """Why a spike alert fired."""

    model_config = ConfigDict(frozen=True)

    window_start: datetime
    window_end: datetime
    stories: int = Field(description="stories matching the query in the window")
    articles: int = Field(description="articles matching the query in the window")
    baseline: list[int] = Field(description="stories in the same window on each previous day")
    baseline_mean: float
    factor: float = Field(description="stories / baseline mean (inf when the baseline is 0)")
    threshold_factor: float
    min_count: int


class FeedHealthNumbers(BaseModel):
    """Why a feed-health alert fired: which feed, since when, and its numbers."""

    model_config = ConfigDict(frozen=True)

    feed: str = Field(description="the feed's name")
    url: str = Field(description="the feed's URL")
    health: Literal["failing", "quiet"]
    why: str = Field(description="one line, as `newsmon feeds status` says it")
    since: datetime = Field(description="when the episode began (first failure, or found quiet)")
    error: str = Field("", description="the latest error of a failing feed")
    last_day: int = Field(description="articles in the last 24 hours")
    usual_per_day: float = Field(description="the median of the feed's past days")
    per_day: list[int] = Field(default_factory=list, description="articles per day, oldest first")


class Alert(BaseModel):
    """A subscription matched: what, why, and how many copies of the story there are so far."""

    schema_version: int = ALERT_SCHEMA_VERSION
    alert_id: str
    version: int = Field(1, ge=1, description="1 when created; +1 for every later copy")
    kind: Literal["match", "spike", "feed-health"] = "match"
    subscription_id: str
    subscription_name: str = ""
    owner: str = ""
    query: str = ""
    story_id: str | None = None
    article: AlertArticle | None = Field(None, description="the story's first matching article")
    latest: AlertArticle | None = Field(None, description="the copy that made this version")
    article_ids: list[str] = Field(default_factory=list, description="matching copies so far")
    sources: list[str] = Field(default_factory=list, description="their feeds")
    clauses: list[ClauseMatch] = Field(default_factory=list)
    topics: list[TopicMatch] = Field(default_factory=list, description="with evidence sentences")
    entities: list[str] = Field(default_factory=list, description="canonical entity names")
    spike: SpikeNumbers | None = None
    feed_health: FeedHealthNumbers | None = None
    replayed: bool = Field(
        False, description="raised by replayed history (``newsmon replay --alerts``), not live"
    )
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def is_update(self) -> bool:
        """A later copy of a story already alerted on."""
        return self.version > 1

    def to_json(self) -> bytes:
        """Serialise as UTF-8 JSON bytes (the wire format)."""
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, payload: bytes | str) -> "Alert":
        """Parse the wire format.

        Raises:
            PoisonMessage: not JSON, a newer schema, or an invalid field (named).
        """
        return parse_versioned(cls, payload, ALERT_SCHEMA_VERSION, "alert")
