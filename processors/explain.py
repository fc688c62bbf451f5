"""Why a topic was or was not assigned: every rule, what fired, what nearly did.

``newsmon taxonomy explain`` prints this so an analyst can tune a rule in minutes. It reuses the
tagger's own matching (``tag_topics`` decides; this only reports), so the explanation can never
disagree with the tags.
"""

from dataclasses import dataclass, field

from spacy.tokens import Doc

from processors.taxonomy import (
    CountryOf,
    Rule,
    SentenceTokens,
    Taxonomy,
    Topic,
    rule_fires,
    tag_topics,
)


@dataclass(frozen=True)
class RuleTrace:
    """One rule in one sentence: fired, nearly fired (some groups matched) or blocked."""

    rule: str
    weight: float
    sentence: str
    status: str
    """'fired', 'near' (groups matched but not all, or not within the window) or 'blocked'."""
    matched: list[str]
    """Terms found, one per matched group."""
    missing: list[list[str]]
    """For a near miss: the term groups with no match (first few terms of each)."""
    blocked_by: str | None = None


@dataclass
class TopicExplanation:
    """One topic's verdict on a text, with the traces that led to it."""

    topic: str
    definition: str
    threshold: float
    score: float
    assigned: bool
    context_ok: bool
    excluded_by: str | None
    traces: list[RuleTrace] = field(default_factory=list)


def _first(toks: SentenceTokens, phrases: tuple[tuple[str, ...], ...]) -> str | None:
    return next((" ".join(p) for p in phrases if toks.find(p)), None)


def _trace(rule: Rule, toks: SentenceTokens, sentence: str, countries: int) -> RuleTrace | None:
    matched: list[str] = []
    missing: list[list[str]] = []
    for group in rule.groups:
        hit = _first(toks, group)
        if hit is None:
            missing.append([" ".join(p) for p in group[:4]])
        else:
            matched.append(hit)
    if not matched or len(missing) > 1:
        return None  # one term of a three-group rule is noise, not a near miss
    blocked = _first(toks, rule.unless)
    if blocked is None and not missing:
        terms = rule_fires(rule, toks)
        if terms is not None and countries < rule.countries:
            return RuleTrace(
                rule.id, rule.weight, sentence, "near", terms, [[f"{rule.countries} countries"]]
            )
        if terms is not None:
            return RuleTrace(rule.id, rule.weight, sentence, "fired", terms, [])
    status = "blocked" if blocked is not None and not missing else "near"
    return RuleTrace(rule.id, rule.weight, sentence, status, matched, missing, blocked)


def _explain_topic(
    topic: Topic, whole: SentenceTokens, sentences: list[tuple[str, SentenceTokens, int]]
) -> TopicExplanation:
    excluded = _first(whole, topic.exclude)
    context_ok = not topic.context or _first(whole, topic.context) is not None
    traces = []
    for rule in topic.rules:
        for text, toks, countries in sentences:
            trace = _trace(rule, toks, text, countries)
            if trace is not None:
                traces.append(trace)
    return TopicExplanation(
        topic=topic.name,
        definition=topic.definition,
        threshold=topic.threshold,
        score=0.0,
        assigned=False,
        context_ok=context_ok,
        excluded_by=excluded,
        traces=traces,
    )


def explain_topics(
    doc: Doc, taxonomy: Taxonomy, country_of: CountryOf | None = None
) -> list[TopicExplanation]:
    """Every topic's explanation for ``doc``: assigned ones first, then by score."""
    assigned = {m.topic: m for m in tag_topics(doc, taxonomy, country_of)}
    whole = SentenceTokens.of(doc)
    sentences = []
    for s in doc.sents:
        toks = SentenceTokens.of(s, country_of)
        sentences.append((s.text.strip(), toks, len(toks.countries)))
    result = []
    for topic in taxonomy.topics:
        explanation = _explain_topic(topic, whole, sentences)
        match = assigned.get(topic.name)
        explanation.assigned = match is not None
        explanation.score = _score(topic, explanation.traces) if match is None else match.score
        result.append(explanation)
    return sorted(result, key=lambda e: (not e.assigned, -e.score, e.topic))


def _score(topic: Topic, traces: list[RuleTrace]) -> float:
    """The score fired rules add up to, counted as the tagger counts them (``max_hits``)."""
    hits: dict[str, int] = {}
    score = 0.0
    for t in traces:
        if t.status == "fired" and hits.get(t.rule, 0) < topic.max_hits:
            hits[t.rule] = hits.get(t.rule, 0) + 1
            score += t.weight
    return round(score, 3)
