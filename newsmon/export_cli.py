"""``newsmon export``: stored articles as JSON lines in the wire format, oldest first.

What it writes, ``newsmon replay`` reads back: history moves between machines and between the
embedded and the cluster mode. Each line is one :class:`contract.Article` (schema-versioned,
entities, topics and story ids included); the replay re-tags them with the taxonomy of the
machine it runs on.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from contract import InvalidQuery, NewsmonError
from newsmon.backend_choice import backends_for
from newsmon.console import err, safe
from newsmon.data_option import DataOption, EmbeddedOption, settings_with_data
from newsmon.since import parse_since


def export(
    since: Annotated[
        str | None, typer.Option(help="articles published since: 30d, 2026-11-01")
    ] = None,
    until: Annotated[str | None, typer.Option(help="articles published before")] = None,
    query: Annotated[
        str | None, typer.Option("--query", help="only articles matching (subscription syntax)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here instead of stdout")
    ] = None,
    data: DataOption = None,
    embedded: EmbeddedOption = False,
) -> None:
    """Write stored articles as JSONL (newsmon's wire format), oldest first."""
    settings = settings_with_data(data)
    now = datetime.now(UTC)
    start, end = parse_since(since, now), parse_since(until, now)
    written = 0
    try:
        articles = backends_for(settings, embedded).articles()
        with (
            open(output, "wb") if output is not None else typer.get_binary_stream("stdout")
        ) as sink:
            for article in articles.export(start, end, query):
                sink.write(article.to_json() + b"\n")
                written += 1
    except (InvalidQuery, NewsmonError) as exc:
        err.print(f"[red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    except BrokenPipeError:  # `newsmon export | head`
        return
    err.print(f"exported {written:,} article(s)", highlight=False)
