"""``newsmon reindex``: rebuild the article store with the current taxonomy, gazetteer and
model as a new version, show what changes, and swap it in atomically (see
:mod:`newsmon.runners.reindex`)."""

import sys
from enum import StrEnum
from typing import Annotated

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from contract import NewsmonError
from newsmon.backend_choice import backends_for
from newsmon.console import err, out, safe
from newsmon.data_option import DataOption, EmbeddedOption, settings_with_data
from newsmon.logs import setup_logging
from sinks.reindex_diff import VersionDiff

WIDTH = 80


class From(StrEnum):
    """Where the new version's articles come from."""

    INDEX = "index"
    ARCHIVE = "archive"


def _examples(plus: list[str], minus: list[str]) -> str:
    return "\n".join([*(f"+ {safe(x)}" for x in plus), *(f"- {safe(x)}" for x in minus)])


def print_diff(diff: VersionDiff) -> None:
    """The diff as tables that fit in 80 columns."""
    width = min(out.width, WIDTH)
    out.print(
        f"{diff.old_articles:,} article(s) before, {diff.new_articles:,} after: "
        f"{diff.changed:,} retagged differently, {diff.only_new:,} new, "
        f"{diff.only_old:,} gone",
        highlight=False,
    )
    if diff.topics:
        table = Table("topic", "added", "removed", "examples (titles)", width=width)
        for t in diff.topics:
            examples = _examples(t.added_examples, t.removed_examples)
            table.add_row(safe(t.topic), f"+{t.added}", f"-{t.removed}", examples)
        out.print(table)
    if diff.entities:
        table = Table("entity type", "gained", "lost", "examples (names)", width=width)
        for e in diff.entities:
            examples = _examples(e.gained_examples, e.lost_examples)
            table.add_row(safe(e.label), f"+{e.gained}", f"-{e.lost}", examples)
        out.print(table)
    if diff.subscriptions:
        table = Table("subscription", "query", "old", "new", width=width)
        for s in diff.subscriptions:
            table.add_row(safe(s.id), safe(s.query), str(s.old), str(s.new))
        out.print(table)
    elif not diff.topics and not diff.entities:
        out.print("no topic, entity or subscription changes")


def reindex(
    source: Annotated[
        From,
        typer.Option(
            "--from", help="index: re-tag the stored text; archive: rebuild from the WARC archive"
        ),
    ] = From.INDEX,
    swap: Annotated[
        bool, typer.Option("--swap", help="make the new version live (atomic) after the diff")
    ] = False,
    drop_old: Annotated[
        bool, typer.Option("--drop-old", help="delete every version but the live one, and exit")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    data: DataOption = None,
    embedded: EmbeddedOption = False,
) -> None:
    """Build a new version of the article store with the current taxonomy, gazetteer and model,
    print what changes (topics, entity types, subscriptions), and with --swap make it live."""
    from newsmon.runners.reindex import drop_old as drop_versions
    from newsmon.runners.reindex import reindex as run_reindex

    settings = settings_with_data(data)
    setup_logging(settings.log_level, None)
    try:
        backends = backends_for(settings, embedded)
        if drop_old:
            dropped = drop_versions(backends)
            if as_json:
                sys.stdout.write(orjson.dumps({"dropped": dropped}).decode() + "\n")
            else:
                out.print(f"dropped {', '.join(map(safe, dropped))}", highlight=False)
            return
        progress = Progress(
            TextColumn("re-tagging"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        with progress:
            task = progress.add_task("", total=None)
            report = run_reindex(
                settings,
                backends,
                "archive" if source is From.ARCHIVE else "index",
                swap,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except NewsmonError as exc:
        err.print(f"[red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    if as_json:
        sys.stdout.write(orjson.dumps(report.as_dict()).decode() + "\n")
        return
    tagged = report.versions
    out.print(
        f"built {safe(report.new)} from the {report.source}: {report.written:,} article(s) in "
        f"{report.seconds:.1f} s ({report.rate:.1f}/s), {report.failed} kept their old tags; "
        f"live: {safe(report.old)}\ntagged with taxonomy {safe(tagged['taxonomy'])}, gazetteer "
        f"{safe(tagged['gazetteer'])}, model {safe(tagged['model'])}",
        highlight=False,
    )
    print_diff(report.diff)
    if report.swapped:
        out.print(
            f"swapped: {safe(report.new)} is live ({report.caught_up} article(s) indexed "
            f"meanwhile caught up); {safe(report.old)} kept until `newsmon reindex --drop-old`",
            highlight=False,
        )
    else:
        out.print(
            f"not swapped: {safe(report.old)} stays live; `newsmon reindex --swap` builds again "
            "and swaps",
            highlight=False,
        )
