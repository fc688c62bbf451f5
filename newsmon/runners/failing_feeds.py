"""``newsmon run`` names a feed the first time it fails: one console line, not just a count.

Not again while it keeps failing (the status line keeps counting it); once it polled fine, a
new failure is named anew.
"""

from collections.abc import Callable

from ingest import FeedBatch
from newsmon.console import safe

FAILING = ("failed", "disabled")


class FailingFeeds:
    """Says ``feed "X" failing: why`` at each feed's first failure of an episode.

    Args:
        say: prints one line of Rich markup (feed text in it is escaped with ``safe``).
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.failing: set[str] = set()

    def polled(self, batch: FeedBatch) -> None:
        """One poll's outcome."""
        url = batch.feed.url
        if batch.status not in FAILING:
            self.failing.discard(url)
            return
        if url in self.failing:
            return
        self.failing.add(url)
        name = batch.feed.name
        error = (batch.error or batch.status).removeprefix(f"feed {name!r}: ")
        self.say(f'[red]feed "{safe(name)}" failing:[/] {safe(error)}')
