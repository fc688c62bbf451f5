"""Everything the page shows, gathered from the stores in one place (each section on its own,
so one that fails shows its error and the others still load)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from contract import InvalidQuery, NewsmonError, Subscription
from newsmon.web.articles_view import Latest, latest, topic_volume
from newsmon.web.chart import Chart
from newsmon.web.feeds_view import feed_rows
from newsmon.web.inbox import InboxRow, inbox
from newsmon.web.sections import Section, load
from newsmon.web.subscription_form import FormOutcome
from sinks.article_queries import SearchResult

if TYPE_CHECKING:
    from newsmon.api import Backend

SEARCH_LIMIT = 25


@dataclass(frozen=True)
class SearchView:
    """A search the user ran: its hits, or the parser's message (as ``newsmon search``)."""

    query: str
    result: SearchResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class Page:
    """The data behind one rendering of the page."""

    mode: str
    where: str
    latest: Section[Latest]
    chart: Section[Chart]
    inbox: Section[list[InboxRow]]
    feeds: Section[list[dict[str, Any]]]
    subscriptions: Section[list[Subscription]]
    search: SearchView | None = None
    outcome: FormOutcome = field(default_factory=FormOutcome)


def run_search(backend: "Backend", query: str) -> SearchView:
    """The newest articles matching ``query``; a bad query is the same one-line error as the
    CLI's (``invalid query '...': <parser's message>``)."""
    try:
        return SearchView(query, backend.articles.search(query, None, SEARCH_LIMIT))
    except InvalidQuery as exc:
        return SearchView(query, error=str(exc))
    except NewsmonError as exc:
        return SearchView(query, error=f"search failed: {exc}")


def build_page(
    backend: "Backend", query: str | None = None, outcome: FormOutcome | None = None
) -> Page:
    """Read every section for one page view."""
    now = datetime.now(UTC)
    settings = backend.settings
    return Page(
        mode=backend.backends.mode,
        where=backend.backends.where(),
        latest=load("latest articles", lambda: latest(backend.articles)),
        chart=load("topic volume", lambda: topic_volume(backend.articles, now)),
        inbox=load(
            "alerts",
            lambda: inbox(backend.alerts, backend.subscriptions, settings.notify_db),
        ),
        feeds=load("feeds", lambda: feed_rows(settings, now)),
        subscriptions=load("subscriptions", lambda: backend.subscriptions.list()),
        search=run_search(backend, query) if query else None,
        outcome=outcome or FormOutcome(),
    )
