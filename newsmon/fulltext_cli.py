"""``newsmon fulltext`` (the full-text stage as a worker of its own, for clusters) and
``newsmon extract URL|FILE...`` (what that stage makes of a page: how a user checks a site
before adding its feed, and how a bug report is made)."""

import asyncio
import hashlib
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from contract import Article, NewsmonError, article_id
from ingest.extraction import IsolatedExtractor
from ingest.fetch import is_local, local_path
from ingest.fulltext import FulltextStage, PageReport
from ingest.pages import Page, PageFetcher, looks_like_html
from ingest.politeness import HostLimiter
from ingest.robots import RobotsCache
from newsmon.cluster.backends import ClusterBackends
from newsmon.cluster_stage import require_cluster
from newsmon.console import err, load_settings, out, safe
from newsmon.http_client import guarded_async_client
from newsmon.logs import setup_logging
from newsmon.runners.fulltext import fulltext_policy, page_policy, run_fulltext
from newsmon.settings import Settings

PREVIEW_CHARS = 600
"""Characters of the text shown per page without ``--json``."""


def fulltext(
    feeds: Annotated[
        Path | None,
        typer.Option("--feeds", help="the feeds file: each feed's fulltext: and mirror:"),
    ] = None,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="exit once the topic has no new messages")
    ] = False,
) -> None:
    """Run the full-text stage: news.articles.polled -> each article's page fetched and
    extracted -> news.articles.raw."""
    from newsmon.metrics.http import serve_stage_metrics

    settings = load_settings()
    require_cluster(settings, "fulltext")
    setup_logging(settings.log_level, settings.log_dir / "fulltext.log")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        serve_stage_metrics(settings)
        stats = run_fulltext(
            settings, stop, ClusterBackends(settings), feeds or settings.feeds, None, until_idle
        )
    except NewsmonError as exc:
        err.print(f"[red]error:[/] {safe(exc)}", soft_wrap=True)
        raise typer.Exit(1) from exc
    counts = stats.counts
    err.print(
        f"articles {stats.articles}: pages {counts.fetched} fetched, {counts.failed} failed, "
        f"{counts.skipped} skipped; undecodable {stats.poison}"
    )


def _probe(target: str) -> tuple[Article, Page | None]:
    """The article a page is checked as (no text of its own, so the page is always fetched),
    and the failure of an input that is not even a URL."""
    url = target if "://" in target else Path(target).resolve().as_uri()
    try:
        key = article_id(url)
    except ValueError as exc:
        key = hashlib.sha256(url.encode()).hexdigest()[:32]
        invalid = Page(url, failure="invalid-url", message=f"{target}: not a valid URL ({exc})")
        return Article(id=key, url=url, fetched_at=datetime.now(UTC), source="extract"), invalid
    return Article(id=key, url=url, fetched_at=datetime.now(UTC), source="extract"), None


def _read_file(target: str, max_bytes: int) -> Page:
    path = local_path(target)
    url = path.resolve().as_uri()
    try:
        with path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as exc:
        return Page(url, failure="unreadable", message=f"file {target}: {exc.strerror or exc}")
    if len(body) > max_bytes:
        return Page(url, failure="too-large", message=f"file {target}: over {max_bytes} bytes")
    if path.suffix.lower() not in (".html", ".htm", ".xhtml") and not looks_like_html(body):
        return Page(url, failure="not-html", message=f"file {target}: not an HTML page")
    return Page(url, body, "text/html", url, attempts=0, local=True)


def _row(target: str, report: PageReport, ms: float) -> dict[str, Any]:
    """The JSON line of one input."""
    article, extract, page = report.article, report.extract, report.page
    published = article.published or (extract.published if extract else None)
    source = article.published_source
    if source is None and extract is not None and extract.published is not None:
        source = f"page:{extract.date_source or 'unknown'}"
    return {
        "input": target,
        "url": page.final_url if page and page.final_url else article.url,
        "ok": report.outcome == "fetched",
        "text": article.text if report.outcome == "fetched" else (extract.text if extract else ""),
        "words": extract.words if extract else 0,
        "title": (extract.title if extract else None) or article.title or None,
        "author": extract.author if extract else None,
        "site_name": extract.site_name if extract else None,
        "published": published.isoformat() if published else None,
        "published_source": source,
        "canonical_url": extract.canonical_url if extract else None,
        "language": extract.language if extract else None,
        "flags": list(article.flags),
        "error": report.message or None,
        "extractor": extract.extractor if extract else None,
        "extract_ms": round(report.extract_ms, 1) if report.extract_ms is not None else None,
        "ms": round(ms, 1),
    }


async def _extract_all(settings: Settings, targets: list[str]) -> list[dict[str, Any]]:
    client = guarded_async_client(
        settings.address_policy(),
        timeout=settings.page_timeout,
        user_agent=settings.user_agent,
        max_redirects=settings.max_redirects,
    )
    robots = RobotsCache(":memory:", settings.user_agent, settings.robots_ttl)
    extractor = IsolatedExtractor(1, settings.extract_timeout, settings.parse_memory * 2**20)
    limiter = HostLimiter(settings.host_concurrency, settings.host_delay)
    fetcher = PageFetcher(client, robots, limiter, page_policy(settings))  # nothing archived
    stage = FulltextStage({}, fetcher, extractor, fulltext_policy(settings))
    rows = []
    try:
        for target in targets:
            started = time.perf_counter()
            article, invalid = _probe(target)
            if invalid is not None:
                page = invalid
            elif "://" in target and not is_local(target):
                page = await fetcher.fetch(target)
            else:
                page = await asyncio.to_thread(_read_file, target, settings.page_max_bytes)
            report = await stage.use_page(article, page)
            rows.append(_row(target, report, (time.perf_counter() - started) * 1000))
    finally:
        extractor.close()
        robots.close()
        await client.aclose()
    return rows


def extract(
    targets: Annotated[
        list[str], typer.Argument(help="page URLs (fetched) or HTML files (read from disk)")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON line per input, in order")
    ] = False,
) -> None:
    """Show what the full-text stage makes of each page: text, title, date and where it came
    from, canonical URL, language, flags. URLs are fetched under the stage's rules (address
    guard, robots.txt, size and time limits); files are read from disk, no network."""
    settings = load_settings()
    setup_logging("ERROR")
    try:
        rows = asyncio.run(_extract_all(settings, targets))
    except NewsmonError as exc:
        err.print(f"[red]error:[/] {safe(exc)}", soft_wrap=True)
        raise typer.Exit(1) from exc
    for row in rows:
        if as_json:
            sys.stdout.write(orjson.dumps(row).decode() + "\n")
            continue
        _print(row)
    if not any(row["ok"] for row in rows):
        raise typer.Exit(1)


def _print(row: dict[str, Any]) -> None:
    status = "[green]ok[/]" if row["ok"] else "[yellow]failed[/]"
    out.print(f"[bold]{safe(row['input'])}[/] {status} ({row['ms']:.0f} ms)")
    for label, key in (
        ("title", "title"),
        ("author", "author"),
        ("site", "site_name"),
        ("canonical", "canonical_url"),
        ("language", "language"),
    ):
        if row[key]:
            out.print(f"  {label}: {safe(row[key])}", highlight=False)
    if row["published"]:
        out.print(f"  published: {row['published']} (from {row['published_source']})")
    if row["flags"]:
        out.print(f"  flags: {safe(', '.join(row['flags']))}", highlight=False)
    if row["error"]:
        err.print(f"  [yellow]{safe(row['error'])}[/]")
    text = row["text"] or ""
    preview = text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + " …"
    out.print(f"  {row['words']} words:", highlight=False)
    for line in preview.splitlines():
        out.print(f"    {safe(line)}", highlight=False)
