"""The SQLite backend of embedded mode: articles (with an FTS5 index), subscriptions and alerts
in files of the data dir. Queries are evaluated by :mod:`sinks.lucene`, so they mean what they
mean on Elasticsearch; this package must not depend on :mod:`sinks.elasticsearch`.
"""
