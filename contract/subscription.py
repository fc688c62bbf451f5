"""A subscription: who wants to hear about which articles, how, and when.

The query is Lucene query-string syntax (what people type into Kibana) over the fields of an
enriched article, see :data:`QUERY_FIELDS`. Subscriptions are stored as percolator queries in
Elasticsearch; this module only defines their shape and checks what can be checked offline.
"""

import fnmatch
import re
from datetime import UTC, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

SUBSCRIPTION_SCHEMA_VERSION = 1

QUERY_FIELDS: dict[str, str] = {
    "topics": "topic names, e.g. topics:ceasefire",
    "entities": 'canonical entity names, e.g. entities:"Vladimir Putin"',
    "entity_types": "entity labels present: PERSON, ORG, GPE, LOC, NORP, ...",
    "people": "canonical names of people",
    "organizations": "canonical names of organisations",
    "places": "canonical names of places (GPE, LOC, FAC)",
    "countries": "canonical country names, e.g. countries:Ukraine",
    "title": "the headline (English analysis: stemmed words)",
    "text": "the article text (English analysis)",
    "summary": "the feed's summary (English analysis)",
    "source": "the feed's name, e.g. source:reuters",
    "language": "ISO 639-1 code, e.g. language:en",
    "url": "the article URL (keyword: use wildcards, url:*bbc.co.uk*)",
    "story_id": "the story an article belongs to",
    "flags": "why enrichment was partial, e.g. flags:unsupported-language, flags:fulltext-robots, "
    'flags:"fulltext-failed:timeout", flags:fulltext-failed*',
    "text_source": "page (text extracted from the article's page) or feed (the feed's own text)",
    "canonical_url": "the canonical URL the article's page declares",
    "author": "the author the article's page names",
    "site_name": "the site name the article's page gives",
}
"""Fields a subscription query may name, and what each holds."""

DEFAULT_QUERY_FIELDS: tuple[str, ...] = ("title", "text")
"""Where a bare word in a query looks (``ceasefire`` means ``title:ceasefire OR text:...``)."""

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name, e.g. Europe/Paris)"
        ) from exc
    return name


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f"{value!r} is not a time of day as HH:MM (24 h)")
    return value


def parse_hhmm(value: str) -> time:
    """``"07:30"`` -> ``time(7, 30)``."""
    hours, minutes = _hhmm(value).split(":")
    return time(int(hours), int(minutes))


class WebhookChannel(BaseModel):
    """POST the alert as JSON, signed with HMAC-SHA256 of the body (``X-Newsmon-Signature``)."""

    model_config = ConfigDict(frozen=True)

    type: Literal["webhook"] = "webhook"
    url: str = Field(pattern=r"^https?://", description="where the JSON is POSTed")
    secret: SecretStr = Field(description="HMAC-SHA256 key for X-Newsmon-Signature")
    timeout: float = Field(10.0, gt=0, le=120, description="seconds per attempt")
    retries: int = Field(5, ge=0, le=20, description="attempts after the first, with backoff")


class EmailChannel(BaseModel):
    """Plain text + HTML email through the configured SMTP server."""

    model_config = ConfigDict(frozen=True)

    type: Literal["email"] = "email"
    to: list[str] = Field(min_length=1, description="recipient addresses")

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.match(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", address):
                raise ValueError(f"{address!r} is not an email address")
        return value


class SlackChannel(BaseModel):
    """A Slack-compatible incoming webhook (``{"text": ..., "blocks": [...]}``)."""

    model_config = ConfigDict(frozen=True)

    type: Literal["slack"] = "slack"
    url: SecretStr = Field(description="the incoming-webhook URL (a secret: never logged)")

    @field_validator("url")
    @classmethod
    def _http(cls, value: SecretStr) -> SecretStr:
        if not re.match(r"^https?://", value.get_secret_value()):
            raise ValueError("a Slack webhook URL starts with http:// or https://")
        return value


class KafkaChannel(BaseModel):
    """Produce the alert JSON to a Kafka topic, keyed by alert id."""

    model_config = ConfigDict(frozen=True)

    type: Literal["kafka"] = "kafka"
    topic: str = Field(pattern=r"^[A-Za-z0-9._-]{1,249}$")


class ConsoleChannel(BaseModel):
    """Print the alert on the terminal running ``newsmon run`` or ``newsmon notify``."""

    model_config = ConfigDict(frozen=True)

    type: Literal["console"] = "console"


AnyChannel = WebhookChannel | EmailChannel | SlackChannel | KafkaChannel | ConsoleChannel
Channel = Annotated[AnyChannel, Field(discriminator="type")]


def channel_key(index: int, channel: AnyChannel) -> str:
    """A stable name for a subscription's channel in delivery logs: ``"0:webhook"``."""
    return f"{index}:{channel.type}"


class Digest(BaseModel):
    """When digest alerts go out: ``hourly`` at minute ``at[3:]``, or ``daily`` at ``at``."""

    model_config = ConfigDict(frozen=True)

    every: Literal["hourly", "daily"] = "daily"
    at: str = Field("08:00", description="HH:MM; hourly digests use only the minutes")
    tz: str = Field("UTC", description="IANA time zone of `at`")

    @field_validator("at")
    @classmethod
    def _at(cls, value: str) -> str:
        return _hhmm(value)

    @field_validator("tz")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _zone(value)


class QuietHours(BaseModel):
    """Hours when immediate alerts are held, then sent as one digest when they end."""

    model_config = ConfigDict(frozen=True)

    start: str = Field(description="HH:MM")
    end: str = Field(description="HH:MM (may be earlier than start: overnight)")
    tz: str = "UTC"

    @field_validator("start", "end")
    @classmethod
    def _times(cls, value: str) -> str:
        return _hhmm(value)

    @field_validator("tz")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _zone(value)


class Spike(BaseModel):
    """Alert when the stories matching the query in the last window exceed the baseline.

    The baseline is the same window at the same time of day on each of the previous
    ``baseline_days`` days; the alert fires when the current count is at least ``min_count``
    and at least ``factor`` times the baseline mean.
    """

    model_config = ConfigDict(frozen=True)

    window_minutes: int = Field(60, ge=5, le=24 * 60)
    baseline_days: int = Field(7, ge=1, le=60)
    factor: float = Field(3.0, gt=1)
    min_count: int = Field(5, ge=1)


class Subscription(BaseModel):
    """One standing query and how its matches reach the subscriber."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SUBSCRIPTION_SCHEMA_VERSION
    id: str = Field(description="lowercase letters, digits, '.', '_' or '-'; 1-64 characters")
    name: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1, max_length=10_000, description="Lucene query-string syntax")
    kind: Literal["match", "spike", "feed-health"] = Field(
        "match",
        description="match: articles; spike: a surge of stories; feed-health: a feed failing "
        "or quiet (its query is then a glob over feed names or URLs, `*` for every feed)",
    )
    channels: list[Channel] = Field(min_length=1)
    mode: Literal["immediate", "digest"] = "immediate"
    digest: Digest | None = Field(None, description="required when mode is 'digest'")
    quiet_hours: QuietHours | None = None
    daily_cap: int | None = Field(
        None, ge=1, description="most alerts pushed per day (subscription's time zone)"
    )
    every_article: bool = Field(
        False, description="alert on every matching article, not once per story"
    )
    spike: Spike | None = Field(None, description="required when kind is 'spike'")
    enabled: bool = True
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                f"{value!r}: use 1-64 lowercase letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _feeds_query(cls, data: object) -> object:
        """A feed-health subscription watches every feed unless its query names some."""
        if isinstance(data, dict) and data.get("kind") == "feed-health" and not data.get("query"):
            return {**data, "query": "*"}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> "Subscription":
        if self.mode == "digest" and self.digest is None:
            raise ValueError("mode 'digest' needs a digest schedule (every, at, tz)")
        if self.kind == "spike" and self.spike is None:
            raise ValueError("kind 'spike' needs spike settings (window_minutes, factor, ...)")
        if self.kind != "spike" and self.spike is not None:
            raise ValueError("spike settings are only for kind 'spike'")
        return self

    def watches_feed(self, name: str, url: str) -> bool:
        """A feed-health subscription's query, as a case-insensitive glob (``*``, ``?``,
        ``[...]``) over the feed's name or URL; ``a | b`` is either."""
        patterns = [p.strip().casefold() for p in self.query.split("|") if p.strip()]
        return any(
            fnmatch.fnmatchcase(name.casefold(), p) or fnmatch.fnmatchcase(url.casefold(), p)
            for p in patterns
        )

    @property
    def tz(self) -> str:
        """The subscription's time zone: its digest's, else its quiet hours', else UTC."""
        if self.digest is not None:
            return self.digest.tz
        if self.quiet_hours is not None:
            return self.quiet_hours.tz
        return "UTC"

    def public(self) -> dict[str, object]:
        """The subscription as JSON-safe data with secrets masked (for lists, logs and APIs)."""
        return self.model_dump(mode="json")

    def with_secrets(self) -> dict[str, object]:
        """The subscription as JSON-safe data including channel secrets (for storage only)."""
        data = self.model_dump(mode="json")
        for i, channel in enumerate(self.channels):
            if isinstance(channel, WebhookChannel):
                data["channels"][i]["secret"] = channel.secret.get_secret_value()
            elif isinstance(channel, SlackChannel):
                data["channels"][i]["url"] = channel.url.get_secret_value()
        return data
