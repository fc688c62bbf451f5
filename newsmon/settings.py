"""The one settings object: every knob, its default and its ``NEWSMON_`` environment variable.

It is read once at start-up (``Settings()``) and passed down explicitly; nothing else reads the
environment.
"""

import json
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from contract import AddressPolicy, Topics

# The bundled data files, named without importing their modules (which load spaCy).
PROCESSORS_DIR = Path(str(resources.files("processors")))

ENV_PREFIX = "NEWSMON_"


class Settings(BaseSettings):
    """newsmon configuration. Each field ``x`` is set by the env var ``NEWSMON_X``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    mode: Literal["auto", "embedded", "cluster"] = Field(
        "auto",
        description="embedded: SQLite files in data_dir, no servers; cluster: Kafka + "
        "Elasticsearch; auto: cluster when NEWSMON_KAFKA_BOOTSTRAP or NEWSMON_ES_URL is set",
    )
    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, host:port[,...]"
    )
    kafka_timeout: float = Field(15.0, gt=0, description="seconds to wait for Kafka at start-up")
    es_url: str = Field("http://127.0.0.1:9200", description="Elasticsearch URL")
    es_username: str | None = Field(None, description="Elasticsearch user (basic auth)")
    es_password: SecretStr | None = Field(None, description="Elasticsearch password (never logged)")
    es_api_key: SecretStr | None = Field(None, description="Elasticsearch API key (never logged)")
    topic_raw: str = Field(Topics.RAW, description="topic of polled articles")
    topic_enriched: str = Field(Topics.ENRICHED, description="topic of enriched articles")
    topic_dlq: str = Field(Topics.DLQ, description="dead-letter topic")
    topic_replay: str = Field(
        Topics.REPLAY_RAW,
        description="topic of replayed articles: enriched after live ones, never alerting live",
    )
    replay_batch_size: int = Field(
        16,
        ge=1,
        description="replayed articles enriched per batch; a live batch waits for at most one",
    )
    group_prefix: str = Field("newsmon", description="prefix of Kafka consumer group ids")
    index_alias: str = Field("news-articles", description="alias the indexer writes through")
    data_dir: Path = Field(Path(".newsmon"), description="where state, logs and caches live")
    partitions: int = Field(4, ge=1, description="partitions of newsmon's Kafka topics")
    spacy_model: str = Field("en_core_web_sm", description="spaCy model package or path")
    language_models: dict[str, str] = Field(
        default_factory=dict,
        description="spaCy models for other languages (entities only), "
        'as JSON: {"de": "de_core_news_sm"}',
    )
    detect_language: bool = Field(True, description="detect each article's language")
    story_threshold: float = Field(
        0.4, gt=0, le=1, description="text similarity (Jaccard) at which articles are one story"
    )
    story_window_days: float = Field(
        30, gt=0, description="days an article can still start or join a story (older pruned)"
    )
    taxonomy: Path = Field(PROCESSORS_DIR / "taxonomy.yaml", description="topic taxonomy YAML")
    gazetteer: Path = Field(PROCESSORS_DIR / "gazetteer.yaml", description="gazetteer YAML")
    process_batch_size: int = Field(32, ge=1, description="articles per spaCy batch")
    process_batch_wait: float = Field(1.0, gt=0, description="seconds to wait filling a batch")
    index_batch_size: int = Field(500, ge=1, description="documents per bulk request")
    fetch_timeout: float = Field(20.0, gt=0, description="seconds per feed request")
    fetch_max_bytes: int = Field(5_000_000, ge=1024, description="feed response size cap")
    fetch_concurrency: int = Field(8, ge=1, description="feeds fetched at once")
    max_backoff: float = Field(
        3600.0, gt=0, description="longest wait after repeated transient feed errors (5xx, ...)"
    )
    error_backoff: float = Field(
        21600.0,
        gt=0,
        description="first wait after a lasting feed error (404, not a feed, refused, over "
        "budget); doubles each time",
    )
    max_error_backoff: float = Field(
        604800.0, gt=0, description="longest wait after repeated lasting feed errors"
    )
    max_retry_after: float = Field(
        21600.0, ge=0, description="longest Retry-After a feed server is obeyed for"
    )
    disable_gone: bool = Field(
        True, description="a feed answering 410 Gone is disabled (newsmon feeds enable)"
    )
    max_redirects: int = Field(5, ge=0, le=30, description="redirects followed per fetch")
    allow_private_networks: bool = Field(
        False,
        description="fetch feeds and call webhooks on loopback, private, link-local and other "
        "internal addresses (off: refused, also through redirects and DNS)",
    )
    fetch_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="internal hosts allowed anyway, comma-separated: NAME, NAME:PORT, IP, "
        "IP:PORT, [IPv6]:PORT or CIDR (e.g. 10.1.0.0/16,feeds.intranet:8080)",
    )
    parse_timeout: float = Field(
        10.0, gt=0, description="seconds one feed's parsing may take (in a worker process)"
    )
    parse_memory: int = Field(
        512, ge=64, description="MiB of memory one feed's parsing may use (in a worker process)"
    )
    parse_workers: int = Field(3, ge=1, le=64, description="worker processes parsing feeds")
    article_max_chars: int = Field(
        100_000, ge=1000, description="an article's text is cut here when polled (flagged)"
    )
    tag_max_chars: int = Field(
        30_000, ge=1000, description="characters of an article tagged; the rest is not (flagged)"
    )
    tag_max_tokens: int = Field(
        5_000, ge=100, description="tokens of an article tagged; the rest is not (flagged)"
    )
    user_agent: str = Field(
        "newsmon/0.1 (+https://github.com/newsmon/newsmon)", description="HTTP User-Agent"
    )
    # Whole articles (step 6): the page behind each feed entry, and the WARC archive.
    topic_polled: str = Field(
        Topics.POLLED, description="topic of articles as polled, before the full-text stage"
    )
    fulltext: Literal["auto", "always", "never"] = Field(
        "auto",
        description="fetch each article's page: auto (when the feed's own text is shorter "
        "than fulltext_min_words), always, never; a feed's `fulltext:` overrides it",
    )
    fulltext_min_words: int = Field(
        150, ge=0, description="auto mode: feed text with fewer words has its page fetched"
    )
    page_min_words: int = Field(
        30,
        ge=1,
        description="a page yielding fewer words of article text is a failure (a video page, "
        "an unrecognised wall): the feed's text is kept, flagged fulltext-failed:too-little-text",
    )
    page_concurrency: int = Field(8, ge=1, le=256, description="article pages fetched at once")
    host_concurrency: int = Field(
        2, ge=1, le=64, description="article pages fetched at once from one host"
    )
    host_delay: float = Field(
        1.0, ge=0, description="seconds between the starts of two page fetches from one host"
    )
    page_timeout: float = Field(20.0, gt=0, description="seconds per page request, body included")
    page_max_bytes: int = Field(
        5_000_000, ge=1024, description="page size cap (after decompression)"
    )
    page_retries: int = Field(
        2, ge=0, le=10, description="retries of a page after a transient error (timeout, 5xx)"
    )
    page_backoff: float = Field(
        2.0, ge=0, description="seconds before the first page retry (doubles each time)"
    )
    extract_timeout: float = Field(
        10.0, gt=0, description="seconds one page's extraction may take (in a worker process)"
    )
    extract_workers: int = Field(2, ge=1, le=64, description="worker processes extracting pages")
    robots_ttl: float = Field(
        86400.0, gt=0, description="seconds a host's robots.txt is cached before it is refetched"
    )
    fulltext_batch_size: int = Field(
        64, ge=1, description="articles read per batch by the full-text stage"
    )
    archive: bool = Field(
        True, description="keep every feed and page response (HTTP 200) in WARC files"
    )
    archive_dir: Path | None = Field(
        None, description="where the WARC files go (default: DATA/archive)"
    )
    archive_max_file_mb: int = Field(
        1000, ge=1, description="a WARC file is closed and a new one started past this size"
    )
    archive_retention_days: float = Field(
        0, ge=0, description="WARC files older than this are deleted (0: kept for ever)"
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    # Alerts (step 3).
    percolator_url: str | None = Field(
        None,
        description="Elasticsearch URL holding the subscriptions (percolator) index; "
        "default: es_url. The local stack serves it on its own node (see `stack status`)",
    )
    subscriptions_index: str = Field(
        "newsmon-subscriptions", description="index of subscriptions (percolator queries)"
    )
    alerts_index: str = Field("newsmon-alerts", description="index of alerts (one per story)")
    topic_alerts: str = Field(Topics.ALERTS, description="topic of alerts")
    alert_batch_size: int = Field(64, ge=1, description="articles per percolate request")
    spike_interval: float = Field(
        60.0, gt=0, description="seconds between checks of spike subscriptions"
    )
    # Feed health (step 8): see ingest.feed_health.
    feed_failing_after: float = Field(
        3 * 3600.0, ge=0, description="seconds a feed fails before it is reported as failing"
    )
    feed_quiet_factor: float = Field(
        0.25, gt=0, le=1, description="a feed is quiet below this x its usual articles per day"
    )
    feed_quiet_min_days: int = Field(
        7, ge=1, description="days of a feed's history needed before it can be called quiet"
    )
    feed_quiet_min_usual: float = Field(
        3.0, ge=0, description="a feed usually giving fewer articles a day is never quiet"
    )
    feed_health_days: int = Field(
        14, ge=2, le=60, description="days of articles per feed shown, and behind its usual day"
    )
    feed_health_interval: float = Field(
        300.0, gt=0, description="seconds between checks of feed-health subscriptions"
    )
    feed_polls_retention_days: float = Field(
        60, gt=0, description="days every feed poll is kept in the state db (feed health)"
    )
    feed_polls_index: str = Field(
        "newsmon-feed-polls", description="Elasticsearch index of feed polls (cluster mode)"
    )
    notify_batch_size: int = Field(100, ge=1, description="alerts read per poll by the notifier")
    notify_concurrency: int = Field(
        8, ge=1, le=64, description="subscriptions the notifier delivers to at once"
    )
    webhook_backoff: float = Field(
        1.0, gt=0, description="first retry delay of webhook deliveries (doubles each time)"
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server for email alerts")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port")
    smtp_from: str = Field("newsmon@localhost", description="sender address of alert emails")
    smtp_username: str | None = Field(None, description="SMTP user")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged)")
    smtp_starttls: bool = Field(False, description="upgrade SMTP connections with STARTTLS")
    feeds: Path | None = Field(None, description="feeds file `newsmon run` polls (YAML or OPML)")
    api_host: str = Field(
        "127.0.0.1", description="address `newsmon api` and the web view of `newsmon run` use"
    )
    api_port: int = Field(
        8700, ge=1, le=65535, description="port `newsmon api` and the web view of `newsmon run` use"
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="port (on api_host) where a cluster stage command (poll, fulltext, index, "
        "alert, notify) serves its own /metrics; unset: none",
    )
    # Kibana (step 8): where `newsmon kibana import` sends the saved objects.
    kibana_url: str = Field("http://127.0.0.1:5601", description="Kibana URL")
    kibana_username: str | None = Field(None, description="Kibana user (basic auth)")
    kibana_password: SecretStr | None = Field(None, description="Kibana password (never logged)")
    kibana_api_key: SecretStr | None = Field(None, description="Kibana API key (never logged)")

    @field_validator("fetch_allow", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part for part in text.replace(",", " ").split() if part]
        return value

    def address_policy(self) -> AddressPolicy:
        """Which addresses feeds, pages and webhooks may be fetched from.

        Raises:
            ConfigError: an entry of ``fetch_allow`` is not a host, address or network.
        """
        return AddressPolicy.from_settings(self.allow_private_networks, self.fetch_allow)

    @property
    def state_db(self) -> Path:
        """SQLite file with per-feed state and seen ids."""
        return self.data_dir / "feeds.sqlite3"

    @property
    def stories_db(self) -> Path:
        """SQLite file with the story index (near-duplicate signatures)."""
        return self.data_dir / "stories.sqlite3"

    @property
    def notify_db(self) -> Path:
        """SQLite delivery log of the notifier: what was sent where, and pending digests."""
        return self.data_dir / "notify.sqlite3"

    @property
    def log_db(self) -> Path:
        """Embedded mode: the local log holding the topics (SQLite, WAL)."""
        return self.data_dir / "log.sqlite3"

    @property
    def articles_db(self) -> Path:
        """Embedded mode: the article store (SQLite with FTS5)."""
        return self.data_dir / "articles.sqlite3"

    @property
    def alerts_db(self) -> Path:
        """Embedded mode: subscriptions and alerts (SQLite)."""
        return self.data_dir / "alerts.sqlite3"

    @property
    def subscriptions_url(self) -> str:
        """Where the subscriptions index lives."""
        return self.percolator_url or self.es_url

    @property
    def archive_path(self) -> Path:
        """Where the WARC archive lives."""
        return self.archive_dir or self.data_dir / "archive"

    @property
    def pages_db(self) -> Path:
        """SQLite cache of robots.txt per host (and what the full-text stage keeps)."""
        return self.data_dir / "pages.sqlite3"

    @property
    def log_dir(self) -> Path:
        """Where long-running commands write their log files."""
        return self.data_dir / "logs"

    @property
    def topics(self) -> tuple[str, ...]:
        """The topics newsmon creates: polled, raw, replay, enriched, dead letters, alerts."""
        return (
            self.topic_polled,
            self.topic_raw,
            self.topic_replay,
            self.topic_enriched,
            self.topic_dlq,
            self.topic_alerts,
        )

    def describe(self) -> list[tuple[str, str, str]]:
        """(env var, value, description) for every setting, secrets masked."""
        rows = []
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            shown = "***" if isinstance(value, SecretStr) else ("" if value is None else str(value))
            rows.append((ENV_PREFIX + name.upper(), shown, info.description or ""))
        return rows
