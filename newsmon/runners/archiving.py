"""The WARC archive the poller and the full-text stage write, as the settings describe it."""

import logging

from ingest.archive import WarcArchive, prune
from newsmon.settings import Settings

log = logging.getLogger(__name__)


def open_archive(settings: Settings, kind: str) -> WarcArchive | None:
    """The WARC archive of ``kind`` (``feeds`` or ``pages``), unless archiving is off; files
    past the retention are deleted first (``newsmon run`` also does so hourly)."""
    if not settings.archive:
        return None
    settings.archive_path.mkdir(parents=True, exist_ok=True)
    prune_archive(settings)
    return WarcArchive(
        settings.archive_path, kind=kind, max_file_bytes=settings.archive_max_file_mb * 2**20
    )


def prune_archive(settings: Settings) -> None:
    """Delete the WARC files older than the retention (none when it is 0), logged."""
    retention = settings.archive_retention_days
    if not retention or not settings.archive_path.is_dir():
        return
    try:
        removed = prune(settings.archive_path, retention)
    except OSError as exc:
        log.warning("archive retention skipped: %s", exc)
    else:
        if removed:
            log.info("archive: %d file(s) older than %g days removed", len(removed), retention)
