"""Writes feed polls (:class:`contract.FeedPoll`) to ``newsmon-feed-polls`` for Kibana.

The index is created with the committed mapping if missing. A document's id is a hash of the
feed URL and the poll time, so writing a poll twice (a retry after a timeout whose request did
land) never counts it twice. Transient failures raise :class:`contract.TransientError`: the
poller logs them and goes on (the state database keeps every poll regardless).
"""

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from elasticsearch import Elasticsearch

from contract import FeedPoll, TransientError
from sinks.base import Rejected, Sink, WriteReport
from sinks.elasticsearch.errors import transient_errors
from sinks.elasticsearch.feed_polls_mapping import FEED_POLLS_INDEX, FEED_POLLS_MAPPINGS
from sinks.elasticsearch.index import create_if_missing

log = logging.getLogger(__name__)


def poll_id(poll: FeedPoll) -> str:
    """The document id of a poll: stable for the same feed and time."""
    return hashlib.sha256(f"{poll.url}\x1f{poll.polled_at.isoformat()}".encode()).hexdigest()[:32]


class FeedPollIndex(Sink[FeedPoll]):
    """Bulk-indexes feed polls.

    Args:
        es: the article cluster's client.
        index: the index name (``newsmon-feed-polls`` unless the settings say otherwise).
        refresh: refresh after each bulk (tests).
    """

    def __init__(
        self, es: Elasticsearch, index: str = FEED_POLLS_INDEX, refresh: bool = False
    ) -> None:
        self.es = es
        self.index = index
        self.refresh = refresh

    def setup(self) -> None:
        """Create the index if it is missing (idempotent).

        Raises:
            TransientError: Elasticsearch is unreachable or overloaded.
        """
        with transient_errors(f"creating index {self.index}"):
            create_if_missing(self.es, self.index, FEED_POLLS_MAPPINGS)

    def write_batch(self, items: Sequence[FeedPoll]) -> WriteReport[FeedPoll]:
        """Index ``items`` in one bulk request.

        Raises:
            TransientError: the request failed or some documents were refused for a reason
                worth retrying (429, 5xx).
        """
        report: WriteReport[FeedPoll] = WriteReport()
        if not items:
            return report
        operations: list[dict[str, Any]] = []
        for poll in items:
            operations.append({"index": {"_index": self.index, "_id": poll_id(poll)}})
            operations.append(poll.model_dump(mode="json"))
        with transient_errors(f"indexing {len(items)} feed poll(s)"):
            response = self.es.bulk(operations=operations, refresh=self.refresh)
        retry = 0
        for poll, item in zip(items, response["items"], strict=True):
            result = next(iter(item.values()))
            status = int(result.get("status", 500))
            if status < 300:
                report.written += 1
            elif status == 429 or status >= 500:
                retry += 1
            else:
                reason = str(result.get("error", {}).get("reason", result.get("error")))
                log.error("feed poll of %r rejected by elasticsearch: %s", poll.feed, reason)
                report.rejected.append(Rejected(poll, reason))
        if retry:
            raise TransientError(f"elasticsearch refused {retry} feed poll(s) for now")
        return report

    def close(self) -> None:
        """Close the client's connections."""
        self.es.close()
