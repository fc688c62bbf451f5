"""``newsmon run`` killed with SIGKILL mid-batch, then restarted: no article lost, none stored
twice, every alert delivered (at most the one in flight at the kill twice, same alert id)."""

import collections
import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer, rss_xml
from receivers import HookServer
from run_support import NEWSMON, embedded_env, newsmon

from contract import article_id

pytestmark = pytest.mark.e2e

ARTICLES = 120
PLACES = ["Kyiv", "Kharkiv", "Odesa", "Gaza", "Beirut", "Khartoum", "Taipei", "Caracas"]


@pytest.fixture
def hook() -> Iterator[HookServer]:
    server = HookServer()
    yield server
    server.close()


def _items(feed_server: FeedServer) -> list[dict[str, str]]:
    items = []
    for n in range(ARTICLES):
        place = PLACES[n % len(PLACES)]
        items.append(
            {
                "title": f"Ceasefire talks resume in {place}, round {n}",
                "link": feed_server.url(f"/news/{n}"),
                "description": (
                    f"<p>Negotiators met in {place} on day {n} to discuss a ceasefire and the "
                    f"exchange of {n + 3} prisoners. Officials said talks would continue "
                    f"after {n % 7 + 2} days of shelling near the front line.</p>"
                ),
            }
        )
    return items


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


def test_sigkill_mid_batch_then_restart_loses_and_duplicates_nothing(
    tmp_path: Path, feed_server: FeedServer, hook: HookServer
) -> None:
    items = _items(feed_server)
    feeds = tmp_path / "feeds.yaml"
    url = feed_server.add("/many.xml", rss_xml(items, title="Kill Wire"))
    feeds.write_text(f"- name: Kill Wire\n  url: {url}\n")
    subs = tmp_path / "subs.yaml"
    subs.write_text(
        "- id: every-ceasefire\n  name: Every ceasefire article\n  owner: desk\n"
        "  query: 'ceasefire'\n  every_article: true\n"
        f"  channels: [{{type: webhook, url: '{hook.url('/hook')}', secret: s3cret}}]\n"
    )
    data = tmp_path / "data"
    env = embedded_env(data, NEWSMON_PROCESS_BATCH_SIZE="8", NEWSMON_INDEX_BATCH_SIZE="8")
    log = tmp_path / "run.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [NEWSMON, "run", "--feeds", str(feeds), "--subscriptions", str(subs)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while _stored(data / "articles.sqlite3") < 16:
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "nothing stored within 180 s"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    at_kill = _stored(data / "articles.sqlite3")
    assert 16 <= at_kill < ARTICLES, f"the kill did not land mid-run ({at_kill} stored)"

    again = newsmon(env, "run", "--once", "--feeds", str(feeds))
    assert again.returncode == 0, again.stdout + again.stderr

    with sqlite3.connect(data / "articles.sqlite3") as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM articles")]
    expected = {article_id(item["link"]) for item in items}
    assert len(ids) == len(set(ids)) == ARTICLES
    assert set(ids) == expected
    found = json.loads(newsmon(env, "search", "ceasefire", "--json", "--limit", "1").stdout)
    assert found["total"] == ARTICLES

    delivered = collections.Counter(r.headers["X-Newsmon-Alert-Id"] for r in hook.requests)
    assert len(delivered) == ARTICLES, f"{ARTICLES - len(delivered)} alert(s) lost"
    repeated = {k: n for k, n in delivered.items() if n > 1}
    assert sum(repeated.values()) - len(repeated) <= 1, repeated
    print(f"killed at {at_kill}/{ARTICLES} stored; repeated deliveries: {len(repeated)}")


def test_ctrl_c_finishes_the_batch_in_flight_and_exits_cleanly(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    items = _items(feed_server)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"- name: Kill Wire\n  url: {feed_server.add('/many.xml', rss_xml(items))}\n")
    data = tmp_path / "data"
    env = embedded_env(data, NEWSMON_PROCESS_BATCH_SIZE="8")
    log = tmp_path / "run.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [NEWSMON, "run", "--feeds", str(feeds)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 180
    while _stored(data / "articles.sqlite3") < 8:
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    assert proc.wait(timeout=60) == 0, log.read_text(errors="replace")
    stopped_in = time.monotonic() - started
    output = log.read_text(errors="replace")
    assert "stopping: finishing the batches in flight" in output
    assert "stage process stopped" in (data / "logs" / "run.log").read_text()
    at_stop = _stored(data / "articles.sqlite3")

    again = newsmon(env, "run", "--once", "--feeds", str(feeds))
    assert again.returncode == 0, again.stdout + again.stderr
    assert _stored(data / "articles.sqlite3") == ARTICLES
    print(f"stopped {stopped_in:.1f} s after Ctrl-C with {at_stop}/{ARTICLES} stored")
