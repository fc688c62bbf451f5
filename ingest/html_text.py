"""Plain text from the HTML that feeds put in titles, summaries and content.

A tokenizer, not a parser: one left-to-right scan that never looks back, so the cost is linear
in the input whatever its shape. The tree builders of libxml2 (lxml), lexbor (selectolax) and
html5lib all walk their stack of open elements for some end tags, which makes crafted input
quadratic: ``<svg>--></br><`` repeated 32,000 times took libxml2 0.6 s and nested ``<li>`` took
lexbor 10 s, against milliseconds here. Text extraction needs no tree: tags are dropped (their
attributes, event handlers and ``javascript:`` URLs with them), script/style and similar
elements lose their content, block elements become line breaks, entities are decoded.

Text that is still markup after decoding (``&lt;script&gt;`` arrives as ``<script>``) is decoded
again, a bounded number of times.
"""

import html
import re

_RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea"})
"""Elements whose content is not markup: skipped up to their end tag."""
_DROP = frozenset({"noscript", "template", "head", "object", "svg", "math", "applet", "title"})
"""Elements whose content (markup) is dropped with them."""
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul", "br",
    }
)  # fmt: skip
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)([^>]*)>")
ELEMENTS = frozenset(
    """a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound
    big blink blockquote body br button canvas caption center cite code col colgroup data
    datalist dd del details dfn dialog dir div dl dt em embed fieldset figcaption figure font
    footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe image img
    input ins isindex kbd keygen label legend li link listing main map mark marquee math menu
    menuitem meta meter multicol nav nextid nobr noembed noframes noscript object ol optgroup
    option output p param picture plaintext pre progress q rb rp rt rtc ruby s samp script search
    section select slot small source spacer span strike strong style sub summary sup svg table
    tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr xmp
    """.split()  # noqa: SIM905 -- a list of 150 words reads better as words
)
"""HTML's elements, current and obsolete."""
_KNOWN_TAGS = "|".join(sorted(ELEMENTS, key=len, reverse=True))
_STILL_MARKUP = re.compile(
    rf"(?:<|&lt;|&#0*60;|&#x0*3c;)(?:/?(?:{_KNOWN_TAGS})(?=[\s/>]|&gt;)|!--)", re.IGNORECASE
)
_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
MAX_PASSES = 3
"""Decoding rounds for text that is still markup (double- or triple-escaped feeds)."""

_SPACES = re.compile(r"[^\S\n]+")
_ANY_SPACE = re.compile(r"\s+")
# ANSI escape sequences (CSI, OSC, and two-character ESC sequences), removed whole.
ANSI_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    # OSC (titles, OSC 8 links, OSC 52 clipboard), DCS, SOS, PM, APC: up to their terminator,
    # or at most to the end of the line or the next tag
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c<\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"  # any other escape sequence (ESC c resets the terminal)
)
"""Terminal escape sequences, removed whole (removing only the ESC would leave ``[31m``)."""
_ANSI_START = re.compile(r"[\x1b\x90\x98\x9b\x9d-\x9f]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def _skip_to(text: str, found: int) -> int:
    """Where scanning resumes: after the marker found (-1: nothing left to scan)."""
    return len(text) if found < 0 else found


def _is_text(name: str, rest: str) -> bool:
    """Whether ``<name rest>`` is text that looks like a tag: an unknown name followed by words
    that are not attributes (``x<y and z>w`` in a headline). Known elements, names with ``:`` or
    ``-`` (``<o:p>``, custom elements) and unknown ones alone or with ``attr=value`` are tags."""
    if name in ELEMENTS or ":" in name or "-" in name:
        return False
    rest = rest.strip().rstrip("/")
    return bool(rest) and "=" not in rest


def _one_pass(markup: str) -> str:
    """One left-to-right scan: text runs decoded, tags turned into line breaks or nothing."""
    parts: list[str] = []
    lower: str | None = None  # for case-insensitive end tags of raw text elements, made once
    dropping, depth, pre = "", 0, 0
    i, n = 0, len(markup)
    gt = -1  # the next ">" at or after the current "<" (each ">" is looked for once)
    while i < n:
        lt = markup.find("<", i)
        end = n if lt < 0 else lt
        if end > i and not dropping:
            run = html.unescape(markup[i:end])
            parts.append(run if pre else _ANY_SPACE.sub(" ", run))
        if lt < 0:
            break
        if markup.startswith("<!--", lt):
            close = markup.find("-->", lt + 4)
            i = _skip_to(markup, close + 3 if close >= 0 else -1)
            continue
        if markup.startswith(("<!", "<?"), lt):  # doctype, CDATA, processing instruction
            close = markup.find(">", lt + 2)
            i = _skip_to(markup, close + 1 if close >= 0 else -1)
            continue
        if gt < lt:
            gt = markup.find(">", lt)
            if gt < 0:  # no tag can close any more: the rest is text
                if not dropping:
                    parts.append(_ANY_SPACE.sub(" ", html.unescape(markup[lt:])))
                break
        tag = _TAG.match(markup, lt, gt + 1)  # never scans past that ">"
        if tag is None:  # a "<" that starts no tag is text
            if not dropping:
                parts.append("<")
            i = lt + 1
            continue
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if _is_text(name, tag.group(3)):
            if not dropping:  # not a tag: "x<y and z>w" is text
                parts.append("<")
            i = lt + 1
            continue
        i = tag.end()
        self_closing = tag.group(0).endswith("/>")
        if dropping:
            if name == dropping and not self_closing:
                depth += -1 if closing else 1
                dropping = "" if depth == 0 else dropping
            continue
        if closing:
            if name in _BLOCKS:
                parts.append("\n")
                pre -= name == "pre" and pre > 0
            continue
        if name in _RAW_TEXT:
            lower = markup.lower() if lower is None else lower
            i = _skip_to(markup, lower.find(f"</{name}", i))
        elif name in _DROP and not self_closing:
            dropping, depth = name, 1
        elif name in _BLOCKS:
            parts.append("\n")
            pre += name == "pre"
    return "".join(parts)


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
    text = ANSI_SEQUENCE.sub("", text) if _ANSI_START.search(text) else text
    text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if single_line:
        return _ANY_SPACE.sub(" ", _BIDI.sub("", text)).strip()
    return text
