"""Cluster mode: Kafka for the topics, Elasticsearch for articles, subscriptions and alerts."""
