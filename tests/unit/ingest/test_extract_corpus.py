"""extract_page over 86 real news and blog pages (tests/data/pages, from trafilatura's tests):
the snippets upstream expects in the text are there and its boilerplate strings are not.

Scored by bench/bench_extract.py's rules (loaded from there, so the bench and this test cannot
drift): NFC and collapsed whitespace on both sides. "trafilatura's best configuration" is the
best of the bench's configurations that leave reader comments out, as extract_page does;
upstream counts comment text as expected on 12 pages, and the last test pins that those pages
are missed for their comment snippets only.
"""

import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import trafilatura

from ingest.encoding import decode_document
from ingest.extract import PageExtract, extract_page

BENCH = Path(__file__).parents[3] / "bench" / "bench_extract.py"
MIN_PASSING = 40


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_extract", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
PAGES = bench.load_index()


@pytest.fixture(scope="module", autouse=True)
def _quiet_trafilatura() -> Iterator[None]:
    """trafilatura logs a warning for every page it discards; the counts say it all."""
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture(scope="module")
def extracts() -> dict[str, PageExtract]:
    return {p.path.name: extract_page(p.path.read_bytes(), p.url) for p in PAGES}


@pytest.fixture(scope="module")
def ours(extracts: dict[str, PageExtract]) -> set[str]:
    """Pages passing with extract_page: every expected snippet found, no excluded one."""
    return {
        p.path.name
        for p in PAGES
        if bench.check(extracts[p.path.name].text, p) == (len(p.expected), 0)
    }


@pytest.fixture(scope="module")
def best() -> tuple[str, set[str]]:
    """trafilatura's best configuration without reader comments, and the pages it passes."""
    decoded = bench.decode_all(PAGES)
    results = [
        bench.run(name, bench.configured(decoded, options), PAGES)
        for name, options in bench.CONFIGS.items()
        if options.get("include_comments") is False
    ]
    top = max(results, key=lambda r: len(r.passing))
    return top.name, set(top.passing)


def test_corpus_is_complete() -> None:
    assert len(PAGES) == 86
    assert all(p.path.is_file() and p.expected for p in PAGES)


def test_at_least_40_pages_pass(ours: set[str]) -> None:
    failing = sorted(p.path.name for p in PAGES if p.path.name not in ours)
    assert len(ours) >= MIN_PASSING, f"{len(ours)} pass; failing: {failing}"


def test_every_page_trafilaturas_best_passes_also_passes(
    ours: set[str], best: tuple[str, set[str]]
) -> None:
    name, passing = best
    lost = sorted(passing - ours)
    assert not lost, f"passed by trafilatura {name!r}, not by extract_page: {lost}"
    assert len(ours) >= len(passing)


def test_pages_missed_only_for_reader_comments(
    ours: set[str], extracts: dict[str, PageExtract]
) -> None:
    """Each miss is an expected snippet that trafilatura files under reader comments."""
    not_comments = []
    for page in PAGES:
        if page.path.name in ours:
            continue
        html = decode_document(page.path.read_bytes(), None, html=True).text
        document = trafilatura.bare_extraction(html, url=page.url, include_comments=True)
        comments = bench.normalise(getattr(document, "comments", None) or "")
        text = bench.normalise(extracts[page.path.name].text)
        not_comments += [
            (page.path.name, s)
            for s in page.expected
            if bench.normalise(s) not in text and bench.normalise(s) not in comments
        ]
        not_comments += [(page.path.name, s) for s in page.excluded if bench.normalise(s) in text]
    assert not not_comments, not_comments
    assert len(PAGES) - len(ours) <= 12


# Upstream's own metadata assertions for pages of this corpus (realworld_tests.py, test_pages),
# copied as written; the canonical URL is ours, not trafilatura's.
@pytest.mark.parametrize(
    ("file", "title", "author", "site_name", "canonical_url"),
    [
        (
            "reuters.com.parasite.html",
            "'Parasite' scores historic upset at SAG awards, boosting Oscar chances",
            "Jill Serjeant",
            "Reuters",
            "https://www.reuters.com/article/us-awards-sag-idUSKBN1ZI0EH",
        ),
        (
            "boingboing.net.millenials.html",
            "Hating Millennials - the prejudice you're allowed to boast about",
            "Cory Doctorow",
            "Boing Boing",
            "https://boingboing.net/2013/07/19/hating-millennials-the-preju.html",
        ),
        (
            "github.blog.spiceland.html",
            "Leader spotlight: Erin Spiceland",
            "Jessica Rudder",
            "The GitHub Blog",
            "https://github.blog/2019-03-29-leader-spotlight-erin-spiceland/",
        ),
        (
            "gofeminin.de.abnehmen.html",
            "Wie kann ich schnell abnehmen? Der Schlachtplan zum Wunschgewicht",
            "Diane Buckstegge",
            "Gofeminin",
            "https://www.gofeminin.de/abnehmen/wie-kann-ich-schnell-abnehmen-s1431651.html",
        ),
        (
            "wikimediafoundation.org.turkey.html",
            "Access to Wikipedia restored in Turkey after more than two and a half years",
            "Wikimedia Foundation",
            "Wikimedia Foundation",
            "https://wikimediafoundation.org/news/2020/01/15/access-to-wikipedia-restored-in-"
            "turkey-after-more-than-two-and-a-half-years/",
        ),
    ],
)
def test_upstream_metadata(
    extracts: dict[str, PageExtract],
    file: str,
    title: str,
    author: str,
    site_name: str,
    canonical_url: str,
) -> None:
    page = extracts[file]
    assert (page.title, page.author, page.site_name) == (title, author, site_name)
    assert page.canonical_url == canonical_url


def test_reuters_date_and_language(extracts: dict[str, PageExtract]) -> None:
    page = extracts["reuters.com.parasite.html"]
    assert page.published is not None
    assert page.published.date().isoformat() == "2020-01-20"  # upstream: metadata.date
    assert (page.date_source, page.language) == ("htmldate:original", "en")


def test_every_page_extracts_text(extracts: dict[str, PageExtract]) -> None:
    empty = [name for name, page in extracts.items() if page.words < 30]
    assert not empty
