"""`newsmon poll` against the real broker: published once, state advanced only after acks."""

import json
import signal
from collections.abc import Callable
from pathlib import Path

from feedserver import FeedServer, rss_xml
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from local_stack import AppConfig

from contract import Article, article_id


def _consume(config: AppConfig, topic: str, expect: int) -> list[tuple[bytes, bytes]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=config.env["NEWSMON_KAFKA_BOOTSTRAP"],
        auto_offset_reset="earliest",
        consumer_timeout_ms=5_000,
        group_id=f"check-{topic}",
    )
    records = []
    for record in consumer:
        records.append((record.key, record.value))
        if len(records) > expect:
            break
    consumer.close()
    return records


def _items(links: list[str]) -> list[dict[str, str]]:
    return [
        {"title": f"Story {i}", "link": link, "description": f"<p>Text {i}</p>"}
        for i, link in enumerate(links)
    ]


def _feed(feed_server: FeedServer, tmp_path: Path, n: int) -> tuple[Path, list[str]]:
    links = [feed_server.url(f"/story/{i}?utm_campaign=x") for i in range(n)]
    url = feed_server.add("/rss.xml", rss_xml(_items(links)), etag='"v1"')
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"- name: Test Feed\n  url: {url}\n")
    return feeds, links


def test_poll_publishes_each_new_article_once(
    app_config: Callable[..., AppConfig], feed_server: FeedServer, tmp_path: Path
) -> None:
    config = app_config()
    feeds, links = _feed(feed_server, tmp_path, 3)
    first = config.newsmon("poll", "--feeds", str(feeds), "--once", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["published"] == 3

    # The feed changes (new ETag) but only one item is new: only that one is published (the
    # others are unchanged; a changed one would be published again as a new version).
    items = _items(links)
    new_link = feed_server.url("/story/new")
    feed_server.add("/rss.xml", rss_xml([*items, {"title": "New", "link": new_link}]), etag='"v2"')
    second = config.newsmon("poll", "--feeds", str(feeds), "--once", "--json")
    assert json.loads(second.stdout)["published"] == 1

    records = _consume(config, config.env["NEWSMON_TOPIC_POLLED"], expect=4)
    assert len(records) == 4
    ids = {article_id(link) for link in [*links, new_link]}
    for key, value in records:
        article = Article.from_json(value)
        assert key.decode() == article.id
        assert article.source == "Test Feed"
        assert "utm_campaign" not in article.url
    assert {key.decode() for key, _ in records} == ids


def test_unreachable_broker_is_a_clear_error(
    app_config: Callable[..., AppConfig], feed_server: FeedServer, tmp_path: Path
) -> None:
    feeds, _ = _feed(feed_server, tmp_path, 1)
    config = app_config(kafka_bootstrap="127.0.0.1:1", kafka_timeout="2")
    failed = config.newsmon("poll", "--feeds", str(feeds), "--once", "--json", timeout=60)
    assert failed.returncode == 1
    assert "no Kafka broker reachable at 127.0.0.1:1" in failed.stderr


def test_articles_the_broker_did_not_acknowledge_are_polled_again(
    app_config: Callable[..., AppConfig], feed_server: FeedServer, tmp_path: Path
) -> None:
    """The broker refuses the writes (the topic takes no message over 200 bytes): the feed's
    ETag and seen ids are not stored, so the next poll fetches and publishes again."""
    config = app_config()
    topic = config.env["NEWSMON_TOPIC_POLLED"]
    admin = KafkaAdminClient(bootstrap_servers=config.env["NEWSMON_KAFKA_BOOTSTRAP"])
    admin.create_topics(
        [
            NewTopic(
                topic,
                num_partitions=1,
                replication_factor=1,
                topic_configs={"max.message.bytes": "200"},
            )
        ]
    )
    feeds, _ = _feed(feed_server, tmp_path, 2)
    refused = config.newsmon("poll", "--feeds", str(feeds), "--once", "--json")
    summary = json.loads(refused.stdout)
    assert (summary["failed"], summary["published"]) == (1, 0)
    assert "Kafka did not acknowledge" in summary["errors"][0]

    admin.alter_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic, configs={"max.message.bytes": "1048588"})]
    )
    admin.close()
    retried = config.newsmon("poll", "--feeds", str(feeds), "--once", "--json")
    assert retried.returncode == 0, retried.stderr
    summary = json.loads(retried.stdout)
    assert (summary["ok"], summary["published"]) == (1, 2)
    # The refused run stored no ETag: this was a full GET again, not a conditional one.
    headers = feed_server.request_headers["/rss.xml"]
    assert len(headers) == 2
    assert "If-None-Match" not in headers[1]
    assert len(_consume(config, topic, expect=2)) == 2


def test_continuous_poll_stops_cleanly_on_sigterm(
    app_config: Callable[..., AppConfig], feed_server: FeedServer, tmp_path: Path
) -> None:
    config = app_config()
    feeds, _ = _feed(feed_server, tmp_path, 3)
    log = tmp_path / "poll.log"
    poller = config.start("poll", "--feeds", str(feeds), log=log)
    try:
        records = _consume(config, config.env["NEWSMON_TOPIC_POLLED"], expect=3)
        assert len(records) == 3, log.read_text()
        assert poller.poll() is None  # still running, waiting for the feed to be due again
    finally:
        poller.send_signal(signal.SIGTERM)
        assert poller.wait(timeout=30) == 0, log.read_text()
    assert "3 article(s) published" in log.read_text()
    # Its state was committed: the next poll is a conditional GET answered 304.
    again = config.newsmon("poll", "--feeds", str(feeds), "--once", "--json")
    assert json.loads(again.stdout)["not_modified"] == 1
