"""The gazetteer: known people, organisations, countries and places, with canonical names and ids.

It corrects the statistical model in two places: an ``entity_ruler`` before ``ner`` gives every
listed alias its type and canonical id, and a lookup afterwards links what the model found by
itself (e.g. an ambiguous country name it tagged as a place).

Ids: ``kb_id`` is the ISO 3166-1 alpha-2 code for a country and the Wikidata QID for every other
entry (``None`` where no checked QID is listed). A country's QID is kept in ``qid``.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from spacy.language import Language
from spacy.tokens import Doc

from contract import ConfigError
from processors.stamps import stamp

DEFAULT_PATH = Path(__file__).with_name("gazetteer.yaml")

ORG_KINDS = frozenset(
    {
        "intergovernmental",
        "armed-group",
        "news-agency",
        "media",
        "court",
        "government-body",
        "ngo",
        "company",
        "party",
    }
)
ROLES = frozenset(
    {
        "head of state",
        "head of government",
        "foreign minister",
        "defence minister",
        "minister",
        "official",
        "military commander",
        "international official",
        "armed-group leader",
        "opposition leader",
        "politician",
    }
)
PLACE_LABELS = frozenset({"GPE", "LOC"})
_ISO = re.compile(r"^[A-Z]{2}$")
_QID = re.compile(r"^Q[1-9][0-9]*$")


def _is_iso(value: str) -> bool:
    return _ISO.fullmatch(value) is not None


def _is_qid(value: str) -> bool:
    return _QID.fullmatch(value) is not None


# fmt: off
LONGER_NAME_WORDS = frozenset({
    "Academy", "Accord", "Accords", "Agreement", "Agreements", "Airlines", "Airport", "Airports",
    "Airways", "Capital", "City", "Club", "Conference", "Convention", "Conventions", "Court",
    "Daily", "Declaration", "Exchange", "FC", "Format", "Forum", "Games", "Gazette",
    "Governorate", "Herald", "High", "Institute", "International", "Marathon", "Metro", "Museum",
    "National", "Oblast", "Olympic", "Olympics", "Peace", "Port", "Post", "Process", "Protocol",
    "Province", "Region", "Review", "School", "State", "Stock", "Summit", "Times", "Treaty",
    "Tribune", "University", "Zoo"
})
# fmt: on
"""Words that make a country or capital name the start of a longer name ("Damascus International
Airport", "Moscow State University", "Qatar Airways", "China Daily"): before one of them the
ruler's match is withdrawn and the statistical model decides."""

LONGER_NAME_HEADS = frozenset(
    {"Bank", "Bay", "Church", "Gulf", "Museum", "Sea", "Strait", "University"}
)
"""Heads of names that end in "of <country or capital>" ("Bank of Japan", "Gulf of Finland",
"University of Tehran"): after one of them the ruler's match is withdrawn too."""

try:  # libyaml's loader when PyYAML was built with it: the file has ~1,000 entries
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class KnownEntity:
    """One gazetteer entry.

    ``kind`` says what it is: ``country``, ``capital``, ``seat`` (a seat of government such as the
    Kremlin), ``place``, an organisation's kind (``armed-group``, ``news-agency``...) or a
    person's role (``head of state``...). ``country`` is the ISO code of the country it belongs
    to, where there is one; ``qid`` its Wikidata QID where checked (for a country ``kb_id`` is
    the ISO code and the QID is only here).
    """

    key: str
    name: str
    label: str
    kb_id: str | None = None
    kind: str | None = None
    country: str | None = None
    qid: str | None = None


@dataclass
class Gazetteer:
    """Entries by key, and every alias that points at one."""

    version: str
    """The version the file declares."""
    entries: dict[str, KnownEntity] = field(default_factory=dict)
    aliases: dict[str, tuple[str, str]] = field(default_factory=dict)
    """alias -> (entry key, label the alias is tagged with: NORP for demonyms)."""
    not_entities: frozenset[str] = frozenset()
    ambiguous: frozenset[str] = frozenset()
    """Aliases also used for people, other places or things: never forced by the ruler, only
    linked when the model itself tags them (see :meth:`lookup`)."""
    stamp: str = ""
    """The declared version plus a hash of the file (:func:`processors.stamps.stamp`)."""

    def add(
        self, entry: KnownEntity, aliases: Iterable[str], alias_label: str | None = None
    ) -> None:
        """Register ``entry`` under its own name and ``aliases``.

        Raises:
            ConfigError: an alias (or the name) already points at another entry.
        """
        self.entries[entry.key] = entry
        self._alias(entry.name, entry, entry.label)
        for alias in aliases:
            self._alias(str(alias), entry, alias_label or entry.label)

    def _alias(self, alias: str, entry: KnownEntity, label: str) -> None:
        seen = self.aliases.get(alias)
        if seen is None:
            self.aliases[alias] = (entry.key, label)
        elif seen[0] != entry.key:
            other = self.entries[seen[0]]
            raise ConfigError(
                f"gazetteer: alias {alias!r} of {entry.name!r} ({entry.key}) already names "
                f"{other.name!r} ({other.key})"
            )

    def lookup(self, text: str, label: str | None = None) -> KnownEntity | None:
        """The entry a surface form names, if any.

        With the model's ``label``, an ambiguous alias is linked only when the label fits it: a
        place label (GPE, LOC) or the alias's own label ("Jordan" tagged PERSON stays unlinked).
        """
        hit = self.aliases.get(text)
        if hit is None:
            return None
        if label is not None and text in self.ambiguous and label not in (PLACE_LABELS | {hit[1]}):
            return None
        return self.entries[hit[0]]

    def is_ambiguous(self, text: str) -> bool:
        """Whether ``text`` is an alias the ruler leaves to the model."""
        return text in self.ambiguous

    def country_of(self, entry: KnownEntity) -> KnownEntity | None:
        """The country a capital or a seat of government stands for ("Kyiv said" -> Ukraine).

        ``None`` for any other entry: people, organisations and places are not metonyms.
        """
        if entry.kind not in ("capital", "seat") or entry.country is None:
            return None
        return self.entries.get(f"country:{entry.country}")

    def ruler_patterns(self) -> list[dict[str, str]]:
        """Phrase patterns for spaCy's ``entity_ruler``, ambiguous names left out."""
        return [
            {"label": label, "pattern": alias, "id": key}
            for alias, (key, label) in self.aliases.items()
            if alias not in self.ambiguous
        ]

    def install(self, nlp: Language) -> None:
        """Add an ``entity_ruler`` with these patterns before ``ner`` (once per pipeline).

        Patterns match on the token text, so they are tokenized with every other component
        switched off (running the tagger and lemmatizer on ~2,300 patterns costs ~1 s). A
        second component then withdraws matches that are part of a longer name.
        """
        if "gazetteer_ruler" in nlp.pipe_names:
            return
        before = "ner" if "ner" in nlp.pipe_names else None
        ruler = nlp.add_pipe("entity_ruler", name="gazetteer_ruler", before=before)
        with nlp.select_pipes(enable=[]):
            ruler.add_patterns(self.ruler_patterns())  # type: ignore[attr-defined]
        nlp.add_pipe("gazetteer_longer_names", after="gazetteer_ruler")


@Language.component("gazetteer_longer_names")
def release_longer_names(doc: Doc) -> Doc:
    """Withdraw the ruler's country and capital matches that are part of a longer name.

    "Damascus" in "Damascus International Airport" goes back to the model (which tags the
    airport), its gazetteer id cleared so the airport is not linked to the city.
    """
    release = [
        ent
        for ent in doc.ents
        if ent.ent_id_.startswith(("city:", "country:"))
        and (
            (ent.end < len(doc) and doc[ent.end].text in LONGER_NAME_WORDS)
            or (
                ent.start >= 2
                and doc[ent.start - 1].text == "of"
                and doc[ent.start - 2].text in LONGER_NAME_HEADS
            )
        )
    ]
    if release:
        for ent in release:
            for token in ent:
                token.ent_id = 0
        doc.set_ents([], missing=release, default="unmodified")
    return doc


class _Entry:
    """One YAML entry being read: typed field access with errors naming section, index, field."""

    def __init__(self, raw: Any, where: str, fields: frozenset[str]) -> None:
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected a mapping {{name: ..., ...}}, got {raw!r}")
        unknown = sorted(str(k) for k in raw if k not in fields)
        if unknown:
            raise ConfigError(f"{where}: unknown field {unknown[0]!r} (allowed: {sorted(fields)})")
        self.raw = raw
        self.where = where

    def text(self, key: str, required: bool = True) -> str | None:
        value = self.raw.get(key)
        if value is None or value == "":
            if required:
                raise ConfigError(f"{self.where}: missing {key!r}")
            return None
        if not isinstance(value, str):
            raise ConfigError(f"{self.where}: {key!r} must be text, got {value!r}")
        return value

    def checked(self, key: str, ok: Callable[[str], bool], what: str, required: bool) -> str | None:
        value = self.text(key, required)
        if value is not None and not ok(value):
            raise ConfigError(f"{self.where}: {key!r} must be {what}, got {value!r}")
        return value

    def names(self, key: str) -> list[str]:
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{self.where}: {key!r} must be a list of names, got {value!r}")
        return list(value)


def _section(data: dict[str, Any], name: str, path: Path) -> list[Any]:
    rows = data.get(name) or []
    if not isinstance(rows, list):
        raise ConfigError(f"gazetteer {path}: {name}: expected a list")
    return rows


def _iso(entry: _Entry, gaz: Gazetteer, required: bool) -> str | None:
    iso = entry.checked("iso", _is_iso, "an ISO 3166-1 alpha-2 code", required)
    if iso is not None and not required and f"country:{iso}" not in gaz.entries:
        raise ConfigError(f"{entry.where}: 'iso' {iso!r} is not a listed country")
    return iso


def _qid(entry: _Entry, key: str = "qid") -> str | None:
    return entry.checked(key, _is_qid, "a Wikidata QID (Q123)", required=False)


_COUNTRY = frozenset(
    {"name", "iso", "qid", "adjectives", "aliases", "capital", "capital_qid", "capital_aliases"}
)
_SEAT = frozenset({"name", "iso", "qid", "aliases"})
_PLACE = frozenset({"name", "label", "iso", "qid", "aliases"})
_PERSON = frozenset({"name", "role", "iso", "qid", "aliases"})
_ORG = frozenset({"name", "kind", "iso", "qid", "aliases"})


def _load_countries(gaz: Gazetteer, rows: list[Any], path: Path) -> None:
    capitals: list[tuple[str, KnownEntity, KnownEntity, list[str]]] = []
    for i, raw in enumerate(rows):
        entry = _Entry(raw, f"gazetteer {path}: countries[{i}]", _COUNTRY)
        name = str(entry.text("name"))
        iso = str(_iso(entry, gaz, required=True))
        country = KnownEntity(f"country:{iso}", name, "GPE", iso, "country", iso, _qid(entry))
        if country.key in gaz.entries:
            raise ConfigError(f"{entry.where}: ISO code {iso!r} is already another country's")
        _register(gaz, entry.where, country, entry.names("aliases"))
        _register(gaz, entry.where, country, entry.names("adjectives"), alias_label="NORP")
        capital = str(entry.text("capital"))
        capital_qid = _qid(entry, "capital_qid")
        city = KnownEntity(
            f"city:{capital}", capital, "GPE", capital_qid, "capital", iso, capital_qid
        )
        if any(city.key == c[2].key for c in capitals):
            raise ConfigError(f"{entry.where}: capital {capital!r} is already another country's")
        capitals.append((entry.where, country, city, entry.names("capital_aliases")))
    # Capitals once every country is in: a city-state's capital ("Singapore", "Luxembourg")
    # leaves its name to the country instead of colliding with it.
    for where, country, city, aliases in capitals:
        gaz.entries[city.key] = city
        for alias in [city.name, *aliases]:
            owner = gaz.aliases.get(alias)
            if owner is None or owner[0] != country.key:
                _register_alias(gaz, where, alias, city, city.label)


def _register(
    gaz: Gazetteer,
    where: str,
    known: KnownEntity,
    aliases: Iterable[str],
    alias_label: str | None = None,
) -> None:
    try:
        gaz.add(known, aliases, alias_label)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _register_alias(gaz: Gazetteer, where: str, alias: str, known: KnownEntity, label: str) -> None:
    try:
        gaz._alias(alias, known, label)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _load_seats(gaz: Gazetteer, rows: list[Any], path: Path) -> None:
    for i, raw in enumerate(rows):
        entry = _Entry(raw, f"gazetteer {path}: seats[{i}]", _SEAT)
        name = str(entry.text("name"))
        iso = _iso(entry, gaz, required=False)
        if iso is None:
            raise ConfigError(f"{entry.where}: missing 'iso'")
        qid = _qid(entry)
        _add_new(gaz, entry, KnownEntity(f"seat:{name}", name, "ORG", qid, "seat", iso, qid))


def _load_places(gaz: Gazetteer, rows: list[Any], path: Path) -> None:
    for i, raw in enumerate(rows):
        entry = _Entry(raw, f"gazetteer {path}: places[{i}]", _PLACE)
        name = str(entry.text("name"))
        label = entry.checked("label", PLACE_LABELS.__contains__, "GPE or LOC", False) or "LOC"
        qid = _qid(entry)
        iso = _iso(entry, gaz, required=False)
        _add_new(gaz, entry, KnownEntity(f"{label}:{name}", name, label, qid, "place", iso, qid))


def _load_named(
    gaz: Gazetteer, rows: list[Any], path: Path, section: str, label: str, field: str
) -> None:
    """People (``role`` from ROLES) or organisations (``kind`` from ORG_KINDS)."""
    allowed, fields = (ROLES, _PERSON) if label == "PERSON" else (ORG_KINDS, _ORG)
    for i, raw in enumerate(rows):
        entry = _Entry(raw, f"gazetteer {path}: {section}[{i}]", fields)
        name = str(entry.text("name"))
        kind = entry.checked(field, allowed.__contains__, f"one of {sorted(allowed)}", False)
        qid = _qid(entry)
        iso = _iso(entry, gaz, required=False)
        _add_new(gaz, entry, KnownEntity(f"{label}:{name}", name, label, qid, kind, iso, qid))


def _add_new(gaz: Gazetteer, entry: _Entry, known: KnownEntity) -> None:
    if known.key in gaz.entries:
        raise ConfigError(f"{entry.where}: {known.name!r} is listed twice")
    _register(gaz, entry.where, known, entry.names("aliases"))


def _names(data: dict[str, Any], key: str, path: Path) -> frozenset[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"gazetteer {path}: {key} must be a list of names")
    return frozenset(value)


def load_gazetteer(path: Path = DEFAULT_PATH) -> Gazetteer:
    """Read a gazetteer YAML file.

    Raises:
        ConfigError: the file is missing or unreadable, an entry is malformed (the message names
            the section, the index and the field), an alias names two entries, or an
            ``ambiguous`` name is no alias.
    """
    try:
        raw = path.read_bytes()
        data = yaml.load(raw.decode("utf-8"), Loader=_Loader) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"gazetteer {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"gazetteer {path}: expected a mapping of sections")
    declared = str(data.get("version", "0"))
    gaz = Gazetteer(version=declared, stamp=stamp(declared, raw))
    _load_countries(gaz, _section(data, "countries", path), path)
    _load_seats(gaz, _section(data, "seats", path), path)
    _load_places(gaz, _section(data, "places", path), path)
    _load_named(gaz, _section(data, "people", path), path, "people", "PERSON", "role")
    _load_named(gaz, _section(data, "organizations", path), path, "organizations", "ORG", "kind")
    gaz.ambiguous = _names(data, "ambiguous", path)
    unknown = sorted(gaz.ambiguous - gaz.aliases.keys())
    if unknown:
        raise ConfigError(f"gazetteer {path}: ambiguous: {unknown[0]!r} is no alias of any entry")
    gaz.not_entities = _names(data, "not_entities", path)
    clash = sorted(gaz.not_entities & gaz.aliases.keys())
    if clash:
        raise ConfigError(f"gazetteer {path}: not_entities: {clash[0]!r} is an alias of an entry")
    return gaz
