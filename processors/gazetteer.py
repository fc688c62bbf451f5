"""The gazetteer: known people, organisations and countries, with canonical names and ids.

It corrects the statistical model in two places: an ``entity_ruler`` before ``ner`` gives every
listed alias its type and canonical id, and a lookup afterwards links what the model found by
itself (e.g. an ambiguous country name it tagged as a place).
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from spacy.language import Language

from contract import ConfigError

DEFAULT_PATH = Path(__file__).with_name("gazetteer.yaml")

AMBIGUOUS = frozenset({"Georgia", "Jordan", "Chad", "Niger", "Turkey"})
"""Names also used for people, states or things: never forced by the ruler, only linked when
the model itself calls them a place."""


@dataclass(frozen=True)
class KnownEntity:
    """One gazetteer entry."""

    key: str
    name: str
    label: str
    kb_id: str | None = None


@dataclass
class Gazetteer:
    """Entries by key, and every alias that points at one."""

    version: str
    entries: dict[str, KnownEntity] = field(default_factory=dict)
    aliases: dict[str, tuple[str, str]] = field(default_factory=dict)
    """alias -> (entry key, label the alias is tagged with: NORP for demonyms)."""
    not_entities: frozenset[str] = frozenset()

    def add(self, entry: KnownEntity, aliases: list[str], alias_label: str | None = None) -> None:
        """Register ``entry`` under its own name and ``aliases``."""
        self.entries[entry.key] = entry
        self.aliases.setdefault(entry.name, (entry.key, entry.label))
        for alias in aliases:
            self.aliases.setdefault(str(alias), (entry.key, alias_label or entry.label))

    def lookup(self, text: str) -> KnownEntity | None:
        """The entry a surface form names, if any."""
        hit = self.aliases.get(text)
        return self.entries[hit[0]] if hit else None

    def ruler_patterns(self) -> list[dict[str, str]]:
        """Phrase patterns for spaCy's ``entity_ruler``, ambiguous names left out."""
        return [
            {"label": label, "pattern": alias, "id": key}
            for alias, (key, label) in self.aliases.items()
            if alias not in AMBIGUOUS
        ]

    def install(self, nlp: Language) -> None:
        """Add an ``entity_ruler`` with these patterns before ``ner`` (once)."""
        if "gazetteer_ruler" in nlp.pipe_names:
            return
        before = "ner" if "ner" in nlp.pipe_names else None
        ruler = nlp.add_pipe("entity_ruler", name="gazetteer_ruler", before=before)
        ruler.add_patterns(self.ruler_patterns())  # type: ignore[attr-defined]


def _require(item: dict[str, Any], key: str, where: str) -> Any:
    if key not in item or item[key] in (None, ""):
        raise ConfigError(f"{where}: missing {key!r}")
    return item[key]


def load_gazetteer(path: Path = DEFAULT_PATH) -> Gazetteer:
    """Read a gazetteer YAML file.

    Raises:
        ConfigError: the file is missing or an entry lacks a field (named in the message).
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"gazetteer {path}: {exc}") from exc
    gaz = Gazetteer(version=str(data.get("version", "0")))
    for i, row in enumerate(data.get("countries", [])):
        where = f"gazetteer {path}: countries[{i}]"
        if not isinstance(row, list) or len(row) != 4:
            raise ConfigError(f"{where}: expected [name, ISO code, adjectives, other names]")
        name, iso, adjectives, others = row
        entry = KnownEntity(key=f"country:{iso}", name=str(name), label="GPE", kb_id=str(iso))
        gaz.add(entry, [str(o) for o in others])
        gaz.add(entry, [str(a) for a in adjectives], alias_label="NORP")
    for section, label in (("people", "PERSON"), ("organizations", "ORG")):
        for i, item in enumerate(data.get(section, [])):
            where = f"gazetteer {path}: {section}[{i}]"
            name = str(_require(item, "name", where))
            kb_id = item.get("kb_id")
            entry = KnownEntity(key=f"{label}:{name}", name=name, label=label, kb_id=kb_id)
            gaz.add(entry, [str(a) for a in item.get("aliases", [])])
    gaz.not_entities = frozenset(str(x) for x in data.get("not_entities", []))
    return gaz
