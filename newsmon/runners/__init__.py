"""Runners: each wires one stage to a transport (Kafka/faust now, embedded later)."""
