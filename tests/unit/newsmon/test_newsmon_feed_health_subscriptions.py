"""A feed-health subscription through the CLI options, a YAML file and the HTTP API; a backtest
of one is refused (it matches no articles)."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from newsmon.api import create_app
from newsmon.cli import app
from newsmon.settings import Settings

HOOK = ["--webhook", "https://hooks.example/in", "--secret", "k"]


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("KAFKA_BOOTSTRAP", "ES_URL", "PERCOLATOR_URL", "MODE"):
        monkeypatch.delenv(f"NEWSMON_{name}", raising=False)
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    return tmp_path


def test_cli_options_and_a_yaml_file_add_feed_health_subscriptions(data: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(app, ["subscriptions", "add", "--feed-health", "--id", "ops",
                                "--owner", "ops", *HOOK])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "added subscription ops (feed-health, immediate, channels: webhook)" in added.output
    both = runner.invoke(app, ["subscriptions", "add", "--feed-health", "--spike", "--id", "x",
                               "--owner", "o", "--query", "a", *HOOK])  # fmt: skip
    assert both.exit_code == 1 and "--spike or --feed-health, not both" in both.output
    yaml = data / "subs.yaml"
    yaml.write_text(
        "- {id: wires, name: Wires, owner: ops, kind: feed-health, query: 'reuters* | ap*',\n"
        "   channels: [{type: console}]}\n"
    )
    from_file = runner.invoke(app, ["subscriptions", "add", "--file", str(yaml)])
    assert from_file.exit_code == 0, from_file.output
    listed = runner.invoke(app, ["subscriptions", "show", "wires", "--json"])
    assert '"kind": "feed-health"' in listed.output and "reuters* | ap*" in listed.output
    tested = runner.invoke(app, ["subscriptions", "test", "ops"])
    assert tested.exit_code == 1
    assert "ops is a feed-health subscription: it matches no articles" in tested.output


def test_the_api_takes_the_kind_and_refuses_to_backtest_it(data: Path) -> None:
    client = TestClient(create_app(Settings(data_dir=data)))
    body = (
        "id: ops\nname: Feed health\nowner: ops\nkind: feed-health\n"
        "channels: [{type: webhook, url: 'https://hooks.example/in', secret: k}]\n"
    )
    created = client.post(
        "/subscriptions", content=body, headers={"Content-Type": "application/yaml"}
    )
    assert created.status_code == 201, created.text
    assert (created.json()["kind"], created.json()["query"]) == ("feed-health", "*")
    refused = client.get("/subscriptions/ops/test")
    assert refused.status_code == 400
    assert "feed-health subscription" in refused.text
