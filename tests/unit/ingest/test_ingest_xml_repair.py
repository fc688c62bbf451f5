"""Repairing a decoded feed before the XML parser: entities, ampersands, references, controls."""

import time

import feedparser
import pytest

from ingest.xml_repair import MAX_ENTITY_CHARS, repair_xml


@pytest.mark.parametrize(
    ("xml", "repaired"),
    [
        ("<t>AT&T &amp; co</t>", "<t>AT&amp;T &amp; co</t>"),
        ("<a href='?a=1&b=2'/>", "<a href='?a=1&amp;b=2'/>"),
        ("<t>caf&eacute;&nbsp;</t>", "<t>caf&#233;&#160;</t>"),
        ("<t>&bogus; &lt; &apos;</t>", "<t>&amp;bogus; &lt; &apos;</t>"),
        ("<t>&#x1F30D; &#65; &#0; &#xD83C; &#9999999999999;</t>",
         "<t>&#x1F30D; &#65;  &#xFFFD; &#xFFFD;</t>"),
        ("<t>a\x00b\x07c\x85d\ufffee</t>", "<t>abcde</t>"),
        ("<t>\x1b[31mred\x1b[0m &#27;[1mbold&#27;[0m \x9b2J</t>", "<t>red bold </t>"),
        ("<t><![CDATA[AT&T &bogus; \x00]]></t>", "<t><![CDATA[AT&T &bogus; ]]></t>"),
    ],
)  # fmt: skip
def test_repairs(xml: str, repaired: str) -> None:
    assert repair_xml(xml)[0] == repaired


def test_cdata_is_left_alone_but_closes() -> None:
    text, notes = repair_xml("<a><![CDATA[x & y]]> & <![CDATA[unclosed & ...")
    assert text == "<a><![CDATA[x & y]]> &amp; <![CDATA[unclosed & ..."
    assert notes == ["XML repaired: 1 bare '&' escaped"]


def test_entities_short_and_plain_are_expanded_the_others_are_not() -> None:
    long_value = "x" * (MAX_ENTITY_CHARS + 1)
    xml = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n'
        '  <!ENTITY org "United Nations">\n'
        '  <!ENTITY copy "&#169;">\n'
        '  <!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">\n'
        f'  <!ENTITY big "{long_value}">\n'
        '  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n'
        "  <!ENTITY % param \"<!ENTITY sneaky 'x'>\"> %param;\n"
        "]>\n<rss><t>&org; &copy; &lol2; &big; &xxe; &sneaky;</t></rss>"
    )
    text, notes = repair_xml(xml)
    assert text.endswith("<rss><t>United Nations &#169;    &amp;sneaky;</t></rss>")
    assert "<!ENTITY" not in text and "<!DOCTYPE rss >" in text
    assert notes == [
        "XML repaired: 1 entity declaration(s) not expanded (nested), "
        "2 entity declaration(s) not expanded (external or long), "
        "1 unknown entity reference(s) kept as text"
    ]
    parsed = feedparser.parse(text.encode(), response_headers={"content-type": "application/xml"})
    assert not parsed.bozo


@pytest.mark.parametrize(
    "bomb",
    [
        # billion laughs
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "]><r><t>&i;</t></r>",
        # quadratic blowup: one long entity referenced many times
        f'<!DOCTYPE r [<!ENTITY a "{"a" * 50_000}">]><r>' + "&a;" * 50_000 + "</r>",
    ],
)
def test_entity_bombs_expand_to_nothing(bomb: str) -> None:
    text, _ = repair_xml(bomb)
    assert len(text) < len(bomb)
    parsed = feedparser.parse(text.encode(), response_headers={"content-type": "application/xml"})
    assert len(str(parsed)) < 1_000_000


def test_linear_on_pathological_input() -> None:
    """Ampersands, CDATA openers and references by the hundred thousand: one pass each."""
    for piece in ("&", "<![CDATA[", "&#", "&#x1b;[", "&a", "\x1b]", "<!ENTITY a '"):
        text = piece * 200_000
        started = time.process_time()
        repair_xml(text)
        assert time.process_time() - started < 5, piece
