from datetime import UTC, datetime

from newsmon.web.inbox import channel_state
from sinks.notify.delivery_log import Delivery
from sinks.notify.pending import PendingItem

AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _delivery(status: str, via: str | None = None, detail: str = "") -> Delivery:
    return Delivery("a1", "0:webhook", "s", status, 1, 3, via, detail, AT, AT)  # type: ignore[arg-type]


def test_each_outcome_reads_as_a_state() -> None:
    sent = channel_state("webhook", _delivery("sent"), None)
    assert (sent.state, sent.text) == ("delivered", "delivered 2026-12-07 08:00 UTC")
    assert channel_state("webhook", _delivery("sent", via="d1"), None).text == (
        "delivered in a digest 2026-12-07 08:00 UTC"
    )
    failed = channel_state("webhook", _delivery("dead", detail="HTTP 500"), None)
    assert (failed.state, failed.text) == ("failed", "failed after 3 attempt(s): HTTP 500")
    assert channel_state("webhook", _delivery("capped"), None).state == "capped"


def test_an_alert_held_for_a_digest_says_until_when() -> None:
    item = PendingItem("s", "a1", b"{}", 1, "digest", AT, 0)
    held = channel_state("email", None, item)
    assert (held.state, held.text) == ("held", "held for a digest until 2026-12-07 08:00 UTC")
    quiet = channel_state("email", None, PendingItem("s", "a1", b"{}", 1, "quiet", AT, 0))
    assert quiet.text == "held for quiet hours until 2026-12-07 08:00 UTC"


def test_nothing_recorded_is_not_delivered_yet() -> None:
    assert channel_state("console", None, None).state == "waiting"
