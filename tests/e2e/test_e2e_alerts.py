"""Alerts end to end: feeds -> Kafka -> faust -> percolator -> news.alerts -> webhook and email.

One wire story on three sites gives one signed webhook call (the copies update the alert), and a
digest subscription gives one email listing every matching story, sent at its scheduled time.
"""

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from feedserver import FeedServer, rss_xml
from local_stack import AppConfig, stop_process, wait_for
from receivers import HookServer, MailServer

from contract import article_id
from sinks.elasticsearch.alerts import AlertStore
from sinks.notify.webhook import verify_signature

pytestmark = pytest.mark.e2e

SECRET = "e2e-webhook-secret"
OTHER_TITLE = "Guns fall silent in southern Lebanon as truce takes hold"
OTHER_TEXT = (
    "Israel and Hezbollah stopped firing at 4 a.m. under a ceasefire brokered by the United "
    "States and France, and residents of Tyre reported their first quiet night in weeks. "
    "Lebanese army units began moving towards border villages as the truce took hold."
)


@pytest.fixture
def hook() -> Iterator[HookServer]:
    server = HookServer()
    yield server
    server.close()


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer()
    yield server
    server.close()


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n") if p.strip())


def _feed_file(tmp_path: Path, name: str, url: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"- name: {name}\n  url: {url}\n  interval: 60\n")
    return path


def test_one_signed_webhook_per_story_and_one_digest_email(
    app_config: Callable[..., AppConfig],
    percolator: Elasticsearch,
    feed_server: FeedServer,
    hook: HookServer,
    mail: MailServer,
    seed_text: str,
    tmp_path: Path,
) -> None:
    config = app_config(smtp_port=str(mail.port), webhook_backoff="0.2")
    body = _paragraphs(seed_text)
    links = {
        "wire": feed_server.url("/a/nato-weapons-limits"),
        "copy": feed_server.url("/b/stoltenberg-urges-allies"),
        "edited": feed_server.url("/c/nato-chief-weapons"),
        "other": feed_server.url("/a/lebanon-truce"),
        "warmup": feed_server.url("/w/weather"),
    }
    feeds = {
        "warmup": [("Sunny weekend ahead", links["warmup"], "<p>Warm and dry.</p>")],
        "wire": [
            ("NATO chief urges allies to lift limits on weapons", links["wire"], body),
            (OTHER_TITLE, links["other"], _paragraphs(OTHER_TEXT)),
        ],
        "copies": [
            ("Stoltenberg: let Ukraine strike Russia with Western arms", links["copy"], body)
        ],
        "edited": [("NATO head wants weapons curbs eased", links["edited"], body)],
    }
    files = {}
    for name, items in feeds.items():
        xml = rss_xml([{"title": t, "link": u, "description": d} for t, u, d in items], title=name)
        files[name] = _feed_file(tmp_path, name, feed_server.add(f"/feeds/{name}.xml", xml))

    immediate = config.newsmon(
        "subscriptions", "add", "--id", "nato-limits", "--name", "NATO weapons limits",
        "--owner", "desk", "--query", 'topics:weapons-restrictions AND entities:"Jens Stoltenberg"',
        "--webhook", hook.url("/hooks/newsmon"), "--secret", SECRET,
    )  # fmt: skip
    assert immediate.returncode == 0, immediate.stderr
    # The digest goes out at the next whole minute at least 75 s from now (UTC).
    due = (datetime.now(UTC) + timedelta(seconds=135)).replace(second=0, microsecond=0)
    digest = config.newsmon(
        "subscriptions", "add", "--id", "truce-digest", "--name", "Truces", "--owner", "desk",
        "--query", "topics:ceasefire", "--email", "desk@example.com",
        "--digest", f"daily@{due:%H:%M}", "--tz", "UTC",
    )  # fmt: skip
    assert digest.returncode == 0, digest.stderr

    workers = {
        name: (config.start(name, log=tmp_path / f"{name}.log"), tmp_path / f"{name}.log")
        for name in ("fulltext", "process", "alert", "notify")
    }
    try:
        # Warm up: one unrelated article through faust and the alerter.
        assert config.poll_once(files["warmup"])["published"] == 1
        wait_for(
            lambda: "1 article(s)" in workers["alert"][1].read_text(errors="replace"),
            240,
            "the alerter to handle the warm-up article",
            every=0.5,
        )

        polled = time.monotonic()  # the poll command's own start-up counts against the latency
        assert config.poll_once(files["wire"])["published"] == 2
        wait_for(lambda: hook.requests, 60, "the webhook call", every=0.1)
        latency = hook.requests[0].at - polled

        assert config.poll_once(files["copies"])["published"] == 1
        assert config.poll_once(files["edited"])["published"] == 1
        settings = config.settings
        store = AlertStore(percolator, settings.alerts_index)
        first = json.loads(hook.requests[0].body)

        def three_copies() -> bool:
            stored = store.get(first["alert_id"])
            return stored is not None and stored.version == 3

        wait_for(three_copies, 120, "the alert to count three copies", every=0.5)
        time.sleep(3)  # give the notifier the time to (wrongly) send an update
        assert len(hook.requests) == 1, [r.body[:200] for r in hook.requests]
        request = hook.requests[0]
        assert verify_signature(SECRET, request.body, request.headers["X-Newsmon-Signature"])
        assert request.headers["X-Newsmon-Alert-Id"] == first["alert_id"]
        assert latency < 10, f"feed item to webhook took {latency:.1f}s"
        print(f"\nfeed poll started -> webhook received: {latency:.2f}s")
        alert = first  # the payload is the alert itself, plus "event"
        assert alert["subscription_id"] == "nato-limits"
        assert alert["article"]["id"] == article_id(links["wire"])
        clauses = {c["clause"]: c for c in alert["clauses"]}
        assert clauses["topics:weapons-restrictions"]["matched"]
        assert clauses['entities:"Jens Stoltenberg"']["hits"] == ["Jens Stoltenberg"]
        topics = {t["topic"]: t for t in alert["topics"]}
        assert topics["weapons-restrictions"]["evidence"][0]["sentence"]
        assert "Jens Stoltenberg" in alert["entities"]

        # The digest: one email, at its time, listing both stories (the wire story once).
        wait_for(lambda: mail.messages, 240, "the digest email", every=1)
        time.sleep(2)
        assert len(mail.messages) == 1
        recipients, message = mail.messages[0]
        assert recipients == ["desk@example.com"]
        assert datetime.now(UTC) >= due
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        assert text_part is not None and html_part is not None
        text = text_part.get_content()
        assert OTHER_TITLE in text
        assert text.count("NATO chief urges allies to lift limits on weapons") == 1
        assert escape(OTHER_TITLE) in html_part.get_content()
    finally:
        tails = {name: stop_process(proc, log) for name, (proc, log) in workers.items()}
    for name, (proc, _) in workers.items():
        assert proc.returncode in (0, -15, 143), f"{name} exit {proc.returncode}:\n{tails[name]}"
