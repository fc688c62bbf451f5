"""Stand-ins for the feed parser that misbehave, run in the isolated parser's workers (they are
imported there by name, so they live in a module of their own)."""

import os
import time
from datetime import datetime
from typing import Any

from ingest import FeedSpec, ParsedFeed


def sleeps(body: bytes, feed: FeedSpec, fetched_at: datetime, *args: Any, **kw: Any) -> ParsedFeed:
    """Takes as many seconds as the body says."""
    time.sleep(float(body))
    return ParsedFeed()


def hogs_memory(
    body: bytes, feed: FeedSpec, fetched_at: datetime, *args: Any, **kw: Any
) -> ParsedFeed:
    """Allocates as many MiB as the body says."""
    hog = bytearray(int(body) * 2**20)
    return ParsedFeed(errors=[str(len(hog))])


def dies(body: bytes, feed: FeedSpec, fetched_at: datetime, *args: Any, **kw: Any) -> ParsedFeed:
    """The worker process exits (as a crash in C code would take it down)."""
    os._exit(3)
