"""`newsmon feeds status|enable`: every feed's health from the poller's state, no server."""

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest import FeedState, FeedStateStore
from newsmon.cli import app

OK = "https://ok.example/rss"
GONE = "https://gone.example/rss"
NEVER = "https://new.example/rss"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir with one healthy feed (skips, a move, a note) and one disabled by a 410."""
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    now = time.time()
    with FeedStateStore(tmp_path / "feeds.sqlite3") as store:
        store.commit(
            OK,
            FeedState(
                next_due=now + 600,
                last_ok=now - 60,
                name="Ok [b]News[/b]",
                fetch_url="https://ok.example/new-rss",
                articles=12,
                issues={"no-link": 2, "bad-date": 1},
                notes=("encoding: declared utf-8 (HTTP) but ...",),
                last_status="ok",
                last_poll=now - 60,
            ),
            [],
        )
        store.record_failure(
            GONE,
            "feed 'Gone': HTTP 410 Gone from https://gone.example/rss; feed disabled",
            now + 10**6,
            name="Gone",
            disabled="HTTP 410 Gone since 2026-12-06 10:00 UTC",
        )
    return tmp_path


def test_status_json_lists_every_feed(data: Path) -> None:
    result = CliRunner().invoke(app, ["feeds", "status", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["url"]: row for row in json.loads(result.output)}
    ok, gone = rows[OK], rows[GONE]
    assert (ok["name"], ok["state"], ok["articles"], ok["failures"]) == (
        "Ok [b]News[/b]",
        "ok",
        12,
        0,
    )
    assert ok["skipped"] == {"no-link": 2} and ok["repaired"] == {"bad-date": 1}
    assert ok["fetch_url"] == "https://ok.example/new-rss"
    assert ok["last_ok"] is not None and ok["next_due"] is not None
    assert ok["notes"] == ["encoding: declared utf-8 (HTTP) but ..."]
    assert (gone["state"], gone["failures"], gone["next_due"]) == ("disabled", 1, None)
    assert gone["last_error"].endswith("; feed disabled")


def test_status_with_the_feeds_file_shows_feeds_never_polled(data: Path, tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"- {{url: '{NEVER}', name: New}}\n- {{url: '{OK}', name: Ok}}\n")
    result = CliRunner().invoke(app, ["feeds", "status", "--json", "--feeds", str(feeds)])
    rows = json.loads(result.output)
    assert [(r["name"], r["state"]) for r in rows] == [("New", "never"), ("Ok", "ok")]


def test_status_table_is_readable_text(data: Path) -> None:
    result = CliRunner().invoke(app, ["feeds", "status"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Ok [b]News[/b]" in result.output  # a name is data, not markup
    assert "HTTP 410 Gone" in result.output and "moved permanently to" in result.output
    assert "2 no-link" in result.output and "entries repaired: 1 bad-date" in result.output


def test_enable_a_disabled_feed(data: Path) -> None:
    assert CliRunner().invoke(app, ["feeds", "enable", "Ok [b]News[/b]"]).exit_code == 1
    result = CliRunner().invoke(app, ["feeds", "enable", "Gone"])
    assert result.exit_code == 0, result.output
    with FeedStateStore(data / "feeds.sqlite3") as store:
        assert store.get(GONE).disabled is None
    missing = CliRunner().invoke(app, ["feeds", "enable", "Nope"])
    assert missing.exit_code == 1 and "no feed 'Nope'" in missing.output


def test_a_data_dir_without_feed_state_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["feeds", "status", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert "no feed state in" in result.output
