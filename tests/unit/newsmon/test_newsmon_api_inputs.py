"""``newsmon api`` takes what the CLI takes: ``since`` as the CLI's ``--since``, subscriptions in
every shape ``newsmon subscriptions add --file`` reads."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from contract import Alert
from newsmon.api import create_app
from newsmon.cli import app
from newsmon.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("KAFKA_BOOTSTRAP", "ES_URL", "PERCOLATOR_URL", "MODE"):
        monkeypatch.delenv(f"NEWSMON_{name}", raising=False)
    return Settings(data_dir=tmp_path)


def _alert(aid: str, updated: datetime) -> Alert:
    return Alert(alert_id=aid, subscription_id="s", created_at=updated, updated_at=updated)


@pytest.fixture
def client(settings: Settings) -> TestClient:
    app = create_app(settings)
    now = datetime.now(UTC)
    alerts = app.state.backend.alerts
    alerts.setup()
    alerts.create(_alert("old", datetime(2026, 1, 5, 12, tzinfo=UTC)))
    alerts.create(_alert("day", now - timedelta(days=3)))
    alerts.create(_alert("hour", now - timedelta(minutes=30)))
    return TestClient(app)


@pytest.mark.parametrize(
    ("since", "ids"),
    [
        ("2026-01-05", ["hour", "day", "old"]),  # a date: midnight UTC
        ("2026-01-05T13:00:00", ["hour", "day"]),  # no zone: UTC
        ("2026-01-05T13:00:00+02:00", ["hour", "day", "old"]),  # 11:00 UTC
        ("7d", ["hour", "day"]),
        ("12h", ["hour"]),
        ("1d12h", ["hour"]),
    ],
)
def test_alerts_since_takes_what_the_cli_takes(
    client: TestClient, since: str, ids: list[str]
) -> None:
    response = client.get("/alerts", params={"since": since})
    assert response.status_code == 200, response.text
    assert [a["alert_id"] for a in response.json()] == ids


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "7", "-3d", ""])
def test_a_bad_since_is_a_400_naming_it(client: TestClient, since: str) -> None:
    response = client.get("/alerts", params={"since": since})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("since: ") and "\n" not in detail


EXAMPLES = Path(__file__).parents[3] / "examples" / "subscriptions.yaml"
ONE = {
    "id": "truces",
    "name": "Truces",
    "owner": "desk",
    "query": "truce OR ceasefire",
    "mode": "digest",
    "digest": {"every": "daily", "at": "08:00", "tz": "Europe/London"},
    "channels": [{"type": "webhook", "url": "https://hooks.example/x", "secret": "s3cret"}],
}
BODIES = {
    "the examples file, YAML": EXAMPLES.read_text(encoding="utf-8"),
    "the examples file, JSON": orjson.dumps(yaml.safe_load(EXAMPLES.read_text())).decode(),
    "one mapping, JSON": orjson.dumps(ONE).decode(),
    "one mapping, YAML": yaml.safe_dump(ONE),
    "a subscriptions key": yaml.safe_dump({"subscriptions": [ONE]}),
}


def _cli_adds(runner: CliRunner, data: Path, body: str) -> list[dict[str, Any]]:
    file = data / "input.yaml"
    file.write_text(body, encoding="utf-8")
    added = runner.invoke(app, ["subscriptions", "add", "--file", str(file), "--data", str(data)])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["subscriptions", "list", "--json", "--data", str(data)])
    return [_without_time(s) for s in orjson.loads(listed.stdout)]


def _without_time(subscription: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in subscription.items() if k != "created_at"}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_post_accepts_every_file_the_cli_accepts(
    body: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("NEWSMON_"):
            monkeypatch.delenv(name)
    cli_dir, api_dir = tmp_path / "cli", tmp_path / "api"
    cli_dir.mkdir()
    by_cli = _cli_adds(CliRunner(), cli_dir, body)
    client = TestClient(create_app(Settings(data_dir=api_dir)))
    posted = client.post(
        "/subscriptions", content=body.encode(), headers={"content-type": "application/yaml"}
    )
    assert posted.status_code == 201, posted.text
    by_api = [_without_time(s) for s in client.get("/subscriptions").json()]
    assert by_api == by_cli
    single = isinstance(yaml.safe_load(body), dict) and "subscriptions" not in yaml.safe_load(body)
    assert isinstance(posted.json(), dict) == single  # one in, one out; a list in, a list out
    again = client.post("/subscriptions", content=body.encode())
    assert again.status_code == 409
    replaced = client.post("/subscriptions", params={"replace": "true"}, content=body.encode())
    assert replaced.status_code == 201, replaced.text


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ("[{id: a", 400, "body: not YAML or JSON"),
        ("- just a string", 400, "body: item 1: expected a mapping"),
        ("[]", 400, "body: no subscriptions"),
        (orjson.dumps([ONE, {**ONE, "id": "two", "quiet_hour": {}}]).decode(), 422, "1.quiet_hour"),
        (orjson.dumps([ONE, {**ONE, "id": "two", "query": "a AND ("}]).decode(), 400, ""),
        (orjson.dumps([ONE, ONE]).decode(), 400, "item 2: id 'truces' given twice"),
    ],
)
def test_a_bad_body_stores_nothing(settings: Settings, body: str, status: int, names: str) -> None:
    client = TestClient(create_app(settings))
    response = client.post("/subscriptions", content=body.encode())
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if status == 422:
        assert names in [".".join(map(str, e["loc"])) for e in detail]
    else:
        assert detail.startswith(names)
    assert client.get("/subscriptions").json() == []
