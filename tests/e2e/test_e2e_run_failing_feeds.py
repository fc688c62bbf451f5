"""`newsmon run --once` when no feed can be polled: exit 1, say so in one line, and
`newsmon feeds status` names each feed and why."""

import json
import re
from pathlib import Path

import pytest
from feedserver import FeedServer
from run_support import embedded_env, newsmon

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
