"""``newsmon run``: every stage in one process -- poll, full text, process, index, alert,
notify.

The stages are the distributed workers' own loops (``newsmon.runners.*``), each in a thread,
talking through the backends' topics (the local log, or Kafka). Stopping sets one event: each
stage finishes and commits the batch in hand, then returns; what was not consumed yet stays on
its topic for the next start.
"""

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from contract import NewsmonError
from ingest import FeedBatch
from newsmon.backends import Backends
from newsmon.runners.alert import AlertStats, run_alerter
from newsmon.runners.archiving import prune_archive
from newsmon.runners.failing_feeds import FailingFeeds
from newsmon.runners.fulltext import FulltextStats, run_fulltext
from newsmon.runners.index import IndexStats, run_indexer
from newsmon.runners.notify import NotifyStats, run_notifier
from newsmon.runners.poll import PollSummary, poll_feeds
from newsmon.runners.process import ProcessStats, lanes, load_enricher, run_process_loop
from newsmon.runners.status import RunStatus
from newsmon.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Pipeline:
    """The stage threads of one ``run`` and the first error that stopped one of them."""

    settings: Settings
    backends: Backends
    feeds_file: Path
    status: RunStatus
    console: Callable[[str], None]
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)
    polled: PollSummary | None = None
    """What the poll stage did (after it returned)."""
    say: Callable[[str], None] | None = None
    """Prints one line of Rich markup: a feed's first failure is named there."""

    def _guard(self, name: str, body: Callable[[], object]) -> Callable[[], None]:
        """Run a stage; if it dies, say so and stop the others (never a silent half-pipeline)."""

        def run() -> None:
            try:
                body()
            except BaseException as exc:
                log.exception("stage %s stopped", name)
                self.errors.append(exc)
                self.stop.set()
            else:
                log.info("stage %s stopped", name)

        return run

    # -- the stages --------------------------------------------------------------------

    def poll(self, once: bool = False) -> None:
        """Feeds -> raw topic."""

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            waiter = threading.Thread(
                target=lambda: (self.stop.wait(), loop.call_soon_threadsafe(stop.set)),
                daemon=True,
            )
            waiter.start()

            failing = FailingFeeds(self.say) if self.say is not None else None

            def on_batch(batch: FeedBatch, published: int) -> None:
                self.status.feed_polled(batch, published)
                if failing is not None:
                    failing.polled(batch)

            self.polled = await poll_feeds(
                self.settings, self.backends, str(self.feeds_file), once, on_batch, stop
            )

        asyncio.run(main())

    def fulltext(self, until_idle: bool = False) -> None:
        """Polled topic -> article pages fetched and extracted -> raw topic."""

        def progress(stats: FulltextStats) -> None:
            self.status.pages(stats.counts)

        run_fulltext(self.settings, self.stop, self.backends, self.feeds_file, progress, until_idle)

    def process(self, until_idle: bool = False) -> None:
        """Raw -> enriched (spaCy and the taxonomy)."""
        self.status.note("loading the spaCy model and the taxonomy")
        enricher = load_enricher(self.settings)
        self.status.note("")
        transport = self.backends.transport()

        def progress(stats: ProcessStats) -> None:
            self.status.processed = stats.enriched

        run_process_loop(
            self.settings,
            self.stop,
            lanes(self.settings, transport),
            transport.producer(),
            enricher,
            on_progress=progress,
            until_idle=until_idle,
        )

    def index(self, until_idle: bool = False) -> None:
        """Enriched -> article store."""

        def progress(stats: IndexStats) -> None:
            self.status.indexed(stats.indexed)

        run_indexer(self.settings, self.stop, self.backends, progress, until_idle)

    def alert(self, until_idle: bool = False) -> None:
        """Enriched -> subscriptions -> alerts topic."""

        def progress(stats: AlertStats) -> None:
            self.status.alerts = stats.alerts

        run_alerter(
            self.settings, self.stop, self.backends, until_idle=until_idle, on_progress=progress
        )

    def notify(self, until_idle: bool = False) -> None:
        """Alerts topic -> channels (the console among them)."""
        from newsmon.alerts_cli import cached_subscriptions

        store = self.backends.subscriptions()

        def progress(stats: NotifyStats) -> None:
            self.status.delivered = stats.count("sent")

        run_notifier(
            self.settings,
            self.stop,
            self.backends,
            cached_subscriptions(store.get, ttl=2.0),
            until_idle=until_idle,
            on_progress=progress,
            console=self.console,
        )

    # -- running them ------------------------------------------------------------------

    def housekeeping(self) -> None:
        """The backends' upkeep (pruning the local log) and the archive's retention, logged;
        run at start and hourly."""
        try:
            done = self.backends.housekeeping()
        except NewsmonError as exc:
            log.warning("housekeeping skipped: %s", exc)
        else:
            if done:
                log.info("%s", done)
        prune_archive(self.settings)

    def start(self) -> list[threading.Thread]:
        """Every stage in its own thread, all at once (the long-running mode)."""
        self.housekeeping()
        stages: dict[str, Callable[[], object]] = {
            "poll": self.poll,
            "fulltext": self.fulltext,
            "process": self.process,
            "index": self.index,
            "alert": self.alert,
            "notify": self.notify,
        }
        threads = [
            threading.Thread(target=self._guard(name, body), name=f"newsmon-{name}")
            for name, body in stages.items()
        ]
        for thread in threads:
            thread.start()
        return threads

    def run_once(self) -> None:
        """Each stage in turn until its topic is drained: poll every feed once, then process,
        index, alert and notify everything (``run --once``; scripts and tests)."""
        steps: list[tuple[str, Callable[[], object]]] = [
            ("poll", lambda: self.poll(once=True)),
            ("fulltext", lambda: self.fulltext(until_idle=True)),
            ("process", lambda: self.process(until_idle=True)),
            ("index", lambda: self.index(until_idle=True)),
            ("alert", lambda: self.alert(until_idle=True)),
            ("notify", lambda: self.notify(until_idle=True)),
        ]
        self.housekeeping()
        for name, step in steps:
            if self.stop.is_set():
                break
            self._guard(name, step)()

    def raise_errors(self) -> None:
        """Re-raise the first stage failure (a NewsmonError carries a readable message)."""
        if self.errors:
            error = self.errors[0]
            if isinstance(error, NewsmonError):
                raise error
            raise RuntimeError(f"a stage failed: {error!r}") from error
