"""Fixtures for the replay readers' tests."""

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from replay_support import Response, write_warc


@pytest.fixture
def make_warc(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_warc("name.warc.gz", [Response(...)], compress=True)`` -> its path."""

    def make(name: str, responses: Iterable[Response], **options: Any) -> Path:
        return write_warc(tmp_path / name, responses, **options)

    return make
