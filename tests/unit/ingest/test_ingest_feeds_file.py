"""Loading the feeds file: YAML, OPML, intervals and the errors that name the culprit."""

from pathlib import Path

import pytest

from contract import ConfigError
from ingest import FeedSpec, load_feeds, parse_interval


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(60, 60.0), (2.5, 2.5), ("90", 90.0), ("30s", 30.0), ("15m", 900.0), ("1h", 3600.0),
     ("1h30m", 5400.0), ("1.5h", 5400.0), (" 2d ", 172800.0), ("10 M", 600.0)],
)  # fmt: skip
def test_parse_interval(value: object, seconds: float) -> None:
    assert parse_interval(value) == seconds


@pytest.mark.parametrize("value", ["", "soon", "15x", "-5", 0, -1, "0m", True, None, [1]])
def test_parse_interval_rejects(value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        parse_interval(value)


def test_yaml_list_with_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path / "feeds.yaml",
        """
- url: https://www.example.com/rss.xml
- name: Wire
  url: https://wire.example.org/atom
  interval: 5m
- url: local/feed.xml
  interval: 30
""",
    )
    feeds = load_feeds(path)
    assert feeds == [
        FeedSpec("www.example.com", "https://www.example.com/rss.xml", 900.0),
        FeedSpec("Wire", "https://wire.example.org/atom", 300.0),
        FeedSpec("feed", str((tmp_path / "local" / "feed.xml").resolve()), 30.0),
    ]


def test_yaml_feeds_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path / "feeds.yml",
        "feeds:\n  - {url: 'https://a.example/rss', interval: 1h}\n",
    )
    assert load_feeds(path) == [FeedSpec("a.example", "https://a.example/rss", 3600.0)]


def test_yaml_empty_file(tmp_path: Path) -> None:
    assert load_feeds(write(tmp_path / "feeds.yaml", "")) == []


def test_opml(tmp_path: Path) -> None:
    path = write(
        tmp_path / "subs.opml",
        """<?xml version="1.0"?>
<opml version="2.0"><head><title>subs</title></head><body>
  <outline text="News">
    <outline type="rss" text="Alpha text" title="Alpha" xmlUrl="https://alpha.example/rss"/>
    <outline type="rss" text="Beta" xmlUrl="https://beta.example/feed"/>
    <outline type="rss" xmlUrl="https://gamma.example/feed"/>
    <outline text="a folder without a feed"/>
  </outline>
</body></opml>""",
    )
    assert load_feeds(path) == [
        FeedSpec("Alpha", "https://alpha.example/rss"),
        FeedSpec("Beta", "https://beta.example/feed"),
        FeedSpec("gamma.example", "https://gamma.example/feed"),
    ]


def test_opml_detected_by_content(tmp_path: Path) -> None:
    path = write(
        tmp_path / "feeds.txt",
        '<opml><body><outline xmlUrl="https://x.example/f"/></body></opml>',
    )
    assert [f.url for f in load_feeds(path)] == ["https://x.example/f"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- name: no url\n", "entry 0: field 'url' is required"),
        (
            "- url: https://a.example/1\n- url: https://a.example/1\n",
            "entry 1: duplicate url",
        ),
        (
            "- url: https://a.example/1\n  interval: often\n",
            "entry 0: field 'interval'",
        ),
        (
            "- url: https://a.example/1\n- url: ftp://b.example/x\n",
            "entry 1: field 'url'",
        ),
        ("- url: https://a.example/1\n  colour: red\n", "entry 0: unknown field"),
        ("- url: https://a.example/1\n  name: ''\n", "entry 0: field 'name'"),
        ("- 42\n", "entry 0: expected a mapping"),
        ("feeds: {url: x}\n", "expected a list"),
        ("- url: [unclosed\n", "invalid YAML"),
    ],
)
def test_yaml_errors_name_file_and_entry(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_feeds(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


def test_relative_duplicates_detected_after_resolving(tmp_path: Path) -> None:
    path = write(tmp_path / "feeds.yaml", "- url: a.xml\n- url: ./sub/../a.xml\n")
    with pytest.raises(ConfigError, match="entry 1: duplicate url"):
        load_feeds(path)


def test_invalid_opml(tmp_path: Path) -> None:
    path = write(tmp_path / "subs.opml", "<opml><body><outline xmlUrl='x'></body>")
    with pytest.raises(ConfigError, match="invalid OPML") as info:
        load_feeds(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_feeds(tmp_path / "nope.yaml")
