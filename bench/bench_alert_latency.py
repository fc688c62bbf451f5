"""Latency from ``news.articles.enriched`` to a delivered webhook, through the real services.

Runs ``newsmon alert`` and ``newsmon notify`` as processes against a running stack (default: the
dev stack of ``deploy/local/stack up``), stores N generated subscriptions (the same generator as
bench_percolate.py: taxonomy topics and gazetteer names; their alerts go to a Kafka channel, so
the notifier does that work too) plus one probe subscription with a webhook that matches every
article, then produces enriched articles at a steady rate and times each one from the moment it
is produced to the moment the local webhook server receives its alert.

    python bench/bench_alert_latency.py [--subscriptions 1000] [--rate 4] [--seconds 60] [--json]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from bench_percolate import articles, pools, put_many, queries, subscriptions  # noqa: E402

from contract import Subscription  # noqa: E402
from newsmon.kafka_io import make_producer, send_all  # noqa: E402
from processors.enrich import Enricher  # noqa: E402
from sinks.elasticsearch.subscriptions import SubscriptionStore  # noqa: E402


class Receiver:
    """Webhook endpoint that notes when each article's alert arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                now = time.monotonic()
                article = json.loads(body).get("latest") or {}
                receiver.arrived.setdefault(str(article.get("id")), now)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"


def alert_times(bootstrap: str, topic: str) -> dict[str, float]:
    """When the probe's alert for each article reached ``news.alerts`` (broker timestamp, s)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    found: dict[str, float] = {}
    for message in consumer:
        alert = json.loads(message.value)
        if alert["subscription_id"] == "latency-probe" and alert.get("latest"):
            found.setdefault(alert["latest"]["id"], message.timestamp / 1000)
    consumer.close()
    return found


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--es-url", default="http://127.0.0.1:9200")
    parser.add_argument("--percolator-url", default="http://127.0.0.1:9201")
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=4.0, help="articles per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    data = Path(tempfile.mkdtemp(prefix="newsmon-latency-"))
    env = {
        **os.environ,
        "NEWSMON_KAFKA_BOOTSTRAP": args.bootstrap,
        "NEWSMON_ES_URL": args.es_url,
        "NEWSMON_PERCOLATOR_URL": args.percolator_url,
        "NEWSMON_TOPIC_ENRICHED": f"bench-{run}.enriched",
        "NEWSMON_TOPIC_ALERTS": f"bench-{run}.alerts",
        "NEWSMON_TOPIC_DLQ": f"bench-{run}.dlq",
        "NEWSMON_GROUP_PREFIX": f"bench-{run}",
        "NEWSMON_SUBSCRIPTIONS_INDEX": f"bench-{run}-subscriptions",
        "NEWSMON_ALERTS_INDEX": f"bench-{run}-alerts",
        "NEWSMON_INDEX_ALIAS": f"bench-{run}-articles",
        "NEWSMON_DATA_DIR": str(data),
        "NEWSMON_SPIKE_INTERVAL": "3600",
        "NEWSMON_LOG_LEVEL": "WARNING",
    }
    receiver = Receiver()
    print("enriching the sample articles ...", file=sys.stderr)
    enricher = Enricher.load()
    sample = articles(enricher)
    percolator = Elasticsearch(args.percolator_url, request_timeout=120)
    store = SubscriptionStore(percolator, env["NEWSMON_SUBSCRIPTIONS_INDEX"])
    store.setup()
    generated = subscriptions(queries(args.subscriptions, pools(enricher, sample)))
    probe = Subscription(
        id="latency-probe",
        name="latency probe",
        owner="bench",
        query="language:en",
        every_article=True,
        channels=[{"type": "webhook", "url": receiver.url, "secret": "bench", "retries": 0}],
    )
    put_many(store, [*generated, probe])
    print(f"stored {len(generated)} subscriptions + the probe", file=sys.stderr)

    exe = str(REPO / ".venv" / "bin" / "newsmon")
    workers = [
        subprocess.Popen([exe, name], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for name in ("alert", "notify")
    ]
    producer = make_producer(args.bootstrap)
    sent: dict[str, float] = {}
    sent_wall: dict[str, float] = {}
    try:
        # warm up: one article, wait for its webhook (consumers joined, clients connected)
        warm = sample[0].model_copy(update={"id": f"{run}-warm"})
        send_all(producer, env["NEWSMON_TOPIC_ENRICHED"], [(warm.id.encode(), warm.to_json())])
        deadline = time.monotonic() + 120
        while warm.id not in receiver.arrived and time.monotonic() < deadline:
            time.sleep(0.1)
        if warm.id not in receiver.arrived:
            sys.exit("the warm-up article never reached the webhook")
        total = int(args.rate * args.seconds)
        start = time.monotonic()
        for n in range(total):
            base = sample[n % len(sample)]
            article = base.model_copy(
                update={
                    "id": f"{run}-{n}",
                    "story_id": f"{run}-{n}",
                    "enriched_at": datetime.now(UTC),
                }
            )
            time.sleep(max(0.0, start + n / args.rate - time.monotonic()))
            sent[article.id] = time.monotonic()
            sent_wall[article.id] = time.time()
            send_all(
                producer, env["NEWSMON_TOPIC_ENRICHED"], [(article.id.encode(), article.to_json())]
            )
        deadline = time.monotonic() + 120
        while len(set(sent) & set(receiver.arrived)) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        producer.close()
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    latencies = [receiver.arrived[i] - t for i, t in sent.items() if i in receiver.arrived]
    published = alert_times(args.bootstrap, env["NEWSMON_TOPIC_ALERTS"])
    to_alert = [published[i] - t for i, t in sent_wall.items() if i in published]
    alerts_index = Elasticsearch(args.percolator_url).count(index=env["NEWSMON_ALERTS_INDEX"])
    result = {
        "subscriptions": len(generated) + 1,
        "articles": len(sent),
        "delivered": len(latencies),
        "rate_per_s": args.rate,
        "alerts_stored": alerts_index["count"],
        "p50_s": round(percentile(latencies, 50), 3),
        "p95_s": round(percentile(latencies, 95), 3),
        "p99_s": round(percentile(latencies, 99), 3),
        "max_s": round(max(latencies), 3),
        "mean_s": round(statistics.mean(latencies), 3),
        "alerter_p50_s": round(percentile(to_alert, 50), 3),
        "alerter_p95_s": round(percentile(to_alert, 95), 3),
    }
    percolator.indices.delete(
        index=[env["NEWSMON_SUBSCRIPTIONS_INDEX"], env["NEWSMON_ALERTS_INDEX"]],
        ignore_unavailable=True,
    )
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{result['articles']} articles at {args.rate}/s against {result['subscriptions']} "
        f"subscriptions ({result['alerts_stored']} alerts stored): "
        f"{result['delivered']} webhooks delivered"
    )
    print(
        f"enriched -> webhook latency: p50 {result['p50_s']}s  p95 {result['p95_s']}s  "
        f"p99 {result['p99_s']}s  max {result['max_s']}s"
    )
    print(
        f"of which enriched -> on news.alerts (the alerter): p50 {result['alerter_p50_s']}s  "
        f"p95 {result['alerter_p95_s']}s; the rest is the notifier"
    )


if __name__ == "__main__":
    main()
