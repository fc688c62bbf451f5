"""Session fixtures for the real local stack (Kafka + Elasticsearch from deploy/local/stack).

The stack runs on test-only ports and its own data dir, is started once per test session if it is
not already up (``make test`` starts it before pytest), and is stopped at the end only if this
session started it and no other test session is still using it (each session leaves its pid in
the stack dir while it runs). Integration tests never skip: if the stack cannot start, they
fail.
"""

import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from newsmon.settings import Settings

REPO = Path(__file__).resolve().parents[1]
STACK = REPO / "deploy" / "local" / "stack"
# The ports live in one file, shared with the Makefile's `make test`.
PORTS = dict(
    line.split("=", 1)
    for line in (REPO / "tests" / "test-stack.env").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
KAFKA_PORT = int(PORTS["NEWSMON_STACK_KAFKA_PORT"])
ES_PORT = int(PORTS["NEWSMON_STACK_ES_PORT"])
PERCOLATOR_PORT = int(PORTS["NEWSMON_STACK_PERCOLATOR_PORT"])
STACK_ENV = {
    "NEWSMON_STACK_DIR": os.environ.get("NEWSMON_TEST_STACK_DIR", str(REPO / ".test-stack")),
    **PORTS,
}


@dataclass(frozen=True)
class Stack:
    """Where the test stack listens."""

    kafka_bootstrap: str
    es_url: str
    percolator_url: str

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """Run ``deploy/local/stack COMMAND`` against the test stack."""
        return subprocess.run(
            [str(STACK), command],
            env={**os.environ, **STACK_ENV},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The running test stack (started here if needed)."""
    info = Stack(
        f"127.0.0.1:{KAFKA_PORT}",
        f"http://127.0.0.1:{ES_PORT}",
        f"http://127.0.0.1:{PERCOLATOR_PORT}",
    )
    sessions = Path(STACK_ENV["NEWSMON_STACK_DIR"]) / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    mine = sessions / str(os.getpid())
    mine.touch()
    try:
        started = info.run("status").returncode != 0
        if started:
            up = info.run("up")
            if up.returncode != 0:
                pytest.fail(f"deploy/local/stack up failed:\n{up.stdout}\n{up.stderr}")
        yield info
    finally:
        mine.unlink(missing_ok=True)
    if started and not other_sessions(sessions):
        info.run("down")


def other_sessions(sessions: Path) -> list[int]:
    """Pids of other test sessions still running against the stack (stale files removed)."""
    alive = []
    for entry in sessions.iterdir():
        try:
            os.kill(int(entry.name), 0)
        except (ValueError, ProcessLookupError):
            entry.unlink(missing_ok=True)
        except PermissionError:
            alive.append(int(entry.name))
        else:
            alive.append(int(entry.name))
    return alive


@pytest.fixture(scope="session")
def es(stack: Stack) -> Iterator[Elasticsearch]:
    """A client for the test cluster."""
    client = Elasticsearch(stack.es_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture(scope="session")
def percolator(stack: Stack) -> Iterator[Elasticsearch]:
    """A client for the test stack's percolator node (the subscriptions index lives there)."""
    client = Elasticsearch(stack.percolator_url, request_timeout=30)
    yield client
    client.close()


@dataclass(frozen=True)
class AppConfig:
    """One test's newsmon configuration: unique topics, groups, alias and data dir."""

    env: dict[str, str]

    @property
    def settings(self) -> Settings:
        """The Settings object the CLI would build from ``env``."""
        keys = {k[len("NEWSMON_") :].lower(): v for k, v in self.env.items()}
        return Settings(**keys)  # type: ignore[arg-type]

    def newsmon(
        self, *args: str, timeout: float = 300, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``newsmon`` CLI with this configuration and wait for it."""
        return subprocess.run(
            [str(REPO / ".venv" / "bin" / "newsmon"), *args]
            if (REPO / ".venv" / "bin" / "newsmon").exists()
            else ["newsmon", *args],
            env={**os.environ, **self.env},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def poll_once(self, feeds: Path) -> dict[str, Any]:
        """``newsmon poll --once --json`` over ``feeds``; its summary (the run must succeed)."""
        result = self.newsmon("poll", "--feeds", str(feeds), "--once", "--json")
        assert result.returncode == 0, result.stderr
        summary: dict[str, Any] = json.loads(result.stdout)
        return summary

    def start_workers(self, log_dir: Path) -> dict[str, tuple[subprocess.Popen[bytes], Path]]:
        """Start ``newsmon fulltext``, ``newsmon process`` and ``newsmon index``: name ->
        (process, its log file)."""
        logs = {name: log_dir / f"{name}.log" for name in ("fulltext", "process", "index")}
        return {name: (self.start(name, log=log), log) for name, log in logs.items()}

    def start(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """Start a long-running ``newsmon`` command in the background, output to ``log``."""
        exe = REPO / ".venv" / "bin" / "newsmon"
        with log.open("wb") as out:
            return subprocess.Popen(
                [str(exe) if exe.exists() else "newsmon", *args],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )


@pytest.fixture
def app_config(stack: Stack, tmp_path: Path) -> Callable[..., AppConfig]:
    """Factory: a fresh, isolated newsmon configuration against the test stack."""

    def make(**overrides: str) -> AppConfig:
        uid = uuid.uuid4().hex[:10]
        env = {
            "NEWSMON_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
            "NEWSMON_ES_URL": stack.es_url,
            "NEWSMON_TOPIC_POLLED": f"test-{uid}.news.articles.polled",
            "NEWSMON_TOPIC_RAW": f"test-{uid}.news.articles.raw",
            "NEWSMON_TOPIC_REPLAY": f"test-{uid}.news.replay.raw",
            "NEWSMON_TOPIC_ENRICHED": f"test-{uid}.news.articles.enriched",
            "NEWSMON_TOPIC_DLQ": f"test-{uid}.news.dlq",
            "NEWSMON_TOPIC_ALERTS": f"test-{uid}.news.alerts",
            "NEWSMON_PERCOLATOR_URL": stack.percolator_url,
            "NEWSMON_SUBSCRIPTIONS_INDEX": f"test-{uid}-subscriptions",
            "NEWSMON_ALERTS_INDEX": f"test-{uid}-alerts",
            "NEWSMON_FEED_POLLS_INDEX": f"test-{uid}-feed-polls",
            "NEWSMON_GROUP_PREFIX": f"test-{uid}",
            "NEWSMON_INDEX_ALIAS": f"test-{uid}-articles",
            "NEWSMON_DATA_DIR": str(tmp_path / f"data-{uid}"),
            "NEWSMON_PARTITIONS": "2",
            "NEWSMON_PROCESS_BATCH_WAIT": "0.2",
            # the tests' feeds and webhook receivers are servers on loopback
            "NEWSMON_ALLOW_PRIVATE_NETWORKS": "true",
            # their feed items link to sites that do not exist: pages only where asked for
            "NEWSMON_FULLTEXT": "never",
        }
        env.update({f"NEWSMON_{k.upper()}": v for k, v in overrides.items()})
        return AppConfig(env)

    return make


def wait_for(check: Callable[[], object], timeout: float, what: str, every: float = 0.5) -> object:
    """Poll ``check`` until it returns something truthy, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def stop_process(proc: subprocess.Popen[bytes], log: Path) -> str:
    """Terminate a started newsmon command (SIGTERM, then kill) and return its log's tail."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return log.read_text(errors="replace")[-3000:]


def get_document(es: Elasticsearch, alias: str, doc_id: str) -> dict[str, Any] | None:
    """The stored article ``doc_id`` behind ``alias``, or None (also before the alias exists)."""
    if not es.indices.exists_alias(name=alias):
        return None
    # 503: the alias exists but its new index's shard is not allocated yet; ask again later.
    found = es.options(ignore_status=(404, 503)).get(index=alias, id=doc_id)
    return dict(found["_source"]) if found.get("found") else None


def caught_up(bootstrap: str, group: str, topic: str) -> bool:
    """Whether consumer group ``group`` has committed every message of ``topic``."""
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(partitions)
        committed = admin.list_group_offsets(group).get(group, {})
        return bool(partitions) and all(
            tp in committed and committed[tp].offset >= end for tp, end in ends.items()
        )
    finally:
        consumer.close()
        admin.close()
