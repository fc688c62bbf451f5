"""Making a decoded feed safe and well-formed before the XML parser sees it, in one linear pass.

Feeds from the open web are often not XML: a bare ``&`` in ``AT&T``, an HTML entity such as
``&eacute;`` that XML does not define, a control character, a character reference past U+10FFFF.
Any of these makes the strict parser give up, and feedparser's lenient fallback then guesses
(``AT&T`` came out as ``AT&T;``; some references crashed it outright). And a DOCTYPE can
declare entities that expand to gigabytes ("billion laughs", quadratic blowup) or read files
(XXE).

So, before parsing: the DOCTYPE's internal subset is removed and its entities are expanded
here, the short plain ones only (nested, external, parameter and long ones expand to nothing);
bare ``&`` are escaped; HTML entities become numeric references; invalid references and
characters XML forbids are replaced or removed. CDATA sections are left exactly as they are.
"""

import html.entities
import re
from collections import Counter
from collections.abc import Iterator

from ingest.html_text import ANSI_SEQUENCE

MAX_ENTITY_CHARS = 256
"""A declared entity longer than this expands to nothing (a quadratic blowup needs long ones)."""

_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_REFERENCE = re.compile(r"&(?:#[xX]([0-9a-fA-F]+);|#([0-9]+);|([A-Za-z_][\w.:-]{0,63});)?")
_CONTROL_REFERENCE = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]{1,2})|0*([0-9]{1,3}));")
_MAX_DIGITS = 8  # more, and the number is past U+10FFFF anyway (and int() refuses 4,300+)
_DOCTYPE = re.compile(r"<!DOCTYPE[^\[>]*\[", re.IGNORECASE)
_DECLARATION = re.compile(
    r"<!ENTITY\s+(%\s*)?([\w.:-]+)\s+(?:\"([^\"]*)\"|'([^']*)'|(SYSTEM|PUBLIC)\b[^>]*)\s*>"
)
_PLAIN_VALUE = re.compile(r"[^&<%]*|&#[0-9]{1,7};|&#[xX][0-9a-fA-F]{1,6};")
_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_HTML_ENTITIES = html.entities.name2codepoint


def repair_xml(text: str) -> tuple[str, list[str]]:
    """``text`` made well-formed where it can be, and safe to parse; and one note per kind of
    repair made (for the feed's status), e.g. ``XML repaired: 3 bare '&' escaped``."""
    counts: Counter[str] = Counter()
    # control characters written as references are control characters: an ESC sequence must
    # go whole whether its ESC is raw or &#27;
    text = _CONTROL_REFERENCE.sub(_raw_control, text)
    text, sequences = ANSI_SEQUENCE.subn("", text)
    counts["terminal escape sequence(s) removed"] += sequences
    text, removed = _INVALID_CHARS.subn("", text)
    counts["invalid character(s) removed"] += removed
    text, entities = _strip_internal_subset(text, counts)
    parts = []
    for segment, is_cdata in _segments(text):
        parts.append(segment if is_cdata else _fix_references(segment, entities, counts))
    repairs = [f"{n} {what}" for what, n in counts.items() if n]
    return "".join(parts), ([f"XML repaired: {', '.join(repairs)}"] if repairs else [])


def _strip_internal_subset(text: str, counts: Counter[str]) -> tuple[str, dict[str, str]]:
    """The text without its DOCTYPE's internal subset, and the entities it declared: each
    name -> its replacement (empty for the ones not expanded)."""
    start = _first_element(text)
    doctype = _DOCTYPE.search(text, 0, start)
    if doctype is None:
        return text, {}
    end = text.find("]", doctype.end())
    close = text.find(">", end) if end >= 0 else -1
    if close < 0:
        return text, {}
    entities: dict[str, str] = {}
    for found in _DECLARATION.finditer(text, doctype.end(), end):
        parameter, name, double, single, external = found.groups()
        value = double if double is not None else single
        if parameter:
            continue  # only usable inside the subset, which is gone
        if external or value is None or len(value) > MAX_ENTITY_CHARS:
            entities.setdefault(name, "")
            counts["entity declaration(s) not expanded (external or long)"] += 1
        elif not _PLAIN_VALUE.fullmatch(value):
            entities.setdefault(name, "")
            counts["entity declaration(s) not expanded (nested)"] += 1
        else:
            entities.setdefault(name, value.replace('"', "&quot;"))
    return text[: doctype.end() - 1] + ">" + text[close + 1 :], entities


def _first_element(text: str) -> int:
    found = re.search(r"<[A-Za-z_]", text)
    return found.start() if found else len(text)


def _segments(text: str) -> Iterator[tuple[str, bool]]:
    """``text`` cut into runs outside and inside CDATA sections, in order."""
    at = 0
    while True:
        start = text.find("<![CDATA[", at)
        if start < 0:
            yield text[at:], False
            return
        end = text.find("]]>", start + 9)
        end = len(text) if end < 0 else end + 3
        yield text[at:start], False
        yield text[start:end], True
        at = end


def _fix_references(text: str, entities: dict[str, str], counts: Counter[str]) -> str:
    def fix(found: re.Match[str]) -> str:
        hex_ref, dec_ref, name = found.groups()
        if hex_ref is not None or dec_ref is not None:
            digits = hex_ref if hex_ref is not None else dec_ref
            short = len(digits.lstrip("0")) <= _MAX_DIGITS
            code = (int(digits, 16) if hex_ref is not None else int(digits)) if short else -1
            if _allowed(code):
                return found.group(0)
            counts["invalid character reference(s) replaced"] += 1
            return "&#xFFFD;"
        if name is None:
            counts["bare '&' escaped"] += 1
            return "&amp;"
        if name in entities:
            return entities[name]
        if name in _PREDEFINED:
            return found.group(0)
        if name in _HTML_ENTITIES:  # HTML, not XML: as a number, XML reads it
            return f"&#{_HTML_ENTITIES[name]};"
        counts["unknown entity reference(s) kept as text"] += 1
        return f"&amp;{name};"

    return _REFERENCE.sub(fix, text)


def _raw_control(found: re.Match[str]) -> str:
    hex_ref, dec_ref = found.groups()
    code = int(hex_ref, 16) if hex_ref is not None else int(dec_ref)
    forbidden = (code < 0x20 and code not in (0x9, 0xA, 0xD)) or code == 0x7F
    return chr(code) if forbidden else found.group(0)


def _allowed(code: int) -> bool:
    """XML 1.0's Char production."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
