"""Replay (step 7): read archives and saved outputs back as the pipeline's input, no servers.

:mod:`ingest.replay.sources` finds and dispatches the files, :mod:`ingest.replay.warc` reads
WARC (and ARC) files record by record, :mod:`ingest.replay.jsonl` reads stored articles, and
:mod:`ingest.replay.page_index` lets the full-text stage read archived pages instead of fetching.
Every reader yields :data:`ingest.replay.items.ReplayItem` values and never raises on bad input:
what cannot be used is a :class:`ingest.replay.items.Skipped` naming the file and position.
"""
