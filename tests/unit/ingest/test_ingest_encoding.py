"""Decoding feed and page bodies: HTTP charset, BOM, XML declaration, meta, sniffing, damage."""

# ruff: noqa: RUF001  (the sample texts are Cyrillic and French on purpose)

import codecs
import random

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.encoding import charset_of, decode_document, to_utf8_xml

RUSSIAN = (
    "Центральный банк России в пятницу повысил ключевую ставку до шестнадцати процентов годовых. "
    "Аналитики ожидали такого решения после ускорения инфляции в сентябре и октябре. Председатель "
    "банка заявила, что регулятор готов и дальше ужесточать денежно-кредитную политику, если цены "
    "продолжат расти быстрее прогноза, а рубль останется слабым."
)
JAPANESE = "東京で記者会見が開かれ、政府は新しい経済対策を発表しました。"
CZECH = "Příliš žluťoučký kůň úpěl ďábelské ódy. Zażółć gęślą jaźń."
FRENCH = (
    "L’économie française a ralenti au troisième trimestre : la consommation des ménages "
    "recule, l’investissement des entreprises stagne et le déficit « se creuse », selon l’Insee."
)


def rss(title: str, encoding: str | None = None) -> str:
    """A small RSS document; ``encoding`` goes in the XML declaration when given."""
    decl = f' encoding="{encoding}"' if encoding else ""
    return (
        f'<?xml version="1.0"{decl}?>\n<rss version="2.0"><channel><title>{title}</title>'
        f"<item><title>{title}</title><link>https://example.com/a</link></item>"
        "</channel></rss>"
    )


@pytest.mark.parametrize(
    ("text", "charset", "encoding"),
    [
        (RUSSIAN, "KOI8-R", "koi8-r"),
        (RUSSIAN, "windows-1251", "cp1251"),
        (JAPANESE, "Shift_JIS", "shift_jis"),
        (JAPANESE, "EUC-JP", "euc_jp"),
        (CZECH, "ISO-8859-2", "iso8859-2"),
        (RUSSIAN + JAPANESE, "UTF-16LE", "utf-16-le"),
        (RUSSIAN + JAPANESE, "UTF-16BE", "utf-16-be"),
    ],
)
def test_charset_only_in_http_decodes_exactly(text: str, charset: str, encoding: str) -> None:
    doc = rss(text)
    got = decode_document(doc.encode(encoding), f'application/rss+xml; charset="{charset}"')
    assert (got.text, got.encoding, got.source, got.replaced) == (doc, encoding, "http", 0)
    assert got.note is None


@pytest.mark.parametrize(
    ("bom", "encoding"), [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")]
)
def test_utf16_with_bom_and_generic_http_label(bom: bytes, encoding: str) -> None:
    doc = rss(RUSSIAN)
    got = decode_document(bom + doc.encode(encoding), "application/xml; charset=utf-16")
    assert (got.text, got.encoding, got.source, got.note) == (doc, encoding, "bom", None)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_and_generic_http_label_takes_byte_order_from_the_bytes(
    encoding: str,
) -> None:
    doc = rss(JAPANESE)
    got = decode_document(doc.encode(encoding), "text/xml; charset=utf-16")
    assert (got.text, got.encoding, got.source) == (doc, encoding, "http")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_undeclared_utf16_and_utf32_found_from_the_xml_declaration_bytes(encoding: str) -> None:
    doc = rss(CZECH)
    got = decode_document(doc.encode(encoding), None)
    assert (got.text, got.encoding, got.source) == (doc, encoding, "xml")


def test_bom_beats_http_and_xml_declaration() -> None:
    doc = rss(RUSSIAN, encoding="koi8-r")
    got = decode_document(codecs.BOM_UTF8 + doc.encode(), "application/xml; charset=windows-1251")
    assert (got.text, got.encoding, got.source, got.note) == (doc, "utf-8", "bom", None)


def test_http_beats_xml_declaration() -> None:
    doc = rss(RUSSIAN, encoding="windows-1251")
    got = decode_document(doc.encode("koi8-r"), "application/xml; charset=koi8-r")
    assert (got.text, got.encoding, got.source, got.note) == (doc, "koi8-r", "http", None)


@pytest.mark.parametrize("content_type", [None, "application/rss+xml", "text/xml"])
def test_xml_declaration_used_without_http_charset(content_type: str | None) -> None:
    doc = rss(RUSSIAN, encoding="KOI8-R")
    got = decode_document(doc.encode("koi8-r"), content_type)
    assert (got.text, got.encoding, got.source, got.note) == (doc, "koi8-r", "xml", None)


def test_undeclared_cp1251_is_sniffed() -> None:
    doc = rss(RUSSIAN)
    got = decode_document(doc.encode("cp1251"), "application/rss+xml")
    assert (got.text, got.encoding, got.source, got.replaced) == (doc, "cp1251", "sniffed", 0)
    assert got.note == "no usable charset declared, not utf-8; decoded as cp1251 (sniffed)"


def test_declared_utf8_with_cp1252_bytes_falls_back_cleanly() -> None:
    doc = rss(FRENCH)
    got = decode_document(doc.encode("cp1252"), "application/xml; charset=utf-8")
    assert (got.text, got.replaced) == (doc, 0)
    assert got.note is not None
    assert got.note.startswith("declared utf-8 (HTTP) but the body is not valid utf-8; decoded as")


@pytest.mark.parametrize(
    ("declaration", "source"), [("utf-8", "xml"), (None, "default"), ("iso-8859-1", "default")]
)
def test_single_byte_http_label_on_a_utf8_body_is_overruled(
    declaration: str | None, source: str
) -> None:
    doc = rss(FRENCH, encoding=declaration)
    got = decode_document(doc.encode(), "text/xml; charset=ISO-8859-1")
    assert (got.text, got.encoding, got.source, got.replaced) == (doc, "utf-8", source, 0)
    where = "XML declaration" if source == "xml" else "default"
    assert got.note == f"declared cp1252 (HTTP) but the body is utf-8; decoded as utf-8 ({where})"


def test_us_ascii_default_of_rfc3023_is_not_applied() -> None:
    doc = rss(RUSSIAN)
    got = decode_document(doc.encode(), "text/xml")
    assert (got.text, got.encoding, got.source, got.note) == (doc, "utf-8", "default", None)


def test_utf8_with_a_few_corrupt_bytes_is_repaired_and_counted() -> None:
    raw = rss(RUSSIAN).encode()
    cut = raw.index("ставку".encode())
    body = raw[:cut] + b"\xff\xfe" + raw[cut:]
    got = decode_document(body, "application/xml; charset=utf-8")
    assert (got.encoding, got.source, got.replaced) == ("utf-8", "http", 2)
    assert got.text == rss(RUSSIAN).replace("ставку", "\ufffd\ufffdставку", 1)
    assert got.note == "2 undecodable byte(s) replaced (declared utf-8 in HTTP)"


def test_garbage_is_replaced_and_reported() -> None:
    body = b"<rss>" + random.Random(5).randbytes(3000) + b"</rss>"
    got = decode_document(body, "application/xml; charset=utf-8")
    assert got.replaced > 0
    assert got.note is not None
    assert f"{got.replaced} undecodable byte(s) replaced" in got.note


def test_bogus_label_is_ignored_with_a_note() -> None:
    doc = rss(RUSSIAN)
    got = decode_document(doc.encode(), "application/xml; charset=utf-9")
    assert (got.text, got.encoding, got.source) == (doc, "utf-8", "default")
    assert got.note == "unknown charset 'utf-9' (HTTP) ignored"


def test_utf16_label_on_an_ascii_compatible_body_is_ignored() -> None:
    doc = rss(FRENCH)
    got = decode_document(doc.encode(), "application/xml; charset=utf-16")
    assert (got.text, got.encoding) == (doc, "utf-8")
    assert got.note == "declared utf-16 (HTTP) but the body is not utf-16"


@pytest.mark.parametrize(
    ("label", "encoding"),
    [
        ("latin1", "cp1252"), ("iso-8859-1", "cp1252"), ("us-ascii", "cp1252"),
        ("x-sjis", "shift_jis"), ("windows-31j", "cp932"), ("utf8", "utf-8"),
        ("gb2312", "gb18030"), ("'Windows-1251'", "cp1251"),
    ],
)  # fmt: skip
def test_label_aliases(label: str, encoding: str) -> None:
    got = decode_document(b"<rss/>", f"text/xml; charset={label}")
    assert (got.encoding, got.source) == (encoding, "http")


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="koi8-r">',
        "<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=KOI8-R'>",
    ],
)
def test_html_meta_charset(meta: str) -> None:
    page = f"<!doctype html><html><head>{meta}<title>x</title></head><p>{RUSSIAN}</p></html>"
    got = decode_document(page.encode("koi8-r"), "text/html", html=True)
    assert (got.text, got.encoding, got.source) == (page, "koi8-r", "meta")


def test_html_meta_utf16_means_utf8() -> None:
    page = f'<html><head><meta charset="utf-16"></head><p>{RUSSIAN}</p></html>'
    got = decode_document(page.encode(), None, html=True)
    assert (got.text, got.encoding, got.source) == (page, "utf-8", "meta")


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        (None, None), ("text/xml", None), ("text/xml; charset=UTF-8", "utf-8"),
        ('application/xml;CHARSET="koi8-r"', "koi8-r"), ("text/html; q=1; charset= 'x' ", "x"),
        ("text/xml; charset=", None),
    ],
)  # fmt: skip
def test_charset_of(content_type: str | None, charset: str | None) -> None:
    assert charset_of(content_type) == charset


def test_to_utf8_xml_rewrites_the_declaration_for_feedparser() -> None:
    doc = rss(RUSSIAN, encoding="koi8-r")
    decoded = decode_document(doc.encode("koi8-r"), "application/rss+xml")
    body = to_utf8_xml(decoded)
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert body.decode() == doc.replace("koi8-r", "utf-8")
    parsed = feedparser.parse(
        body, response_headers={"content-type": "application/xml; charset=utf-8"}
    )
    assert not parsed.bozo
    assert parsed.feed.title == RUSSIAN
    assert [entry.title for entry in parsed.entries] == [RUSSIAN]


def test_to_utf8_xml_drops_bom_and_leading_whitespace() -> None:
    decoded = decode_document(codecs.BOM_UTF16_LE + "\n <?xml version='1.0'?><a/>".encode(
        "utf-16-le"), None)  # fmt: skip
    assert to_utf8_xml(decoded) == b"<?xml version='1.0'?><a/>"


CONTENT_TYPES = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.sampled_from(["utf-8", "koi8-r", "utf-16", "utf-32", "shift_jis", "utf-7", "rot13", "bogus"])
    .map(lambda charset: f"application/xml; charset={charset}"),
)  # fmt: skip
BODIES = st.one_of(
    st.binary(max_size=3000),
    st.tuples(
        st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF32_BE]),
        st.text(max_size=300),
        st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "cp1251", "shift_jis"]),
    ).map(lambda t: t[0] + rss(t[1], "utf-8").encode(t[2], "replace")),
)  # fmt: skip


@settings(max_examples=300, deadline=None, database=None)
@given(body=BODIES, content_type=CONTENT_TYPES, html=st.booleans())
def test_never_raises_and_round_trips(body: bytes, content_type: str | None, html: bool) -> None:
    decoded = decode_document(body, content_type, html=html)
    assert decoded.replaced >= 0
    assert decoded.note is not None or decoded.replaced == 0
    out = to_utf8_xml(decoded)
    text = out.decode("utf-8")  # strict: always valid UTF-8
    if not decoded.text.lstrip().startswith(("<?xml", "\ufeff")):
        assert text == decoded.text
    again = decode_document(out, "application/xml; charset=utf-8")
    assert (again.text, again.replaced, again.note) == (text.removeprefix("\ufeff"), 0, None)


def test_large_undeclared_body_is_sniffed_from_a_sample_and_decoded_whole() -> None:
    items = "".join(f"<item><title>{i}: {JAPANESE}</title></item>\n" for i in range(6000))
    doc = f"<rss><channel>{items}</channel></rss>"
    body = doc.encode("shift_jis")
    assert len(body) > 512 * 1024
    got = decode_document(body, None)
    assert (got.text, got.source, got.replaced) == (doc, "sniffed", 0)
