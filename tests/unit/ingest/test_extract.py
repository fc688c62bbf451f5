"""extract_page on small hand-written pages: each field, the charset, boilerplate and failures."""

from datetime import UTC, datetime

import pytest

from ingest.extract import DATE_SOURCE, EXTRACTOR, PageExtract, extract_page

URL = "https://news.example.com/world/2024/story-about-harbours"
PARAGRAPHS = (
    "The harbour authority confirmed on Friday that the northern pier will close for repairs "
    "after inspectors found corrosion in the steel supports beneath the loading platforms.",
    "Ship operators were told to divert cargo to the southern terminal, which port officials "
    "said could absorb most of the traffic during the eight weeks the work is expected to last.",
    "Local fishermen, who moor their boats beside the northern pier, said they had not been "
    "consulted and asked the council to find them temporary berths before the closure begins.",
)


def make_page(
    head: str = "",
    html_attrs: str = 'lang="en"',
    before: str = "",
    after: str = "",
    paragraphs: tuple[str, ...] = PARAGRAPHS,
) -> str:
    """A news page: ``head`` extras, boilerplate ``before``/``after`` the article body."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html {html_attrs}><head><meta charset='utf-8'>"
        f"<title>Northern pier to close</title>{head}</head><body>{before}"
        f"<article><h1>Northern pier to close for repairs</h1>{body}</article>{after}"
        "</body></html>"
    )


def extract(html: str, url: str = URL, content_type: str | None = None) -> PageExtract:
    return extract_page(html.encode("utf-8"), url, content_type)


def test_article_text_and_word_count() -> None:
    page = extract(make_page())
    for paragraph in PARAGRAPHS:
        assert paragraph in page.text
    assert page.words == len(page.text.split()) > 80
    assert page.extractor == EXTRACTOR and EXTRACTOR.startswith("trafilatura/")


@pytest.mark.parametrize(
    ("head", "url", "canonical"),
    [
        (
            '<link rel="canonical" href="/world/2024/harbours?id=7">',
            "https://news.example.com/amp/world/harbours",
            "https://news.example.com/world/2024/harbours?id=7",
        ),
        (  # relative to the page's directory
            '<link rel="canonical" href="../harbours">',
            "https://news.example.com/amp/world/harbours",
            "https://news.example.com/amp/harbours",
        ),
        (  # <base href> is what relative links resolve against
            '<base href="https://www.example.org/base/"><link rel="canonical" href="story">',
            "https://news.example.com/amp/x",
            "https://www.example.org/base/story",
        ),
        (  # protocol-relative
            '<link rel="canonical" href="//news.example.com/s">',
            "http://news.example.com/amp/s",
            "http://news.example.com/s",
        ),
        (  # rel has several tokens, any case
            '<link rel="Canonical alternate" href="https://news.example.com/c">',
            URL,
            "https://news.example.com/c",
        ),
        (  # og:url, also relative, when there is no canonical link
            '<meta property="og:url" content="/world/og-story">',
            "https://news.example.com/amp/og",
            "https://news.example.com/world/og-story",
        ),
        (  # the canonical link wins over og:url
            '<meta property="og:url" content="https://news.example.com/og">'
            '<link rel="canonical" href="https://news.example.com/canonical">',
            URL,
            "https://news.example.com/canonical",
        ),
        ("", URL, None),  # the page names none: not the fetched URL either
        ('<link rel="canonical" href="javascript:alert(1)">', URL, None),
        ('<link rel="canonical" href="  ">', URL, None),
    ],
)
def test_canonical_url(head: str, url: str, canonical: str | None) -> None:
    assert extract(make_page(head=head), url=url).canonical_url == canonical


def test_title_author_site_name_description() -> None:
    head = (
        '<meta property="og:title" content="Northern pier to close for repairs">'
        '<meta name="author" content="Jane Doe">'
        '<meta property="og:site_name" content="Harbour Gazette">'
        '<meta name="description" content="Corrosion found under the loading platforms.">'
    )
    page = extract(make_page(head=head))
    assert page.title == "Northern pier to close for repairs"
    assert page.author == "Jane Doe"
    assert page.site_name == "Harbour Gazette"
    assert page.description == "Corrosion found under the loading platforms."


def test_title_from_markup_without_metadata() -> None:
    page = extract(make_page())
    assert page.title and "Northern pier" in page.title
    assert page.author is None and page.description is None


@pytest.mark.parametrize(
    ("head", "published"),
    [
        (
            '<meta property="article:published_time" content="2024-05-24T09:30:00+02:00">',
            datetime(2024, 5, 24, 7, 30, tzinfo=UTC),
        ),
        (  # JSON-LD; the original date, not the modification
            '<script type="application/ld+json">{"@context": "https://schema.org", '
            '"@type": "NewsArticle", "datePublished": "2023-11-02T18:05:00Z", '
            '"dateModified": "2024-01-09T08:00:00Z"}</script>',
            datetime(2023, 11, 2, 18, 5, tzinfo=UTC),
        ),
        (  # a day without a time: midnight UTC
            '<meta name="date" content="2022-03-15">',
            datetime(2022, 3, 15, tzinfo=UTC),
        ),
    ],
)
def test_published_with_its_source(head: str, published: datetime) -> None:
    page = extract(make_page(head=head))
    assert page.published == published
    assert page.published is not None and page.published.utcoffset() is not None
    assert page.date_source == DATE_SOURCE == "htmldate:original"


def test_no_date() -> None:
    page = extract(make_page(), url="https://news.example.com/story")
    assert (page.published, page.date_source) == (None, None)


def test_a_copyright_year_is_not_a_date() -> None:
    page = extract(make_page(after="<footer>© 2019 Harbour Gazette</footer>"), url=URL)
    assert page.published is None


@pytest.mark.parametrize(
    ("html_attrs", "head", "language"),
    [
        ('lang="de-AT"', "", "de"),
        ('lang="EN_gb"', "", "en"),
        ('xml:lang="nl"', "", "nl"),
        ("", '<meta property="og:locale" content="fr_FR">', "fr"),
        ("", '<meta http-equiv="Content-Language" content="es, en">', "es"),
        ('lang="de"', '<meta property="og:locale" content="fr_FR">', "de"),  # <html lang> first
        ('lang="gsw"', '<meta property="og:locale" content="de_CH">', "de"),  # not ISO 639-1
        ('lang="x-klingon"', "", None),
        ("", "", None),
    ],
)
def test_language(html_attrs: str, head: str, language: str | None) -> None:
    assert extract(make_page(head=head, html_attrs=html_attrs)).language == language


def test_windows_1252_from_meta_charset() -> None:
    quoted = "M\u00fcller\u2019s caf\u00e9 said \u201cnever again\u201d \u2014 twice."
    html = make_page(paragraphs=(*PARAGRAPHS, quoted)).replace(
        "<meta charset='utf-8'>", "<meta charset=windows-1252>"
    )
    body = html.encode("cp1252")
    assert b"\x92" in body and b"\x93" in body  # bytes that are not valid UTF-8
    page = extract_page(body, URL)
    assert quoted in page.text
    assert "\ufffd" not in page.text


def test_http_charset_beats_meta() -> None:
    html = make_page(paragraphs=(*PARAGRAPHS, "Straße über Köln.")).replace(
        "<meta charset='utf-8'>", "<meta charset=utf-8>"
    )
    page = extract_page(html.encode("iso-8859-1"), URL, "text/html; charset=ISO-8859-1")
    assert "Straße über Köln." in page.text


def test_boilerplate_and_comments_left_out() -> None:
    nav = (
        "<header><nav><ul><li><a href='/'>Home</a></li><li><a href='/world'>World news</a></li>"
        "<li><a href='/sport'>Sport results</a></li></ul></nav></header>"
    )
    cookie = (
        '<div id="cookie-banner" class="cookie-consent">We use cookies to improve your '
        "experience. <button>Accept all cookies</button></div>"
    )
    comments = (
        '<section id="comments" class="comments"><h3>3 Comments</h3><ul class="comment-list">'
        '<li class="comment">Reader Bob wrote: the pier was always rusty, nobody listened.</li>'
        "</ul></section>"
    )
    footer = (
        "<footer><p>Copyright Harbour Gazette Media Group. All rights reserved.</p>"
        "<a href='/privacy'>Privacy policy</a> <a href='/imprint'>Imprint</a></footer>"
    )
    page = extract(make_page(before=cookie + nav, after=comments + footer))
    assert PARAGRAPHS[0] in page.text and PARAGRAPHS[2] in page.text
    for boilerplate in ("We use cookies", "Sport results", "Reader Bob", "All rights reserved"):
        assert boilerplate not in page.text
    assert "Privacy policy" not in page.text


@pytest.mark.parametrize(
    "body",
    [
        b"<html><head><title>Nothing</title></head><body></body></html>",
        b"<html><body><script>window.app = {};</script><div id='root'></div></body></html>",
        b"\x00\x01\x02\x03 definitely not html \xff\xfe\x00",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR some readable words in a chunk",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj",
        b'{"json": "not a page"}',
    ],
)
def test_nothing_to_extract_is_empty_not_an_error(body: bytes) -> None:
    page = extract_page(body, URL, "text/html")
    assert (page.text, page.words) == ("", 0)
    assert page.extractor == EXTRACTOR


def test_a_stray_control_character_does_not_make_a_page_binary() -> None:
    page = extract(make_page(head="<title>Pier\x0b</title>"))
    assert PARAGRAPHS[1] in page.text


def test_utf16_page_with_bom() -> None:
    body = b"\xff\xfe" + make_page(paragraphs=(*PARAGRAPHS, "Zürich: 5 °C.")).encode("utf-16-le")
    assert "Zürich: 5 °C." in extract_page(body, URL).text


@pytest.mark.parametrize("body", [b"", b" \r\n\t "])
def test_empty_body_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"^empty body from https://") as raised:
        extract_page(body, URL)
    assert "\n" not in str(raised.value)


def test_deterministic() -> None:
    html = make_page(head='<meta property="article:published_time" content="2024-05-24">')
    assert extract(html) == extract(html)
