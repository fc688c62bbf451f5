"""The Article: what travels on every topic, as versioned JSON.

``schema_version`` is bumped on any change a reader must know about; readers accept every version
they know and reject newer ones with a :class:`PoisonMessage` naming the field, so a message
never silently loses data.
"""

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contract.wire import parse_versioned

SCHEMA_VERSION = 5
"""2 added story_id, content_hash, duplicate_of and flags; 3 added updated_at; 4 added the page's
fields: canonical_url, author, site_name, text_source, published_source; 5 added
gazetteer_version and replay_alerts (older messages still read: the new fields take their
defaults)."""

Lane = Literal["live", "replay"]
TextSource = Literal["feed", "page"]


class Entity(BaseModel):
    """A named entity, merged over all its mentions in one article."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="canonical name, e.g. 'Jens Stoltenberg' for 'Stoltenberg'")
    label: str = Field(description="PERSON, ORG, GPE, LOC, NORP, EVENT, ...")
    text: str = Field(description="the first surface form seen in the article")
    count: int = Field(ge=1, description="number of mentions")
    first_offset: int = Field(ge=0, description="character offset of the first mention in text")
    kb_id: str | None = Field(default=None, description="stable identifier where known")


class Evidence(BaseModel):
    """Why a topic was assigned: the sentence and the terms that matched in it."""

    model_config = ConfigDict(frozen=True)

    rule: str
    sentence: str
    terms: list[str]


class TopicMatch(BaseModel):
    """A topic assigned to an article, with its score and evidence."""

    model_config = ConfigDict(frozen=True)

    topic: str
    score: float
    evidence: list[Evidence]


class Article(BaseModel):
    """One news item, from the moment it is polled to the moment it is indexed."""

    schema_version: int = SCHEMA_VERSION
    id: str = Field(min_length=1, description="stable hash of the canonical URL")
    url: str = Field(min_length=1)
    title: str = ""
    summary: str = ""
    text: str = ""
    published: datetime | None = None
    fetched_at: datetime
    updated_at: datetime | None = Field(
        default=None,
        description="when the feed changed this article's text after it was first published "
        "(a correction): the id stays, this is a new version",
    )
    published_source: str | None = Field(
        default=None,
        description="where ``published`` came from: 'feed', or 'page:<method>' when the feed "
        "had no date and the article's page gave it",
    )
    source: str = Field(min_length=1, description="the feed's name")
    feed_url: str = ""
    language: str | None = Field(
        default=None, description="ISO 639-1 code: detected from the text, else the feed's"
    )
    lane: Lane = "live"
    replay_alerts: bool = Field(
        default=False,
        description="a replayed article (lane 'replay') that may alert, marked replayed "
        "(``newsmon replay --alerts``); other replayed articles never alert",
    )
    # Filled in by the full-text stage (the article's page), when it fetched one.
    text_source: TextSource = Field(
        default="feed",
        description="'page': ``text`` was extracted from the article's page (``summary`` keeps "
        "the feed's text); 'feed': the feed's own text",
    )
    canonical_url: str | None = Field(
        default=None,
        description="the page's own canonical URL; ``id`` stays the hash of the feed entry's URL",
    )
    author: str | None = None
    site_name: str | None = None
    # Filled in by the processors.
    entities: list[Entity] = Field(default_factory=list)
    topics: list[TopicMatch] = Field(default_factory=list)
    enriched_at: datetime | None = None
    nlp_model: str | None = None
    taxonomy_version: str | None = None
    gazetteer_version: str | None = None
    story_id: str | None = Field(
        default=None, description="id of the first article of the story this one belongs to"
    )
    content_hash: str | None = Field(default=None, description="hash of the normalised text")
    duplicate_of: str | None = Field(
        default=None, description="id of an earlier article with exactly the same text"
    )
    flags: list[str] = Field(
        default_factory=list,
        description="why enrichment was partial, e.g. 'unsupported-language', 'no-text'",
    )

    @field_validator("published", "fetched_at", "updated_at", "enriched_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def body(self) -> str:
        """Title and text as one string: what the processors read."""
        return "\n".join(part for part in (self.title, self.text or self.summary) if part)

    def to_json(self) -> bytes:
        """Serialise as UTF-8 JSON bytes (the wire format)."""
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, payload: bytes | str) -> "Article":
        """Parse the wire format.

        Raises:
            PoisonMessage: the payload is not JSON, is from a newer schema, or a field is invalid;
                the message names the field.
        """
        return parse_versioned(cls, payload, SCHEMA_VERSION, "article")
