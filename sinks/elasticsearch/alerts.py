"""Alerts per story, kept in Elasticsearch (``newsmon-alerts``) so they survive restarts and
every alert worker agrees on them.

The document id is the alert id (subscription + story), so the first copy of a story *creates*
the alert (``op_type=create``: exactly one worker wins) and later copies *update* it, guarded by
``if_seq_no``. A redelivered article that is already in the alert changes nothing and yields the
stored alert again, so an alert is never lost between this store and the ``news.alerts`` topic.
"""

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from elasticsearch import (
    ConflictError,
    Elasticsearch,
    NotFoundError,
    helpers,
)

from contract import Alert, TransientError
from sinks.alerts import build_alert, build_key, with_copy
from sinks.elasticsearch.errors import transient_errors
from sinks.elasticsearch.index import create_if_missing
from sinks.matches import Match

log = logging.getLogger(__name__)

KEYWORD = {"type": "keyword"}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "alert_id": KEYWORD,
        "version": {"type": "integer"},
        "kind": KEYWORD,
        "subscription_id": KEYWORD,
        "owner": KEYWORD,
        "story_id": KEYWORD,
        "article_ids": KEYWORD,
        "sources": KEYWORD,
        "created_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "alert": {"type": "object", "enabled": False},
    },
}


def _document(alert: Alert) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "version": alert.version,
        "kind": alert.kind,
        "subscription_id": alert.subscription_id,
        "owner": alert.owner,
        "story_id": alert.story_id,
        "article_ids": alert.article_ids,
        "sources": alert.sources,
        "created_at": alert.created_at.isoformat(),
        "updated_at": alert.updated_at.isoformat(),
        "alert": alert.model_dump(mode="json"),
    }


class AlertStore:
    """Record matches as per-story alerts; list alerts for the API."""

    def __init__(self, es: Elasticsearch, index: str = "newsmon-alerts") -> None:
        self.es = es
        self.index = index

    def setup(self) -> None:
        """Create the index if it is missing (idempotent)."""
        if create_if_missing(self.es, self.index, MAPPINGS):
            self.es.indices.put_mapping(index=self.index, properties=MAPPINGS["properties"])

    def record(self, matches: Sequence[Match], now: datetime) -> list[Alert]:
        """Turn matches into alerts to publish: new ones, updates, and redelivered ones again.

        Raises:
            TransientError: Elasticsearch is unreachable or overloaded (retry the batch).
        """
        with transient_errors(f"recording {len(matches)} alerts"):
            return self._record(matches, now)

    def _record(self, matches: Sequence[Match], now: datetime) -> list[Alert]:
        # Within a batch, later copies of a story fold into the first (one create, then updates).
        fresh: dict[str, Alert] = {}
        first: dict[str, Match] = {}
        later: list[tuple[str, Match]] = []
        for match in matches:
            aid = build_key(match)
            if aid in fresh:
                later.append((aid, match))
            else:
                fresh[aid], first[aid] = build_alert(match, now), match
        created: set[str] = set()
        if fresh:
            actions = [
                {
                    "_op_type": "create",
                    "_index": self.index,
                    "_id": a.alert_id,
                    "_source": _document(a),
                }
                for a in fresh.values()
            ]
            for ok, item in helpers.streaming_bulk(
                self.es, actions, raise_on_error=False, raise_on_exception=True
            ):
                result = item["create"]
                if ok:
                    created.add(result["_id"])
                elif result.get("status") != 409:
                    raise TransientError(f"alert {result['_id']}: {result.get('error')}")
        out = {
            aid: alert if aid in created else self._add_copy(aid, first[aid], now)
            for aid, alert in fresh.items()
        }
        for aid, match in later:
            out[aid] = self._add_copy(aid, match, now)
        return list(out.values())

    def _add_copy(self, aid: str, match: Match, now: datetime) -> Alert:
        """Add one more copy of the story to a stored alert (optimistic concurrency)."""
        article = match.article
        for _ in range(10):
            hit = self.es.get(index=self.index, id=aid)
            stored = Alert.model_validate(hit["_source"]["alert"])
            updated = with_copy(stored, article, now)
            if updated is None:
                return stored  # redelivery: publish the same version again
            try:
                self.es.index(
                    index=self.index,
                    id=aid,
                    document=_document(updated),
                    if_seq_no=hit["_seq_no"],
                    if_primary_term=hit["_primary_term"],
                )
            except ConflictError:
                continue
            return updated
        raise TransientError(f"alert {aid}: too many concurrent updates")

    def create(self, alert: Alert) -> bool:
        """Store ``alert`` unless one with its id exists (``op_type=create``). True if new.

        Raises:
            TransientError: Elasticsearch is unreachable or overloaded.
        """
        try:
            with transient_errors(f"creating alert {alert.alert_id}"):
                self.es.index(
                    index=self.index,
                    id=alert.alert_id,
                    document=_document(alert),
                    op_type="create",
                )
        except ConflictError:
            return False
        return True

    def get(self, aid: str) -> Alert | None:
        """One alert by id."""
        try:
            with transient_errors(f"reading alert {aid}"):
                hit = self.es.get(index=self.index, id=aid)
        except NotFoundError:
            return None
        return Alert.model_validate(hit["_source"]["alert"])

    def search(
        self,
        *,
        subscription_id: str | None = None,
        owner: str | None = None,
        since: datetime | None = None,
        size: int = 50,
    ) -> list[Alert]:
        """The newest alerts first, filtered by subscription, owner and update time."""
        filters: list[dict[str, Any]] = []
        if subscription_id:
            filters.append({"term": {"subscription_id": subscription_id}})
        if owner:
            filters.append({"term": {"owner": owner}})
        if since:
            filters.append({"range": {"updated_at": {"gte": since.isoformat()}}})
        page = self.es.search(
            index=self.index,
            query={"bool": {"filter": filters}},
            sort=[{"updated_at": "desc"}, {"alert_id": "asc"}],
            size=size,
            ignore_unavailable=True,
        )
        return [Alert.model_validate(h["_source"]["alert"]) for h in page["hits"]["hits"]]
