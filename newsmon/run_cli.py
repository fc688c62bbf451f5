"""``newsmon run``: the whole pipeline in one process, with a live status line.

Embedded (SQLite files, no servers) unless Kafka or Elasticsearch is configured; see
:func:`newsmon.backends.mode_for`.
"""

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.rule import Rule
from rich.text import Text

from contract import AddressPolicy, NewsmonError
from contract.text import printable
from ingest import FeedStateStore, load_feeds
from newsmon.backend_choice import backends_for
from newsmon.backends import Backends
from newsmon.console import err, load_settings, safe
from newsmon.logs import setup_logging
from newsmon.runners.status import RunStatus
from newsmon.settings import Settings
from newsmon.subscriptions_cli import CliError, load_file, store_subscription

if TYPE_CHECKING:
    from newsmon.runners.run import Pipeline
    from newsmon.web.server import WebServer

STATUS_EVERY = 30.0
"""Seconds between status lines when the terminal cannot show a live one (a log, a pipe)."""
HOUSEKEEPING_EVERY = 3600.0
"""Seconds between prunes of the local log while running."""


def _load_subscriptions(backends: Backends, path: Path, policy: AddressPolicy) -> int:
    store = backends.subscriptions()
    store.setup()
    items = load_file(path)
    for n, item in enumerate(items, start=1):
        store_subscription(store, item, replace=True, where=f"{path} item {n}: ", policy=policy)
    return len(items)


def _me() -> str:
    """How the user started newsmon (e.g. .venv/bin/newsmon), to quote in hints."""
    return sys.argv[0] if "/" in sys.argv[0] else "newsmon"


def _banner(
    console: Console,
    settings: Settings,
    backends: Backends,
    feeds: Path,
    subs: str,
    new_data: bool = False,
) -> None:
    data = settings.data_dir
    data_option = "" if data == Path(".newsmon") else f" --data {data}"
    console.print(f"[b]newsmon run[/] · {backends.mode} mode · {backends.where()}", highlight=False)
    console.print(f"  feeds: {feeds} · subscriptions: {subs}", highlight=False)
    console.print(
        f"  data: {data.resolve()}{' (new)' if new_data else ''} · log: "
        f"{settings.log_dir / 'run.log'}",
        highlight=False,
    )
    archive = f"WARC in {settings.archive_path}" if settings.archive else "not archived"
    pages = {
        "auto": f"fetched for items under {settings.fulltext_min_words} words",
        "always": "fetched for every item",
        "never": "not fetched",
    }[settings.fulltext]
    console.print(
        f"  article pages: {pages} (a feed's fulltext: overrides) · responses: {archive}",
        highlight=False,
    )
    me = _me()
    console.print(
        f"  search it: {me} search 'topics:ceasefire'{data_option}"
        f" · counts: {me} stats{data_option} · alerts are printed below",
        highlight=False,
    )
    console.print("  Ctrl-C stops (the batches in flight are finished first)", highlight=False)


def run(
    feeds: Annotated[
        Path | None, typer.Option("--feeds", help="feeds file: YAML list or OPML (NEWSMON_FEEDS)")
    ] = None,
    data: Annotated[Path | None, typer.Option("--data", help="data dir (NEWSMON_DATA_DIR)")] = None,
    embedded: Annotated[
        bool, typer.Option("--embedded", help="SQLite files only, even if a cluster is set")
    ] = False,
    subscriptions: Annotated[
        Path | None,
        typer.Option("--subscriptions", help="YAML/JSON subscriptions to add (or replace) first"),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="poll every feed once, process it all, then exit")
    ] = False,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="web view's port (NEWSMON_API_PORT)"),
    ] = None,
    web: Annotated[
        bool, typer.Option("--web/--no-web", help="serve the web view and API while running")
    ] = True,
) -> None:
    """Monitor feeds on one machine: poll, tag, store, alert and notify in one process.

    With no NEWSMON_KAFKA_BOOTSTRAP / NEWSMON_ES_URL set (or with --embedded) everything lives
    in SQLite files under the data dir, no servers needed; with them set, the same stages run
    against Kafka and Elasticsearch.
    """
    settings = load_settings()
    if data is not None:
        settings = settings.model_copy(update={"data_dir": data})
    new_data = not settings.data_dir.exists()  # run is the one command that creates a data dir
    feeds = feeds or settings.feeds
    if feeds is None:
        err.print(
            "[red]error:[/] no feeds: give --feeds FILE (YAML or OPML), e.g. examples/feeds.yaml"
        )
        raise typer.Exit(2)
    setup_logging(settings.log_level, settings.log_dir / "run.log", stderr=False)
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    try:
        backends = backends_for(settings, embedded)
        feed_list = load_feeds(feeds)
        policy = settings.address_policy()
        loaded = _load_subscriptions(backends, subscriptions, policy) if subscriptions else 0
        count = len(backends.subscriptions().list())
    except (NewsmonError, CliError) as exc:
        err.print(f"[red]error:[/] {safe(exc)}", highlight=False)
        raise typer.Exit(1) from exc
    subs = f"{count}" + (f" ({loaded} from {subscriptions})" if subscriptions else "")
    _banner(console, settings, backends, feeds, subs, new_data)
    view = _web_view(console, settings, backends, port) if web and not once else None
    status = RunStatus(feeds=len(feed_list))
    with FeedStateStore(settings.state_db) as states:  # a restart knows what is due already
        for feed in feed_list:
            state = states.get(feed.url)
            if state.next_due or state.failures:
                status.feed_known(feed.url, state)

    printing = threading.Lock()  # the notifier delivers several subscriptions at once

    def show_alert(text: str) -> None:
        with printing:
            console.print(Group(Rule("alert", style="yellow"), Text(printable(text.rstrip()))))

    from newsmon.runners.run import Pipeline  # loads spaCy's modules: not for `--help`

    def say(markup: str) -> None:
        with printing:
            console.print(markup, highlight=False)

    pipeline = Pipeline(settings, backends, feeds, status, show_alert, say=say)
    _stop_on_signals(pipeline.stop, console)
    if once:
        _run_once(pipeline, console)
    else:
        try:
            _run_live(pipeline, console, status)
        finally:
            if view is not None:
                view.stop()
    try:
        pipeline.raise_errors()
    except (NewsmonError, RuntimeError) as exc:
        err.print(
            f"[red]error:[/] {safe(exc)} (see {safe(settings.log_dir / 'run.log')})",
            highlight=False,
        )
        raise typer.Exit(1) from exc
    polled = pipeline.polled
    if once and polled is not None and polled.all_failed:
        data_option = (
            "" if settings.data_dir == Path(".newsmon") else f" --data {settings.data_dir}"
        )
        err.print(
            f"[red]error:[/] every feed failed ({polled.feeds}); why: "
            f"{safe(_me())} feeds status --feeds {safe(feeds)}{safe(data_option)}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


def _web_view(
    console: Console, settings: Settings, backends: Backends, port: int | None
) -> "WebServer | None":
    """Start the web view on the run's data and mode; a taken port is one line, not fatal."""
    from newsmon.web.server import PortTaken, WebServer

    update: dict[str, object] = {"mode": backends.mode}
    if port is not None:
        update["api_port"] = port
    try:
        view = WebServer(settings.model_copy(update=update))
    except PortTaken as exc:
        console.print(
            f"  web view: off, cannot listen on {safe(exc)} (--port N picks another)",
            highlight=False,
        )
        return None
    view.start()
    console.print(f"  web view: {view.url} · API docs: {view.url}docs", highlight=False)
    return view


def _stop_on_signals(stop: threading.Event, console: Console) -> None:
    def handle(signum: int, frame: object) -> None:
        if stop.is_set():
            console.print("stopping now; unfinished batches are redone at the next start")
            os._exit(130)
        console.print("stopping: finishing the batches in flight (Ctrl-C again to force)")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handle)


def _run_once(pipeline: "Pipeline", console: Console) -> None:
    pipeline.run_once()  # a stage's failure is kept for raise_errors
    console.print(pipeline.status.line())


def _run_live(pipeline: "Pipeline", console: Console, status: RunStatus) -> None:
    threads = pipeline.start()

    next_upkeep = time.monotonic() + HOUSEKEEPING_EVERY

    def alive() -> bool:
        nonlocal next_upkeep
        if time.monotonic() >= next_upkeep:
            next_upkeep = time.monotonic() + HOUSEKEEPING_EVERY
            pipeline.housekeeping()
        return any(t.is_alive() for t in threads)

    def line() -> Text:
        return Text(status.line())

    if console.is_terminal:
        with Live(get_renderable=line, console=console, refresh_per_second=2):
            while alive():
                time.sleep(0.25)
    else:
        last = 0.0
        while alive():
            if time.monotonic() - last >= STATUS_EVERY:
                console.print(status.line())
                last = time.monotonic()
            time.sleep(0.25)
        console.print(status.line())
    for thread in threads:
        thread.join()
    sys.stdout.flush()
