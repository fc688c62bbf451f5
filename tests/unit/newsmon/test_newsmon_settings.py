"""Settings: NEWSMON_* overrides, validation, and a description with secrets masked."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from newsmon.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NEWSMON_* from the developer's shell leaks into these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("NEWSMON_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = Settings()
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.partitions == 4
    assert settings.topics == (
        "news.articles.polled",
        "news.articles.raw",
        "news.replay.raw",
        "news.articles.enriched",
        "news.dlq",
        "news.alerts",
    )
    assert settings.subscriptions_url == settings.es_url


def test_env_vars_override_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSMON_KAFKA_BOOTSTRAP", "kafka-1:9093,kafka-2:9093")
    monkeypatch.setenv("NEWSMON_PARTITIONS", "12")
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSMON_PROCESS_BATCH_WAIT", "0.25")
    monkeypatch.setenv("NEWSMON_ES_PASSWORD", "hunter2")
    settings = Settings()
    assert settings.kafka_bootstrap == "kafka-1:9093,kafka-2:9093"
    assert settings.partitions == 12
    assert settings.state_db == tmp_path / "feeds.sqlite3"
    assert settings.process_batch_wait == 0.25
    assert settings.es_password is not None
    assert settings.es_password.get_secret_value() == "hunter2"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NEWSMON_PARTITIONS", "0"),
        ("NEWSMON_PARTITIONS", "many"),
        ("NEWSMON_PROCESS_BATCH_SIZE", "-1"),
        ("NEWSMON_PROCESS_BATCH_WAIT", "0"),
        ("NEWSMON_FETCH_MAX_BYTES", "10"),
    ],
)
def test_invalid_values_raise(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    field = name.removeprefix("NEWSMON_").lower()
    with pytest.raises(ValidationError, match=field):
        Settings()


def test_describe_masks_secrets_and_lists_every_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_ES_PASSWORD", "hunter2")
    monkeypatch.setenv("NEWSMON_ES_API_KEY", "c2VjcmV0")
    rows = Settings().describe()
    by_env = {env: (value, meaning) for env, value, meaning in rows}
    assert set(by_env) == {f"NEWSMON_{name.upper()}" for name in Settings.model_fields}
    assert by_env["NEWSMON_ES_PASSWORD"][0] == "***"
    assert by_env["NEWSMON_ES_API_KEY"][0] == "***"
    assert all("hunter2" not in value and "c2VjcmV0" not in value for _, value, _ in rows)
    assert by_env["NEWSMON_ES_USERNAME"][0] == ""
    assert by_env["NEWSMON_PARTITIONS"][0] == "4"
    assert all(meaning for _, _, meaning in rows)


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.partitions = 9  # type: ignore[misc]


def test_default_data_files_are_the_bundled_ones() -> None:
    import processors.gazetteer
    import processors.taxonomy

    settings = Settings()
    assert settings.taxonomy.resolve() == processors.taxonomy.DEFAULT_PATH.resolve()
    assert settings.gazetteer.resolve() == processors.gazetteer.DEFAULT_PATH.resolve()
