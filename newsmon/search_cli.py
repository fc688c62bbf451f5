"""``newsmon search`` and ``newsmon stats``: the stored articles, in either mode.

The query syntax is the subscriptions' (Lucene query strings), evaluated by Elasticsearch on a
cluster and by the embedded matcher over the SQLite store.
"""

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from contract import NewsmonError
from newsmon.backend_choice import backends_for
from newsmon.console import err, out, safe
from newsmon.data_option import DataOption, EmbeddedOption, settings_with_data
from newsmon.settings import Settings
from newsmon.since import parse_since
from sinks.article_queries import ArticleQueries, SearchResult, Stats


def _articles(data: Path | None, embedded: bool) -> tuple[Settings, ArticleQueries]:
    settings = settings_with_data(data)
    return settings, backends_for(settings, embedded).articles()


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _when(hit_published: datetime | None, fetched: datetime | None) -> str:
    moment = hit_published or fetched
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def print_results(result: SearchResult) -> None:
    """The hits, newest first, with topics and entities."""
    shown = len(result.hits)
    out.print(
        f"{result.total} article(s) match {safe(repr(result.query))}; newest {shown}:",
        highlight=False,
    )
    for hit in result.hits:
        out.print(
            f"[b]{safe(hit.title)}[/]  "
            f"[dim]{_when(hit.published, hit.fetched_at)} · {safe(hit.source)}[/]",
            highlight=False,
        )
        out.print(f"  {safe(hit.url)}", highlight=False, soft_wrap=True)
        if hit.topics:
            out.print(f"  topics: {safe(', '.join(hit.topics))}", highlight=False)
        if hit.entities:
            out.print(f"  entities: {safe(', '.join(hit.entities))}", highlight=False)
        if hit.flags:
            out.print(f"  flags: {safe(', '.join(hit.flags))}", highlight=False)


def search(
    query: Annotated[str, typer.Argument(help="Lucene query, e.g. 'topics:ceasefire AND Kyiv'")],
    since: Annotated[
        str | None, typer.Option(help="only articles dated after: 24h, 7d, or a date")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="most hits shown")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    data: DataOption = None,
    embedded: EmbeddedOption = False,
) -> None:
    """Search the stored articles with the subscription query syntax, newest first."""
    _, articles = _articles(data, embedded)
    try:
        result = articles.search(query, parse_since(since, datetime.now(UTC)), limit)
    except NewsmonError as exc:
        raise _fail(exc) from exc
    if as_json:
        sys.stdout.write(orjson.dumps(result.model_dump(mode="json")).decode() + "\n")
    else:
        print_results(result)


def _table(title: str, stats_rows: list[tuple[str, int, int]]) -> Table:
    table = Table(title, "articles", "stories", highlight=False)
    for name, articles, stories in stats_rows:
        table.add_row(safe(name), str(articles), str(stories))
    return table


def print_stats(stats: Stats) -> None:
    """Totals, then the topic and source tables."""
    out.print(
        f"{stats.articles} article(s), {stats.stories} stor(y/ies) dated "
        f"{stats.since:%Y-%m-%d %H:%M} to {stats.until:%Y-%m-%d %H:%M} UTC",
        highlight=False,
    )
    pages = stats.pages
    out.print(
        f"pages: {pages.fetched} fetched, {pages.failed} failed, {pages.skipped} skipped "
        "(the feed's own text)",
        highlight=False,
        soft_wrap=True,
    )
    if pages.failures:
        listed = ", ".join(f"{n} {safe(flag)}" for flag, n in pages.failures.items())
        out.print(f"page failures: {listed}", highlight=False, soft_wrap=True)
    out.print(_table("topic", [(r.name, r.articles, r.stories) for r in stats.topics]))
    out.print(_table("source", [(r.name, r.articles, r.stories) for r in stats.sources]))


def stats(
    since: Annotated[str, typer.Option(help="start of the period: 24h, 7d, or a date")] = "7d",
    until: Annotated[str | None, typer.Option(help="end of the period (default: now)")] = None,
    top: Annotated[int, typer.Option(min=1, max=1000, help="rows per table")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    data: DataOption = None,
    embedded: EmbeddedOption = False,
) -> None:
    """Articles and stories per topic and per source over a period."""
    now = datetime.now(UTC)
    start = parse_since(since, now)
    end = parse_since(until, now) or now
    assert start is not None
    _, articles = _articles(data, embedded)
    try:
        result = articles.stats(start, end, top)
    except NewsmonError as exc:
        raise _fail(exc) from exc
    if as_json:
        sys.stdout.write(orjson.dumps(result.public()).decode() + "\n")
    else:
        print_stats(result)
