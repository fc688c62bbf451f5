"""What a body is, from its first bytes: a feed, an HTML page, or something else.

The body wins over the ``Content-Type`` (servers label feeds ``text/html`` and pages
``text/xml``); the type decides only when the body's start says nothing definite.
"""

import re
from typing import Literal

Kind = Literal["feed", "page", "other"]

SNIFF_BYTES = 16_384
"""How much of a body is looked at: enough for a long prolog of comments and a doctype."""

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_FEED_ROOTS = frozenset({"rss", "feed", "rdf"})
# Elements a page without <html> starts with (the HTML parser infers <html> and <head>).
_HTML_ROOTS = frozenset(
    {"html", "head", "body", "title", "meta", "link", "base", "script", "style", "noscript",
     "div", "p", "table", "header", "main", "article", "section", "nav", "span", "a", "h1",
     "h2", "h3", "form", "center", "iframe", "img", "ul", "br", "font", "b", "i"}
)  # fmt: skip
_NAME = re.compile(r"[A-Za-z_][\w.:-]*")
_DOCTYPE_HTML = "!doctype-html"


def _text(head: bytes) -> str:
    """The head as text, enough to read markup: BOM or UTF-16 shape honoured, else Latin-1."""
    if head.startswith(b"\xef\xbb\xbf"):
        return head[3:].decode("utf-8", "replace")
    for marks, codec in (
        ((b"\xff\xfe", b"<\x00"), "utf-16-le"),
        ((b"\xfe\xff", b"\x00<"), "utf-16-be"),
    ):
        if head.startswith(marks):
            start = 2 if head.startswith(marks[0]) else 0
            return head[start : len(head) - len(head) % 2].decode(codec, "replace")
    return head.decode("latin-1")


def _skip_doctype(text: str, pos: int) -> int:
    """The position after the declaration at ``pos`` (an internal subset ``[...]`` included),
    or -1 when it does not end in ``text``."""
    bracket, close = text.find("[", pos), text.find(">", pos)
    if 0 <= bracket < close:
        bracket = text.find("]", bracket)
        close = -1 if bracket < 0 else text.find(">", bracket)
    return -1 if close < 0 else close + 1


def root_element(head: bytes) -> str | None:
    """The local name of the first element (lower case), past the BOM, white space, XML
    declaration, processing instructions, comments and doctype.

    Returns:
        The name; ``!doctype-html`` for an HTML doctype; ``""`` when text comes before any
        markup; None when the head ends before an element starts.
    """
    text, pos = _text(head), 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return None
        if text[pos] != "<":
            return ""
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            pos = -1 if end < 0 else end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            pos = -1 if end < 0 else end + 3
        elif text.startswith("<!", pos):
            words = text[pos + 2 : pos + 40].split(None, 2)
            doctype = len(words) >= 2 and words[0].lower() == "doctype"
            if doctype and words[1].rstrip(">").lower() == "html":
                return _DOCTYPE_HTML
            pos = _skip_doctype(text, pos)
        else:
            name = _NAME.match(text, pos + 1)
            return "" if name is None else name.group().rsplit(":", 1)[-1].lower()
        if pos < 0:
            return None


def media_type(content_type: str | None) -> str:
    """``text/html; charset=utf-8`` -> ``text/html``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def classify(body: bytes, content_type: str | None) -> Kind:
    """Whether ``body`` is a feed (an RSS, Atom or RDF root element), an HTML/XHTML page (an
    HTML doctype or root), or neither; ``content_type`` decides only what the body leaves open.
    """
    head = body[:SNIFF_BYTES]
    root = root_element(head)
    if root in _FEED_ROOTS:
        return "feed"
    if root == _DOCTYPE_HTML or root in _HTML_ROOTS:
        return "page"
    media = media_type(content_type)
    markup = b"<" in head or b"<\x00" in head or b"\x00<" in head
    if media in HTML_TYPES and markup and root != _DOCTYPE_HTML:
        return "page"
    if media in FEED_TYPES and markup and not root:  # "" or None: nothing definite
        return "feed"
    return "other"
