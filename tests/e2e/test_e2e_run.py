"""``newsmon run`` end to end, the same scenario in both modes: a seed feed becomes a tagged,
searchable article and one signed webhook alert (plus one on the console); a second start does
not alert again. Embedded mode uses no server at all; cluster mode uses the test stack.
"""

import json
import os
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path

import pytest
from feedserver import FeedServer, rss_xml
from local_stack import AppConfig
from receivers import HookServer
from run_support import embedded_env, newsmon

from sinks.notify.webhook import verify_signature

pytestmark = pytest.mark.e2e

SECRET = "run-e2e-secret"
SEED_TITLE = "NATO chief urges allies to lift limits on Ukraine's use of Western weapons"
QUERY = 'topics:weapons-restrictions AND entities:"Jens Stoltenberg"'


@pytest.fixture
def hook() -> Iterator[HookServer]:
    server = HookServer()
    yield server
    server.close()


def write_inputs(
    tmp_path: Path, feed_server: FeedServer, seed_text: str, hook: HookServer
) -> tuple[Path, Path]:
    """The feeds file (the seed article and an unrelated one) and the subscriptions file."""
    body = "".join(f"<p>{escape(p)}</p>" for p in seed_text.split("\n\n") if p.strip())
    xml = rss_xml(
        [
            {
                "title": SEED_TITLE,
                "link": feed_server.url("/world/nato-limits"),
                "description": body,
            },
            {
                "title": "Sunny weekend ahead",
                "link": feed_server.url("/weather/weekend"),
                "description": "<p>Warm and dry weather is expected across the region.</p>",
            },
        ],
        title="Seed Wire",
    )
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"- name: Seed Wire\n  url: {feed_server.add('/seed.xml', xml)}\n")
    subs = tmp_path / "subscriptions.yaml"
    subs.write_text(
        "- id: nato-limits\n  name: NATO weapons limits\n  owner: desk\n"
        f"  query: '{QUERY}'\n"
        f"  channels:\n    - {{type: webhook, url: '{hook.url('/hook')}', secret: {SECRET}}}\n"
        "    - {type: console}\n"
    )
    return feeds, subs


def scenario(
    env: dict[str, str], tmp_path: Path, feed_server: FeedServer, seed_text: str, hook: HookServer
) -> None:
    """Run once: one alert on both channels, the article searchable; run again: no alert."""
    feeds, subs = write_inputs(tmp_path, feed_server, seed_text, hook)
    first = newsmon(env, "run", "--once", "--feeds", str(feeds), "--subscriptions", str(subs))
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count(f"[newsmon] NATO weapons limits: {SEED_TITLE}") == 1, first.stdout
    assert "✓ topics:weapons-restrictions" in first.stdout
    assert len(hook.requests) == 1
    request = hook.requests[0]
    assert verify_signature(SECRET, request.body, request.headers["X-Newsmon-Signature"])
    payload = json.loads(request.body)
    assert payload["article"]["title"] == SEED_TITLE
    assert request.headers["X-Newsmon-Alert-Id"] == payload["alert_id"]

    found = newsmon(env, "search", QUERY, "--json")
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert [h["title"] for h in result["hits"]] == [SEED_TITLE]
    assert "weapons-restrictions" in result["hits"][0]["topics"]
    every = json.loads(newsmon(env, "search", "*", "--json").stdout)
    assert every["total"] == 2

    stats = json.loads(newsmon(env, "stats", "--since", "3650d", "--json").stdout)
    assert stats["articles"] == 2
    assert {r["name"]: r["articles"] for r in stats["sources"]} == {"Seed Wire": 2}
    assert any(r["name"] == "weapons-restrictions" for r in stats["topics"])

    again = newsmon(env, "run", "--once", "--feeds", str(feeds), "--subscriptions", str(subs))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "[newsmon]" not in again.stdout, again.stdout
    assert len(hook.requests) == 1


def test_run_embedded_needs_no_server(
    tmp_path: Path, feed_server: FeedServer, seed_text: str, hook: HookServer
) -> None:
    env = embedded_env(tmp_path / "data")
    scenario(env, tmp_path, feed_server, seed_text, hook)
    data = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert {"log.sqlite3", "articles.sqlite3", "alerts.sqlite3"} <= set(data)


def test_run_on_the_cluster_runs_the_same_scenario(
    app_config: Callable[..., AppConfig],
    tmp_path: Path,
    feed_server: FeedServer,
    seed_text: str,
    hook: HookServer,
) -> None:
    config = app_config()
    env = {**os.environ, **config.env}
    scenario(env, tmp_path, feed_server, seed_text, hook)
    data = Path(config.env["NEWSMON_DATA_DIR"])
    assert not (data / "articles.sqlite3").exists()  # everything went to the cluster
