"""Plain text from the HTML that feeds put in titles, summaries and content.

libxml2's HTML parser (through lxml) tokenises in C and calls back for each start tag, end tag
and run of text, so the cost is linear in the input whatever its shape: 100,000 nested ``<div>``
or 20,000 paragraphs take milliseconds, and no tree is built. Text that is still markup after
decoding (``&lt;script&gt;`` arrives as ``<script>``) is decoded again, a bounded number of times.
"""

import html
import re

from lxml import etree

_DROP = frozenset(
    {
        "script", "style", "noscript", "template", "head", "iframe", "object", "embed", "svg",
        "math", "applet", "frameset", "noembed", "noframes",
    }
)  # fmt: skip
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul", "br",
    }
)  # fmt: skip
# Elements whose appearance in decoded text means the text is still markup.
_KNOWN_TAGS = (
    "a|abbr|applet|article|aside|audio|b|base|blockquote|body|br|button|canvas|caption|center|"
    "code|dd|del|details|div|dl|dt|em|embed|figcaption|figure|font|footer|form|frame|frameset|"
    "h[1-6]|head|header|hr|html|i|iframe|img|input|ins|label|li|link|main|math|meta|nav|"
    "noscript|object|ol|option|p|param|picture|pre|q|s|script|section|select|small|source|"
    "span|strong|style|sub|sup|svg|table|tbody|td|template|textarea|tfoot|th|thead|title|tr|"
    "track|u|ul|video"
)
_STILL_MARKUP = re.compile(
    rf"(?:<|&lt;|&#0*60;|&#x0*3c;)(?:/?(?:{_KNOWN_TAGS})(?=[\s/>]|&gt;)|!--)", re.IGNORECASE
)
_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
MAX_PASSES = 3
"""Decoding rounds for text that is still markup (double- or triple-escaped feeds)."""

_SPACES = re.compile(r"[^\S\n]+")
_ANY_SPACE = re.compile(r"\s+")
# ANSI escape sequences (CSI, OSC, and two-character ESC sequences), removed whole.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[@-Z\\-_]"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


class _Text:
    """An lxml parser target collecting text: drops script and friends, breaks lines at blocks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.depth = 0
        self.skip_from = 0  # depth of the dropped element we are inside; 0: none
        self.pre = 0

    def start(self, tag: object, attrib: object) -> None:
        self.depth += 1
        if self.skip_from:
            return
        name = tag.lower() if isinstance(tag, str) else ""
        if name in _DROP:
            self.skip_from = self.depth
        elif name in _BLOCKS:
            self.parts.append("\n")
            self.pre += name == "pre"

    def end(self, tag: object) -> None:
        if self.skip_from:
            if self.depth == self.skip_from:
                self.skip_from = 0
        else:
            name = tag.lower() if isinstance(tag, str) else ""
            if name in _BLOCKS:
                self.parts.append("\n")
                self.pre -= name == "pre" and self.pre > 0
        self.depth = max(self.depth - 1, 0)

    def data(self, text: str) -> None:
        if not self.skip_from:
            self.parts.append(text if self.pre else _ANY_SPACE.sub(" ", text))

    def comment(self, text: str) -> None:
        pass

    def close(self) -> str:
        return "".join(self.parts)


def _one_pass(html: str) -> str:
    target = _Text()
    parser = etree.HTMLParser(
        target=target, recover=True, no_network=True, remove_comments=True, remove_pis=True
    )
    try:
        parser.feed(html)
        parser.close()
    except etree.LxmlError:  # nothing parseable (e.g. only a comment): keep what was read
        pass
    return target.close()


def _lines(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def html_to_text(html: str) -> str:
    """Strip tags, drop script and style, unescape entities and collapse whitespace.

    Block elements (paragraphs, list items, headings, ``<br>``) become line breaks; runs of
    whitespace within a line become one space; blank lines are dropped.
    """
    return plain_text(html)[0]


def plain_text(value: str, *, is_html: bool = True) -> tuple[str, bool]:
    """:func:`html_to_text`, decoding again while the result is still markup.

    Args:
        is_html: False for a field the feed declares plain text (an RSS title): it is taken as
            text, unless it holds known HTML tags or entities, which feeds that escape twice
            leave there (``x<y and z>w`` stays; ``<b>Bold</b>`` and ``AT&amp;T`` are decoded).

    Returns:
        The text, and whether markup that survived a first decoding was removed (a feed that
        escaped its HTML twice: ``&amp;lt;script&amp;gt;``).
    """
    if not value:
        return "", False
    if "<" not in value and "&" not in value:
        return _ANY_SPACE.sub(" ", value).strip(), False
    if not is_html:
        if _STILL_MARKUP.search(value):
            text, _ = plain_text(value)
            return text, True
        if _ENTITY.search(value):
            return _ANY_SPACE.sub(" ", html.unescape(value)).strip(), False
        return _ANY_SPACE.sub(" ", value).strip(), False
    text = _lines(_one_pass(value))
    again = False
    for _ in range(MAX_PASSES - 1):
        if not _STILL_MARKUP.search(text):
            break
        text = _lines(_one_pass(text))
        again = True
    return text, again


def clean_controls(text: str, *, single_line: bool = False) -> str:
    """Remove ANSI escape sequences and control characters (tab and newline kept in text).

    Args:
        single_line: for titles: tabs and newlines become spaces, runs of whitespace one space,
            and bidirectional overrides (which can make a headline read backwards) are removed.
    """
    text = _ANSI.sub("", text) if "\x1b" in text or "\x9b" in text or "\x9d" in text else text
    text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if single_line:
        return _ANY_SPACE.sub(" ", _BIDI.sub("", text)).strip()
    return text
