"""Links to what feeds sent: only http(s) URLs become links, so a feed's ``javascript:`` or
``data:`` URL is never clickable on the page (escaping alone would not stop it)."""

from urllib.parse import urlsplit


def web_url(url: str | None) -> str:
    """``url`` if it is http or https, else ``#`` (a dead link)."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url
    return "#"
