"""``newsmon api`` in the embedded mode: the same operations over the SQLite files."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contract import Article
from newsmon.api import create_app
from newsmon.settings import Settings
from sinks.sqlite.articles import SqliteArticleStore

SUB = {
    "id": "truces",
    "name": "Truces",
    "owner": "desk",
    "query": "truce OR ceasefire",
    "channels": [{"type": "webhook", "url": "https://hooks.example/x", "secret": "s3cret"}],
}


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("KAFKA_BOOTSTRAP", "ES_URL", "PERCOLATOR_URL", "MODE"):
        monkeypatch.delenv(f"NEWSMON_{name}", raising=False)
    return Settings(data_dir=tmp_path)


def test_subscriptions_backtests_alerts_and_health(
    settings: Settings, make_article: Callable[..., Article]
) -> None:
    now = datetime.now(UTC)
    SqliteArticleStore(settings.articles_db).write_batch(
        [make_article(text="A truce took hold.", published=now, fetched_at=now)]
    )
    client = TestClient(create_app(settings))
    assert client.get("/healthz").json() == {"status": "ok", "clusters": {"embedded": "green"}}
    created = client.post("/subscriptions", json=SUB)
    assert created.status_code == 201, created.text
    assert created.json()["channels"][0]["secret"] == "**********"
    assert client.post("/subscriptions", json=SUB).status_code == 409
    bad = client.post("/subscriptions", json={**SUB, "id": "bad", "query": "topics:(a AND"})
    assert bad.status_code == 400
    assert [s["id"] for s in client.get("/subscriptions").json()] == ["truces"]
    backtest = client.get("/subscriptions/truces/test", params={"days": 2}).json()
    assert (backtest["articles"], backtest["stories"]) == (1, 1)
    assert client.get("/alerts").json() == []
    assert client.delete("/subscriptions/truces").status_code == 204
    assert client.get("/subscriptions/truces").status_code == 404
