"""The alerting commands: ``newsmon alert``, ``newsmon notify`` and ``newsmon api``."""

import signal
import threading
import time
from collections.abc import Callable
from typing import Annotated

import typer

from contract import NewsmonError, Subscription
from newsmon.cluster_stage import require_cluster
from newsmon.console import err, load_settings, safe
from newsmon.data_option import DataOption, settings_with_data
from newsmon.logs import setup_logging


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def cached_subscriptions(
    load: Callable[[str], Subscription | None], ttl: float = 10.0
) -> Callable[[str], Subscription | None]:
    """``load`` with a short-lived cache: edits reach a running notifier within ``ttl`` seconds."""
    cache: dict[str, tuple[float, Subscription | None]] = {}

    def get(subscription_id: str) -> Subscription | None:
        now = time.monotonic()
        hit = cache.get(subscription_id)
        if hit is None or now - hit[0] > ttl:
            hit = (now, load(subscription_id))
            cache[subscription_id] = hit
        return hit[1]

    return get


def alert(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="exit once the topic has no new messages")
    ] = False,
) -> None:
    """Percolate enriched articles against the subscriptions; publish alerts to news.alerts.

    One alert per subscription and story: later copies of a story update it. Spike
    subscriptions are checked every NEWSMON_SPIKE_INTERVAL seconds.
    """
    from newsmon.cluster.backends import ClusterBackends
    from newsmon.metrics.http import serve_stage_metrics
    from newsmon.runners.alert import run_alerter

    settings = load_settings()
    require_cluster(settings, "alert")
    setup_logging(settings.log_level, settings.log_dir / "alert.log")
    stop = _stop_on_signals()
    try:
        serve_stage_metrics(settings)
        stats = run_alerter(settings, stop, ClusterBackends(settings), until_idle=until_idle)
    except NewsmonError as exc:
        err.print(f"[red]error:[/] {safe(exc)}")
        raise typer.Exit(1) from exc
    err.print(
        f"{stats.articles} article(s): {stats.matches} match(es), {stats.alerts} alert(s), "
        f"{stats.updates} update(s); {stats.replay_skipped} replayed skipped, "
        f"{stats.poison} undecodable"
    )


def notify(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="exit once the topic has no new messages")
    ] = False,
) -> None:
    """Deliver alerts from news.alerts: webhook, email, Slack, Kafka; immediate or as digests.

    A delivery log (NEWSMON_DATA_DIR/notify.sqlite3) makes sure a restart or a redelivered
    alert is never sent twice.
    """
    from newsmon.cluster.backends import ClusterBackends
    from newsmon.metrics.http import serve_stage_metrics
    from newsmon.runners.notify import run_notifier

    settings = load_settings()
    require_cluster(settings, "notify")
    setup_logging(settings.log_level, settings.log_dir / "notify.log")
    stop = _stop_on_signals()
    backends = ClusterBackends(settings)
    store = backends.subscriptions()
    try:
        serve_stage_metrics(settings)
        stats = run_notifier(
            settings, stop, backends, cached_subscriptions(store.get), until_idle=until_idle
        )
    except NewsmonError as exc:
        err.print(f"[red]error:[/] {safe(exc)}")
        raise typer.Exit(1) from exc
    outcomes = ", ".join(f"{n} {status}" for status, n in sorted(stats.outcomes.items()))
    err.print(
        f"{stats.received} alert(s) read, {stats.poison} undecodable; "
        f"outcomes: {outcomes or 'none'}"
    )


def api(
    host: Annotated[str | None, typer.Option(help="address (NEWSMON_API_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (NEWSMON_API_PORT)")] = None,
    data: DataOption = None,
) -> None:
    """Serve the HTTP API: subscriptions, backtests and alerts (OpenAPI at /openapi.json)."""
    from newsmon.api import serve

    settings = settings_with_data(data)
    overrides: dict[str, object] = {}
    if host:
        overrides["api_host"] = host
    if port:
        overrides["api_port"] = port
    setup_logging(settings.log_level)
    serve(settings.model_copy(update=overrides))
