"""Evidence sentences with the words that matched marked, escaped for HTML."""

import re

from markupsafe import Markup, escape


def highlighted(sentence: str, terms: list[str]) -> Markup:
    """``sentence`` as HTML with each of ``terms`` wrapped in ``<mark>``.

    A term matches at the start of a word, case-insensitively, and takes the rest of the word
    with it (the tagger's terms can be a stem, e.g. ``weapon`` in "weapons"). Everything else
    is escaped: feed text is never markup.
    """
    words = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return escape(sentence)
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE
    )
    parts: list[str] = []
    last = 0
    for found in pattern.finditer(sentence):
        parts.append(escape(sentence[last : found.start()]))
        parts.append(Markup("<mark>%s</mark>") % found.group(0))
        last = found.end()
    parts.append(escape(sentence[last:]))
    return Markup("").join(parts)
