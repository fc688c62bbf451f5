"""The pure parts of ``newsmon subscriptions``: option parsing and subscription files."""

from pathlib import Path

import pytest

from contract import EmailChannel, WebhookChannel
from newsmon.subscriptions_cli import (
    CliError,
    build_subscription,
    load_file,
    parse_channels,
    parse_digest,
    parse_quiet,
    parse_spike,
)

BASE = {"id": "desk-1", "name": "Desk", "owner": "desk", "query": "topics:ceasefire"}


def test_parse_digest_daily_at_time() -> None:
    assert parse_digest("daily@08:00", "Europe/Paris") == {
        "every": "daily",
        "at": "08:00",
        "tz": "Europe/Paris",
    }


def test_parse_digest_without_time_keeps_the_default() -> None:
    fields = parse_digest("hourly")
    assert fields == {"every": "hourly", "tz": "UTC"}
    sub = build_subscription(
        {**BASE, "channels": [{"type": "kafka", "topic": "t"}], "mode": "digest", "digest": fields}
    )
    assert sub.digest is not None
    assert (sub.digest.every, sub.digest.at) == ("hourly", "08:00")


@pytest.mark.parametrize("value", ["weekly@08:00", "08:00", "@08:00", ""])
def test_parse_digest_refuses_unknown_schedules(value: str) -> None:
    with pytest.raises(CliError, match="daily@HH:MM"):
        parse_digest(value)


def test_digest_time_is_checked_by_the_model() -> None:
    data = {**BASE, "channels": [{"type": "kafka", "topic": "t"}], "mode": "digest"}
    with pytest.raises(CliError, match=r"digest\.at: .*'25:00' is not a time of day"):
        build_subscription({**data, "digest": parse_digest("daily@25:00")})


def test_parse_quiet_overnight() -> None:
    assert parse_quiet("22:00-07:00", "Europe/Paris") == {
        "start": "22:00",
        "end": "07:00",
        "tz": "Europe/Paris",
    }


@pytest.mark.parametrize("value", ["22:00", "22:00-", "-07:00", "22:00 07:00"])
def test_parse_quiet_needs_start_and_end(value: str) -> None:
    with pytest.raises(CliError, match="START-END"):
        parse_quiet(value)


def test_parse_channels_builds_every_channel() -> None:
    channels = parse_channels(
        "https://hooks.example.com/a", "s3cret", ["a@b.org", "c@d.org"], None, "alerts.desk"
    )
    assert [c["type"] for c in channels] == ["webhook", "email", "kafka"]
    sub = build_subscription({**BASE, "channels": channels})
    webhook, email = sub.channels[0], sub.channels[1]
    assert isinstance(webhook, WebhookChannel)
    assert webhook.secret.get_secret_value() == "s3cret"
    assert isinstance(email, EmailChannel)
    assert email.to == ["a@b.org", "c@d.org"]


@pytest.mark.parametrize(("webhook", "secret"), [("https://h.example.com", None), (None, "s")])
def test_parse_channels_webhook_needs_its_secret(webhook: str | None, secret: str | None) -> None:
    with pytest.raises(CliError, match="--webhook and --secret"):
        parse_channels(webhook, secret, [], None, None)


def test_parse_spike_keeps_only_given_options() -> None:
    assert parse_spike(30, None, 4, None) == {"window_minutes": 30, "min_count": 4}
    assert parse_spike(None, None, None, None) == {}


def test_build_subscription_names_unknown_fields_at_any_depth() -> None:
    data = {
        **BASE,
        "channels": [{"type": "kafka", "topic": "t", "partition": 3}],
        "quiet_hour": {"start": "22:00", "end": "07:00"},
    }
    with pytest.raises(CliError) as info:
        build_subscription(data)
    message = str(info.value)
    assert "channels.0.kafka.partition: Extra inputs are not permitted" in message
    assert "quiet_hour: Extra inputs are not permitted" in message


def test_build_subscription_names_missing_fields() -> None:
    with pytest.raises(CliError, match="owner: Field required"):
        build_subscription({"id": "x", "name": "x", "query": "q", "channels": []})


def test_load_file_reads_yaml_and_json(tmp_path: Path) -> None:
    yml = tmp_path / "sub.yaml"
    yml.write_text(
        "id: desk-1\nquery: 'topics:ceasefire'\nchannels:\n  - {type: kafka, topic: t}\n"
    )
    jsn = tmp_path / "sub.json"
    jsn.write_text('{"id": "desk-1", "query": "topics:ceasefire"}')
    assert load_file(yml)[0]["channels"] == [{"type": "kafka", "topic": "t"}]
    assert load_file(jsn) == [{"id": "desk-1", "query": "topics:ceasefire"}]


def test_load_file_reads_a_list_or_a_subscriptions_key(tmp_path: Path) -> None:
    listed = tmp_path / "subs.yaml"
    listed.write_text("- id: a\n- id: b\n")
    keyed = tmp_path / "keyed.yaml"
    keyed.write_text("subscriptions:\n  - id: a\n")
    assert [s["id"] for s in load_file(listed)] == ["a", "b"]
    assert load_file(keyed) == [{"id": "a"}]


def test_load_file_refuses_items_that_are_not_mappings(tmp_path: Path) -> None:
    path = tmp_path / "sub.yaml"
    path.write_text("- id: a\n- just a string\n")
    with pytest.raises(CliError, match="item 2: expected a mapping"):
        load_file(path)


def test_load_file_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CliError, match=r"nope\.yaml"):
        load_file(tmp_path / "nope.yaml")
