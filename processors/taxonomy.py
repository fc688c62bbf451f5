"""The topic taxonomy: rule sets over lemmas and phrases, scored per article with evidence.

A rule fires in a sentence when each of its term groups matches there, all within ``window``
tokens, and none of its ``unless`` terms does. A topic's score is the sum of the weights of the
rules that fired (each rule counted once per sentence, at most ``max_hits`` sentences); the topic is
assigned when the score reaches its threshold and the article has one of the topic's
``context`` terms (if it lists any) and none of its ``exclude`` terms.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from spacy.tokens import Doc, Span

from contract import ConfigError, Evidence, TopicMatch
from processors.stamps import stamp

DEFAULT_PATH = Path(__file__).with_name("taxonomy.yaml")

Phrase = tuple[str, ...]
"""A term as a sequence of lower-cased tokens; each matches a token's lemma or its text."""
COUNTRY = "$country"
"""In a term, matches any token of an entity linked to a country: "$country forces" matches
"Israeli forces", "Russia's forces" does not (two tokens), "North Korean troops" does."""

CountryOf = Callable[[Span], str | None]
"""The ISO code of the country an entity span names or lies in, if known."""


@dataclass(frozen=True)
class Rule:
    """One way a topic shows up in a sentence."""

    id: str
    groups: tuple[tuple[Phrase, ...], ...]
    weight: float = 1.0
    window: int = 12
    unless: tuple[Phrase, ...] = ()
    countries: int = 0
    """Fire only in a sentence naming at least this many different countries (e.g. 2 for a
    strike by one state on another), counted over entities the gazetteer links to a country."""

    @cached_property
    def firsts(self) -> tuple[frozenset[str], ...]:
        """Per group, the first token of each of its terms: a sentence holding none of them
        cannot match the group, which rejects most rules in one set operation."""
        return tuple(frozenset(p[0] for p in group if p) for group in self.groups)


@dataclass(frozen=True)
class Topic:
    """A topic: definition, rules, threshold and article-level context/exclusions."""

    name: str
    definition: str
    rules: tuple[Rule, ...]
    threshold: float = 1.0
    context: tuple[Phrase, ...] = ()
    exclude: tuple[Phrase, ...] = ()
    max_hits: int = 3


@dataclass(frozen=True)
class Taxonomy:
    """All topics, with the version stored on every enriched article."""

    version: str
    """The version the file declares (``taxonomy_version``)."""
    topics: tuple[Topic, ...]
    stamp: str = ""
    """The declared version plus a hash of the file (:func:`processors.stamps.stamp`): what
    articles record, so an edit without a version bump still shows."""


@dataclass(frozen=True)
class SentenceTokens:
    """A span's tokens as lower-cased text and lemma, indexed by form for fast phrase lookup."""

    words: tuple[str, ...]
    lemmas: tuple[str, ...]
    positions: dict[str, list[int]]
    countries: frozenset[str] = frozenset()
    """Codes of the countries the span's entities name or lie in."""

    @classmethod
    def of(cls, span: Span | Doc, country_of: CountryOf | None = None) -> "SentenceTokens":
        words = tuple(t.lower_ for t in span)
        lemmas = tuple((t.lemma_ or t.text).lower() for t in span)
        positions: dict[str, list[int]] = defaultdict(list)
        for i, (word, lemma) in enumerate(zip(words, lemmas, strict=True)):
            positions[word].append(i)
            if lemma != word:
                positions[lemma].append(i)
        countries = set()
        if country_of is not None:
            offset = span.start if isinstance(span, Span) else 0
            for ent in span.ents:
                code = country_of(ent)
                if code:
                    countries.add(code)
                    positions[COUNTRY].extend(range(ent.start - offset, ent.end - offset))
        return cls(words, lemmas, positions, frozenset(countries))

    def _at(self, i: int, form: str) -> bool:
        if form == COUNTRY:
            return i in self.positions.get(COUNTRY, ())
        return form in (self.words[i], self.lemmas[i])

    def find(self, phrase: Phrase) -> list[int]:
        """Start positions where ``phrase`` matches (each token by text or lemma)."""
        starts = self.positions.get(phrase[0])
        if not starts:
            return []
        if len(phrase) == 1:
            return starts
        end = len(self.words) - len(phrase)
        return [
            i for i in starts if i <= end and all(self._at(i + k, p) for k, p in enumerate(phrase))
        ]

    def has_any(self, phrases: Iterable[Phrase]) -> bool:
        return any(self.find(p) for p in phrases)


def rule_fires(rule: Rule, toks: SentenceTokens) -> list[str] | None:
    """The matched terms if ``rule`` fires in this sentence, else None."""
    if any(firsts.isdisjoint(toks.positions) for firsts in rule.firsts):
        return None
    if toks.has_any(rule.unless):
        return None
    positions: list[list[tuple[int, Phrase]]] = []
    for group in rule.groups:
        found = [(i, p) for p in group for i in toks.find(p)]
        if not found:
            return None
        positions.append(found)
    # Smallest window covering one hit of every group: check each hit as the window's start.
    for start, _ in sorted(hit for hits in positions for hit in hits):
        chosen = []
        for hits in positions:
            inside = [h for h in hits if start <= h[0] <= start + rule.window]
            if not inside:
                break
            chosen.append(min(inside))
        else:
            return [" ".join(p) for _, p in chosen]
    return None


def tag_topics(
    doc: Doc, taxonomy: Taxonomy, country_of: CountryOf | None = None
) -> list[TopicMatch]:
    """Topics of ``doc`` with scores and the sentences that triggered them.

    ``country_of`` links entity spans to countries, for rules that need several countries in a
    sentence; without it such rules never fire.
    """
    whole = SentenceTokens.of(doc)
    sentences = [(s, SentenceTokens.of(s, country_of)) for s in doc.sents]
    matches = []
    for topic in taxonomy.topics:
        if topic.exclude and whole.has_any(topic.exclude):
            continue
        if topic.context and not whole.has_any(topic.context):
            continue
        score = 0.0
        evidence: list[Evidence] = []
        for rule in topic.rules:
            hits = 0
            for sent, toks in sentences:
                terms = rule_fires(rule, toks)
                if terms is None or len(toks.countries) < rule.countries:
                    continue
                score += rule.weight
                evidence.append(Evidence(rule=rule.id, sentence=sent.text.strip(), terms=terms))
                hits += 1
                if hits >= topic.max_hits:
                    break
        if evidence and score >= topic.threshold:
            matches.append(TopicMatch(topic=topic.name, score=round(score, 3), evidence=evidence))
    return matches


Tokenize = Callable[[str], Sequence[str]]


def _phrases(terms: Any, tokenize: Tokenize, where: str) -> tuple[Phrase, ...]:
    if isinstance(terms, str):
        terms = [terms]
    if not isinstance(terms, list) or not terms:
        raise ConfigError(f"{where}: expected a non-empty list of terms")
    phrases = tuple(_phrase(str(term), tokenize) for term in terms)
    if not all(phrases):
        raise ConfigError(f"{where}: empty term")
    return phrases


def _phrase(term: str, tokenize: Tokenize) -> Phrase:
    if term.startswith(COUNTRY):
        return (COUNTRY, *_phrase(term[len(COUNTRY) :].strip(), tokenize))
    return tuple(t.lower() for t in tokenize(term)) if term else ()


def _rule_name(item: Any, index: int) -> object:
    return item.get("id", index) if isinstance(item, dict) else index


def _rule(item: Any, tokenize: Tokenize, where: str) -> Rule:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with 'all' (a list of term groups)")
    if "all" not in item:
        raise ConfigError(f"{where}: missing 'all' (a list of term groups)")
    groups = item["all"]
    if not isinstance(groups, list) or not groups:
        raise ConfigError(f"{where}.all: expected a non-empty list of term groups")
    return Rule(
        id=str(item.get("id", where)),
        groups=tuple(_phrases(g, tokenize, f"{where}.all[{i}]") for i, g in enumerate(groups)),
        weight=float(item.get("weight", 1.0)),
        window=int(item.get("window", 12)),
        unless=_phrases(item["unless"], tokenize, f"{where}.unless") if "unless" in item else (),
        countries=int(item.get("countries", 0)),
    )


def load_taxonomy(tokenize: Tokenize, path: Path = DEFAULT_PATH) -> Taxonomy:
    """Read and validate a taxonomy YAML file; terms are tokenised with ``tokenize``.

    Raises:
        ConfigError: the file is unreadable or malformed; the message names the topic and field.
    """
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw.decode("utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"taxonomy {path}: {exc}") from exc
    if "taxonomy_version" not in data:
        raise ConfigError(f"taxonomy {path}: missing 'taxonomy_version'")
    topics = []
    for i, item in enumerate(data.get("topics") or []):
        name = item.get("name") if isinstance(item, dict) else None
        where = f"taxonomy {path}: topic {name or i}"
        if not name or not item.get("definition") or not item.get("rules"):
            raise ConfigError(f"{where}: needs 'name', 'definition' and 'rules'")
        topics.append(
            Topic(
                name=str(name),
                definition=str(item["definition"]),
                rules=tuple(
                    _rule(r, tokenize, f"{where} rule {_rule_name(r, j)}")
                    for j, r in enumerate(item["rules"])
                ),
                threshold=float(item.get("threshold", 1.0)),
                context=_phrases(item["context"], tokenize, f"{where}.context")
                if "context" in item
                else (),
                exclude=_phrases(item["exclude"], tokenize, f"{where}.exclude")
                if "exclude" in item
                else (),
                max_hits=int(item.get("max_hits", 3)),
            )
        )
    if not topics:
        raise ConfigError(f"taxonomy {path}: no topics")
    declared = str(data["taxonomy_version"])
    return Taxonomy(version=declared, topics=tuple(topics), stamp=stamp(declared, raw))
