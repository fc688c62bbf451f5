"""``newsmon feeds status|enable``: every feed's health, from the poller's state.

What each feed did last (ok, not modified, failed and why, disabled), when it is polled next,
its consecutive failures, how many articles it gave, and the entries it skipped or repaired and
why. Reads the data dir only: no server needed, either mode.
"""

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from contract import NewsmonError
from ingest import FeedSpec, FeedStateStore, load_feeds
from newsmon.console import err, out, safe
from newsmon.data_option import DataOption, settings_with_data
from newsmon.feed_health import feed_health_rows
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


_HEALTH_STYLE = {"ok": "green", "quiet": "yellow", "failing": "red", "disabled": "red"}


def _style(row: dict[str, Any]) -> str | None:
    """The health's colour; yellow while a feed fails for less than it takes to be failing."""
    if row["health"] == "ok" and row["state"] == "failed":
        return "yellow"
    return _HEALTH_STYLE.get(row["health"])


def _paint(row: dict[str, Any], text: str) -> str:
    style = _style(row)
    return f"[{style}]{text}[/]" if style else text


def _cell(row: dict[str, Any]) -> str:
    """The health, or ``failed`` while a feed fails for less than it takes to be failing."""
    failed = row["health"] == "ok" and row["state"] == "failed"
    return _paint(row, "failed" if failed else row["health"])


def _days(per_day: list[list[Any]], usual: float) -> str:
    """``articles/day (last 7): 30 28 31 2 · usual 30``: the last week against the usual day."""
    recent = [str(count) for _, count in per_day[-7:]]
    return f"articles/day (last {len(recent)}): {' '.join(recent)} · usual {usual:g}"


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
    rows = feed_health_rows(settings, listed, datetime.now(UTC))
    if as_json:
        sys.stdout.write(orjson.dumps(rows).decode() + "\n")
        return
    now = time.time()
    table = Table("feed", "health", "last ok", "next", "fails", "articles", "skipped")
    for row in rows:
        table.add_row(
            safe(row["name"]),
            _cell(row),
            _ago(row["last_ok"], now),
            _ago(row["next_due"], now),
            str(row["failures"]),
            str(row["articles"]),
            safe(_counts(row["skipped"])),
        )
    out.print(table)
    for row in rows:
        lines = []
        if row["health"] != "never":
            lines.append(_paint(row, safe(row["why"])))
        if row["usual_per_day"] or any(count for _, count in row["per_day"]):
            lines.append(_days(row["per_day"], row["usual_per_day"]))
        error = row["last_error"]
        if row["state"] in ("failed", "disabled") and error and error not in row["why"]:
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
