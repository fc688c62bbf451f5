"""The ``newsmon`` command line. Every option falls back to a ``NEWSMON_*`` setting."""

import asyncio
import signal
import sys
import threading
from typing import Annotated

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from contract import Article, NewsmonError, PoisonMessage
from newsmon.alerts_cli import alert, api, notify
from newsmon.archive_cli import archive_app
from newsmon.cluster.backends import ClusterBackends
from newsmon.cluster_stage import require_cluster
from newsmon.console import err, load_settings, out, safe
from newsmon.export_cli import export
from newsmon.feeds_cli import feeds_app
from newsmon.fulltext_cli import extract, fulltext
from newsmon.kibana.commands import kibana_app
from newsmon.logs import setup_logging
from newsmon.quality_cli import eval_command, taxonomy_app
from newsmon.reindex_cli import reindex
from newsmon.replay_cli import replay
from newsmon.run_cli import run
from newsmon.search_cli import search, stats
from newsmon.settings_table import settings_table
from newsmon.subscriptions_cli import subscriptions_app

app = typer.Typer(
    name="newsmon",
    help="News monitoring pipeline: feeds -> Kafka -> NER + topics -> Elasticsearch. "
    "Every setting can be given as a NEWSMON_* environment variable: see `newsmon config`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/] {safe(exc)}")
    return typer.Exit(1)


@app.command()
def config(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Show every setting, its environment variable and its current value (secrets masked)."""
    rows = load_settings().describe()
    if as_json:
        sys.stdout.write(orjson.dumps({k: v for k, v, _ in rows}).decode() + "\n")
        return
    out.print(settings_table(rows))


@app.command()
def poll(
    feeds: Annotated[str, typer.Option("--feeds", help="feeds file: YAML list or OPML")],
    once: Annotated[bool, typer.Option("--once", help="poll every feed once, then exit")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Fetch feeds and publish new articles to Kafka (news.articles.polled, which
    `newsmon fulltext` reads)."""
    from newsmon.metrics.http import serve_stage_metrics
    from newsmon.runners.poll import PollSummary, poll_feeds

    settings = load_settings()
    require_cluster(settings, "poll")
    setup_logging(settings.log_level, None if once else settings.log_dir / "poll.log")
    progress = Progress(
        TextColumn("polling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        disable=as_json or not once,
        transient=True,
    )
    with progress:
        task = progress.add_task("", total=None)

        def on_batch(batch: object, published: int) -> None:
            progress.update(
                task,
                advance=1,
                description=f"{safe(batch.feed.name)}: {batch.status}",  # type: ignore[attr-defined]
            )

        async def main() -> PollSummary:
            # Ctrl-C / SIGTERM: finish (publish and commit) the feed in hand, then stop.
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            return await poll_feeds(
                settings, ClusterBackends(settings), feeds, once, on_batch, stop
            )

        try:
            serve_stage_metrics(settings)
            summary = asyncio.run(main())
        except NewsmonError as exc:
            raise _fail(exc) from exc
    if as_json:
        sys.stdout.write(orjson.dumps(summary.__dict__).decode() + "\n")
    else:
        disabled = f", {summary.disabled} disabled" if summary.disabled else ""
        out.print(
            f"{summary.feeds} feed(s): {summary.ok} ok, {summary.not_modified} not modified, "
            f"{summary.failed} failed{disabled}; {summary.published} article(s) published "
            f"({summary.updated} new version(s) of earlier ones)"
        )
        for label, counts in (("skipped", summary.skipped), ("repaired", summary.repaired)):
            if counts:
                listed = ", ".join(f"{n} {why}" for why, n in sorted(counts.items()))
                out.print(f"entries {label}: {listed}", highlight=False)
        for line in summary.errors:
            err.print(f"[yellow]{safe(line)}[/]")
    if summary.all_failed:
        raise typer.Exit(1)


@app.command()
def process() -> None:
    """Run the faust worker: news.articles.raw -> spaCy NER + topics -> news.articles.enriched."""
    from newsmon.runners.process import run_processor

    settings = load_settings()
    require_cluster(settings, "process")
    setup_logging(settings.log_level, settings.log_dir / "process.log")
    try:
        run_processor(settings)
    except NewsmonError as exc:
        raise _fail(exc) from exc


@app.command()
def index(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="exit once the topic has no new messages")
    ] = False,
) -> None:
    """Consume news.articles.enriched and bulk-index into Elasticsearch (alias news-articles)."""
    from newsmon.metrics.http import serve_stage_metrics
    from newsmon.runners.index import run_indexer

    settings = load_settings()
    require_cluster(settings, "index")
    setup_logging(settings.log_level, settings.log_dir / "index.log")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        serve_stage_metrics(settings)
        stats = run_indexer(settings, stop, ClusterBackends(settings), until_idle=until_idle)
    except NewsmonError as exc:
        raise _fail(exc) from exc
    err.print(f"indexed {stats.indexed}, rejected {stats.rejected}, undecodable {stats.poison}")


@app.command()
def setup() -> None:
    """Create the Kafka topics and the Elasticsearch template, index and alias."""
    from newsmon.kafka_io import ensure_topics
    from newsmon.runners.index import make_es
    from sinks.elasticsearch.writer import ElasticsearchSink

    settings = load_settings()
    require_cluster(settings, "setup")
    try:
        ensure_topics(settings)
        index_name = ElasticsearchSink(make_es(settings), settings.index_alias).setup()
    except NewsmonError as exc:
        raise _fail(exc) from exc
    out.print(
        f"topics ready on {settings.kafka_bootstrap}; alias {settings.index_alias} -> {index_name}"
    )


@app.command()
def tag(
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="one article per input line, one JSON line out each")
    ] = False,
) -> None:
    """Enrich an article from stdin (plain text or JSON with title/text); print it as JSON.

    The same function the processor runs; no servers needed.
    """
    from newsmon.runners.process import load_enricher
    from newsmon.tagging import article_from_input

    settings = load_settings()
    setup_logging("WARNING")
    try:
        enricher = load_enricher(settings, with_stories=False)
    except NewsmonError as exc:
        raise _fail(exc) from exc
    if not jsonl:
        try:
            article = article_from_input(sys.stdin.read())
        except PoisonMessage as exc:
            raise _fail(exc) from exc
        enriched = enricher.enrich(article)
        sys.stdout.write(
            orjson.dumps(enriched.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode()
            + "\n"
        )
        return
    failures = 0
    batch: list[Article] = []

    def flush() -> None:
        for enriched_article in enricher.enrich_batch(batch):
            sys.stdout.write(enriched_article.to_json().decode() + "\n")
        sys.stdout.flush()
        batch.clear()

    for n, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            batch.append(article_from_input(line, where=f"stdin line {n}"))
        except PoisonMessage as exc:
            err.print(f"[red]{safe(exc)}[/]")
            failures += 1
        if len(batch) >= settings.process_batch_size:
            flush()
    flush()
    if failures:
        raise typer.Exit(1)


app.command("eval")(eval_command)
app.command()(replay)
app.command()(export)
app.command()(reindex)
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(feeds_app, name="feeds")
app.add_typer(archive_app, name="archive")
app.add_typer(kibana_app, name="kibana")
app.command()(fulltext)
app.command()(extract)
app.command()(alert)
app.command()(notify)
app.command()(api)
app.command()(run)
app.command()(search)
app.command()(stats)
