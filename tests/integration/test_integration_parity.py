"""Parity of the embedded matcher with the real Elasticsearch on the test stack.

* ``sinks.lucene.analysis.analyze`` against ``_analyze`` with the ``newsmon_english`` analyzer of an
  index on the percolator node (Elasticsearch 7.17) and on the main node (8.x): the labelled
  corpus, its whole vocabulary and the taxonomy/gazetteer terms give identical tokens,
  positions, offsets and stems.
* ``sinks.lucene.evaluate`` against the percolator: several hundred subscription queries generated
  (fixed seed) from the taxonomy and the gazetteer, stored as subscriptions, percolated with
  every enriched article of the labelled corpus; the embedded matcher agrees on every pair.
"""

import json
import random
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from elasticsearch import Elasticsearch

from contract import Article, Subscription, article_id
from contract.subscription import QUERY_FIELDS
from processors.enrich import Enricher
from sinks.documents import percolate_document
from sinks.elasticsearch.index import english_analysis
from sinks.elasticsearch.percolate import Percolator
from sinks.elasticsearch.subscriptions import SubscriptionStore
from sinks.lucene.analysis import analyze
from sinks.lucene.evaluate import DocumentView, compile_query

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "data" / "labelled"
SOURCES = ["Reuters", "AP News", "TASS", "BBC World", "Al Jazeera"]
WEBHOOK = [{"type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "s3cret"}]
SEED = 20261117
QUERIES = 640
BATCH = 25


# --- the corpus ----------------------------------------------------------------------------------
def _corpus_rows() -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for name in ("dev.jsonl", "heldout.jsonl")
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _taxonomy_terms() -> tuple[list[str], list[str]]:
    """(topic names, every term of the taxonomy)."""
    data = yaml.safe_load((REPO / "processors" / "taxonomy.yaml").read_text(encoding="utf-8"))
    terms: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            terms.add(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in ("all", "unless", "exclude", "context", "rules", *data["vocabulary"]):
                    walk(item)

    walk(data["vocabulary"])
    for topic in data["topics"]:
        walk(topic)
    return [t["name"] for t in data["topics"]], sorted(terms)


def _gazetteer_names() -> tuple[list[str], list[str]]:
    """(country names, every other name and alias of the gazetteer)."""
    data = yaml.safe_load((REPO / "processors" / "gazetteer.yaml").read_text(encoding="utf-8"))
    countries = [c["name"] for c in data["countries"]]
    names: set[str] = set()
    for section in ("countries", "seats", "places", "people", "organizations"):
        for entry in data[section]:
            names.add(entry["name"])
            for key in ("aliases", "adjectives", "capital_aliases"):
                names.update(entry.get(key) or [])
            if entry.get("capital"):
                names.add(entry["capital"])
    return countries, sorted(names)


@pytest.fixture(scope="module")
def articles(enricher: Enricher) -> list[Article]:
    """The labelled corpus, enriched by the real pipeline (sources and summaries varied)."""
    raw = []
    for i, row in enumerate(_corpus_rows()):
        first_sentence = re.split(r"(?<=[.!?])\s", row["text"], maxsplit=1)[0]
        raw.append(
            Article(
                id=article_id(f"https://example.com/parity/{row['id']}"),
                url=f"https://example.com/parity/{row['id']}",
                title=row["title"],
                text=row["text"],
                published=datetime(2024, 5, 24, 9, 30, tzinfo=UTC),
                fetched_at=datetime(2024, 5, 24, 10, 0, tzinfo=UTC),
                feed_url="https://example.com/rss.xml",
                language="en",
                summary=first_sentence if i % 3 == 0 else "",
                source=SOURCES[i % len(SOURCES)],
            )
        )
    return enricher.enrich_batch(raw)


@pytest.fixture(scope="module")
def documents(articles: list[Article]) -> list[dict[str, Any]]:
    return [percolate_document(a) for a in articles]


# --- analyzer parity ------------------------------------------------------------------------------
def _analysis_texts() -> list[str]:
    texts: list[str] = []
    words: set[str] = set()
    for row in _corpus_rows():
        texts += [row["title"], row["text"]]
        words.update(row["text"].split())
        words.update(row["title"].split())
    texts.append((REPO / "tests" / "data" / "seed_article.txt").read_text(encoding="utf-8"))
    _, terms = _taxonomy_terms()
    countries, names = _gazetteer_names()
    vocabulary = sorted(words) + terms + countries + names
    # the whole vocabulary, a few hundred entries per text, upper- and lower-case too
    for start in range(0, len(vocabulary), 400):
        chunk = vocabulary[start : start + 400]
        texts += ["\n".join(chunk), " ".join(chunk).upper(), " ".join(chunk).lower()]
    return texts


def _python_offsets(text: str) -> dict[int, int]:
    """UTF-16 offset (Elasticsearch's) -> str index."""
    mapping, units = {}, 0
    for index, char in enumerate(text):
        mapping[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    mapping[units] = len(text)
    return mapping


@pytest.fixture(params=["percolator", "main"])
def analysis_index(request: pytest.FixtureRequest) -> Iterator[tuple[Elasticsearch, str, str]]:
    """An index with the stack's newsmon_english analyzer, on one node of the stack."""
    client: Elasticsearch = request.getfixturevalue(
        "percolator" if request.param == "percolator" else "es"
    )
    index = f"test-{uuid.uuid4().hex[:8]}-analysis"
    client.indices.create(
        index=index,
        settings={
            "number_of_shards": 1,
            "number_of_replicas": 0,
            "analysis": english_analysis(client),
        },
    )
    yield client, index, request.param
    client.indices.delete(index=index)


def test_analyzer_matches_elasticsearch(analysis_index: tuple[Elasticsearch, str, str]) -> None:
    client, index, node = analysis_index
    texts = _analysis_texts()
    compared = differing = 0
    report: list[str] = []
    for text in texts:
        result = client.indices.analyze(index=index, analyzer="newsmon_english", text=text)
        offsets = _python_offsets(text)
        theirs: dict[tuple[int, int, int], set[str]] = {}
        for token in result["tokens"]:
            key = (token["position"], offsets[token["start_offset"]], offsets[token["end_offset"]])
            theirs.setdefault(key, set()).add(token["token"])
        ours = {(t.position, t.start, t.end): set(t.stems) for t in analyze(text)}
        compared += len(theirs)
        if ours != theirs:
            wrong = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
            differing += len(wrong)
            report += [
                f"{text[k[1] : k[2]]!r} @{k[0]}: es={theirs.get(k)} ours={ours.get(k)}"
                for k in wrong[:5]
            ]
    words = len({w for text in texts for w in text.split()})
    print(
        f"{node} node: {len(texts)} texts ({words} distinct words), {compared} positions "
        f"compared, {differing} differ"
    )
    assert not report, f"{differing} positions differ:\n" + "\n".join(report[:40])
    assert compared > 20_000


# --- query generation -----------------------------------------------------------------------------
class QueryGenerator:
    """Subscription queries from the taxonomy and the gazetteer (deterministic for a seed).

    Terms that occur in the corpus are preferred, so both matches and non-matches are common.
    """

    def __init__(self, seed: int, documents: list[dict[str, Any]]) -> None:
        self.rnd = random.Random(seed)
        self.kinds: Counter[str] = Counter()
        topics, terms = _taxonomy_terms()
        countries, names = _gazetteer_names()
        corpus = " ".join(f"{d.get('title', '')} {d.get('text', '')}" for d in documents).lower()
        words = set(re.findall(r"[\w'-]+", corpus))

        def present(term: str) -> bool:
            return term.lower() in corpus

        self.words = [t for t in terms if " " not in t]
        self.words_present = [t for t in self.words if t.lower() in words]
        self.phrases = [t for t in terms if " " in t]
        self.phrases_present = [t for t in self.phrases if present(t)]
        self.topics = topics
        self.countries = countries
        self.names = names
        self.names_present = [n for n in names if present(n)]
        self.values: dict[str, list[str]] = {}
        for field in QUERY_FIELDS:
            found = {v for d in documents for v in _as_list(d.get(field))}
            if field not in ("title", "text", "summary") and found:
                self.values[field] = sorted(found)
        self.title_words = sorted(
            {w for d in documents for w in re.findall(r"[A-Za-z][a-z]{3,}", d.get("title", ""))}
        )

    def pick(self, present: list[str], every: list[str], bias: float = 0.75) -> str:
        pool = present if present and self.rnd.random() < bias else every
        return self.rnd.choice(pool)

    # leaves
    def word(self) -> str:
        word = self.pick(self.words_present, self.words)
        return word.capitalize() if self.rnd.random() < 0.15 else word

    def phrase(self) -> str:
        text = self.pick(self.phrases_present + self.names_present, self.phrases + self.names)
        return '"' + text.replace('"', "") + '"'

    def leaf(self) -> str:
        roll = self.rnd.random()
        kinds = [
            (0.16, "word", self.word),
            (0.10, "phrase", self.phrase),
            (0.10, "field-text", self.field_text),
            (0.07, "hyphen", self.hyphenated),
            (0.09, "text-prefix", self.text_prefix),
            (0.04, "text-wildcard", self.text_wildcard),
            (0.16, "keyword", self.keyword),
            (0.07, "keyword-prefix", self.keyword_prefix),
            (0.05, "keyword-wildcard", self.keyword_wildcard),
            (0.06, "stop-words", self.stop_words),
            (0.10, "other", self.other),
        ]
        for weight, kind, make in kinds:
            if roll < weight:
                self.kinds[kind] += 1
                return make()
            roll -= weight
        self.kinds["word"] += 1
        return self.word()

    def field_text(self) -> str:
        field = self.rnd.choice(["title", "text", "text", "summary"])
        if field == "title" and self.rnd.random() < 0.6:
            return f"title:{self.rnd.choice(self.title_words)}"
        return f"{field}:{self.word() if self.rnd.random() < 0.6 else self.phrase()}"

    def hyphenated(self) -> str:
        found = [w for w in self.words if "-" in w] + [n for n in self.names if "-" in n]
        text = self.rnd.choice(found)
        return f'"{text}"' if self.rnd.random() < 0.3 else text.replace(" ", "-")

    def text_prefix(self) -> str:
        word = self.pick(self.words_present, self.words)
        word = re.sub(r"[^A-Za-z-]", "", word) or "war"
        cut = self.rnd.randint(min(3, len(word)), len(word))
        field = self.rnd.choice(["", "", "title:", "text:"])
        return f"{field}{word[:cut]}*"

    def text_wildcard(self) -> str:
        word = re.sub(r"[^a-z]", "", self.pick(self.words_present, self.words).lower())
        if len(word) < 4:
            word = "ceasefire"
        i = self.rnd.randint(1, len(word) - 2)
        pattern = word[:i] + self.rnd.choice(["?", "*"]) + word[i + 1 :]
        if self.rnd.random() < 0.3:
            pattern = "*" + pattern[2:]
        return f"{self.rnd.choice(['', 'text:', 'title:'])}{pattern}"

    def keyword_value(self) -> tuple[str, str]:
        field = self.rnd.choice(
            [
                *("topics", "topics", "countries", "countries", "entities", "people"),
                *("organizations", "places", "entity_types", "source", "language"),
            ]
        )
        if field == "topics":
            return field, self.rnd.choice(self.topics)
        if field == "countries" and self.rnd.random() < 0.3:
            return field, self.rnd.choice(self.countries)
        if field in self.values and self.rnd.random() < 0.8:
            return field, self.rnd.choice(self.values[field])
        return field, self.rnd.choice(self.names)

    def keyword(self) -> str:
        field, value = self.keyword_value()
        if self.rnd.random() < 0.08:
            value = value.lower() if value != value.lower() else value.upper()
        if re.fullmatch(r"[A-Za-z0-9-]+", value) and self.rnd.random() < 0.7:
            return f"{field}:{value}"
        return f'{field}:"{value}"'

    def keyword_prefix(self) -> str:
        field, value = self.keyword_value()
        head = re.match(r"[A-Za-z-]+", value)
        text = head.group(0) if head else "Uk"
        return f"{field}:{text[: self.rnd.randint(1, max(1, len(text)))]}*"

    def keyword_wildcard(self) -> str:
        field, value = self.keyword_value()
        letters = re.sub(r"[^A-Za-z]", "", value)
        letters = letters if len(letters) >= 3 else "Ukraine"
        if self.rnd.random() < 0.5:
            return f"{field}:*{letters[-self.rnd.randint(2, min(5, len(letters))) :]}"
        i = self.rnd.randint(0, len(letters) - 1)
        return f"{field}:{letters[:i]}?{letters[i + 1 :]}"

    def stop_words(self) -> str:
        stop = self.rnd.choice(["the", "of", "in", "a", "and", "to", "with", "not", "The"])
        return self.rnd.choice(
            [
                stop,
                f'"{stop} {self.word()}"',
                f'"{self.word()} {stop} {self.word()}"',
                f"{stop} AND {self.word()}",
                f"title:{stop}",
                f"({stop} OR {stop})",
            ]
        )

    def other(self) -> str:
        return self.rnd.choice(
            [
                "*",
                "summary:*",
                "topics:*",
                "-topics:*",
                "people:*",
                f"countries:[A TO {self.rnd.choice('CGMSUZ')}]",
                f'countries:{{"{self.rnd.choice(self.countries)}" TO *]',
                f"source:>{self.rnd.choice(SOURCES)}",
                f"source:<={self.rnd.choice(SOURCES)}",
                f"topics:/{self.rnd.choice(self.topics)[:4]}.*/",
                f"title:/{self.rnd.choice(self.title_words).lower()[:4]}.*/",
                f'source:"{self.rnd.choice(SOURCES)}"',
                f"title:({self.word()} OR {self.word()} {self.word()})",
                f"text:({self.word()} AND {self.word()})",
                f"{self.word()}^2",
                f"*:* -{self.keyword()}",
                # consecutive plain terms are one text: one keyword value, not two
                f"countries:({self.one_word(self.countries)} {self.one_word(self.countries)})",
                f"topics:({self.rnd.choice(self.topics)} {self.rnd.choice(self.topics)} OR "
                f"{self.rnd.choice(self.topics)})",
                f"entities:({self.rnd.choice(self.names_present)})",
                f"{self.word()} - {self.word()}",
                f"{self.rnd.choice(['summary', 'people', 'flags', 'topics'])}:*",
                f"text:[{self.word().lower()} TO *]",
                f"text:/{self.word().lower()[:3]}.*/",
                f'"{self.word()} {self.word()}"~0',
            ]
        )

    def one_word(self, names: list[str]) -> str:
        return self.rnd.choice([n for n in names if re.fullmatch(r"[A-Za-z]+", n)])

    # combinations
    def expression(self, depth: int) -> str:
        if depth <= 0 or self.rnd.random() < 0.25:
            return self.leaf()
        a = self.expression(depth - 1)
        b = self.expression(depth - 1)
        forms = [  # (kind, form, operands after a modifier: one clause, so parenthesised)
            ("and", "{a} AND {b}", ""),
            ("or", "{a} OR {b}", ""),
            ("implicit", "{a} {b}", ""),
            ("and-not", "{a} AND NOT {b}", "b"),
            ("or-not", "{a} OR NOT {b}", "b"),
            ("minus", "{a} -{b}", "b"),
            ("plus", "+{a} {b}", "a"),
            ("plus-minus", "+{a} -{b}", "ab"),
            ("mix-or-and", "{a} OR {b} AND {c}", ""),
            ("mix-and-or", "{a} AND {b} OR {c}", ""),
            ("mix-or-implicit", "{a} OR {b} {c}", ""),
            ("group-and", "({a} OR {b}) AND {c}", ""),
            ("group-not", "(NOT {a}) OR {b}", "a"),
            ("not-group", "NOT ({a} OR {b})", ""),
            ("only-not", "NOT {a} AND NOT {b}", "ab"),
            ("nested-negative", "{a} AND (NOT {b})", "b"),
        ]
        kind, form, wrap = self.rnd.choice(forms)
        self.kinds[kind] += 1
        c = self.leaf() if "{c}" in form else ""
        a = _wrap(a) if "a" in wrap else a
        b = _wrap(b) if "b" in wrap else b
        return form.format(a=a, b=b, c=c)

    def generate(self, count: int) -> list[str]:
        found: list[str] = []
        seen: set[str] = set()
        while len(found) < count:
            query = self.expression(self.rnd.choice([0, 1, 1, 2, 2, 3]))
            if query not in seen:
                seen.add(query)
                found.append(query)
        return found


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _wrap(query: str) -> str:
    """``query`` as one clause (what follows a +, - or NOT)."""
    if " " in query or query.startswith(("-", "+", "NOT")):
        return f"({query})"
    return query


# --- percolator parity ----------------------------------------------------------------------------
@pytest.fixture
def subscriptions(percolator: Elasticsearch) -> Iterator[SubscriptionStore]:
    store = SubscriptionStore(percolator, f"test-{uuid.uuid4().hex[:8]}-subscriptions")
    store.setup()
    yield store
    percolator.indices.delete(index=store.index)


def test_percolator_and_embedded_matcher_agree(
    subscriptions: SubscriptionStore, articles: list[Article], documents: list[dict[str, Any]]
) -> None:
    generator = QueryGenerator(SEED, documents)
    queries = generator.generate(QUERIES)
    ids = {f"q{i:04d}": query for i, query in enumerate(queries)}
    for sub_id, query in ids.items():
        compile_query(query)  # the embedded matcher must accept every generated query
        subscriptions.put(
            Subscription(id=sub_id, name=sub_id, owner="parity", query=query, channels=WEBHOOK),
            refresh=False,
        )
    subscriptions.es.indices.refresh(index=subscriptions.index)

    percolator = Percolator(subscriptions.es, subscriptions.index, highlight=False)
    theirs: set[tuple[str, str]] = set()
    for start in range(0, len(articles), BATCH):
        batch = articles[start : start + BATCH]
        theirs |= {(m.subscription.id, m.article.id) for m in percolator.match(batch)}

    views = [DocumentView.of(d) for d in documents]
    disagreements: list[tuple[str, str, bool]] = []
    matches = 0
    for sub_id, query in ids.items():
        compiled = compile_query(query)
        for article, view in zip(articles, views, strict=True):
            ours = compiled.matches(view)
            es_says = (sub_id, article.id) in theirs
            matches += es_says
            if ours != es_says:
                disagreements.append((query, article.id, es_says))

    pairs = len(ids) * len(articles)
    print(
        f"{len(ids)} queries x {len(articles)} articles = {pairs} pairs: {matches} matches, "
        f"{pairs - matches} non-matches, {len(disagreements)} disagreements; "
        f"query kinds: {dict(sorted(generator.kinds.items()))}"
    )
    table = "\n".join(
        f"{'ES matches' if es else 'ES no match':12} | {aid:16} | {q}"
        for q, aid, es in disagreements[:60]
    )
    assert not disagreements, f"{len(disagreements)} disagreements:\n{table}"
    assert pairs >= 300
    assert matches >= pairs * 0.05 and pairs - matches >= pairs * 0.05
    per_query = Counter(sub for sub, _ in theirs)
    some = sum(1 for n in per_query.values() if n < len(articles))
    print(
        f"queries matching no article: {len(ids) - len(per_query)}, every article: "
        f"{len(per_query) - some}, some but not all: {some}"
    )
    assert some >= len(ids) * 0.3  # many queries tell articles apart
