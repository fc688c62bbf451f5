"""``newsmon kibana import|check``: put the dashboard into Kibana, and see that its panels
find data in Elasticsearch."""

import sys
from pathlib import Path
from typing import Annotated

import httpx
import orjson
import typer
from elasticsearch import ApiError, Elasticsearch
from elasticsearch import ConnectionError as ESConnectionError
from rich.table import Table

from contract import ConfigError
from newsmon.console import err, load_settings, out, safe
from newsmon.es_clients import make_es
from newsmon.kibana.importer import KibanaError, import_saved_objects
from newsmon.kibana.panel_queries import PanelResult, dashboard_queries, run_query
from newsmon.kibana.saved_objects import DEFAULT_FILE, problems, read_objects

kibana_app = typer.Typer(help="Kibana: import the News monitor dashboard, check its panels.")

FileOption = Annotated[
    Path, typer.Option("--file", help="saved-objects ndjson (default: the bundled dashboard)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


def _fail(message: object) -> typer.Exit:
    err.print(f"[red]error:[/] {safe(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(1)


def _checked(path: Path) -> None:
    try:
        found = problems(read_objects(path))
    except ConfigError as exc:
        raise _fail(exc) from exc
    for line in found:
        err.print(f"[red]{safe(path)}:[/] {safe(line)}", soft_wrap=True, highlight=False)
    if found:
        raise typer.Exit(1)


@kibana_app.command("import")
def import_command(
    url: Annotated[
        str | None, typer.Option("--url", help="Kibana URL (NEWSMON_KIBANA_URL)")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="API key (NEWSMON_KIBANA_API_KEY)", show_default=False),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option("--user", help="USER:PASS (NEWSMON_KIBANA_USERNAME, NEWSMON_KIBANA_PASSWORD)"),
    ] = None,
    file: FileOption = DEFAULT_FILE,
    as_json: JsonOption = False,
) -> None:
    """Import the dashboard, its panels and data views into Kibana (overwriting same ids).

    One line per object Kibana refused; exit code 1 if any was refused.
    """
    settings = load_settings()
    _checked(file)
    auth: httpx.Auth | None = None
    if user is not None:
        name, sep, password = user.partition(":")
        if not sep or not name:
            raise _fail("--user takes USER:PASS")
        auth = httpx.BasicAuth(name, password)
    elif settings.kibana_username and settings.kibana_password is not None:
        auth = httpx.BasicAuth(
            settings.kibana_username, settings.kibana_password.get_secret_value()
        )
    key = api_key or (
        settings.kibana_api_key.get_secret_value() if settings.kibana_api_key else None
    )
    target = url or settings.kibana_url
    try:
        outcome = import_saved_objects(target, file, auth=auth, api_key=key)
    except KibanaError as exc:
        raise _fail(exc) from exc
    if as_json:
        summary = {"imported": outcome.imported, "failures": outcome.failures}
        sys.stdout.write(orjson.dumps(summary).decode() + "\n")
    else:
        out.print(f"imported {outcome.imported} object(s) into {safe(target)}", highlight=False)
    for line in outcome.failures:
        err.print(f"[red]not imported:[/] {safe(line)}", soft_wrap=True, highlight=False)
    if not outcome.ok:
        raise typer.Exit(1)


def _cut(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _reason(exc: ApiError) -> str:
    """The root cause Elasticsearch gives (``Text fields are not optimised ...``), else its
    error type."""
    error = exc.body.get("error") if isinstance(exc.body, dict) else None
    causes = error.get("root_cause") if isinstance(error, dict) else None
    if causes and isinstance(causes[0], dict) and causes[0].get("reason"):
        return f"{causes[0].get('type')}: {causes[0]['reason']}"
    return str(exc.message)


@kibana_app.command("check")
def check_command(file: FileOption = DEFAULT_FILE, as_json: JsonOption = False) -> None:
    """Run every dashboard panel's query against Elasticsearch; show what each finds.

    Articles and feed polls (NEWSMON_INDEX_ALIAS, NEWSMON_FEED_POLLS_INDEX) are read from
    NEWSMON_ES_URL, alerts (NEWSMON_ALERTS_INDEX) from where they are kept
    (NEWSMON_PERCOLATOR_URL, default the same cluster). Exit code 1 if a query fails; a panel
    with nothing yet (no alerts, say) is shown as empty.
    """
    settings = load_settings()
    _checked(file)
    indices = {
        "newsmon-articles": settings.index_alias,
        "newsmon-alerts": settings.alerts_index,
        "newsmon-feed-polls": settings.feed_polls_index,
    }
    try:
        queries = dashboard_queries(read_objects(file), indices)
    except ConfigError as exc:
        raise _fail(exc) from exc
    articles = make_es(settings)
    alerts = make_es(settings, settings.subscriptions_url)
    clients: dict[str, Elasticsearch] = {"newsmon-alerts": alerts}
    results: list[PanelResult] = []
    failed: list[str] = []
    try:
        for query in queries:
            try:
                results.append(run_query(clients.get(query.data_view, articles), query))
            except ApiError as exc:
                failed.append(f"{query.panel_id} ({query.index}): {_reason(exc)}")
    except ESConnectionError as exc:
        raise _fail(f"cannot reach Elasticsearch: {exc.message}") from exc
    finally:
        articles.close()
        alerts.close()
    if as_json:
        rows = [
            {
                "panel": r.query.panel_id,
                "title": r.query.title,
                "index": r.query.index,
                "buckets": r.buckets,
                "sample": r.sample,
            }
            for r in results
        ]
        sys.stdout.write(orjson.dumps({"panels": rows, "failed": failed}).decode() + "\n")
    else:
        table = Table("panel", "index", "buckets", "e.g.")
        for r in results:
            table.add_row(
                safe(r.query.title),
                safe(r.query.index),
                str(r.buckets) if r.buckets else "[yellow]empty[/]",
                safe(_cut(r.sample[0]) if r.sample else ""),
            )
        out.print(table)
    for line in failed:
        err.print(f"[red]query failed:[/] {safe(line)}", soft_wrap=True, highlight=False)
    if failed:
        raise typer.Exit(1)
