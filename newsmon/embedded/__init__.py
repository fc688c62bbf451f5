"""Embedded mode: newsmon's stages on one machine without Kafka, talking through a durable
local log (one SQLite file) with Kafka's topic names and at-least-once semantics."""

from newsmon.embedded.local_log import LocalConsumer, LocalLog, LocalProducer

__all__ = ["LocalConsumer", "LocalLog", "LocalProducer"]
