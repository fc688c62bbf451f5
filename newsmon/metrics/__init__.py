"""Prometheus metrics: counters the runners update as batches complete
(:mod:`newsmon.metrics.stages`), gauges read at scrape time from Kafka, the local log and the
SQLite stores (:mod:`newsmon.metrics.lag`, :mod:`newsmon.metrics.stores`), and ``/metrics``
(:mod:`newsmon.metrics.http`)."""
