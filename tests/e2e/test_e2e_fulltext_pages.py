"""Extraction on real pages nobody here wrote: trafilatura's own test pages (tests/data/pages),
served from a loopback HTTP server and read by the full-text stage as newsmon runs it. Upstream's
snippets must be in the text and the boilerplate its tests exclude must not."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer
from fulltext_support import corpus, passes, run_stage, serve, teaser_article

pytestmark = pytest.mark.e2e

MIN_PASSING = 40
"""The bar: at least this many pages with every snippet and no excluded string."""


@pytest.fixture
def server() -> Iterator[FeedServer]:
    served = FeedServer()
    yield served
    served.close()


def test_real_pages_extract_their_article_and_drop_the_boilerplate(
    server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = corpus()
    urls = serve(server, pages)
    reports = run_stage([teaser_article(urls[p.file]) for p in pages], tmp_path)
    passing, failing = [], []
    for page, report in zip(pages, reports, strict=True):
        assert report.article.id == teaser_article(urls[page.file]).id  # the id never changes
        text = report.article.text if report.outcome == "fetched" else ""
        (passing if passes(page, text) else failing).append(f"{page.file} ({report.flag})")
    with capsys.disabled():
        print(f"\nreal pages: {len(passing)} of {len(pages)} pass through the stage")
    assert sum(server.requests.values()) == len(pages) + 1  # each page once, and robots.txt
    assert len(passing) >= MIN_PASSING, f"{len(passing)} passing; failing: {failing}"
