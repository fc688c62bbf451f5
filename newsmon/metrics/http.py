"""``GET /metrics`` in the Prometheus text format, on the API app (``newsmon api``, and the app
``newsmon run`` serves).

Each app gets a registry of its own holding the scrape-time collectors for its settings (lag,
feed health, deliveries) and a scrape error counter, plus this process's stage metrics
(:data:`newsmon.metrics.stages.REGISTRY`); two apps in one process (tests) never clash.
"""

from collections.abc import Iterable
from wsgiref.simple_server import WSGIServer

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from contract import ConfigError
from newsmon.backends import Mode
from newsmon.metrics import stages
from newsmon.metrics.lag import KafkaLag, LocalLogLag, consumed
from newsmon.metrics.stores import Deliveries, FeedHealth
from newsmon.settings import Settings


class _StageMetrics(Collector):
    """This process's stage metrics, read through at every scrape."""

    def collect(self) -> Iterable[Metric]:
        return stages.REGISTRY.collect()


def scrape_registry(settings: Settings, mode: Mode) -> CollectorRegistry:
    """Every newsmon metric for ``settings``: stage counters, consumer lag (from Kafka on a
    cluster, from the local log embedded), feed health and alert deliveries."""
    registry = CollectorRegistry(auto_describe=False)  # collectors run at scrape time only
    errors = Counter(
        "newsmon_scrape_errors",
        "Scrapes that left a source's series out: kafka, local_log (consumer lag), feed_state, "
        "delivery_log (unreachable, timed out, or unreadable).",
        ["source"],
        registry=registry,
    )
    pairs = consumed(settings)
    lag: Collector = (
        KafkaLag(settings.kafka_bootstrap, pairs, errors)
        if mode == "cluster"
        else LocalLogLag(settings.log_db, pairs, errors)
    )
    for collector in (
        _StageMetrics(),
        lag,
        FeedHealth(settings.state_db, errors),
        Deliveries(settings.notify_db, errors),
    ):
        registry.register(collector)
    return registry


router = APIRouter()


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
    tags=["metrics"],
)
def metrics(request: Request) -> Response:
    """Prometheus metrics: articles per stage, batch latency, consumer lag, feed health,
    alert deliveries (a look at Kafka that takes over 2 s is left out, not waited for)."""
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI, settings: Settings, mode: Mode) -> None:
    """Serve ``/metrics`` on ``app`` for the stores ``settings`` and ``mode`` name."""
    app.state.metrics = scrape_registry(settings, mode)
    app.include_router(router)


def serve_stage_metrics(settings: Settings) -> WSGIServer | None:
    """A cluster stage command's own ``/metrics`` (its stage counters and batch latency) on
    ``api_host:metrics_port``, in a daemon thread; nothing when ``metrics_port`` is unset.

    Consumer lag, feed health and deliveries are not repeated here: ``newsmon api`` serves them
    once for the whole cluster.

    Returns:
        The server (``shutdown()`` stops it), or None.

    Raises:
        ConfigError: the port cannot be listened on.
    """
    if settings.metrics_port is None:
        return None
    try:
        server, _ = start_http_server(
            settings.metrics_port, settings.api_host, registry=stages.REGISTRY
        )
    except OSError as exc:
        raise ConfigError(
            f"NEWSMON_METRICS_PORT: cannot listen on {settings.api_host}:{settings.metrics_port}:"
            f" {exc.strerror or exc}"
        ) from exc
    return server
