"""Lucene's ``StandardTokenizer`` (UAX#29 word boundaries, as its JFlex grammar applies them).

The grammar is a longest-match scanner: at each position the longest match of any of its token
rules is a token (``U.S`` in ``U.S.``, ``don't``, ``1,200``, ``a_b``, ``bbc.co.uk``); a position
where no rule matches is skipped. The rules, with Unicode's Word_Break classes (each class
followed by any Extend/Format/ZWJ characters, rule WB4):

* words: runs of letters and numbers joined by MidLetter (``'.:``) between letters, MidNum
  (``,;.'``) between digits, and ExtendNumLet (``_``) anywhere; Katakana runs; Hebrew letters
  with quotes;
* South-East Asian (Line_Break=Complex_Context) runs; one Han or Hiragana character;
* emoji sequences (presentation, modifier, keycap, flag, ZWJ and tag sequences).

A token longer than 255 characters is cut at 255 and scanning resumes there.

Plain-ASCII stretches of text (the usual case) go through an equivalent pattern of the standard
``re`` module; stretches with other characters through the full grammar (``regex`` module, for
its Unicode properties), after mapping each character to a representative of its class in
Lucene's Unicode 9.0 tables (:mod:`sinks.lucene.analysis.unicode9`). Tokens never span
whitespace, so the text is split there first. Checked against Lucene 8.11.3 itself: every code point
in six contexts, and hundreds of thousands of random strings (letters, marks, quotes, Hebrew, CJK,
Thai, emoji sequences, tokens over 255 characters).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import regex  # type: ignore[import-untyped]  # no stubs in the dev dependencies

from sinks.lucene.analysis.unicode9 import translation

MAX_TOKEN_LENGTH = 255

# --- the full grammar --------------------------------------------------------------------------
# Emoji modifiers are Word_Break=Extend since Unicode 11; Lucene's grammar is Unicode 9, where
# they were not (E_Modifier): they never extend a word.
_X = r"[[\p{WB=Format}\p{WB=Extend}\p{WB=ZWJ}]--\p{Emoji_Modifier}]*"
_X_SANS_PRES = r"[[\p{WB=Format}\p{WB=Extend}\p{WB=ZWJ}]--[\uFE0E\uFE0F\p{Emoji_Modifier}]]*"
_HEB = rf"(?:\p{{WB=Hebrew_Letter}}{_X})"
_SQ = rf"(?:\p{{WB=Single_Quote}}{_X})"
_DQ = rf"(?:\p{{WB=Double_Quote}}{_X})"
# A letter run must not swallow a Hebrew letter that starts a quote sequence (the Hebrew branch
# takes it, which is longer), except right after a MidLetter, where only the run can go on:
# a backtracking engine stops at its first match, Lucene's scanner takes the longest.
_HEB_QUOTED = rf"\p{{WB=Hebrew_Letter}}{_X}(?:{_SQ}|{_DQ}{_HEB})"
_AHL = rf"(?:[\p{{WB=ALetter}}\p{{WB=Hebrew_Letter}}]{_X})"
_AHL_FREE = rf"(?:(?!{_HEB_QUOTED}){_AHL})"
_NUM = rf"(?:[\p{{WB=Numeric}}[\p{{Block=HalfAndFullForms}}&&\p{{Nd}}]]{_X})"
_KAT = rf"(?:\p{{WB=Katakana}}{_X})"
_MIDLET = rf"(?:[\p{{WB=MidLetter}}\p{{WB=MidNumLet}}\p{{WB=Single_Quote}}]{_X})"
_MIDNUM = rf"(?:[\p{{WB=MidNum}}\p{{WB=MidNumLet}}\p{{WB=Single_Quote}}]{_X})"
_ENL = rf"(?:\p{{WB=ExtendNumLet}}{_X})"
_CORE = (
    rf"(?:{_KAT}(?:{_ENL}*{_KAT})*"
    rf"|(?:{_HEB}(?:{_SQ}|{_DQ}{_HEB})"
    rf"|{_NUM}(?:(?:{_ENL}*|{_MIDNUM}){_NUM})*"
    rf"|{_AHL_FREE}(?:{_ENL}*{_AHL_FREE}|{_MIDLET}{_AHL})*)+)"
)
_WORD = rf"{_ENL}*{_CORE}(?:{_ENL}+{_CORE})*{_ENL}*"
_OTHER = (
    rf"(?:\p{{LB=Complex_Context}}{_X})+"
    rf"|\p{{Script=Han}}{_X}"
    rf"|\p{{Script=Hiragana}}{_X}"
)
_RI = r"\p{WB=Regional_Indicator}"
_EMOJI_RKAM = rf"[{_RI}0-9#*©®™\u3030\u303D\p{{Emoji_Modifier}}]"
_EMOJI_CHAR = rf"(?:\p{{Extended_Pictographic}}|(?!{_EMOJI_RKAM})\p{{Emoji}})"
_EMOJI_ONE = (
    # a modifier sequence first: its base is an emoji character too, and is shorter alone
    rf"(?:(?:\p{{WB=ZWJ}}*\p{{Emoji_Modifier_Base}}{_X_SANS_PRES})?"
    rf"\p{{Emoji_Modifier}}{_X_SANS_PRES}"
    rf"|\p{{WB=ZWJ}}*{_EMOJI_CHAR}{_X_SANS_PRES}\uFE0F?)"
)
_EMOJI = (
    rf"{_EMOJI_ONE}(?:[\U000E0020-\U000E007E]+\U000E007F|(?:\p{{WB=ZWJ}}{_EMOJI_ONE})*)"
    rf"|[0-9#*]{_X_SANS_PRES}\uFE0F?\u20E3{_X_SANS_PRES}"
    rf"|(?:{_RI}{_X}){{2}}"
)
# The emoji rule needs leftmost-longest (POSIX) matching: its parts overlap (ZWJ both extends
# an emoji and joins two); it is only tried where an emoji can start, so its cost is rare.
# where some rule may match: a cheap search for the next token start
_START = (
    rf"[\p{{WB=ALetter}}\p{{WB=Hebrew_Letter}}\p{{WB=Numeric}}\p{{WB=Katakana}}"
    rf"\p{{WB=ExtendNumLet}}\p{{LB=Complex_Context}}\p{{Script=Han}}\p{{Script=Hiragana}}"
    rf"\p{{Emoji}}\p{{Extended_Pictographic}}\p{{Emoji_Modifier}}{_RI}\p{{WB=ZWJ}}"
    rf"[\p{{Block=HalfAndFullForms}}&&\p{{Nd}}]]"
)


@functools.cache
def _compiled() -> tuple[list[Any], Any, dict[int, int]]:
    """The full grammar's patterns (compiled on first non-ASCII text: it takes ~0.3 s)."""
    rules = [
        regex.compile(_WORD, regex.V1),
        regex.compile(_EMOJI, regex.V1 | regex.POSIX),
        regex.compile(_OTHER, regex.V1),
    ]
    return rules, regex.compile(_START, regex.V1), translation()


# --- plain ASCII: the same grammar, restricted --------------------------------------------------
_ASCII_CORE = r"(?:[0-9](?:(?:_*|[,;.'])[0-9])*|[A-Za-z](?:(?:_*|[:.'])[A-Za-z])*)+"
_ASCII_WORD = re.compile(rf"_*{_ASCII_CORE}(?:_+{_ASCII_CORE})*_*")
# a run of non-space characters with one that is not ASCII (tokens never span spaces)
_NON_ASCII_CHUNK = re.compile(r"[^ \t\n\r\f\v]*[^\x00-\x7f][^ \t\n\r\f\v]*")


def _utf16_length(text: str) -> int:
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _longest(text: str, pos: int, end: int) -> int:
    """The end of the longest token starting at ``pos`` (``pos`` when none does)."""
    best = pos
    for rule in _compiled()[0]:
        found = rule.match(text, pos, end)
        if found is not None and found.end() > best:
            best = found.end()
    return best


def _scan_unicode(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    pos = start
    while pos < end:
        found = _compiled()[1].search(text, pos, end)
        if found is None:
            return
        pos = found.start()
        stop = _longest(text, pos, end)
        if stop == pos:
            pos += 1
            continue
        if stop - pos > MAX_TOKEN_LENGTH // 2 and _utf16_length(text[pos:stop]) > MAX_TOKEN_LENGTH:
            # Lucene's scanner buffer holds 255 UTF-16 units: the token is what fits
            limit = pos
            units = 0
            while units + (2 if ord(text[limit]) > 0xFFFF else 1) <= MAX_TOKEN_LENGTH:
                units += 2 if ord(text[limit]) > 0xFFFF else 1
                limit += 1
            stop = _longest(text, pos, limit)
        out.append((pos, stop))
        pos = stop


def _scan_ascii(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    pos = start
    while True:
        found = _ASCII_WORD.search(text, pos, end)
        if found is None:
            return
        begin, stop = found.span()
        if stop - begin > MAX_TOKEN_LENGTH:
            stop = _ASCII_WORD.match(text, begin, begin + MAX_TOKEN_LENGTH).end()  # type: ignore[union-attr]
        out.append((begin, stop))
        pos = stop


def token_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) character offsets of the tokens of ``text``, in order."""
    out: list[tuple[int, int]] = []
    if text.isascii():
        _scan_ascii(text, 0, len(text), out)
        return out
    # characters as Lucene's Unicode 9.0 tables see them (same length, same offsets)
    unicode9 = text.translate(_compiled()[2])
    pos = 0
    for chunk in _NON_ASCII_CHUNK.finditer(text):
        if chunk.start() > pos:
            _scan_ascii(text, pos, chunk.start(), out)
        _scan_unicode(unicode9, chunk.start(), chunk.end(), out)
        pos = chunk.end()
    if pos < len(text):
        _scan_ascii(text, pos, len(text), out)
    return out
