"""The WARC archive the poller and the full-text stage write, as the settings describe it."""

from ingest.archive import WarcArchive
from newsmon.settings import Settings


def open_archive(settings: Settings, kind: str) -> WarcArchive | None:
    """The WARC archive of ``kind`` (``feeds`` or ``pages``), unless archiving is off."""
    if not settings.archive:
        return None
    settings.archive_path.mkdir(parents=True, exist_ok=True)
    return WarcArchive(
        settings.archive_path, kind=kind, max_file_bytes=settings.archive_max_file_mb * 2**20
    )
