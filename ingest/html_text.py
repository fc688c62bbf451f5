"""Plain text from the HTML that feeds put in titles, summaries and content."""

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from bs4.element import NavigableString, Tag

# A one-line summary such as "example.com/story" is text, not a file name to open.
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)

_DROP = ("script", "style", "noscript", "template", "head", "iframe", "object", "svg")
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_SPACES = re.compile(r"[^\S\n]+")
_ANY_SPACE = re.compile(r"\s+")


def html_to_text(html: str) -> str:
    """Strip tags, drop script and style, unescape entities and collapse whitespace.

    Block elements (paragraphs, list items, headings, ``<br>``) become line breaks; runs of
    whitespace within a line become one space; blank lines are dropped.
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return _ANY_SPACE.sub(" ", html).strip()
    # The trailing newline stops html.parser from dropping a bare "&T" at the very end.
    soup = BeautifulSoup(html + "\n", "html.parser")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for node in soup.find_all(string=True):
        if type(node) is not NavigableString:  # comments, doctypes, processing instructions
            node.extract()
        elif isinstance(node.parent, Tag) and node.parent.name != "pre":
            node.replace_with(_ANY_SPACE.sub(" ", str(node)))
    for tag in soup.find_all(True):
        if tag.name == "br":
            tag.replace_with(NavigableString("\n"))
        elif tag.name in _BLOCKS:
            tag.insert_before(NavigableString("\n"))
            tag.insert_after(NavigableString("\n"))
    lines = (_SPACES.sub(" ", line).strip() for line in soup.get_text().split("\n"))
    return "\n".join(line for line in lines if line)
