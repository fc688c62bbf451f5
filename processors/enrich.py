"""The processor: Article in, enriched Article out. Every runner wraps exactly this."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from contract import Article
from processors.entities import extract_entities
from processors.gazetteer import DEFAULT_PATH as GAZETTEER_PATH
from processors.gazetteer import Gazetteer, load_gazetteer
from processors.model import load_model, model_label
from processors.taxonomy import DEFAULT_PATH as TAXONOMY_PATH
from processors.taxonomy import Taxonomy, load_taxonomy, tag_topics

MAX_CHARS = 100_000
"""Longer texts are cut here: spaCy's cost grows with length and the head carries the news."""


@dataclass
class Enricher:
    """A loaded pipeline (spaCy model + gazetteer + taxonomy), reusable across batches."""

    nlp: Language
    gazetteer: Gazetteer
    taxonomy: Taxonomy
    batch_size: int = 32

    @classmethod
    def load(
        cls,
        model: str = "en_core_web_sm",
        taxonomy_path: Path = TAXONOMY_PATH,
        gazetteer_path: Path = GAZETTEER_PATH,
        batch_size: int = 32,
    ) -> "Enricher":
        """Load the model once; install the gazetteer ruler; compile the taxonomy."""
        nlp = load_model(model)
        gazetteer = load_gazetteer(gazetteer_path)
        gazetteer.install(nlp)
        tokenizer = nlp.tokenizer
        taxonomy = load_taxonomy(lambda s: [t.text for t in tokenizer(s)], taxonomy_path)
        return cls(nlp=nlp, gazetteer=gazetteer, taxonomy=taxonomy, batch_size=batch_size)

    @property
    def model(self) -> str:
        """The model's label, stored on each article."""
        return model_label(self.nlp)

    def _apply(self, article: Article, doc: Doc) -> Article:
        return article.model_copy(
            update={
                "entities": extract_entities(doc, self.gazetteer),
                "topics": tag_topics(doc, self.taxonomy),
                "enriched_at": datetime.now(UTC),
                "nlp_model": self.model,
                "taxonomy_version": self.taxonomy.version,
            }
        )

    def enrich_batch(self, articles: Sequence[Article]) -> list[Article]:
        """Enrich ``articles`` in one ``nlp.pipe`` pass (the fast path for every runner)."""
        texts = (a.body[:MAX_CHARS] for a in articles)
        docs = self.nlp.pipe(texts, batch_size=self.batch_size)
        return [self._apply(a, d) for a, d in zip(articles, docs, strict=True)]

    def enrich(self, article: Article) -> Article:
        """Enrich one article."""
        return self.enrich_batch([article])[0]
