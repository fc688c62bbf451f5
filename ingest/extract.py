"""The article inside a fetched web page: its text without boilerplate, and what the page says
about itself (title, author, canonical URL, date, language).

A pure function over the response bytes, so a stored response (WARC) can be extracted again with
the same result. Text comes from trafilatura's main extractor with its own fallback cascade
(readability/jusText comparison, baseline rescue, recall retry of short results); the settings
were chosen on tests/data/pages with ``bench/bench_extract.py``:

- reader comments are left out (``include_comments=False``): they are not the article, and
  tagging would credit commenters' words to the story. Upstream's corpus counts comment text as
  expected content on 12 of its 86 pages; those are the only pages lost (see the README there).
- tables are kept: on the corpus dropping them loses article text and gains nothing.
- neither ``favor_recall``, ``favor_precision`` nor ``fast``: each passes fewer corpus pages
  (71, 65, 72 of 86 against 74), and the balanced default already retries a short result in
  recall mode. On 884 held-out pages precision passes 10 more (611 against 601) but finds 64
  fewer expected snippets, and its lead is one half's: split by a hash of the file name
  (``bench_extract.py --half``), precision passes 338 against 327 on half A and 273 against
  274 on half B.
- no combination of the balanced and the precision extraction: rules designed on half A (both
  extractions run, precision's text chosen per page, or balanced's paragraphs filtered by
  whether precision keeps them) either lose corpus pages or stay below 611. Taking precision's
  text when it keeps at least 90% of balanced's: 68 corpus pages, A 343, B 272. Keeping only
  the paragraphs both keep, plus balanced's extra ones that read as prose (80+ characters,
  sentence punctuation): 68, 337, 276. Dropping balanced's extra paragraphs after the last one
  precision keeps: 72, 333, 273; only those that are 80%+ link text: 74, 330, 275, i.e. 605
  held-out pages, +3 on the half it was designed on and +1 on the other, for a second
  extraction (about 15 ms more at the median, 40-45 ms at p95). Precision loses corpus pages
  over short article lines it takes for boilerplate (interview questions, product names, a
  "reporting by" credit) and wins held-out pages over short boilerplate lines (newsletter and
  "related" teasers, a category label); no paragraph test separated the two.

The date is htmldate's original (publication, not modification) date from the markup, JSON-LD
and the URL, without its extensive text search. Measured with ``bench_extract.py --dates``: the
extensive search dates 12 more of the 86 corpus pages and 96 more of 884 held-out ones, but about
a third of those are a bare year (January 1st: a copyright line, an upload path; all 15 checked
were wrong) and of 13 others checked by hand only 5 were right (2 a month from an image path, 2
wrong, 4 unclear). The full-text stage uses a page's date only when the feed gives none, and a
missing date is better there than a guessed one.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document

from ingest.dates import BadDate, parse_date
from ingest.encoding import decode_document
from ingest.html_text import clean_controls
from ingest.normalize import normalize_language

EXTRACTOR: Final = f"trafilatura/{trafilatura.__version__}"
"""What produces ``PageExtract.text``, with the version, for bug reports."""

DATE_SOURCE: Final = "htmldate:original"
"""``PageExtract.date_source`` of every date found."""

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # htmldate renders a date without a time as midnight
_DATE_PARAMS: Final[dict[str, Any]] = {
    "original_date": True,  # publication, not last modification
    "extensive_search": False,  # its text search guesses: see the module docstring
    "deferred_url_extractor": True,  # a date with its time in the markup beats the URL's day
    "outputformat": _DATE_FORMAT,
}
# WHATWG MIME sniffing: a "binary data byte" in the first 1445 bytes means not text. Looked
# for after decoding, so UTF-16 pages (all NUL bytes) are text; ESC is ISO-2022-JP's. A body
# that starts with markup is HTML even with a stray control character.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_SNIFF = 1445
_MARKUP = re.compile(r"\s*<")
_META_NAMES = ("property", "name", "http-equiv")
_EXTRACTION: Final[dict[str, Any]] = {
    "include_comments": False,
    "include_tables": True,
    "include_links": False,
    "include_images": False,
    "include_formatting": False,
    "with_metadata": True,
    "date_extraction_params": _DATE_PARAMS,
}


@dataclass(frozen=True)
class PageExtract:
    """The article text of a page and the page's own metadata; None where the page says nothing.

    Attributes:
        text: main text without boilerplate, NFC, paragraphs separated by newlines.
        title: the headline as the page's metadata or markup gives it.
        author: the byline, as trafilatura finds it (several names joined by "; ").
        site_name: the publication's name (og:site_name, JSON-LD publisher, a title suffix,
            else the host name).
        canonical_url: absolute http(s) URL from <link rel=canonical>, else og:url, resolved
            against the page URL (or its <base href>).
        description: the page's summary (meta description, og:description).
        published: publication time in UTC; a date without a time is midnight UTC, a time
            without a zone is read as UTC.
        date_source: "htmldate:original": htmldate's original-date search (markup, JSON-LD,
            URL); None when there is no date.
        language: ISO 639-1 code from <html lang>, og:locale or a content-language meta tag.
        words: whitespace-separated words in ``text``.
        extractor: what produced ``text`` (``EXTRACTOR``).
    """

    text: str
    title: str | None
    author: str | None
    site_name: str | None
    canonical_url: str | None
    description: str | None
    published: datetime | None
    date_source: str | None
    language: str | None
    words: int
    extractor: str


def extract_page(body: bytes, url: str, content_type: str | None = None) -> PageExtract:
    """Extract the article and metadata from an HTML response body.

    Args:
        body: the response body, already decompressed.
        url: the URL the page was fetched from (after redirects): relative links resolve to it.
        content_type: the HTTP Content-Type, for its charset.

    Returns:
        The extract; ``text`` is empty and ``words`` 0 when no article text is found (a page
        that is not HTML, a script-only shell), with whatever metadata the page has.

    Raises:
        ValueError: the body is empty or only whitespace.
    """
    if not body.strip():
        raise ValueError(f"empty body from {url}")
    html = decode_document(body, content_type, html=True).text
    if not _MARKUP.match(html) and _BINARY.search(html, 0, _SNIFF):
        return _empty()  # an image or a PDF, whatever its Content-Type said
    tree = trafilatura.load_html(html)
    if tree is None:  # not HTML at all: nothing to read
        return _empty()
    document = trafilatura.bare_extraction(tree, url=url, **_EXTRACTION)
    if not isinstance(document, Document):  # trafilatura found too little text
        document = trafilatura.extract_metadata(tree, url, _DATE_PARAMS)
        document.text = ""
    text = clean_controls(unicodedata.normalize("NFC", document.text or "")).strip()
    published = _published(document.date)
    return PageExtract(
        text=text,
        title=_field(document.title),
        author=_field(document.author),
        site_name=_field(document.sitename),
        canonical_url=_canonical_url(tree, url),
        description=_field(document.description),
        published=published,
        date_source=DATE_SOURCE if published else None,
        language=_language(tree),
        words=len(text.split()),
        extractor=EXTRACTOR,
    )


def _empty() -> PageExtract:
    return PageExtract("", None, None, None, None, None, None, None, None, 0, EXTRACTOR)


def _field(value: str | None) -> str | None:
    """A metadata string on one line, NFC, without control characters; None when empty."""
    cleaned = clean_controls(unicodedata.normalize("NFC", value or ""), single_line=True)
    return cleaned or None


def _published(found: str | None) -> datetime | None:
    """htmldate's ISO string as a UTC datetime; None for none or an impossible one."""
    try:
        return parse_date(found) if found else None
    except BadDate:
        return None


def _canonical_url(tree: HtmlElement, url: str) -> str | None:
    """<link rel=canonical>, else og:url, made absolute; None without one or if not http(s)."""
    base = url
    for element in tree.iterfind(".//head//base[@href]"):
        base = urljoin(url, str(element.get("href")).strip())
        break
    candidates = [
        str(link.get("href"))
        for link in tree.iterfind(".//head//link[@rel][@href]")
        if "canonical" in str(link.get("rel")).lower().split()
    ]
    candidates += [str(meta.get("content")) for meta in _metas(tree, "og:url")]
    for candidate in candidates:
        if not candidate.strip():
            continue
        resolved = urljoin(base, candidate.strip())
        parts = urlsplit(resolved)
        if parts.scheme in ("http", "https") and parts.netloc:
            return resolved
    return None


def _language(tree: HtmlElement) -> str | None:
    """ISO 639-1 code: <html lang>, then og:locale, then a content-language meta tag."""
    declared = [tree.get("lang"), tree.get("xml:lang")]  # the HTML parser has no namespaces
    declared += [meta.get("content") for meta in _metas(tree, "og:locale")]
    declared += [
        str(meta.get("content")).split(",")[0] for meta in _metas(tree, "content-language")
    ]
    for value in declared:
        code = normalize_language(value)
        if code and len(code) == 2:
            return code
    return None


def _metas(tree: HtmlElement, key: str) -> list[HtmlElement]:
    """The <meta content> tags in <head> whose property, name or http-equiv is ``key``."""
    found = []
    for meta in tree.iterfind(".//head//meta[@content]"):
        names = {str(meta.get(name, "")).strip().lower() for name in _META_NAMES}
        if key in names:
            found.append(meta)
    return found
