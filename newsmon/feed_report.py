"""One feed's latest state as plain data: the rows of ``newsmon feeds status --json``.

Kept apart from the CLI so the feed-health rows (:mod:`newsmon.feed_health`), the web view and
the CLI build on the same shape.
"""

from datetime import UTC, datetime
from typing import Any

from ingest import FeedState
from ingest.normalize import SKIPS


def _epoch(value: float | None) -> str | None:
    if value is None or value <= 0 or value == float("inf"):
        return None
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds")


def feed_report(url: str, name: str | None, state: FeedState | None) -> dict[str, Any]:
    """One feed's health as plain data (the ``--json`` shape)."""
    if state is None:
        state = FeedState()
    issues = dict(state.issues)
    if state.disabled:
        status = "disabled"
    elif state.last_status:
        status = state.last_status
    else:
        status = "never" if state.last_poll is None and state.last_ok is None else "ok"
    return {
        "name": name or state.name or url,
        "url": url,
        "fetch_url": state.fetch_url or url,
        "state": status,
        "last_poll": _epoch(state.last_poll),
        "last_ok": _epoch(state.last_ok),
        "last_error": state.last_error,
        "disabled": state.disabled,
        "next_due": None if state.disabled else _epoch(state.next_due),
        "failures": state.failures,
        "articles": state.articles,
        "skipped": {k: v for k, v in sorted(issues.items()) if k in SKIPS},
        "repaired": {k: v for k, v in sorted(issues.items()) if k not in SKIPS},
        "notes": list(state.notes),
    }
