"""Lucene query semantics in Python: parsing subscription queries into clauses, the analysis
chain of ``newsmon_english``, evaluating queries against documents (with FTS5 prefilters), and
the embedded matcher built on them. Depends only on backend-neutral modules and the contract.
"""
