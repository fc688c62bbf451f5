"""``newsmon archive ls|stats``: the WARC files of every response newsmon kept.

Reads the archive directory only (``NEWSMON_ARCHIVE_DIR``, or ``archive/`` in the data dir), a
record at a time: no server needed. A file cut short by a crash is listed with a one-line note
instead of failing the command. Everything taken from the files (URLs, hosts, names) is data,
printed so that it never acts as terminal markup.
"""

import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from ingest.archive_files import archive_files
from ingest.archive_read import FileSummary, summarize
from newsmon.console import err, out, safe
from newsmon.data_option import DataOption, settings_with_data
from newsmon.since import parse_since

archive_app = typer.Typer(help="The WARC archive: its files, what they hold.")

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


def _archive_dir(data: Path | None) -> Path:
    path = settings_with_data(data).archive_path
    if not path.is_dir():
        err.print(
            f"[red]error:[/] no archive in {safe(path)} (nothing archived there yet; give "
            "--data DIR where `newsmon run` keeps its data, or set NEWSMON_ARCHIVE_DIR)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    return path


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError  # pragma: no cover


def file_row(summary: FileSummary) -> dict[str, Any]:
    """One file as plain data (a line of ``ls --json``)."""
    return {
        "name": summary.path.name,
        "kind": summary.name.kind,
        "state": "open" if summary.name.open else "finished",
        "bytes": summary.size,
        "records": summary.records,
        "responses": summary.responses,
        "requests": summary.requests,
        "payload_bytes": summary.payload_bytes,
        "first": _iso(summary.first),
        "last": _iso(summary.last),
        "note": summary.note,
    }


def _print_whole(table: Table) -> None:
    """``table`` one line a row however narrow the terminal (or a pipe's 80 columns): a file
    name cut short names no file. A wider table overflows the terminal, as ``ls -l`` does."""
    width = Measurement.get(out, out.options.update(width=1000), table).maximum
    if width <= out.width:
        out.print(table)
        return
    wide = Console(
        file=out.file,
        width=width,
        emoji=False,
        color_system=out.color_system,  # type: ignore[arg-type]  # the same names
        force_terminal=out.is_terminal,
    )
    wide.print(table)


def _print_notes(notes: list[str]) -> None:
    for note in notes:
        out.print(f"[yellow]note:[/] {safe(note)}", highlight=False, soft_wrap=True)


@archive_app.command("ls")
def ls(data: DataOption = None, as_json: JsonOption = False) -> None:
    """Every archive file: kind, size, responses, first and last WARC-Date, open or finished.

    An open file is being written (or its writer stopped without closing it); a file cut short
    gets a note.
    """
    directory = _archive_dir(data)
    summaries = [summarize(path, name) for path, name in archive_files(directory)]
    if as_json:
        for summary in summaries:
            sys.stdout.write(orjson.dumps(file_row(summary)).decode() + "\n")
        return
    if not summaries:
        out.print(f"no archive files in {safe(directory)}", highlight=False, soft_wrap=True)
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("file", "kind", "size", "responses", "first (UTC)", "last (UTC)", "state"):
        numeric = column in ("size", "responses")
        table.add_column(column, no_wrap=True, justify="right" if numeric else "left")
    for summary in summaries:
        row = file_row(summary)
        table.add_row(
            safe(row["name"]),
            safe(row["kind"]),
            _size(row["bytes"]),
            str(row["responses"]),
            _when(summary.first),
            _when(summary.last),
            row["state"],
        )
    _print_whole(table)
    _print_notes([s.note for s in summaries if s.note])


def totals(summaries: list[FileSummary], top: int, since: datetime | None) -> dict[str, Any]:
    """The archive's totals over ``summaries`` (the ``stats --json`` shape).

    With ``since``, only files holding a record from then on count, and their whole size.
    """
    counted = [s for s in summaries if since is None or s.responses or s.requests]
    hosts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for summary in counted:
        hosts.update(summary.hosts)
        kinds[summary.name.kind] += summary.responses
    responses = sum(s.responses for s in counted)
    disk = sum(s.size for s in counted)
    payload = sum(s.payload_bytes for s in counted)
    firsts = [s.first for s in counted if s.first]
    lasts = [s.last for s in counted if s.last]
    return {
        "since": _iso(since),
        "files": len(counted),
        "responses": responses,
        "requests": sum(s.requests for s in counted),
        "bytes_on_disk": disk,
        "payload_bytes": payload,
        "first": _iso(min(firsts, default=None)),
        "last": _iso(max(lasts, default=None)),
        "responses_per_kind": dict(sorted(kinds.items())),
        "top_hosts": [{"host": h, "responses": n} for h, n in hosts.most_common(top)],
        "disk_bytes_per_response": round(disk / responses) if responses else None,
        "payload_bytes_per_response": round(payload / responses) if responses else None,
        "notes": [s.note for s in summaries if s.note],
    }


def print_totals(report: dict[str, Any]) -> None:
    """The totals as text, then the hosts table and any notes."""
    since = f" since {report['since']}" if report["since"] else ""
    out.print(
        f"{report['files']} file(s){since}: {report['responses']} response(s), "
        f"{report['requests']} request(s); {_size(report['bytes_on_disk'])} on disk, "
        f"{_size(report['payload_bytes'])} of payload",
        highlight=False,
        soft_wrap=True,
    )
    if report["responses"]:
        first, last = (datetime.fromisoformat(report[k]) for k in ("first", "last"))
        out.print(f"dated {_when(first)} to {_when(last)} UTC", highlight=False, soft_wrap=True)
        out.print(
            f"per response: {_size(report['disk_bytes_per_response'])} on disk, "
            f"{_size(report['payload_bytes_per_response'])} of payload",
            highlight=False,
            soft_wrap=True,
        )
        kinds = ", ".join(f"{safe(k)} {n}" for k, n in report["responses_per_kind"].items())
        out.print(f"responses per kind: {kinds}", highlight=False, soft_wrap=True)
        table = Table("host", highlight=False)
        table.add_column("responses", justify="right")
        for row in report["top_hosts"]:
            table.add_row(safe(row["host"]), str(row["responses"]))
        out.print(table)
    _print_notes(report["notes"])


@archive_app.command()
def stats(
    data: DataOption = None,
    as_json: JsonOption = False,
    since: Annotated[
        str | None, typer.Option(help="only responses dated after: 24h, 7d, or a date")
    ] = None,
    top: Annotated[int, typer.Option(min=1, max=1000, help="hosts listed")] = 10,
) -> None:
    """Totals: files, responses, requests, bytes on disk and of payload, dates, responses per
    kind, the top hosts, bytes per response."""
    start = parse_since(since, datetime.now(UTC))
    directory = _archive_dir(data)
    summaries = [
        summarize(path, name, start)
        for path, name in archive_files(directory)
        # a file holds records written on the day its name gives: earlier days are skipped
        if start is None or name.started.date() >= start.astimezone(UTC).date()
    ]
    report = totals(summaries, top, start)
    if as_json:
        sys.stdout.write(orjson.dumps(report).decode() + "\n")
    else:
        print_totals(report)
