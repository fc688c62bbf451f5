"""The Elasticsearch backend: the article index and its writer and queries, the percolator
holding the subscriptions, the alert index, and the Elasticsearch halves of backtests and spike
checks. Backend-neutral shapes and rules live at the top of :mod:`sinks`; this package is what
cluster mode runs on and must not depend on :mod:`sinks.sqlite`.
"""
