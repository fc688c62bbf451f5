"""Hunspell stemming as Lucene's ``HunspellStemFilter`` does it, for simple affix files.

Lucene strips affixes from a word and keeps the roots the dictionary knows with the right flags.
For an affix file without continuation classes, without COMPLEXPREFIXES/CIRCUMFIX/FULLSTRIP
and with single-character flags (Debian's en_US is one), that is exactly the inverse of
generating the word forms of each entry:

* the entry itself (unless it is ONLYINCOMPOUND or NEEDAFFIX);
* entry + one suffix of one of its flags (the condition holds on the root, the root ends with
  the strip, and at least one character of the root stays before the suffix);
* one prefix + entry (at least one character of the root stays after the prefix);
* one prefix + (entry + one suffix) when both affixes allow cross products (Lucene strips the
  prefix first, then the suffix, and asks the root for both flags).

So :class:`Stemmer` builds, once, a table word form -> stems, and a lookup is a dict access.
The input is cleaned with the ICONV table first (U+2019 -> ``'``), as Lucene does; the stems come
from the cleaned word. Tokens reach the stemmer lower-cased (the analyzer lower-cases first), so
entries with an upper-case letter, whose every form keeps that letter, are left out of the table.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from contract import ConfigError


@dataclass(frozen=True)
class Affix:
    """One PFX/SFX line: ``SFX D y ied [^aeiou]y``."""

    flag: str
    prefix: bool
    cross_product: bool
    strip: str
    append: str
    condition: re.Pattern[str] | None  # None: "." (always true)


@dataclass
class AffixFile:
    """What stemming needs from an .aff file."""

    prefixes: dict[str, list[Affix]]
    suffixes: dict[str, list[Affix]]
    iconv: list[tuple[str, str]]
    onlyincompound: str | None
    needaffix: str | None


_UNSUPPORTED = ("COMPLEXPREFIXES", "CIRCUMFIX", "FULLSTRIP", "FLAG", "AF", "IGNORE", "OCONV")


def _condition(text: str, prefix: bool) -> re.Pattern[str] | None:
    if text == ".":
        return None
    # hunspell conditions are character classes and literals (no quantifiers); Python reads
    # them the same way, anchored at the root's start (prefix) or end (suffix).
    return re.compile(f"^(?:{text})" if prefix else f"(?:{text})$")


def read_affix_file(path: Path) -> AffixFile:
    """Parse the parts of a hunspell .aff file stemming uses.

    Raises:
        ConfigError: the file uses a feature this stemmer does not implement.
    """
    prefixes: dict[str, list[Affix]] = defaultdict(list)
    suffixes: dict[str, list[Affix]] = defaultdict(list)
    iconv: list[tuple[str, str]] = []
    onlyincompound = needaffix = None
    cross: dict[tuple[str, str], bool] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines:
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        key = parts[0]
        if key in _UNSUPPORTED:
            raise ConfigError(f"{path}: {key} is not supported by newsmon's hunspell stemmer")
        if key == "SET" and parts[1].upper() != "UTF-8":
            raise ConfigError(f"{path}: only UTF-8 dictionaries are supported")
        elif key == "ONLYINCOMPOUND":
            onlyincompound = parts[1]
        elif key == "NEEDAFFIX":
            needaffix = parts[1]
        elif key == "ICONV" and len(parts) == 3:
            iconv.append((parts[1], parts[2]))
        elif key in ("PFX", "SFX"):
            if len(parts) == 4 and parts[2] in ("Y", "N"):
                cross[key, parts[1]] = parts[2] == "Y"
                continue
            flag, strip, append = parts[1], parts[2], parts[3]
            condition = parts[4] if len(parts) > 4 else "."
            if "/" in append:
                raise ConfigError(f"{path}: continuation classes ({append}) are not supported")
            is_prefix = key == "PFX"
            (prefixes if is_prefix else suffixes)[flag].append(
                Affix(
                    flag=flag,
                    prefix=is_prefix,
                    cross_product=cross[key, flag],
                    strip="" if strip == "0" else strip,
                    append="" if append == "0" else append,
                    condition=_condition(condition, is_prefix),
                )
            )
    return AffixFile(dict(prefixes), dict(suffixes), iconv, onlyincompound, needaffix)


def read_dictionary(path: Path) -> list[tuple[str, str]]:
    """The (word, flags) entries of a hunspell .dic file (the first line is the count)."""
    entries = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        line = line.strip()
        if not line:
            continue
        word, _, flags = line.partition("/")
        entries.append((word, flags))
    return entries


def _suffixed(root: str, affix: Affix) -> str | None:
    if affix.condition is not None and not affix.condition.search(root):
        return None
    keep = len(root) - len(affix.strip)
    if keep < 1 or not root.endswith(affix.strip):
        return None
    return root[:keep] + affix.append


def _prefixed(word: str, affix: Affix) -> str | None:
    if affix.condition is not None and not affix.condition.search(word):
        return None
    if not word.startswith(affix.strip) or len(word) - len(affix.strip) < 1:
        return None
    return affix.append + word[len(affix.strip) :]


Stem = tuple[str, int]
"""A stem and where Lucene's stemmer takes it from: the offset of the stem inside the token's own
buffer when the stem is a slice of it (no strip), or -1 for a fresh copy (an affix with a strip)."""


def build_table(affixes: AffixFile, entries: list[tuple[str, str]]) -> dict[str, tuple[Stem, ...]]:
    """Every word form the dictionary generates -> its distinct stems, in Lucene's order.

    Lucene's stemmer lists a word's roots in this order: the word itself when it is an entry,
    then by increasing prefix length (each prefix's root, then that root's suffixes), then by
    increasing suffix length; affixes with the same text in .aff file order. Duplicates keep
    their first place (``dedup``).
    """
    found: dict[str, list[tuple[tuple[int, ...], str, int]]] = defaultdict(list)
    excluded = {f for f in (affixes.onlyincompound, affixes.needaffix) if f}
    order = {
        id(a): i
        for i, a in enumerate(
            a
            for rules in (affixes.prefixes, affixes.suffixes)
            for flag in rules
            for a in rules[flag]
        )
    }
    for word, flags in entries:
        if word != word.lower() or excluded.intersection(flags):
            continue
        found[word].append(((0,), word, 0))
        prefix_rules = [a for f in flags for a in affixes.prefixes.get(f, ())]
        for flag in flags:
            for affix in affixes.suffixes.get(flag, ()):
                form = _suffixed(word, affix)
                if form is None:
                    continue
                key = (len(affix.append), order[id(affix)])
                found[form].append(((2, *key), word, -1 if affix.strip else 0))
                if not affix.cross_product:
                    continue
                for pre in prefix_rules:
                    crossed = _prefixed(form, pre) if pre.cross_product else None
                    if crossed is not None:
                        where = -1 if affix.strip else len(pre.append)
                        pkey = (len(pre.append), order[id(pre)])
                        found[crossed].append(((1, *pkey, 1, *key), word, where))
        for pre in prefix_rules:
            form = _prefixed(word, pre)
            if form is not None:
                pkey = (len(pre.append), order[id(pre)])
                found[form].append(((1, *pkey, 0), word, -1 if pre.strip else len(pre.append)))
    table: dict[str, tuple[Stem, ...]] = {}
    for form, stems in found.items():
        stems.sort()
        seen: dict[str, int] = {}
        for _, stem, where in stems:
            seen.setdefault(stem, where)
        table[form] = tuple(seen.items())
    return table


def emitted(token: str, stems: tuple[Stem, ...]) -> tuple[str, ...]:
    """The terms Lucene's ``HunspellStemFilter`` emits for ``token`` with these stems.

    Lucene stems the token inside the term buffer, and a stem taken from the token without a
    strip is a *slice of that buffer*. The filter writes the first stem into the buffer, then
    each following stem (after restoring the first one), so slices read what earlier stems
    wrote there: ``configured`` (stems ``figure`` = slice 3..9, ``configure`` = slice 0..9)
    comes out as ``figure``, ``figureure``. Elasticsearch indexes and queries exactly that, so
    this function reproduces it.
    """
    if len(stems) == 1:
        return (stems[0][0],)
    buffer = list(token)
    out: list[str] = []
    first = ""
    for stem, where in stems:
        if first:
            buffer[: len(first)] = first  # restoreState(first stem's state)
        text = "".join(buffer[where : where + len(stem)]) if where >= 0 else stem
        buffer[: len(text)] = text
        if not first:
            first = text
        if text not in out:
            out.append(text)
    return tuple(out)


class Stemmer:
    """What the hunspell token filter emits for lower-cased tokens (the table is built lazily).

    Args:
        aff: the .aff file; dic: the .dic file.
    """

    def __init__(self, aff: Path, dic: Path) -> None:
        self.aff = aff
        self.dic = dic
        self._table: dict[str, tuple[Stem, ...]] | None = None
        self._iconv: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def table(self) -> dict[str, tuple[Stem, ...]]:
        """Word form -> its stems in Lucene's order (built on first use, about a second)."""
        if self._table is None:
            with self._lock:
                if self._table is None:
                    affixes = read_affix_file(self.aff)
                    self._iconv = affixes.iconv
                    self._table = build_table(affixes, read_dictionary(self.dic))
        return self._table

    def stems(self, token: str) -> tuple[str, ...]:
        """The terms the filter emits for ``token`` (lower-cased): its stems, or the token.

        A token the ICONV table changes (``don\u2019t``) is stemmed in a copy, so its stems are
        plain; one it does not change is stemmed in place (see :func:`emitted`).
        """
        table = self.table()
        cleaned = token
        for source, target in self._iconv:
            if source in cleaned:
                cleaned = cleaned.replace(source, target)
        found = table.get(cleaned)
        if not found:
            return (token,)
        if cleaned != token:
            return tuple(stem for stem, _ in found)
        return emitted(token, found)


_DEFAULT: Stemmer | None = None


def default_stemmer() -> Stemmer:
    """The stemmer of the bundled en_US dictionary (the one the local stack gives Elasticsearch)."""
    global _DEFAULT
    if _DEFAULT is None:
        folder = resources.files("sinks.lucene.analysis") / "hunspell"
        _DEFAULT = Stemmer(Path(str(folder / "en_US.aff")), Path(str(folder / "en_US.dic")))
    return _DEFAULT
