"""``newsmon api`` takes what the CLI takes: ``since`` as the CLI's ``--since``, subscriptions in
every shape ``newsmon subscriptions add --file`` reads."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contract import Alert
from newsmon.api import create_app
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
