"""Stored articles read back from JSON lines, one item per non-blank line.

Three shapes are read: newsmon's wire format (``schema_version`` and ``fetched_at`` or
``source``: :meth:`contract.Article.from_json`); newsmon's ``search --json`` output (a
``hits`` list, or one hit per line: id, url, title, snippet, published, ...); and a minimal
object anyone can write: ``{"url", "title"?, "text"?, "summary"?, "published"?, "source"?,
"fetched_at"?, "language"?}``. Every article comes out in the ``replay`` lane, its id the hash
of its canonical URL (a given id is kept only when it is that hash).
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import orjson

from contract import Article, PoisonMessage
from contract.ids import article_id, canonical_url
from ingest.dates import BadDate, parse_date
from ingest.replay.items import MAX_BODY, Skipped, StoredArticle

_TEXT_FIELDS = ("title", "text", "summary", "source", "language", "snippet")


class _NotArticle(Exception):
    """A JSON value that is not an article; the message names the field."""


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) for every line; None for a line over :data:`MAX_BODY` bytes
    (read past, never held whole)."""
    number = 0
    while line := handle.readline(MAX_BODY + 1):
        number += 1
        if len(line) > MAX_BODY and not line.endswith(b"\n"):
            while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield number, None
            continue
        yield number, line


def _url(value: Any, field: str = "url") -> str:
    if not isinstance(value, str) or not value.strip():
        raise _NotArticle(f"no {field!r}" if value is None else f"{field!r} is not a string")
    try:
        parts = urlsplit(value.strip())
        canonical_url(value)
    except ValueError as exc:
        raise _NotArticle(f"{field!r} is not a URL: {value[:80]!r}") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise _NotArticle(f"{field!r} is not an http(s) URL: {value[:80]!r}")
    return value.strip()


def _date(found: dict[str, Any], field: str) -> datetime | None:
    value = found.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _NotArticle(f"{field!r} is not a date string")
    try:
        return parse_date(value)
    except BadDate as exc:
        raise _NotArticle(f"{field!r} is not a date: {value[:40]!r}") from exc


def _text(found: dict[str, Any], field: str) -> str | None:
    value = found.get(field)
    if value is not None and not isinstance(value, str):
        raise _NotArticle(f"{field!r} is not a string")
    return value


def is_wire(found: dict[str, Any]) -> bool:
    """Whether a JSON object is newsmon's wire format (an Article as it travels)."""
    return "schema_version" in found and ("fetched_at" in found or "source" in found)


def from_object(found: Any, line: bytes, modified: datetime) -> Article:
    """The article a JSON value stands for.

    Args:
        found: the parsed value.
        line: its JSON text (for the wire format's own parser).
        modified: the file's modification time: the fetch time of an article with no date.

    Raises:
        _NotArticle: not an article; the message names the field.
    """
    if not isinstance(found, dict):
        raise _NotArticle(f"a JSON {type(found).__name__}, not an object")
    url = _url(found.get("url"))
    if is_wire(found):
        try:
            article = Article.from_json(line)
        except PoisonMessage as exc:
            raise _NotArticle(str(exc)) from exc
        return article.model_copy(update={"lane": "replay"})
    texts = {field: _text(found, field) for field in _TEXT_FIELDS}
    published = _date(found, "published")
    fetched_at = _date(found, "fetched_at") or published or modified
    given_id = found.get("id")
    summary = texts["summary"] or texts["snippet"] or ""
    return Article(
        id=given_id if given_id == article_id(url) else article_id(url),
        url=canonical_url(url),
        title=texts["title"] or "",
        summary=summary,
        text=texts["text"] or summary,
        published=published,
        fetched_at=fetched_at,
        source=texts["source"] or urlsplit(url).hostname or url,
        language=texts["language"],
        lane="replay",
    )


def _line_items(where: str, line: bytes, modified: datetime) -> Iterator[StoredArticle | Skipped]:
    try:
        found = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        yield Skipped(where, "not-json", f"{where}: not JSON ({str(exc).split(':')[0]})")
        return
    hits = found.get("hits") if isinstance(found, dict) and "url" not in found else None
    values = hits if isinstance(hits, list) else [found]
    for index, value in enumerate(values):
        label = f"{where}: hits[{index}]" if values is hits else where
        try:
            text = line if values is not hits else orjson.dumps(value)
            yield StoredArticle(from_object(value, text, modified), where)
        except _NotArticle as exc:
            yield Skipped(where, "not-an-article", f"{label}: {exc}")


def read_jsonl(path: Path) -> Iterator[StoredArticle | Skipped]:
    """Every non-blank line of ``path`` as a stored article, or skipped (``not-json``,
    ``not-an-article``, ``too-large``) with ``path:line``; a ``search --json`` line gives one
    item per hit. A file that cannot be read is one ``unreadable`` Skipped."""
    try:
        with path.open("rb") as handle:
            modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            for number, line in _lines(handle):
                where = f"{path}:{number}"
                if line is None:
                    yield Skipped(where, "too-large", f"{where}: line over {MAX_BODY} bytes")
                elif line.strip():
                    yield from _line_items(where, line, modified)
    except OSError as exc:
        yield Skipped(str(path), "unreadable", f"{path}: {exc.strerror or exc}", record=False)
