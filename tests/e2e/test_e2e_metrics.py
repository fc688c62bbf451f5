"""``/metrics`` of a live ``newsmon run`` (embedded, served with its web view): once a feed's
articles went through (one story, one alert), every stage has counted them, every consumer
group has caught up, and the failing feed and the console delivery show."""

import signal
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest
from feedserver import FeedServer, rss_xml
from local_stack import wait_for
from prometheus_client.parser import text_string_to_metric_families
from run_support import NEWSMON, embedded_env

pytestmark = pytest.mark.e2e

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    """Every sample of ``url`` (a Prometheus text page): (name, sorted labels) -> value."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def stage(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_live_run_metrics(tmp_path: Path, feed_server: FeedServer) -> None:
    items = [
        {
            "title": f"Ceasefire talks resume in round {i}",
            "link": feed_server.url(f"/world/talks-{i}"),
            "description": f"<p>Negotiators met again on day {i} to discuss a ceasefire.</p>",
        }
        for i in range(3)
    ]
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"- name: Wire\n  url: {feed_server.add('/wire.xml', rss_xml(items))}\n"
        f"- name: Missing\n  url: {feed_server.url('/gone.xml')}\n"
    )
    subs = tmp_path / "subscriptions.yaml"
    subs.write_text(
        "- id: talks\n  name: Talks\n  owner: desk\n  query: 'ceasefire'\n"
        "  channels:\n    - {type: console}\n"
    )
    data, port = tmp_path / "data", free_port()
    log = tmp_path / "run.out"
    with log.open("wb") as out:
        run = subprocess.Popen(
            [NEWSMON, "run", "--feeds", str(feeds), "--subscriptions", str(subs)],
            env=embedded_env(data, NEWSMON_API_PORT=str(port)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/metrics"
    try:

        def settled() -> Samples | None:
            if run.poll() is not None:
                pytest.fail(f"newsmon run exited {run.returncode}: {log.read_text()[-2000:]}")
            try:
                samples = scrape(url)
            except OSError:  # not listening yet
                return None
            lags = [v for (n, _), v in samples.items() if n == "newsmon_consumer_lag_messages"]
            notified = stage(samples, "newsmon_alerts_total", stage="notified")
            indexed = stage(samples, "newsmon_articles_total", stage="indexed")
            return samples if indexed >= 3 and notified and lags and not any(lags) else None

        samples = wait_for(
            settled, 240, f"3 articles indexed, an alert notified and no lag at {url}"
        )
        assert isinstance(samples, dict)
    finally:
        run.send_signal(signal.SIGINT)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()
    for name in ("polled", "processed", "indexed", "alerted"):
        assert stage(samples, "newsmon_articles_total", stage=name) == 3, name
    # the three copies are one story: one alert
    assert stage(samples, "newsmon_alerts_total", stage="matched") == 1
    assert stage(samples, "newsmon_alerts_total", stage="notified") == 1
    for name in ("poll", "process", "index", "alert", "notify"):
        assert stage(samples, "newsmon_batch_duration_seconds_count", stage=name) >= 1, name
    assert stage(samples, "newsmon_feed_polls_total", status="failed") >= 1
    assert stage(samples, "newsmon_feeds", state="failing") == 1
    assert stage(samples, "newsmon_feeds", state="ok") == 1
    assert stage(samples, "newsmon_alert_deliveries", status="sent", channel="console") == 1
    groups = {dict(labels)["group"] for (n, labels) in samples if n.endswith("lag_messages")}
    assert groups == {
        f"newsmon-{g}" for g in ("fulltext", "processor", "indexer", "alerter", "notifier")
    }
    assert not [k for k in samples if k[0] == "newsmon_scrape_errors_total"]
