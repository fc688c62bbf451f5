"""``newsmon feeds status|enable``: every feed's health, from the poller's state.

What each feed did last (ok, not modified, failed and why, disabled), when it is polled next,
its consecutive failures, how many articles it gave, and the entries it skipped or repaired and
why. Reads the data dir only: no server needed, either mode.
"""

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from contract import NewsmonError
from ingest import FeedSpec, FeedStateStore, load_feeds
from newsmon.console import err, out, safe
from newsmon.data_option import DataOption, settings_with_data
from newsmon.feed_report import feed_report
from newsmon.settings import Settings

feeds_app = typer.Typer(help="The feeds' health: last poll, errors, skipped entries.")

FeedsOption = Annotated[
    Path | None,
    typer.Option("--feeds", help="feeds file (NEWSMON_FEEDS): list every feed in it, in order"),
]


def _settings(data: Path | None) -> Settings:
    settings = settings_with_data(data)
    if not settings.state_db.exists():
        err.print(
            f"[red]error:[/] no feed state in {safe(settings.data_dir)} (nothing polled there "
            "yet; give --data DIR where `newsmon run` keeps its data)",
            highlight=False,
        )
        raise typer.Exit(1)
    return settings


def _feeds(settings: Settings, feeds_file: Path | None) -> list[FeedSpec] | None:
    path = feeds_file or settings.feeds
    if path is None:
        return None
    try:
        return load_feeds(path)
    except NewsmonError as exc:
        err.print(f"[red]error:[/] {safe(exc)}", highlight=False)
        raise typer.Exit(1) from exc


def _ago(iso: str | None, now: float) -> str:
    if iso is None:
        return "-"
    seconds = datetime.fromisoformat(iso).timestamp() - now
    span = abs(seconds)
    text = (
        f"{span:.0f}s"
        if span < 90
        else f"{span / 60:.0f}m"
        if span < 5400
        else f"{span / 3600:.0f}h"
        if span < 172800
        else f"{span / 86400:.0f}d"
    )
    return f"in {text}" if seconds > 0 else f"{text} ago"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in counts.items()) or "-"


@feeds_app.command()
def status(
    feeds: FeedsOption = None,
    data: DataOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print JSON, one object per feed")
    ] = False,
) -> None:
    """Every feed: last success, last error, next poll, failures, articles, skipped entries."""
    settings = _settings(data)
    listed = _feeds(settings, feeds)
    with FeedStateStore(settings.state_db) as store:
        states = store.all()
    if listed is None:
        rows = [feed_report(url, None, state) for url, state in sorted(states.items())]
    else:
        rows = [feed_report(f.url, f.name, states.get(f.url)) for f in listed]
    if as_json:
        sys.stdout.write(orjson.dumps(rows).decode() + "\n")
        return
    now = time.time()
    table = Table("feed", "state", "last ok", "next", "fails", "articles", "skipped")
    for row in rows:
        table.add_row(
            safe(row["name"]),
            safe(row["state"]),
            _ago(row["last_ok"], now),
            _ago(row["next_due"], now),
            str(row["failures"]),
            str(row["articles"]),
            safe(_counts(row["skipped"])),
        )
    out.print(table)
    for row in rows:
        lines = []
        if row["state"] in ("failed", "disabled") and row["last_error"]:
            lines.append(f"[red]{safe(row['last_error'])}[/]")
        if row["fetch_url"] != row["url"]:
            lines.append(f"moved permanently to {safe(row['fetch_url'])} (update the feeds file)")
        if row["repaired"]:
            lines.append(f"entries repaired: {safe(_counts(row['repaired']))}")
        lines.extend(safe(note) for note in row["notes"])
        if lines:
            out.print(f"[b]{safe(row['name'])}[/]", highlight=False)
            for line in lines:
                out.print(f"  {line}", highlight=False, soft_wrap=True)


@feeds_app.command()
def enable(
    feed: Annotated[str, typer.Argument(metavar="NAME|URL", help="the feed's name or URL")],
    feeds: FeedsOption = None,
    data: DataOption = None,
) -> None:
    """Poll a disabled feed (one that answered 410 Gone) again: a running newsmon notices
    within a minute."""
    settings = _settings(data)
    listed = _feeds(settings, feeds)
    with FeedStateStore(settings.state_db) as store:
        states = store.all()
        names = {state.name: url for url, state in states.items() if state.name}
        names |= {f.name: f.url for f in listed or []}
        url = feed if feed in states else names.get(feed)
        if url is None:
            err.print(f"[red]error:[/] no feed {safe(repr(feed))} has been polled", highlight=False)
            raise typer.Exit(1)
        if not store.enable(url):
            err.print(f"[red]error:[/] feed {safe(repr(feed))} is not disabled", highlight=False)
            raise typer.Exit(1)
    out.print(
        f"feed {safe(repr(feed))} enabled: a running newsmon polls it within a minute",
        highlight=False,
    )
