"""The evidence an article card shows: each sentence once (a title repeated as the first
sentence, or a sentence that gave two topics, is not listed twice), with every topic it gave
and all the words that matched in it."""

from dataclasses import dataclass

from contract import TopicMatch

SHOWN = 3


@dataclass(frozen=True)
class EvidenceLine:
    """A sentence, the topics it supports, and the words to mark in it."""

    sentence: str
    topics: list[str]
    terms: list[str]


def evidence_lines(matches: list[TopicMatch], limit: int = SHOWN) -> list[EvidenceLine]:
    """At most ``limit`` distinct sentences, in the order the topics (best first) gave them."""
    lines: dict[str, EvidenceLine] = {}
    for match in matches:
        for evidence in match.evidence:
            key = " ".join(evidence.sentence.split())
            line = lines.get(key)
            if line is None:
                if len(lines) == limit:
                    continue
                line = lines[key] = EvidenceLine(evidence.sentence, [], [])
            if match.topic not in line.topics:
                line.topics.append(match.topic)
            line.terms.extend(t for t in evidence.terms if t not in line.terms)
    return list(lines.values())
