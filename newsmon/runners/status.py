"""The live status of ``newsmon run``: feeds due / ok / failing, articles per minute, alerts.

Stage threads update plain counters (one writer each); the console thread reads them and
renders one line.
"""

import time
from collections import deque
from dataclasses import dataclass, field

from ingest import FeedBatch, FeedState
from ingest.fulltext import FulltextCounts
from ingest.normalize import SKIPS

RATE_WINDOW = 300.0
"""Articles per minute count what was stored in the last five minutes (a sliding window), so the
rate drops to 0 within minutes of the indexing stopping instead of fading like an average."""


@dataclass
class RunStatus:
    """Counters of one run."""

    feeds: int = 0
    published: int = 0
    processed: int = 0
    stored: int = 0
    alerts: int = 0
    delivered: int = 0
    skipped: int = 0
    """Feed entries skipped in this run (no usable link, a duplicate link): see feeds status."""
    pages_fetched: int = 0
    pages_failed: int = 0
    pages_skipped: int = 0
    """Article pages: fetched and extracted, failed (flagged), not needed (the feed's text)."""
    message: str = ""
    started: float = field(default_factory=time.monotonic)
    _feeds: dict[str, tuple[str, float]] = field(default_factory=dict)  # url -> (status, due)
    _samples: deque[tuple[float, int]] = field(default_factory=deque)

    def feed_known(self, url: str, state: FeedState) -> None:
        """A feed's stored state at start: when it is due, and whether its last poll failed."""
        failed = state.failures or state.disabled
        self._feeds[url] = ("failed" if failed else "ok", state.next_due)

    def feed_polled(self, batch: FeedBatch, published: int) -> None:
        """A feed was polled: its outcome and when it is due next."""
        self._feeds[batch.feed.url] = (batch.status, batch.state.next_due)
        self.published += published
        self.skipped += sum(batch.issues[issue] for issue in SKIPS)

    def pages(self, counts: FulltextCounts) -> None:
        """The full-text stage's running totals."""
        self.pages_fetched = counts.fetched
        self.pages_failed = counts.failed
        self.pages_skipped = counts.skipped

    def indexed(self, total: int, now: float | None = None) -> None:
        """The indexer's running total (at monotonic time ``now``)."""
        now = time.monotonic() if now is None else now
        self.stored = total
        self._samples.append((now, total))
        self._forget(now)

    def _forget(self, now: float) -> None:
        """Drop samples older than the window, keeping the newest one before it (the baseline)."""
        while len(self._samples) > 1 and self._samples[1][0] <= now - RATE_WINDOW:
            self._samples.popleft()

    def note(self, message: str) -> None:
        """A passing message shown after the counters (``""`` clears it)."""
        self.message = message

    def per_minute(self, now: float | None = None) -> float:
        """Articles stored per minute over the last :data:`RATE_WINDOW` seconds (since start,
        in the first minutes of a run)."""
        now = time.monotonic() if now is None else now
        self._forget(now)
        start = max(self.started, now - RATE_WINDOW)
        baseline = 0
        for moment, total in self._samples:
            if moment > start:
                break
            baseline = total
        minutes = max(now - start, 1.0) / 60
        return max(self.stored - baseline, 0) / minutes

    def feed_counts(self, now: float) -> tuple[int, int, int]:
        """Feeds (due now, ok at the last poll, failing at the last poll)."""
        outcomes = list(self._feeds.values())
        due = self.feeds - len(outcomes) + sum(1 for _, next_due in outcomes if next_due <= now)
        failing = sum(1 for status, _ in outcomes if status in ("failed", "disabled"))
        return due, len(outcomes) - failing, failing

    def line(self) -> str:
        """One status line."""
        due, ok, failing = self.feed_counts(time.time())
        skipped = f", {self.skipped} entries skipped" if self.skipped else ""
        parts = [
            f"feeds {self.feeds}: {due} due, {ok} ok, {failing} failing{skipped}",
            f"pages {self.pages_fetched} fetched, {self.pages_failed} failed, "
            f"{self.pages_skipped} skipped",
            f"articles {self.published} new, {self.processed} tagged, {self.stored} stored "
            f"({self.per_minute():.1f}/min)",
            f"alerts {self.alerts}, {self.delivered} delivered",
        ]
        if self.message:
            parts.append(self.message)
        return " │ ".join(parts)
