"""The WARC archive's files: their names, which are finished, and which retention deletes.

A file is named ``newsmon-{kind}-{YYYYMMDD}-{HHMMSS}-{instance}-{seq:05d}.warc.gz``: the kind
(``feeds``, ``pages``) groups the files, the UTC time the file was started sorts them, and the
instance (host and process id) with a sequence number keeps the names of writers side by side in
one directory apart. While a writer has a file open its name ends in ``.open``; the writer renames
it when it closes the file, so a name without the suffix is a finished file that nothing will
write again. A file left ``.open`` by a writer that crashed keeps its suffix (its complete records
are still readable); retention never deletes it, because nothing tells it from a live one.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
"""Appended to a file's name while a writer has it open; removed when it is finished."""

_NAME = re.compile(
    r"newsmon-(?P<kind>[a-z0-9]+)-(?P<started>\d{8}-\d{6})-(?P<instance>[A-Za-z0-9._-]+?)"
    r"-(?P<seq>\d{5,})\.warc\.gz(?P<open>\.open)?"
)
_KIND = re.compile(r"[a-z0-9]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class ArchiveName:
    """What a file's name says about it.

    Attributes:
        kind: what the responses are (``feeds``, ``pages``).
        started: when the writer started the file (UTC, whole seconds): every record in it was
            written on this UTC day.
        instance: the writer (``host-pid`` by default).
        seq: the writer's count of files started, from 0.
        open: True while a writer has the file open (or its writer died with it open).
    """

    kind: str
    started: datetime
    instance: str
    seq: int
    open: bool = False

    @property
    def finished_name(self) -> str:
        """The file's name once it is finished."""
        stamp = self.started.strftime(_STAMP)
        return f"newsmon-{self.kind}-{stamp}-{self.instance}-{self.seq:05d}{SUFFIX}"

    @property
    def name(self) -> str:
        """The file's name as it is now (with the ``.open`` suffix while open)."""
        return self.finished_name + (OPEN_SUFFIX if self.open else "")


def check_kind(kind: str) -> str:
    """``kind`` if it can stand in a file name (lower-case letters and digits, no hyphen, so the
    name parses back).

    Raises:
        ValueError: anything else.
    """
    if not _KIND.fullmatch(kind):
        raise ValueError(f"archive kind {kind!r}: use lower-case letters and digits")
    return kind


def safe_instance(instance: str) -> str:
    """``instance`` with anything but letters, digits, ``.``, ``_`` and ``-`` replaced by ``_``
    (a host name is the writer's to choose; the file name must stay plain)."""
    return _UNSAFE.sub("_", instance) or "_"


def parse_name(name: str) -> ArchiveName | None:
    """What ``name`` says, or None if it is not one of newsmon's archive files."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    try:
        started = datetime.strptime(match["started"], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
    return ArchiveName(
        kind=match["kind"],
        started=started,
        instance=match["instance"],
        seq=int(match["seq"]),
        open=match["open"] is not None,
    )


def archive_files(directory: Path) -> list[tuple[Path, ArchiveName]]:
    """Newsmon's archive files in ``directory`` (finished and open), by name: kind, then start.

    Other files are left out. A directory that does not exist holds none.
    """
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        parsed = parse_name(path.name)
        if parsed is not None and path.is_file():
            found.append((path, parsed))
    return sorted(found, key=lambda item: item[0].name)


def last_written(path: Path, name: ArchiveName) -> datetime:
    """An upper bound on when the last record of a finished file was written.

    The file's modification time is when its last record was written, unless the file was
    copied since; every record was written on the day the name gives, so the end of that day
    bounds it either way. The earlier of the two is kept.
    """
    day_end = name.started.replace(hour=0, minute=0, second=0) + timedelta(days=1)
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return min(modified, day_end)


def prune(directory: Path, retention_days: float, now: datetime | None = None) -> list[Path]:
    """Delete the finished archive files whose last record is older than ``retention_days``.

    A file is only deleted when every record in it is older than the retention, judged by
    :func:`last_written`. Files still ``.open`` are never deleted: a live writer would go on
    writing to a file that no longer exists.

    Args:
        directory: the archive directory.
        retention_days: how long files are kept; 0 keeps them all.
        now: the present (UTC); the clock by default.

    Returns:
        The files deleted, by name.
    """
    if retention_days <= 0:
        return []
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days)
    deleted = []
    for path, name in archive_files(directory):
        if name.open:
            continue
        try:
            if last_written(path, name) < cutoff:
                path.unlink()
                deleted.append(path)
        except FileNotFoundError:  # another pruner was quicker
            continue
    return deleted
