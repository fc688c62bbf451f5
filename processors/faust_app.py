"""The faust-streaming worker: a thin wrapper that feeds ``process_batch`` from Kafka.

Batches come from ``stream.take``; spaCy runs in a worker thread so the event loop keeps
heartbeating. A second agent reads replayed history (the replay topic) in small batches and
only while the live agent has no batch in hand, so live articles go first. Faust acks a batch
once the loop body finishes, and the body only finishes after every enriched article and dead
letter was acknowledged by the broker, so nothing is acked that was not delivered.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import faust

from contract import Topics, TransientError
from processors.batch import BatchResult, process_batch
from processors.enrich import Enricher

log = logging.getLogger(__name__)


async def _deliver(sink: Any, dlq: Any, result: BatchResult) -> None:
    futures = [await sink.send(key=a.id.encode(), value=a.to_json()) for a in result.enriched] + [
        await dlq.send(key=(e.key or "").encode() or None, value=e.to_json()) for e in result.dead
    ]
    await asyncio.gather(*futures)


TRANSIENT_RETRIES = 5
"""Retries of a batch that failed with a TransientError (1, 2, 4, 8, 16 s), then a last try
whose error stops the agent rather than acknowledging unprocessed messages."""


def create_app(
    *,
    broker: str | list[str],
    load_enricher: Callable[[], Enricher],
    data_dir: Path,
    app_id: str = "newsmon-processor",
    source: str = Topics.RAW,
    sink: str = Topics.ENRICHED,
    dlq: str = Topics.DLQ,
    batch_size: int = 32,
    batch_within: float = 1.0,
    partitions: int = 4,
    replay: str | None = Topics.REPLAY_RAW,
    replay_batch_size: int = 16,
) -> faust.App:
    """Build the faust app. ``load_enricher`` runs once, in the worker thread, at first batch."""
    app = faust.App(
        app_id,
        broker=broker,
        store="memory://",
        datadir=str(data_dir),
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=partitions,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        web_enabled=False,
    )
    source_topic = app.topic(source, key_serializer="raw", value_serializer="raw")
    sink_topic = app.topic(sink, key_serializer="raw", value_serializer="raw")
    dlq_topic = app.topic(dlq, key_serializer="raw", value_serializer="raw")
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsmon-nlp")
    enricher: list[Enricher] = []

    live_idle = asyncio.Event()
    live_idle.set()

    def run_batch(payloads: list[bytes], topic: str) -> BatchResult:
        if not enricher:
            enricher.append(load_enricher())
        for attempt in range(TRANSIENT_RETRIES):
            try:
                return process_batch(enricher[0], payloads, topic)
            except TransientError as exc:  # e.g. the story index locked by another worker
                wait = 2**attempt
                log.warning("%s: %s; retrying the batch in %d s", topic, exc, wait)
                time.sleep(wait)
        return process_batch(enricher[0], payloads, topic)

    @app.agent(source_topic, name="enrich")
    async def enrich(stream: faust.StreamT[bytes]) -> None:
        loop = asyncio.get_running_loop()
        async for payloads in stream.take(batch_size, within=batch_within):
            live_idle.clear()
            try:
                result = await loop.run_in_executor(executor, run_batch, list(payloads), source)
                await _deliver(sink_topic, dlq_topic, result)
            finally:
                live_idle.set()
            log.info(
                "enriched %d article(s), %d dead letter(s)", len(result.enriched), len(result.dead)
            )

    if replay is not None:
        replay_topic = app.topic(replay, key_serializer="raw", value_serializer="raw")

        @app.agent(replay_topic, name="enrich-replay")
        async def enrich_replay(stream: faust.StreamT[bytes]) -> None:
            loop = asyncio.get_running_loop()
            async for payloads in stream.take(replay_batch_size, within=batch_within):
                await live_idle.wait()
                result = await loop.run_in_executor(
                    executor, run_batch, list(payloads), str(replay)
                )
                await _deliver(sink_topic, dlq_topic, result)
                log.info("enriched %d replayed article(s)", len(result.enriched))

    return app


def run_worker(app: faust.App, loglevel: str = "info") -> None:
    """Run the faust worker in this process until it is stopped (SIGINT/SIGTERM)."""
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False)
    worker.execute_from_commandline()
