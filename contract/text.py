"""Text bound for a terminal: feed text is data, never terminal control.

Titles and summaries come from the open web; printed raw, an ESC sequence recolours or clears
the screen, an OSC 8 sequence makes a hidden link, a carriage return overwrites the line, and a
bidi override makes a headline read backwards. Every place that prints stored text passes it
through :func:`printable` (and, where Rich markup is involved, escapes it too).
"""

import re

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """``str(text)`` with control characters (C0 but tab and newline, DEL, C1) and bidi
    overrides replaced by U+FFFD, so they are visible and inert."""
    return _UNPRINTABLE.sub(REPLACEMENT, str(text))
