"""Every table newsmon prints reads in an 80-column terminal, on the data of a real run of the
demo: no column cut to an ellipsis or folded a character or two per line."""

import os
from pathlib import Path

import pytest
from narrow_tables import crushed_columns, printed_tables
from rich.table import Table
from run_support import REPO, embedded_env, newsmon
from typer.testing import CliRunner

from newsmon import console
from newsmon.cli import app
from newsmon.reindex_cli import print_diff
from sinks.reindex_diff import EntityChange, SubscriptionChange, TopicChange, VersionDiff

FEEDS = REPO / "examples" / "feeds.yaml"
SUBSCRIPTIONS = REPO / "examples" / "subscriptions.yaml"

COMMANDS = [
    ["feeds", "status", "--feeds", str(FEEDS)],
    ["subscriptions", "list"],
    ["subscriptions", "test", "ceasefire-watch", "--days", "30"],
    ["subscriptions", "test", "--query", "topics:ceasefire OR countries:Ukraine", "--days", "14"],
    ["stats", "--since", "30d"],
    ["config"],
    ["taxonomy", "list"],
]
"""Not here: `archive ls` prints one line a file however wide on purpose (a cut file name names
no file) and the demo's local feeds leave no archive; `replay --query` and `eval` need a corpus."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir after `newsmon run --once` of the README's demo."""
    data = tmp_path_factory.mktemp("demo") / "data"
    env = embedded_env(data)
    ran = newsmon(
        env, "run", "--once", "--feeds", str(FEEDS), "--subscriptions", str(SUBSCRIPTIONS)
    )
    assert ran.returncode == 0, ran.stderr
    return data


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("NEWSMON_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "80")
    return CliRunner()


def _tables(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, args: list[str], data: Path
) -> list[Table]:
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(data))
    with printed_tables(monkeypatch, console.out) as tables:
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    print(result.stdout)  # shown when the test fails: what a user would see
    return tables


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_each_table_reads_at_80_columns(
    demo: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    tables = _tables(runner, monkeypatch, args, demo)
    assert tables, "no table printed"
    for table in tables:
        assert crushed_columns(table, 80) == []


def test_the_reindex_diff_reads_at_80_columns(
    monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    long_title = "Negotiators for Congo and the M23 rebels return to Doha for talks since August"
    diff = VersionDiff(
        old_articles=37,
        new_articles=37,
        changed=3,
        only_new=0,
        only_old=0,
        topics=[
            TopicChange(
                topic="humanitarian-crisis",
                added=2,
                removed=1,
                added_examples=[long_title, long_title],
                removed_examples=[long_title],
            )
        ],
        entities=[
            EntityChange(
                label="ORGANIZATION",
                gained=4,
                lost=2,
                gained_examples=["Democratic Republic of the Congo"],
            )
        ],
        subscriptions=[
            SubscriptionChange(
                id="cross-border-strikes-spike",
                query='topics:"cross-border-strikes" AND countries:(Ukraine OR Russia)',
                old=3,
                new=5,
            )
        ],
    )
    with printed_tables(monkeypatch, console.out) as tables:
        print_diff(diff)
    assert len(tables) == 3
    for table in tables:
        assert crushed_columns(table, 80) == []
