"""The delivery log: idempotent records, one pending item per alert, claims across connections."""

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sinks.notify import DeliveryLog

T0 = datetime(2024, 5, 24, 10, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _queue(log: DeliveryLog, alert: str, body: bytes = b"{}", version: int = 1) -> None:
    log.add_pending(
        "sub-1",
        alert,
        body,
        version=version,
        reason="digest",
        due_at=T0,
        at=T0 - timedelta(hours=1),
    )


def test_record_is_idempotent_per_alert_and_channel(delivery_log: DeliveryLog) -> None:
    delivery_log.record("a1", "0:webhook", "sub-1", "sent", version=1, attempts=2, at=T0)
    delivery_log.record("a1", "0:webhook", "sub-1", "sent", version=1, attempts=1, at=T0)
    delivery_log.record("a1", "1:email", "sub-1", "dead", version=1, attempts=6, at=T0)
    records = delivery_log.deliveries("a1")
    assert sorted(records) == ["0:webhook", "1:email"]
    assert (records["0:webhook"].status, records["0:webhook"].attempts) == ("sent", 3)
    assert records["1:email"].status == "dead"
    assert records["0:webhook"].first_at == T0
    assert delivery_log.deliveries("other") == {}
    assert delivery_log.delivered("0:webhook", ["a1", "a2"]) == {"a1"}
    assert delivery_log.counts() == {"sent": 1, "dead": 1, "pending": 0}


def test_an_update_replaces_the_pending_item_never_adds_one(delivery_log: DeliveryLog) -> None:
    _queue(delivery_log, "a1", b'{"v": 1}')
    assert delivery_log.replace_pending("sub-1", "a1", b'{"v": 2}', 2)
    _queue(delivery_log, "a1", b'{"v": 1, "late": true}', version=1)  # an older copy: ignored
    assert not delivery_log.replace_pending("sub-1", "a2", b"{}", 2)
    [item] = delivery_log.pending_items("sub-1")
    assert (item.alert_id, item.alert_json, item.version) == ("a1", b'{"v": 2}', 2)


def test_claim_mark_and_finish(delivery_log: DeliveryLog) -> None:
    for alert in ("a1", "a2"):
        _queue(delivery_log, alert)
    delivery_log.add_pending(
        "sub-1", "later", b"{}", version=1, reason="digest", due_at=T0 + timedelta(hours=1), at=T0
    )
    assert delivery_log.due_subscriptions(T0 - timedelta(seconds=1)) == []
    assert delivery_log.due_subscriptions(T0) == ["sub-1"]
    claim = delivery_log.claim_due("sub-1", T0, LEASE)
    assert claim is not None
    assert [i.alert_id for i in claim.items] == ["a1", "a2"]
    assert delivery_log.due_subscriptions(T0) == []  # claimed
    delivery_log.mark_digest_sent(claim, "0:webhook", "d-1", ["a1", "a2"], attempts=1, at=T0)
    delivery_log.mark_digest_sent(claim, "1:email", "d-1", ["a1"], attempts=1, at=T0)
    left = delivery_log.finish_claim(claim, ["0:webhook", "1:email"], T0 + timedelta(minutes=1))
    assert left == ["a2"]
    pending = {i.alert_id: i for i in delivery_log.pending_items("sub-1")}
    assert sorted(pending) == ["a2", "later"]
    assert (pending["a2"].attempts, pending["a2"].due_at) == (1, T0 + timedelta(minutes=1))
    assert delivery_log.deliveries("a1")["0:webhook"].via == "d-1"
    assert delivery_log.claim_due("sub-1", T0, LEASE) is None  # a2 waits for its retry time


def test_claims_hold_across_connections_until_the_lease_ends(tmp_path: Path) -> None:
    first, second = DeliveryLog(tmp_path / "n.sqlite3"), DeliveryLog(tmp_path / "n.sqlite3")
    try:
        _queue(first, "a1")
        assert [i.alert_id for i in second.pending_items("sub-1")] == ["a1"]
        claim = first.claim_due("sub-1", T0, LEASE)
        assert claim is not None
        assert second.claim_due("sub-1", T0 + timedelta(minutes=4), LEASE) is None
        # The first process died after sending: the lease runs out and the same items return.
        retaken = second.claim_due("sub-1", T0 + LEASE, LEASE)
        assert retaken is not None and retaken.items == claim.items
        second.record("a1", "0:kafka", "sub-1", "sent", version=1, attempts=1, at=T0)
        assert first.deliveries("a1")["0:kafka"].status == "sent"
    finally:
        first.close()
        second.close()


def test_concurrent_claims_never_share_an_item(tmp_path: Path) -> None:
    setup = DeliveryLog(tmp_path / "n.sqlite3")
    for i in range(20):
        _queue(setup, f"a{i:02d}")
    setup.close()
    claimed: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        log = DeliveryLog(tmp_path / "n.sqlite3")
        claim = log.claim_due("sub-1", T0, LEASE)
        log.close()
        if claim is not None:
            with lock:
                claimed.extend(i.alert_id for i in claim.items)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == [f"a{i:02d}" for i in range(20)]


def test_pushed_since_counts_sent_and_held_alerts_once(delivery_log: DeliveryLog) -> None:
    yesterday = T0 - timedelta(days=1)
    delivery_log.record("old", "0:webhook", "sub-1", "sent", version=1, attempts=1, at=yesterday)
    for key in ("0:webhook", "1:email"):
        delivery_log.record("a1", key, "sub-1", "sent", version=1, attempts=1, at=T0)
    delivery_log.record("a2", "0:webhook", "sub-1", "capped", version=1, attempts=0, at=T0)
    delivery_log.add_pending(
        "sub-1", "held", b"{}", version=1, reason="quiet", due_at=T0 + timedelta(hours=8), at=T0
    )
    assert delivery_log.pushed_since("sub-1", T0 - timedelta(hours=1)) == 2
    assert delivery_log.pushed_since("sub-2", T0 - timedelta(hours=1)) == 0


def test_drop_pending_records_skips(delivery_log: DeliveryLog) -> None:
    _queue(delivery_log, "a1")
    assert delivery_log.drop_pending("sub-1", T0, "subscription unknown or disabled") == ["a1"]
    assert delivery_log.pending_items("sub-1") == []
    assert delivery_log.deliveries("a1")["-"].status == "skipped"


def test_prune_forgets_old_deliveries(delivery_log: DeliveryLog) -> None:
    delivery_log.record("a1", "0:webhook", "sub-1", "sent", version=1, attempts=1, at=T0)
    assert delivery_log.prune(T0) == 0
    assert delivery_log.prune(T0 + timedelta(seconds=1)) == 1
    assert delivery_log.deliveries("a1") == {}
