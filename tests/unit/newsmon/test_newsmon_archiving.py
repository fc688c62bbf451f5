"""The archive as the runners open it: the settings' directory and kind, retention applied."""

from pathlib import Path

from newsmon.runners.archiving import open_archive
from newsmon.settings import Settings


def test_opening_the_archive_deletes_files_past_the_retention(tmp_path: Path) -> None:
    archive_dir = tmp_path / "warc"
    archive_dir.mkdir()
    old = archive_dir / "newsmon-pages-20200101-000000-host-1-00000.warc.gz"
    recent_name = "newsmon-pages-20991231-000000-host-1-00000.warc.gz"
    old.write_bytes(b"")
    (archive_dir / recent_name).write_bytes(b"")
    settings = Settings(data_dir=tmp_path, archive_dir=archive_dir, archive_retention_days=30)
    archive = open_archive(settings, "pages")
    assert archive is not None
    archive.close()
    assert not old.exists()
    assert (archive_dir / recent_name).exists()


def test_archiving_off_opens_nothing(tmp_path: Path) -> None:
    assert open_archive(Settings(data_dir=tmp_path, archive=False), "feeds") is None
    assert not (tmp_path / "archive").exists()
