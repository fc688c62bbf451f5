"""Webhook signatures (a published HMAC-SHA256 vector) and the canonical payload they cover."""

import math
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from contract import Alert, SpikeNumbers, Subscription
from sinks.notify import Notice, sign, verify_signature
from sinks.notify.payload import payload_bytes

# RFC-style vector from the HMAC article: HMAC_SHA256("key", "The quick brown fox ...").
FOX = b"The quick brown fox jumps over the lazy dog"
FOX_SIGNATURE = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"


def test_known_vector() -> None:
    assert sign("key", FOX) == FOX_SIGNATURE
    assert verify_signature("key", FOX, FOX_SIGNATURE)


def test_verification_refuses_tampering_and_wrong_keys() -> None:
    assert not verify_signature("key", FOX + b".", FOX_SIGNATURE)
    assert not verify_signature("other", FOX, FOX_SIGNATURE)
    assert not verify_signature("key", FOX, FOX_SIGNATURE.removeprefix("sha256="))
    assert not verify_signature("key", FOX, None)
    assert not verify_signature("key", FOX, "")


def test_alert_payload_is_canonical(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    alert = make_alert()
    body = payload_bytes(Notice.single(make_subscription(), alert))
    data = orjson.loads(body)
    assert (data["alert_id"], data["version"], data["event"]) == (alert.alert_id, 1, "alert")
    assert data["article"]["url"] == alert.article.url  # type: ignore[union-attr]
    assert list(data) == sorted(data)
    assert orjson.dumps(data, option=orjson.OPT_SORT_KEYS) == body
    again = Alert.model_validate_json(alert.to_json())
    assert payload_bytes(Notice.single(make_subscription(), again)) == body


def test_digest_payload_lists_every_alert_with_a_stable_id(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    sub = make_subscription()
    alerts = [make_alert(f"story-{i}") for i in range(3)]
    notice = Notice.digest(sub, alerts)
    data = orjson.loads(payload_bytes(notice))
    assert data["event"] == "digest"
    assert data["alert_id"] == data["digest_id"] == notice.id
    assert data["count"] == 3
    assert sorted(data["alert_ids"]) == sorted(a.alert_id for a in alerts)
    assert Notice.digest(sub, reversed(alerts)).id == notice.id
    assert Notice.digest(sub, alerts[:2]).id != notice.id


def test_infinite_spike_factor_is_valid_json(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    now = datetime(2024, 5, 24, tzinfo=UTC)
    spike = SpikeNumbers(
        window_start=now,
        window_end=now,
        stories=6,
        articles=9,
        baseline=[0, 0],
        baseline_mean=0.0,
        factor=math.inf,
        threshold_factor=3.0,
        min_count=5,
    )
    body = payload_bytes(Notice.single(make_subscription(), make_alert(kind="spike", spike=spike)))
    assert orjson.loads(body)["spike"]["factor"] is None
