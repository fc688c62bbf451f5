"""The percolator's embedded twin: every enabled subscription evaluated in Python.

The same queries (compiled by :mod:`sinks.lucene.evaluate`, which mirrors Elasticsearch's
query_string) against the same percolated document, giving the same :class:`Match` objects
with highlights, so alerts and their explanations are built by the same code in both modes.
"""

import logging
from collections.abc import Callable, Sequence

from contract import Article, InvalidQuery, Subscription
from sinks.documents import percolate_document
from sinks.lucene.evaluate import CompiledQuery, DocumentView, compile_query
from sinks.matches import Match

log = logging.getLogger(__name__)


class EmbeddedMatcher:
    """Match batches of articles against the enabled subscriptions of one kind.

    Args:
        subscriptions: returns the subscriptions of a kind (re-read on every batch, so an edit
            made while ``newsmon run`` runs applies to the next batch).
    """

    def __init__(self, subscriptions: Callable[[str], list[Subscription]]) -> None:
        self.subscriptions = subscriptions

    def _compiled(self, kind: str) -> list[tuple[Subscription, CompiledQuery]]:
        compiled = []
        for subscription in self.subscriptions(kind):
            if not subscription.enabled:
                continue
            try:
                compiled.append((subscription, compile_query(subscription.query)))
            except InvalidQuery as exc:  # stored by an older version: skip it, say so
                log.warning("subscription %s skipped: %s", subscription.id, exc)
        return compiled

    def match(self, articles: Sequence[Article], kind: str = "match") -> list[Match]:
        """Every (subscription, article) pair that matches, in batch order then by id."""
        compiled = sorted(self._compiled(kind), key=lambda pair: pair[0].id)
        matches = []
        for article in articles:
            document = percolate_document(article)
            view = DocumentView.of(document)
            for subscription, query in compiled:
                if query.matches(view):
                    highlights = query.highlights(view)
                    matches.append(Match(subscription, article, document, highlights))
        return matches
