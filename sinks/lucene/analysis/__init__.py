"""Text analysis identical to Elasticsearch's ``newsmon_english`` analyzer on the local stack.

``standard`` tokenizer (:mod:`sinks.lucene.analysis.tokenizer`), ``lowercase``, ``stop``
(``_english_``) and ``hunspell`` en_US with the bundled dictionary
(:mod:`sinks.lucene.analysis.stemmer`).
"""

from sinks.lucene.analysis.analyzer import ENGLISH_STOP_WORDS, Token, analyze, lowercase, term_stems

__all__ = ["ENGLISH_STOP_WORDS", "Token", "analyze", "lowercase", "term_stems"]
