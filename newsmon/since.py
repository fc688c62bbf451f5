"""``--since 7d`` / ``?since=2026-12-01``: the one parser of "from when" for the CLI and the API.

A duration back from now (``90m``, ``24h``, ``7d``, ``1d12h``), an ISO date (midnight UTC) or an
ISO date-time with or without a zone (none means UTC).
"""

from datetime import UTC, datetime, timedelta

import typer

from ingest.feeds_file import parse_interval

HINT = "use e.g. 24h, 7d, 2026-11-20 or 2026-11-20T08:00:00+01:00"


def moment_since(value: str, now: datetime) -> datetime:
    """The moment ``value`` names, counting durations back from ``now``.

    Raises:
        ValueError: neither a duration with a unit nor an ISO date/date-time.
    """
    text = value.strip()
    if text[-1:].isalpha():  # a bare number is not a duration here: "2026" is a year
        try:
            return now - timedelta(seconds=parse_interval(text))
        except (ValueError, TypeError):
            pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r}: {HINT}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """:func:`moment_since` for a command's option (None stays None).

    Raises:
        typer.BadParameter: the value is neither (a usage error, exit 2).
    """
    if value is None:
        return None
    try:
        return moment_since(value, now)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
