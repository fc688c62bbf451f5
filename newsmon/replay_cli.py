"""``newsmon replay SOURCE...``: history through the pipeline, and ``newsmon export``.

Replay publishes to the replay topic. In the embedded mode it then runs the pipeline's own
stages (process, index, alert, notify) until the topics are drained, unless
``--publish-only`` leaves that to a ``newsmon run`` already running on the same data dir; on a
cluster the processors, indexers and alerters there take it. ``--subscription``/``--query``
replays into nothing: it tags in memory and prints what that subscription would have alerted
on, per day.
"""

import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from contract import NewsmonError
from newsmon.backend_choice import backends_for
from newsmon.backends import Backends
from newsmon.console import err, safe
from newsmon.data_option import DataOption, EmbeddedOption, settings_with_data
from newsmon.logs import setup_logging
from newsmon.runners.replay import ReplayCounts, ReplayOptions, publish_replay
from newsmon.settings import Settings
from newsmon.since import parse_since

SKIPPED_EXIT = 3
"""Exit code when some input could not be replayed (a truncated file, a bad line, a binary):
the rest was replayed, and the messages name each file and position."""


def parse_speed(value: str) -> float | None:
    """``max`` (None) or a positive factor of the original pacing.

    Raises:
        typer.BadParameter: neither.
    """
    if value.strip().lower() == "max":
        return None
    try:
        speed = float(value)
    except ValueError:
        speed = 0.0
    if not speed > 0:
        raise typer.BadParameter(f"{value!r}: use max or a positive number such as 60")
    return speed


def describe(counts: ReplayCounts) -> str:
    """The progress line: records read, articles published, skipped, rate."""
    skipped = sum(counts.skipped.values())
    return (
        f"records {counts.records:,} · articles {counts.articles:,} · published "
        f"{counts.published:,} · skipped: seen {counts.seen:,}, out of range "
        f"{counts.out_of_range:,}, other feeds {counts.other_feeds:,}, records {skipped:,} · "
        f"{counts.rate:,.1f} articles/s"
    )


def _settings(data: Path | None, feeds_file: Path | None) -> Settings:
    settings = settings_with_data(data)
    if feeds_file is not None:
        settings = settings.model_copy(update={"feeds": feeds_file})
    return settings


def _drain(settings: Settings, backends: Backends, stop: threading.Event) -> None:
    """Process, index, alert and notify until the topics are empty (Ctrl-C: each stage
    finishes its batch in hand; the rest stays on the topics for the next run)."""
    from newsmon.runners.run import Pipeline
    from newsmon.runners.status import RunStatus

    pipeline = Pipeline(
        settings, backends, Path(), RunStatus(), lambda line: err.print(line), stop=stop
    )
    for step in (pipeline.process, pipeline.index, pipeline.alert, pipeline.notify):
        step(until_idle=True)


def _print_summary(counts: ReplayCounts, published_to: str | None) -> None:
    err.print(describe(counts), highlight=False, soft_wrap=True)
    if counts.skipped:
        reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.skipped.items()))
        err.print(f"records skipped: {safe(reasons)}", highlight=False, soft_wrap=True)
    if counts.pages_used or counts.pages_missing:
        err.print(
            f"pages from the archive: {counts.pages_used:,} used, "
            f"{counts.pages_missing:,} wanted but not archived",
            highlight=False,
        )
    for message in counts.messages:
        err.print(f"[yellow]skipped:[/] {safe(message)}", highlight=False, soft_wrap=True)
    if published_to:
        err.print(published_to, highlight=False, soft_wrap=True)


def replay(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="WARC/WARC.gz files (newsmon's archive, CC-NEWS, other crawls), directories "
            "(searched recursively: saved feeds, WARCs, JSONL), JSONL of articles (export)",
            show_default=False,
        ),
    ],
    since: Annotated[
        str | None, typer.Option(help="only articles published since: 30d, 2026-11-01")
    ] = None,
    until: Annotated[str | None, typer.Option(help="only articles published before")] = None,
    feeds: Annotated[
        list[str] | None, typer.Option("--feeds", help="only these feeds (names); repeatable")
    ] = None,
    speed: Annotated[
        str, typer.Option(help="max, or N times the original pacing (demos, latency tests)")
    ] = "max",
    alerts: Annotated[
        bool, typer.Option("--alerts", help="replayed articles may alert (marked replayed)")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="read and count only")] = False,
    subscription: Annotated[
        str | None,
        typer.Option("--subscription", help="backtest: what this subscription would alert on"),
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", help="backtest: what this query would alert on")
    ] = None,
    process: Annotated[
        bool | None,
        typer.Option(
            "--process/--publish-only",
            help="then process, index and alert them here until drained (default: embedded "
            "yes; a cluster's workers or a running `newsmon run` can do it instead)",
            show_default=False,
        ),
    ] = None,
    feeds_file: Annotated[
        Path | None,
        typer.Option("--feeds-file", help="feeds file naming the feeds (NEWSMON_FEEDS)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON summary on stdout")] = False,
    data: DataOption = None,
    embedded: EmbeddedOption = False,
) -> None:
    """Replay history through the pipeline (never a live alert unless --alerts)."""
    settings = _settings(data, feeds_file)
    setup_logging(settings.log_level, settings.log_dir / "replay.log", stderr=False)
    now = datetime.now(UTC)
    options = ReplayOptions(
        since=parse_since(since, now),
        until=parse_since(until, now),
        feeds=frozenset(feeds or ()),
        speed=parse_speed(speed),
        alerts=alerts,
        dry_run=dry_run,
    )
    if subscription is not None or query is not None:
        from newsmon.replay_backtest import backtest_replay

        backtest_replay(settings, sources, options, subscription, query, as_json, embedded)
        return
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        backends = backends_for(settings, embedded)
        producer = None
        known = None
        if not dry_run:
            transport = backends.transport()
            transport.setup()
            producer = transport.producer()
            queries = backends.articles()
            known = queries.known
        counts = _run(sources, settings, options, producer, known, stop, as_json)
        published_to = None
        if not dry_run:
            published_to = f"published {counts.published:,} to {settings.topic_replay}"
            if process is None:
                process = backends.mode == "embedded"
            if stop.is_set():
                published_to += " before the stop; the next `newsmon run` processes them"
            elif process and counts.published:
                err.print(f"{published_to}; processing them", highlight=False)
                _drain(settings, backends, stop)
                published_to += (
                    "; stopped while processing: the rest waits for the next `newsmon run`"
                    if stop.is_set()
                    else "; processed, indexed and alerted"
                )
            elif not process:
                published_to += " (a running pipeline enriches and indexes them)"
    except NewsmonError as exc:
        err.print(f"[red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    if as_json:
        sys.stdout.write(orjson.dumps(counts.as_dict()).decode() + "\n")
    else:
        _print_summary(counts, published_to)
    if counts.problems:
        raise typer.Exit(SKIPPED_EXIT)


def _run(
    sources: list[Path],
    settings: Settings,
    options: ReplayOptions,
    producer: Any,
    known: Any,
    stop: threading.Event,
    quiet: bool,
) -> ReplayCounts:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task("reading", total=None)

        def on_progress(counts: ReplayCounts) -> None:
            progress.update(task, description=safe(describe(counts)))

        try:
            return publish_replay(
                sources, settings, options, producer, known, on_progress, stop.is_set
            )
        finally:
            if producer is not None:
                producer.close()
