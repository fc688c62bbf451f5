"""From spaCy's entity spans to the article's canonical entities, one per real-world thing."""

from dataclasses import dataclass

from spacy.tokens import Doc, Span

from contract import Entity
from processors.gazetteer import Gazetteer

KEEP_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "LAW"})
POSSESSIVES = ("'s", "\u2019s", "'", "\u2019")  # straight and typographic apostrophes


@dataclass
class _Mention:
    text: str
    name: str
    label: str
    start: int
    kb_id: str | None
    linked: bool


def _clean(span: Span) -> str:
    text = span.text.strip()
    for suffix in POSSESSIVES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


PLACE_BEFORE = frozenset(
    {
        *("in", "at", "to", "near", "from", "into", "outside", "around", "across", "towards"),
        *("toward", "over", "on", "via", "through", "inside", "of", "within", "between"),
        *("hit", "strike", "struck", "attack", "bomb", "shell", "target", "visit", "reach"),
        *("arrive", "enter", "leave", "flee", "evacuate", "capture", "encircle", "surround"),
        *("pound", "besiege"),
    }
)
"""A capital after one of these (lemma, skipping "the") is the city: "missiles hit Kyiv"."""
PLACE_AFTER = frozenset(
    {"region", "oblast", "province", "airport", "residents", "mayor", "city", "suburb"}
)


def _is_place(span: Span) -> bool:
    """Whether a capital or seat of government names the place rather than the government:
    "missiles hit Kyiv", "talks in Moscow", "Kyiv's mayor" -- not "Kyiv said", "help Moscow
    evade sanctions", "drones for Kyiv", "Washington also announced"."""
    doc = span.doc
    i = span.start - 1
    if i >= 0 and doc[i].lower_ == "the":
        i -= 1
    if i >= 0 and doc[i].lemma_.lower() in PLACE_BEFORE:
        return True
    after = doc[span.end] if span.end < len(doc) else None
    return after is not None and after.lower_ in PLACE_AFTER


def _mention(span: Span, gaz: Gazetteer) -> _Mention | None:
    text = _clean(span)
    if span.label_ not in KEEP_LABELS or not text or text in gaz.not_entities:
        return None
    if text.islower():
        return None  # "turnout", "gunmen": a common word the model tagged
    known = gaz.entries.get(span.ent_id_) if span.ent_id_ else None
    if known is None and span.label_ in ("GPE", "LOC", "NORP", "ORG", "PERSON", "FAC"):
        known = gaz.lookup(text, span.label_)
    if known is not None and known.kind in ("capital", "seat") and not _is_place(span):
        known = gaz.country_of(known) or known
    if known is not None:
        return _Mention(text, known.name, known.label, span.start_char, known.kb_id, True)
    # "the Environment Agency" and "Environment Agency" are one name; the text keeps "the".
    name = text[4:] if text[:4] in ("the ", "The ") and len(text) > 4 else text
    return _Mention(text, name, span.label_, span.start_char, None, False)


def _resolve_short_forms(mentions: list[_Mention]) -> None:
    """A one-word mention that is the surname of a full name in the article becomes that name.

    "Arahamiya" (which the model may call an ORG) -> "David Arahamiya" (PERSON), whichever
    comes first in the article.
    """
    full_names: dict[str, _Mention] = {}
    for m in mentions:
        words = m.name.split()
        if m.label == "PERSON" and len(words) > 1:
            full_names.setdefault(words[-1], m)
    for m in mentions:
        if m.linked or " " in m.name:
            continue
        full = full_names.get(m.name)
        if full is not None:
            m.name, m.label, m.kb_id = full.name, "PERSON", full.kb_id


def extract_entities(doc: Doc, gaz: Gazetteer) -> list[Entity]:
    """Canonical entities of ``doc``, with mention counts, in order of first mention."""
    mentions = [m for span in doc.ents if (m := _mention(span, gaz)) is not None]
    _resolve_short_forms(mentions)
    merged: dict[tuple[str, str], Entity] = {}
    for m in mentions:
        key = (m.name, m.label)
        seen = merged.get(key)
        if seen is None:
            merged[key] = Entity(
                name=m.name,
                label=m.label,
                text=m.text,
                count=1,
                first_offset=m.start,
                kb_id=m.kb_id,
            )
        else:
            merged[key] = seen.model_copy(update={"count": seen.count + 1})
    return list(merged.values())
