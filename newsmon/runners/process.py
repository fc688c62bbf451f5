"""``newsmon process``: the faust worker from ``processors`` with newsmon's settings."""

import logging
from datetime import UTC, datetime, timedelta

from newsmon.kafka_io import ensure_topics
from newsmon.settings import Settings
from processors.enrich import Enricher
from processors.faust_app import create_app, run_worker
from processors.stories import StoryIndex

log = logging.getLogger(__name__)


def load_enricher(settings: Settings, with_stories: bool = True) -> Enricher:
    """The enrichment pipeline the settings describe (fails fast on a missing model).

    ``with_stories=False`` clusters stories in memory only (one command's input, e.g. ``tag``),
    leaving the persistent index of the pipeline untouched.
    """
    if with_stories:
        settings.stories_db.parent.mkdir(parents=True, exist_ok=True)
    stories = StoryIndex(
        settings.stories_db if with_stories else ":memory:", threshold=settings.story_threshold
    )
    if with_stories:
        cutoff = datetime.now(UTC) - timedelta(days=settings.story_window_days)
        pruned = stories.prune(cutoff)
        log.info(
            "story index %s: pruned %d article(s) seen before %s",
            settings.stories_db,
            pruned,
            cutoff,
        )
    return Enricher.load(
        settings.spacy_model,
        settings.taxonomy,
        settings.gazetteer,
        settings.process_batch_size,
        detect_language=settings.detect_language,
        stories=stories,
        other_models=settings.language_models,
    )


def run_processor(settings: Settings) -> None:
    """Run the enrichment worker until interrupted."""
    enricher = load_enricher(settings)
    ensure_topics(settings)
    app = create_app(
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        load_enricher=lambda: enricher,
        app_id=f"{settings.group_prefix}-processor",
        source=settings.topic_raw,
        sink=settings.topic_enriched,
        dlq=settings.topic_dlq,
        data_dir=settings.data_dir / "faust",
        batch_size=settings.process_batch_size,
        batch_within=settings.process_batch_wait,
        partitions=settings.partitions,
    )
    run_worker(app, loglevel=settings.log_level.lower())
