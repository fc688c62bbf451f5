"""`newsmon run` and failing feeds: `--once` when no feed can be polled exits 1 and says so in
one line, and `newsmon feeds status` names each feed and why; a live run names a feed the first
time it fails, and a feed-health subscription hears of feeds failing or quiet."""

import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from feedserver import FeedServer, rss_xml
from receivers import HookServer
from run_support import NEWSMON, embedded_env, newsmon

from contract import FeedPoll
from ingest.poll_history import PollHistory

pytestmark = pytest.mark.e2e


def test_run_once_exits_1_when_every_feed_failed(tmp_path: Path, feed_server: FeedServer) -> None:
    missing = feed_server.url("/gone-missing")  # on the one address allowed
    internal = FeedServer()  # another local service: refused, even by the name localhost
    secret = internal.add("/secret", b"<rss/>").replace("127.0.0.1", "localhost")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"- {{name: Missing, url: '{missing}'}}\n- {{name: Internal, url: '{secret}'}}"
    )
    env = embedded_env(
        tmp_path / "data",
        NEWSMON_ALLOW_PRIVATE_NETWORKS="false",
        NEWSMON_FETCH_ALLOW=feed_server.base.removeprefix("http://"),
    )
    try:
        run = newsmon(env, "run", "--once", "--feeds", str(feeds))
    finally:
        internal.close()
    assert run.returncode == 1, run.stdout + run.stderr
    assert "feeds 2: 0 due, 0 ok, 2 failing" in run.stdout
    [line] = run.stderr.splitlines()
    assert line.startswith("error: every feed failed (2); why: ")
    assert f"feeds status --feeds {feeds}" in line
    status = newsmon(env, "feeds", "status", "--json", "--feeds", str(feeds))
    rows = {row["name"]: row for row in json.loads(status.stdout)}
    assert rows["Missing"]["last_error"] == f"feed 'Missing': HTTP 404 Not Found from {missing}"
    assert re.fullmatch(
        rf"feed 'Internal': refused {re.escape(secret)}: localhost resolves to (127\.0\.0\.1|::1),"
        r" a loopback address \(private networks are not fetched\)",
        rows["Internal"]["last_error"],
    )
    assert internal.requests["/secret"] == 0


def _quiet_history(state_db: Path, url: str, per_day: int) -> None:
    """Fifteen days of a feed giving ``per_day`` articles a day, up to a day ago."""
    now = datetime.now(UTC)
    polls = [
        FeedPoll(feed="Quiet", url=url, polled_at=now - timedelta(days=d, hours=1), status="ok",
                 articles=per_day)
        for d in range(15, 0, -1)
    ]  # fmt: skip
    with PollHistory(state_db) as history:
        history.add(polls)


def _wait(proc: "subprocess.Popen[bytes]", log: Path, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 180
    while not done():
        assert proc.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.1)


@pytest.mark.parametrize("mode", ["embedded", "cluster"])
def test_run_names_a_failing_feed_once_and_alerts_feed_health(
    mode: str, tmp_path: Path, feed_server: FeedServer, request: pytest.FixtureRequest
) -> None:
    """A live run: a feed answering 503 is named once on the console (not at every retry), again
    after it recovered and failed anew; a feed far below its own history is quiet; a feed-health
    subscription gets one webhook alert per feed per episode; feeds status says why. The same in
    both modes (on a cluster, every poll is in the feed-polls index too)."""
    hook = HookServer()
    broken = feed_server.add("/broken.xml", b"down for maintenance", status=503)
    item = {"title": "One story today", "link": feed_server.url("/quiet/1"), "description": "x"}
    quiet = feed_server.add("/quiet.xml", rss_xml([item], title="Quiet Wire"))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"- {{name: Broken, url: '{broken}', interval: 1s}}\n"
        f"- {{name: Quiet, url: '{quiet}', interval: 1s}}\n"
    )
    subs = tmp_path / "subs.yaml"
    subs.write_text(
        "- {id: feeds-ops, name: Feed health, owner: ops, kind: feed-health,\n"
        f"   channels: [{{type: webhook, url: '{hook.url('/ops')}', secret: s3cret}}]}}\n"
    )
    fast = {"feed_failing_after": "0", "feed_health_interval": "0.5", "max_backoff": "1"}
    if mode == "cluster":
        polls_index = f"test-{uuid.uuid4().hex[:10]}-feed-polls"
        config = request.getfixturevalue("app_config")(**fast, feed_polls_index=polls_index)
        env = {**os.environ, **config.env}
        data = Path(env["NEWSMON_DATA_DIR"])
    else:
        data = tmp_path / "data"
        env = embedded_env(data, **{f"NEWSMON_{k.upper()}": v for k, v in fast.items()})
    _quiet_history(data / "feeds.sqlite3", quiet, per_day=40)
    log = tmp_path / "run.out"

    def alerts() -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in hook.requests]

    try:
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [NEWSMON, "run", "--no-web", "--feeds", str(feeds), "--subscriptions", str(subs)],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _wait(
                proc,
                log,
                lambda: feed_server.requests["/broken.xml"] >= 4 and len(hook.requests) >= 2,
            )
            time.sleep(2)  # more retries and health checks: still one line, two alerts
            assert feed_server.requests["/broken.xml"] >= 5
            output = log.read_text(errors="replace")
            assert output.count('feed "Broken" failing: HTTP 503') == 1, output
            assert 'feed "Quiet" failing' not in output
            first = {a["feed_health"]["feed"]: a for a in alerts()}
            assert len(hook.requests) == 2 and set(first) == {"Broken", "Quiet"}, alerts()
            assert first["Broken"]["kind"] == "feed-health"
            assert first["Broken"]["feed_health"]["health"] == "failing"
            assert "HTTP 503" in first["Broken"]["feed_health"]["why"]
            assert first["Quiet"]["feed_health"]["health"] == "quiet"
            assert first["Quiet"]["feed_health"]["usual_per_day"] == 40

            status = newsmon(env, "feeds", "status", "--json", "--feeds", str(feeds))
            rows = {row["name"]: row for row in json.loads(status.stdout)}
            assert rows["Broken"]["health"] == "failing"
            assert rows["Broken"]["why"].startswith("failing for ")
            assert rows["Broken"]["why"].endswith("HTTP 503 Service Unavailable from " + broken)
            assert rows["Quiet"]["health"] == "quiet"
            assert rows["Quiet"]["why"] == (
                "quiet: 1 articles in the last 24h, usually 40/day (14-day median)"
            )
            assert rows["Quiet"]["per_day"][-1][1] == 1 and rows["Quiet"]["usual_per_day"] == 40

            # It recovers, then fails anew: named again, and a second episode alerted once.
            feed_server.add("/broken.xml", rss_xml([], title="Back"))
            seen = feed_server.requests["/broken.xml"]
            _wait(proc, log, lambda: feed_server.requests["/broken.xml"] >= seen + 2)
            feed_server.add("/broken.xml", b"down again", status=503)
            _wait(proc, log, lambda: len(hook.requests) >= 3)
            time.sleep(2)
        finally:
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=60)
        output = log.read_text(errors="replace")
        assert code == 0, output
        assert output.count('feed "Broken" failing: HTTP 503') == 2, output
        episodes = [a for a in alerts() if a["feed_health"]["feed"] == "Broken"]
        assert len(episodes) == 2 and len(hook.requests) == 3, alerts()
        assert episodes[0]["alert_id"] != episodes[1]["alert_id"]
        assert episodes[1]["feed_health"]["since"] > episodes[0]["feed_health"]["since"]
        if mode == "cluster":
            es = request.getfixturevalue("es")
            es.indices.refresh(index=polls_index)
            indexed = es.count(index=polls_index, query={"term": {"feed": "Broken"}})["count"]
            asked = feed_server.requests["/broken.xml"]
            assert asked - 1 <= indexed <= asked  # a poll in flight at Ctrl-C is abandoned
            es.indices.delete(index=polls_index)
    finally:
        hook.close()
