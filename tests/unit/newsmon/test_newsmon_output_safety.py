"""Feed text printed to a terminal is data: no Rich markup, no terminal control, no crash."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contract.text import printable
from newsmon.cli import app
from newsmon.console import out, safe
from newsmon.search_cli import print_results
from sinks.article_queries import SearchHit, SearchResult

HOSTILE = (
    "[/] closes nothing [link=https://evil.example]click[/link] [bold red]loud[/]"
    " \x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x1b\\hidden\x1b]8;;\x1b\\ nul\x00 \u202eevil"
)


def test_safe_escapes_markup_and_makes_controls_visible() -> None:
    shown = safe(HOSTILE)
    assert "\x1b" not in shown and "\x00" not in shown and "\u202e" not in shown
    assert shown.count("\ufffd") == 8  # 6 ESC, NUL, the override
    assert "\\[/]" in shown and "\\[link=https://evil.example]" in shown
    assert printable("line\n\ttab") == "line\n\ttab"


def test_search_results_with_hostile_titles_print_as_text() -> None:
    hit = SearchHit(
        id="a",
        title=HOSTILE,
        url="https://example.com/[/]",
        source="[b]Source[/b]",
        published=datetime(2026, 12, 1, tzinfo=UTC),
        topics=["[red]ceasefire[/red]"],
        entities=["\x1b[2JEntity"],
    )
    with out.capture() as captured:
        print_results(SearchResult(query="[/]", total=1, hits=[hit]))
    text = captured.get()
    assert "[/] closes nothing [link=https://evil.example]click[/link]" in text
    assert "[b]Source[/b]" in text and "[red]ceasefire[/red]" in text
    assert "\x1b" not in text


def test_adding_a_webhook_to_an_internal_address_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notifier's client refuses such targets anyway; the add says so at once."""
    for name in ("NEWSMON_KAFKA_BOOTSTRAP", "NEWSMON_ES_URL", "NEWSMON_PERCOLATOR_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSMON_ALLOW_PRIVATE_NETWORKS", "false")
    args = ["subscriptions", "add", "--id", "w", "--name", "W", "--owner", "o", "--query", "x"]
    args += ["--secret", "s3cret"]
    for url, why in [
        ("http://127.0.0.1:9000/hook", "127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest", "169.254.169.254 is a cloud metadata address"),
        ("https://localhost/hook", "localhost resolves to 127.0.0.1, a loopback address"),
        ("http://[::ffff:10.0.0.1]/hook", "a private address"),
    ]:
        result = CliRunner().invoke(app, [*args, "--webhook", url])
        assert result.exit_code == 1, result.output
        assert why in result.output and "NEWSMON_ALLOW_PRIVATE_NETWORKS" in result.output
    monkeypatch.setenv("NEWSMON_FETCH_ALLOW", "127.0.0.1:9000")
    allowed = CliRunner().invoke(app, [*args, "--webhook", "http://127.0.0.1:9000/hook"])
    assert allowed.exit_code == 0, allowed.output
    listed = CliRunner().invoke(app, ["subscriptions", "list", "--json"])
    assert json.loads(listed.output)[0]["channels"][0]["url"] == "http://127.0.0.1:9000/hook"
