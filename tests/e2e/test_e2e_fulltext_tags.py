"""Tag quality on full text vs the teaser: served pages whose feed item carries only a one-sentence
summary are tagged twice, from the summary alone and from what the full-text stage made of the
page. The pages: trafilatura's real test pages (tests/data/pages) and the demo's Harbour Post
pages (examples/pages), all served from loopback."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer
from fulltext_support import corpus, run_stage, serve, teaser_article

from contract import Article
from processors.enrich import Enricher

pytestmark = pytest.mark.e2e

DEMO_PAGES = Path(__file__).resolve().parents[2] / "examples" / "pages" / "harbour-post"
SENTENCE = re.compile(r"(.+?[.!?])(?:\s|$)", re.DOTALL)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    served = FeedServer()
    yield served
    served.close()


def first_sentence(text: str) -> str:
    """The first sentence: what a teaser feed carries."""
    found = SENTENCE.match(text.strip())
    return (found.group(1) if found else text.strip()).strip()


def counts(articles: list[Article]) -> tuple[int, int]:
    """(entities, topics) found over ``articles``."""
    return sum(len(a.entities) for a in articles), sum(len(a.topics) for a in articles)


def test_full_text_finds_more_entities_and_topics_than_the_one_sentence_summary(
    server: FeedServer, tmp_path: Path, enricher: Enricher, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = list(serve(server, corpus()).values())
    for page in sorted(DEMO_PAGES.rglob("*.html")):
        urls.append(server.add(f"/demo/{page.name}", page.read_bytes(), content_type="text/html"))
    reports = [r for r in run_stage([teaser_article(u) for u in urls], tmp_path)
               if r.outcome == "fetched" and r.extract is not None]  # fmt: skip
    assert len(reports) >= 60
    teasers, whole = [], []
    for report in reports:
        assert report.extract is not None
        summary = first_sentence(report.extract.description or report.article.text)
        teasers.append(report.article.model_copy(update={"text": summary, "summary": summary}))
        whole.append(report.article)
    teaser_counts = counts(enricher.enrich_batch(teasers))
    whole_counts = counts(enricher.enrich_batch(whole))
    with capsys.disabled():
        print(
            f"\n{len(reports)} pages: one-sentence summary {teaser_counts[0]} entities, "
            f"{teaser_counts[1]} topics; full text {whole_counts[0]} entities, "
            f"{whole_counts[1]} topics"
        )
    assert whole_counts[0] > 2 * teaser_counts[0]
    assert whole_counts[1] > teaser_counts[1]
