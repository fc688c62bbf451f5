"""`newsmon extract URL|FILE... [--json]`: what the full-text stage makes of each page, in
order, files read from disk and URLs fetched under the stage's rules (loopback server)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer
from fulltext_support import corpus, normalised
from typer.testing import CliRunner

from ingest.walls import wall_kind
from newsmon.cli import app

DEMO = Path(__file__).resolve().parents[3] / "examples" / "pages" / "harbour-post"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSMON_ALLOW_PRIVATE_NETWORKS", "true")  # the loopback server
    monkeypatch.setenv("NEWSMON_HOST_DELAY", "0")


@pytest.fixture
def server() -> Iterator[FeedServer]:
    served = FeedServer()
    yield served
    served.close()


def rows(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_files_and_urls_one_json_line_each_in_order(
    env: None, server: FeedServer, tmp_path: Path
) -> None:
    page = corpus()[0]
    local = tmp_path / "page.html"
    local.write_bytes(page.body)
    dated = DEMO / "world" / "europe" / "finland-baltic-cable-ship-crew-questioned.html"
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    url = server.add("/article", page.body, content_type="text/html")
    private = server.add("/private/x", page.body, content_type="text/html")
    missing = tmp_path / "nope.html"
    result = CliRunner().invoke(
        app,
        ["extract", str(local), url, str(dated), private, str(missing), "--json"],
    )
    assert result.exit_code == 0, result.output
    got = rows(result.stdout)
    assert [r["input"] for r in got] == [str(local), url, str(dated), private, str(missing)]
    first, fetched, demo, robots, gone = got
    assert first["ok"] and normalised(page.expected[0]) in normalised(str(first["text"]))
    assert fetched["ok"] and fetched["text"] == first["text"]
    for key in ("text", "title", "published", "published_source", "canonical_url",
                "language", "flags", "ms"):  # fmt: skip
        assert key in first
    assert demo["published"] == "2026-11-25T15:40:00+00:00"
    assert demo["published_source"] == "page:htmldate:original"
    assert str(demo["canonical_url"]).startswith("https://www.harbourpost.example/")
    assert demo["language"] == "en"
    assert robots["flags"] == ["fulltext-robots"] and not robots["ok"]
    assert server.requests["/private/x"] == 0
    assert not gone["ok"] and gone["flags"] == ["fulltext-failed:unreadable"]
    assert "nope.html" in str(gone["error"])


def test_an_input_that_is_not_a_url_is_one_line_and_the_others_go_on(
    env: None, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(corpus()[0].body)
    result = CliRunner().invoke(app, ["extract", "http://[bad", str(page), "--json"])
    assert result.exit_code == 0, result.output
    bad, good = rows(result.stdout)
    assert bad["flags"] == ["fulltext-failed:invalid-url"] and "not a valid URL" in str(
        bad["error"]
    )
    assert good["ok"]


def test_a_consent_wall_is_named_and_the_text_view_is_plain(env: None) -> None:
    wall = DEMO / "world" / "africa" / "sudan-kadugli-aid-cut-off.html"
    result = CliRunner().invoke(app, ["extract", str(wall)])
    assert result.exit_code == 1  # nothing usable among the inputs
    assert "fulltext-failed:consent-wall" in result.output


def test_an_internal_url_is_refused_without_the_allowance(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    url = server.add("/article", corpus()[0].body, content_type="text/html")
    result = CliRunner().invoke(app, ["extract", url, "--json"])
    (row,) = rows(result.stdout)
    assert row["flags"] == ["fulltext-failed:refused"]
    assert "loopback" in str(row["error"])
    assert sum(server.requests.values()) == 0


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("We value your privacy. We and our 843 partners use cookies. Accept all", "consent-wall"),
        ("Subscribe now to continue reading. Already a subscriber? Sign in.", "paywall"),
        ("The minister said the cookie policy of the EU was under review.", None),
        ("Accept all cookies. " * 300, None),  # long: an article, whatever it says
    ],
)
def test_walls_are_recognised_by_their_phrases(text: str, kind: str | None) -> None:
    assert wall_kind(text, len(text.split())) == kind
