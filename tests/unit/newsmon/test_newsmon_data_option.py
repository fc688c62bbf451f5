"""``--data DIR`` on every command that reads data: a directory that does not exist is one line
and exit 1, never a new empty store (only ``newsmon run`` creates a data dir)."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import app

COMMANDS = [
    ["search", "truce"],
    ["stats"],
    ["export"],
    ["reindex"],
    ["replay", "examples/feeds"],
    ["archive", "ls"],
    ["archive", "stats"],
    ["feeds", "status"],
    ["feeds", "enable", "harbour-post"],
    ["subscriptions", "list"],
    ["subscriptions", "show", "truces"],
    ["subscriptions", "remove", "truces"],
    ["subscriptions", "test", "--query", "truce"],
    ["subscriptions", "add", "--id", "t", "--owner", "me", "--query", "truce"],
    ["api"],
]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("NEWSMON_"):
            monkeypatch.delenv(name)
    return CliRunner()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_missing_data_dir_is_an_error_not_a_new_store(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "typo"
    result = runner.invoke(app, [*command, "--data", str(missing)])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines() == [
        f"error: --data {missing}: no such directory (`newsmon run --data DIR` creates one)"
    ]
    assert not missing.exists()


@pytest.mark.parametrize("command", COMMANDS[:3], ids=" ".join)
def test_a_file_is_not_a_data_dir(runner: CliRunner, tmp_path: Path, command: list[str]) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("x")
    result = runner.invoke(app, [*command, "--data", str(file)])
    assert result.exit_code == 1
    assert "not a directory" in result.stderr


def test_an_existing_data_dir_is_read(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["subscriptions", "list", "--json", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "[]"
