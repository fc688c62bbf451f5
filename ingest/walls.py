"""Consent walls and paywalls: pages that answer 200 but hold a dialog or a teaser instead of the
article. trafilatura extracts what text there is, so the stage looks at that text: short, and
made of the phrases such walls are made of.

The phrase lists are deliberately narrow (a news article about cookies or subscriptions is long
and says these things once, if at all); a page is a wall when its text is short and at least
two of its phrases are there.
"""

import re
from typing import Literal

from ingest.encoding import decode_document
from ingest.html_text import html_to_text

Wall = Literal["consent-wall", "paywall"]

MAX_WALL_WORDS = 400
"""Longer texts are articles, whatever they say about cookies."""

_CONSENT = (
    r"accept all", r"reject all", r"accept cookies", r"manage (?:options|preferences|cookies)",
    r"cookie (?:settings|preferences|policy)", r"we value your privacy", r"(?:our|\d+) partners",
    r"privacy (?:choices|settings)",
    r"store and/or access information", r"personali[sz]ed ads", r"consent",
    r"alle akzeptieren", r"zustimmen", r"tout accepter", r"aceptar todo",
)  # fmt: skip
_PAYWALL = (
    r"subscribe (?:now|today|to (?:continue|read))", r"to continue reading",
    r"already a subscriber", r"subscribers? only", r"for subscribers",
    r"start your (?:free )?trial",
    r"sign in to (?:continue|read)", r"this (?:article|content) is (?:for|reserved for|exclusive)",
    r"unlimited (?:digital )?access", r"jetzt abonnieren", r"abonnez-vous",
)  # fmt: skip
_CONSENT_RE = re.compile("|".join(f"(?:{p})" for p in _CONSENT), re.IGNORECASE)
_PAYWALL_RE = re.compile("|".join(f"(?:{p})" for p in _PAYWALL), re.IGNORECASE)


def page_wall(body: bytes, content_type: str | None) -> Wall | None:
    """The wall a page's whole visible text shows, for a page whose extracted article was too
    short (a consent dialog is boilerplate to the extractor, so it is not in its text)."""
    text = html_to_text(decode_document(body, content_type, html=True).text)
    return wall_kind(text, len(text.split()))


def wall_kind(text: str, words: int) -> Wall | None:
    """``consent-wall`` or ``paywall`` when ``text`` (of ``words`` words) is one, else None."""
    if words > MAX_WALL_WORDS:
        return None
    consent = len({m.group(0).lower() for m in _CONSENT_RE.finditer(text)})
    paywall = len({m.group(0).lower() for m in _PAYWALL_RE.finditer(text)})
    if consent >= 2 and consent >= paywall:
        return "consent-wall"
    if paywall >= 2:
        return "paywall"
    return None
