"""Processors: plain typed functions from Article to enriched Article (spaCy NER, gazetteer,
topic taxonomy), and the faust app that runs them on Kafka."""
