"""``newsmon subscriptions test``: the backtest table, its samples, and what it did not show."""

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contract import Article
from newsmon.cli import app
from newsmon.settings import Settings
from sinks.backtest import SAMPLES
from sinks.sqlite.articles import SqliteArticleStore


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("NEWSMON_"):
            monkeypatch.delenv(name)
    return CliRunner()


def test_subscriptions_test_says_how_many_stories_it_did_not_show(
    runner: CliRunner, tmp_path: Path, make_article: Callable[..., Article]
) -> None:
    now = datetime.now(UTC)
    SqliteArticleStore(Settings(data_dir=tmp_path).articles_db).write_batch(
        [
            make_article(
                url=f"https://example.com/truce-{n}",
                title=f"Truce number {n}",
                text="A truce took hold.",
                story_id=f"story-{n}",
                published=now - timedelta(hours=n),
                fetched_at=now,
            )
            for n in range(SAMPLES + 3)
        ]
    )
    result = runner.invoke(
        app, ["subscriptions", "test", "--query", "truce", "--data", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert f"would have alerted on {SAMPLES + 3} stories" in result.stdout
    assert result.stdout.count("Truce number") == SAMPLES
    assert result.stdout.rstrip().endswith("+3 more stories")
