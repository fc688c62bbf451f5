"""Sinks: where enriched articles go (Elasticsearch now; alerts next)."""
