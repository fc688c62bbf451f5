"""Decode feed and page bodies using the evidence in their bytes and in the HTTP Content-Type.

Evidence is weighed in the standard order (RFC 7303 §3, XML 1.0 appendix F, WHATWG for HTML): a
BOM, then the HTTP ``charset``, then the XML declaration (``<meta>`` for HTML), then UTF-8, then
charset-normalizer's guess, then cp1252. A label the bytes contradict is not trusted blindly: the
next evidence that decodes cleanly wins and a one-line note says so, so nothing is stored silently
garbled. RFC 3023's us-ascii default for ``text/xml`` is not applied: such feeds are UTF-8.
"""

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Literal

from charset_normalizer import from_bytes

Source = Literal["bom", "http", "xml", "meta", "sniffed", "default"]

_SAMPLE = 256 * 1024  # what the UTF-8 tally and charset-normalizer look at (their cost, not ours)
_HEAD = 4096  # where in-document declarations are looked for
_MARK = "\udcff"  # one undecodable byte; no strict decoder ever yields a lone surrogate
_WHERE = {"bom": "BOM", "http": "HTTP", "xml": "XML declaration", "meta": "meta tag"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# XML 1.0 appendix F: how "<" or "<?xm" looks in encodings that are not ASCII-compatible.
_PATTERNS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),
)
# Labels Python does not know, and what browsers decode instead of what a label literally says.
_ALIASES = {
    "x-sjis": "shift_jis", "windows-31j": "cp932", "x-euc-jp": "euc_jp", "x-gbk": "gb18030",
    "x-mac-cyrillic": "mac-cyrillic", "x-mac-roman": "mac-roman", "windows-874": "cp874",
    "unicode-1-1-utf-8": "utf-8",
}  # fmt: skip
_BROWSER = {
    "iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254", "iso8859-11": "cp874",
    "tis-620": "cp874", "gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949",
    "utf-8-sig": "utf-8",
}  # fmt: skip
_CJK = frozenset(
    {"shift_jis", "euc_jp", "iso2022_jp", "gb18030", "big5", "big5hkscs"}
    | {"euc_jis_2004", "euc_jisx0213", "shift_jis_2004", "shift_jisx0213"}  # sniffers say these
)
_LABEL = re.compile(r"[a-z0-9][a-z0-9._:+-]{0,39}")
_XML_ENCODING = re.compile(r"""\A\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']\s*([^"'\s>]+)""")
_META_CHARSET = re.compile(r"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([^"'\s/>;]+)""", re.I)
_XML_DECL = re.compile(r"""\A\s*(<\?xml\s[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")


@dataclass(frozen=True)
class Decoded:
    """A decoded body, the codec used, which evidence chose it and what was off."""

    text: str
    encoding: str
    source: Source
    replaced: int
    note: str | None


def _mark_bytes(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: one marker per undecodable byte, so they can be counted exactly."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return _MARK * (error.end - error.start), error.end


codecs.register_error("newsmon-mark", _mark_bytes)


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, lower-cased and unquoted."""
    for param in (content_type or "").split(";")[1:]:
        key, sep, value = param.partition("=")
        if sep and key.strip().lower() == "charset":
            return value.strip().strip("\"'").strip().lower() or None
    return None


def _codec(label: str) -> str | None:
    """Python's codec for a charset label as browsers read it; None for unknown or unsafe ones."""
    label = label.strip().lower()
    if not _LABEL.fullmatch(label):
        return None
    try:
        name = codecs.lookup(_ALIASES.get(label, label)).name
    except LookupError:
        return None
    name = _BROWSER.get(name, name)
    if name == "utf-7" or not (name.startswith(("utf-", "cp", "iso8859-", "koi8-", "mac-"))):
        return None if name not in _CJK else name
    return name


def _wide_order(enc: str, payload: bytes) -> str | None:
    """Byte order of UTF-16/32 from where the markup's zero bytes sit; None if there are none."""
    width = 4 if enc.startswith("utf-32") else 2
    head = payload[: _HEAD - _HEAD % width]
    high = head[0::width].count(0)
    low = head[width - 1 :: width].count(0)
    if high == low == 0:
        return None
    return f"{enc[:6]}-{'be' if high > low else 'le'}"


def _evidence(
    payload: bytes, bom: str | None, content_type: str | None, html: bool, notes: list[str]
) -> list[tuple[Source, str]]:
    """The declared encodings in order of precedence, each checked against the bytes' shape."""
    found: list[tuple[Source, str]] = [("bom", bom)] if bom else []
    pattern = (
        None if bom or html else next((e for p, e in _PATTERNS if payload.startswith(p)), None)
    )
    head = payload[:_HEAD].decode(bom or pattern or "latin-1", "replace")
    match = (_META_CHARSET.search if html else _XML_ENCODING.match)(head)
    doc: Source = "meta" if html else "xml"
    labels: tuple[tuple[Source, str | None], ...] = (
        ("http", charset_of(content_type)),
        (doc, match.group(1) if match else None),
    )
    for source, label in labels:
        if source == "xml" and pattern:
            found.append(("xml", pattern))  # the declaration could only be read this way
            continue
        if not label:
            continue
        enc = _codec(label)
        if enc is None:
            notes.append(f"unknown charset {label!r} ({_WHERE[source]}) ignored")
            continue
        if source == "meta" and enc.startswith(("utf-16", "utf-32")):
            enc = "utf-8"  # WHATWG: a meta tag readable as ASCII is not in UTF-16
        if enc.startswith(("utf-16", "utf-32")):
            shaped = _wide_order(enc, payload)
            if shaped is None:
                notes.append(f"declared {enc} ({_WHERE[source]}) but the body is not {enc}")
                continue
            enc = shaped
        found.append((source, enc))
    return found


def _lenient(payload: bytes, enc: str) -> tuple[str, int]:
    """Decode with U+FFFD for each undecodable byte, and count them."""
    text = payload.decode(enc, "newsmon-mark")
    return text.replace(_MARK, "\ufffd"), text.count(_MARK)


def _utf8_tally(payload: bytes) -> tuple[int, int]:
    """(valid non-ASCII characters, invalid bytes) when the first part is read as UTF-8."""
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(payload[:_SAMPLE])
    bad = text.count("\ufffd")
    return len(text) - len(text.encode("ascii", "ignore")) - bad, bad


def _sniff(payload: bytes) -> str | None:
    """charset-normalizer's best guess, from a bounded sample."""
    end = payload.rfind(b"\n", 0, _SAMPLE) if len(payload) > _SAMPLE else -1
    best = from_bytes(payload[: end if end > _SAMPLE // 2 else _SAMPLE]).best()  # whole lines
    enc = _codec(best.encoding) if best is not None else None
    if enc and enc.startswith(("utf-16", "utf-32")):
        return _wide_order(enc, payload)  # short inputs are often "guessed" as UTF-16
    return enc


def _candidates(
    declared: list[tuple[Source, str]], payload: bytes
) -> Iterator[tuple[Source, str, str]]:
    """Declared encodings, then UTF-8, then a sniffed guess, then cp1252; each with its name."""
    for source, enc in declared:
        yield source, enc, _WHERE[source]
    yield "default", "utf-8", "default"
    sniffed = _sniff(payload)
    if sniffed:
        yield "sniffed", sniffed, "sniffed"
    yield "default", "cp1252", "last resort"


def _attempt(payload: bytes, enc: str, utf8: tuple[int, int]) -> tuple[str, int] | None:
    """Text and replaced count if ``enc`` fits the body; mostly-valid UTF(-16/32) is repaired."""
    try:
        return payload.decode(enc), 0
    except UnicodeDecodeError:
        pass
    good, bad = utf8
    if enc.startswith(("utf-16", "utf-32")) or (enc == "utf-8" and good > bad):
        return _lenient(payload, enc)
    return None


def decode_document(body: bytes, content_type: str | None, *, html: bool = False) -> Decoded:
    """Decode a feed (or, with ``html``, a page) body; never raises, reports what was off."""
    notes: list[str] = []
    bom = next(((b, e) for b, e in _BOMS if body.startswith(b)), None)
    payload = body[len(bom[0]) :] if bom else body
    declared = _evidence(payload, bom[1] if bom else None, content_type, html, notes)
    first = declared[0] if declared else None
    utf8 = good, bad = _utf8_tally(payload)
    candidates = _candidates(declared, payload)
    reason = f"is not valid {first[1]}" if first else ""
    if first and first[0] != "bom" and not first[1].startswith("utf-") and good and not bad:
        # Valid multi-byte UTF-8 is almost never accidental: the label is the mistake.
        said: Source = next((s for s, e in declared if e == "utf-8"), "default")
        candidates = chain([(said, "utf-8", _WHERE.get(said, "default"))], candidates)
        reason = "is utf-8"
    tried: list[str] = []
    for source, enc, where in candidates:
        if enc in tried:
            continue
        tried.append(enc)
        fitted = _attempt(payload, enc, utf8)
        if fitted is not None:
            if first and enc != first[1]:
                notes.append(
                    f"declared {first[1]} ({_WHERE[first[0]]}) but the body {reason}; "
                    f"decoded as {enc} ({where})"
                )
            elif not first and (source != "default" or where == "last resort"):
                notes.append(f"no usable charset declared, not utf-8; decoded as {enc} ({where})")
            break
    else:  # nothing fits: the best declaration, with the damage counted
        source, enc = first if first else ("default", "utf-8")
        where = _WHERE.get(source, "default")
        fitted = _lenient(payload, enc)
        notes.append(f"nothing decodes the body cleanly (tried {', '.join(tried)})")
    text, replaced = fitted
    if replaced:
        how = f"declared {enc} in {where}" if source in _WHERE else f"decoded as {enc}"
        notes.append(f"{replaced} undecodable byte(s) replaced ({how})")
    return Decoded(text, enc, source, replaced, "; ".join(notes) or None)


def to_utf8_xml(decoded: Decoded) -> bytes:
    """UTF-8 bytes whose XML declaration says utf-8, so an XML parser does not decode again.

    A leading BOM and whitespace before the declaration are dropped: XML parsers reject both.
    """
    text = decoded.text.removeprefix("\ufeff")
    if text.lstrip().startswith("<?xml"):
        text = _XML_DECL.sub(r"\1\2utf-8\2", text.lstrip(), count=1)
    return text.encode("utf-8", "replace")
