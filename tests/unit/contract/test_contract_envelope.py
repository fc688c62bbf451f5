"""Dead-letter envelopes keep the original payload and say what failed where."""

from contract import ErrorEnvelope, PoisonMessage


def test_wrap_round_trip_keeps_payload_and_error() -> None:
    payload = b'{"id": 1, "bytes": "\xff\x00 not utf-8"}'
    error = PoisonMessage("invalid article: bad", payload, "id")
    envelope = ErrorEnvelope.wrap("processors.enrich", error, "news.articles.raw", payload, "k1")

    back = ErrorEnvelope.model_validate_json(envelope.to_json())

    assert back == envelope
    assert back.payload() == payload
    assert back.stage == "processors.enrich"
    assert back.error_type == "PoisonMessage"
    assert "'id'" in back.error
    assert back.source == "news.articles.raw"
    assert back.key == "k1"
    assert back.at.tzinfo is not None


def test_poison_message_names_field_only_when_given() -> None:
    assert str(PoisonMessage("broken")) == "broken"
    assert str(PoisonMessage("broken", b"", "title")) == "broken (field 'title')"
