"""`newsmon run` (the long-running mode) with the two heaviest hostile feeds, a 2.3 MB feed of
100,000 nested <div> and an item of 20,000 paragraphs, beside a healthy feed due every 5 s: the
healthy feed keeps being polled on time, the hostile ones finish or fail within their budget,
and SIGTERM in the middle of it all stops newsmon in under 5 s."""

import itertools
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from feedserver import FeedServer, rss_xml
from hostile_server import HostileServer, load_cases
from run_support import NEWSMON, embedded_env, newsmon

pytestmark = pytest.mark.e2e

HOSTILE = ("size-deep-nesting-escaped", "size-20000-paragraphs")
WATCH_SECONDS = 30.0
BUDGET = "parsing took longer than the 10s budget"


def test_heavy_feeds_never_hold_up_a_healthy_one_and_sigterm_stops_fast(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    cases = [c for c in load_cases() if c.id in HOSTILE]
    assert len(cases) == len(HOSTILE)
    healthy = feed_server.add(
        "/healthy", rss_xml([{"title": "Steady", "link": "https://steady.example/1"}]), etag='"s"'
    )
    with HostileServer(cases) as server:
        feeds = tmp_path / "feeds.yaml"
        lines = [
            f"- name: {name}\n  url: '{url}'\n  interval: 5s\n" for name, url in server.feeds()
        ]
        lines.append(f"- name: healthy\n  url: '{healthy}'\n  interval: 5s\n")
        feeds.write_text("".join(lines))
        env = embedded_env(tmp_path / "data")
        log = tmp_path / "run.out"
        with log.open("wb") as out:
            run = subprocess.Popen(
                [NEWSMON, "run", "--feeds", str(feeds)], env=env, stdout=out, stderr=out
            )
            try:
                polls = _watch(feed_server, run)
                stopped = time.monotonic()
                run.send_signal(signal.SIGTERM)
                code = run.wait(timeout=30)
                took = time.monotonic() - stopped
            finally:
                if run.poll() is None:
                    run.kill()
    output = log.read_text(errors="replace")
    print(
        f"\nhealthy feed polled at {[round(t, 1) for t in polls]} s; SIGTERM -> exit {took:.2f} s"
    )
    assert code == 0, output[-3000:]
    assert took < 5.0, output[-3000:]
    # due every 5 s for 30 s: polled at least 5 times, never more than ~6 s apart
    assert len(polls) >= 5, (polls, output[-2000:])
    assert max(b - a for a, b in itertools.pairwise(polls)) < 8.0, polls
    status = newsmon(env, "feeds", "status", "--json", "--feeds", str(feeds))
    rows = {row["name"]: row for row in json.loads(status.stdout)}
    for name in HOSTILE:
        row = rows[name]
        assert row["state"] in ("ok", "not_modified") or BUDGET in (row["last_error"] or ""), row
        assert row["last_poll"] is not None, row
    assert rows["healthy"]["failures"] == 0


def _watch(server: FeedServer, run: subprocess.Popen[bytes]) -> list[float]:
    """When the healthy feed was requested, in seconds since its first request, watching for
    ``WATCH_SECONDS`` after it (newsmon's start, spaCy's load, comes first)."""
    deadline = time.monotonic() + 120
    seen: list[float] = []
    count = 0
    while time.monotonic() < deadline and run.poll() is None:
        now = server.requests["/healthy"]
        if now > count:
            seen.extend([time.monotonic()] * (now - count))
            count = now
        if seen and time.monotonic() - seen[0] > WATCH_SECONDS:
            break
        time.sleep(0.05)
    return [t - seen[0] for t in seen]
