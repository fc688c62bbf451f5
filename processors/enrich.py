"""The processor: Article in, enriched Article out. Every runner wraps exactly this.

Per article: detect the language; run the spaCy pipeline for that language (entities, and the
topic taxonomy, which is English); assign the story (near-duplicate clustering). An article in a
language without a pipeline is passed on with its language, no entities or topics, and the flag
``unsupported-language``; it still gets its story.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from contract import SCHEMA_VERSION, Article
from processors.entities import extract_entities
from processors.gazetteer import DEFAULT_PATH as GAZETTEER_PATH
from processors.gazetteer import Gazetteer, load_gazetteer
from processors.language import LanguageDetector
from processors.model import load_model, model_label
from processors.stories import StoryIndex
from processors.taxonomy import DEFAULT_PATH as TAXONOMY_PATH
from processors.taxonomy import Taxonomy, load_taxonomy, tag_topics

MAX_CHARS = 30_000
"""Longer texts are tagged up to here: spaCy's cost grows with length (about 18 KB of memory a
token with this pipeline: 20,000 tokens took 367 MiB, 5,000 took 99 MiB), and the head carries
the news. Longer than nine in ten news articles; the stored text is not cut."""
MAX_TOKENS = 5_000
"""Nor more tokens than this (words and punctuation, as spaCy counts them, roughly)."""
CAPPED = "text-capped"
"""Flag of an article whose text was longer than what was tagged."""
_TOKEN = re.compile(r"\w+|[^\w\s]")
TAXONOMY_LANGUAGE = "en"
"""The taxonomy's terms are English; other pipelines give entities only."""
UNSUPPORTED = "unsupported-language"
NO_TEXT = "no-text"


def cap_text(
    text: str, max_chars: int = MAX_CHARS, max_tokens: int = MAX_TOKENS
) -> tuple[str, bool]:
    """``text`` cut to at most ``max_chars`` characters and ``max_tokens`` tokens; and whether
    it was cut. Linear in the length, and cheap: a text shorter than ``max_tokens`` characters
    cannot hold more tokens."""
    cut = len(text) > max_chars
    text = text[:max_chars]
    if len(text) > max_tokens:
        for count, token in enumerate(_TOKEN.finditer(text)):
            if count == max_tokens:
                return text[: token.start()].rstrip(), True
    return text, cut


def _declared(language: str | None) -> str | None:
    """The feed's language tag as an ISO 639-1 code: 'en-US' -> 'en'."""
    return language.split("-")[0].split("_")[0].lower() or None if language else None


@dataclass
class Enricher:
    """Loaded pipelines (spaCy per language + gazetteer + taxonomy), story index and language
    detector, reusable across batches."""

    nlp: Language
    """The English pipeline (the taxonomy's language)."""
    gazetteer: Gazetteer
    taxonomy: Taxonomy
    batch_size: int = 32
    detector: LanguageDetector | None = None
    stories: StoryIndex | None = None
    others: dict[str, Language] = field(default_factory=dict)
    """Pipelines for other languages, by ISO 639-1 code (entities only)."""
    max_chars: int = MAX_CHARS
    """Characters of an article tagged and clustered (flagged :data:`CAPPED` beyond)."""
    max_tokens: int = MAX_TOKENS
    """Tokens of an article tagged and clustered (flagged :data:`CAPPED` beyond)."""
    _labels: dict[int, str] = field(default_factory=dict, init=False, repr=False)
    """Model labels by pipeline: ``nlp.meta`` walks every ruler pattern (~5 ms a call)."""

    @classmethod
    def load(
        cls,
        model: str = "en_core_web_sm",
        taxonomy_path: Path = TAXONOMY_PATH,
        gazetteer_path: Path = GAZETTEER_PATH,
        batch_size: int = 32,
        *,
        detect_language: bool = True,
        stories: StoryIndex | None = None,
        other_models: Mapping[str, str] | None = None,
        max_chars: int = MAX_CHARS,
        max_tokens: int = MAX_TOKENS,
    ) -> "Enricher":
        """Load the models once; install the gazetteer ruler; compile the taxonomy.

        Raises:
            ModelNotFoundError: a configured model is not installed.
            ConfigError: the taxonomy or gazetteer file is invalid.
        """
        nlp = load_model(model)
        gazetteer = load_gazetteer(gazetteer_path)
        gazetteer.install(nlp)
        tokenizer = nlp.tokenizer
        taxonomy = load_taxonomy(lambda s: [t.text for t in tokenizer(s)], taxonomy_path)
        others = {
            lang: load_model(name, fallbacks=()) for lang, name in (other_models or {}).items()
        }
        for pipeline in others.values():
            gazetteer.install(pipeline)
        return cls(
            nlp=nlp,
            gazetteer=gazetteer,
            taxonomy=taxonomy,
            batch_size=batch_size,
            detector=LanguageDetector() if detect_language else None,
            stories=stories,
            others=others,
            max_chars=max_chars,
            max_tokens=max_tokens,
        )

    def _label(self, pipeline: Language) -> str:
        label = self._labels.get(id(pipeline))
        if label is None:
            label = self._labels[id(pipeline)] = model_label(pipeline)
        return label

    @property
    def model(self) -> str:
        """The English model's label, stored on each article."""
        return self._label(self.nlp)

    @property
    def languages(self) -> list[str]:
        """Languages with a pipeline."""
        return [TAXONOMY_LANGUAGE, *self.others]

    def country_of(self, span: Span) -> str | None:
        """The ISO code of the country an entity span names or lies in (gazetteer entries only):
        "Ukrainian" and "Kyiv" -> UA."""
        known = self.gazetteer.entries.get(span.ent_id_) if span.ent_id_ else None
        if known is None:
            known = self.gazetteer.lookup(span.text)
        if known is None or known.label not in ("GPE", "LOC", "NORP", "FAC"):
            return None  # people and organisations have a country, but are not in it
        return known.country or (known.kb_id if known.key.startswith("country:") else None)

    def parse(self, text: str) -> Doc:
        """The English pipeline's Doc for ``text`` (what ``taxonomy explain`` inspects)."""
        return self.nlp(cap_text(text, self.max_chars, self.max_tokens)[0])

    def _pipeline(self, language: str | None) -> Language | None:
        if language is None or language == TAXONOMY_LANGUAGE:
            return self.nlp
        return self.others.get(language)

    def _apply(
        self,
        article: Article,
        language: str | None,
        doc: Doc | None,
        pipeline: Language | None,
        capped: bool,
    ) -> Article:
        flags = [f for f in article.flags if f not in (UNSUPPORTED, NO_TEXT, CAPPED)]
        if not article.body.strip():
            flags.append(NO_TEXT)
        elif doc is None:
            flags.append(UNSUPPORTED)
        if capped:
            flags.append(CAPPED)
        return article.model_copy(
            update={
                "schema_version": SCHEMA_VERSION,
                "language": language,
                "entities": extract_entities(doc, self.gazetteer) if doc is not None else [],
                "topics": tag_topics(doc, self.taxonomy, self.country_of)
                if doc is not None and pipeline is self.nlp
                else [],
                "enriched_at": datetime.now(UTC),
                "nlp_model": self._label(pipeline) if pipeline is not None else None,
                "taxonomy_version": self.taxonomy.stamp or self.taxonomy.version,
                "gazetteer_version": self.gazetteer.stamp or self.gazetteer.version,
                "flags": flags,
            }
        )

    def enrich_batch(self, articles: Sequence[Article]) -> list[Article]:
        """Enrich ``articles`` with one ``nlp.pipe`` pass per language (the fast path)."""
        bodies = [cap_text(a.body, self.max_chars, self.max_tokens) for a in articles]
        texts = [text for text, _ in bodies]
        detected = (
            self.detector.detect_batch(texts) if self.detector is not None else [None] * len(texts)
        )
        languages = [
            found or _declared(a.language) for a, found in zip(articles, detected, strict=True)
        ]
        pipelines = [self._pipeline(lang) for lang in languages]
        docs: list[Doc | None] = [None] * len(articles)
        for pipeline in {id(p): p for p in pipelines if p is not None}.values():
            chosen = [i for i, p in enumerate(pipelines) if p is pipeline and texts[i].strip()]
            parsed = pipeline.pipe((texts[i] for i in chosen), batch_size=self.batch_size)
            for i, doc in zip(chosen, parsed, strict=True):
                docs[i] = doc
        enriched = [
            self._apply(a, lang, doc, p, capped)
            for a, lang, doc, p, (_, capped) in zip(
                articles, languages, docs, pipelines, bodies, strict=True
            )
        ]
        return self._assign_stories(enriched)

    def _assign_stories(self, articles: list[Article]) -> list[Article]:
        """Story and exact-copy marking over the article's text, not its headline: syndicated
        copies keep the wire text and change the headline."""
        if self.stories is None:
            return articles
        matches = self.stories.assign_batch(
            [
                (
                    a.id,
                    cap_text(a.text or a.summary or a.title, self.max_chars, self.max_tokens)[0],
                    a.published or a.fetched_at,
                )
                for a in articles
            ]
        )
        return [
            a.model_copy(
                update={
                    "story_id": m.story_id,
                    "content_hash": m.content_hash,
                    "duplicate_of": m.duplicate_of,
                }
            )
            for a, m in zip(articles, matches, strict=True)
        ]

    def enrich(self, article: Article) -> Article:
        """Enrich one article."""
        return self.enrich_batch([article])[0]
