"""The feeds table's rows are judged once per KEEP seconds per data dir, not on every page."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest import FeedStateStore
from newsmon.settings import Settings
from newsmon.web import feeds_view


def test_rows_are_reused_for_a_while_then_judged_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, mode="embedded")
    FeedStateStore(settings.state_db).close()  # a state file with no feed yet
    now = datetime.now(UTC)
    first = feeds_view.feed_rows(settings, now)
    assert feeds_view.feed_rows(settings, now) is first
    other = Settings(data_dir=tmp_path / "other", mode="embedded")
    assert feeds_view.feed_rows(other, now) is not first  # per data dir
    monkeypatch.setattr(feeds_view, "KEEP", 0.0)
    assert feeds_view.feed_rows(settings, now) is not first
