from contract import Evidence, TopicMatch
from newsmon.web.evidence import evidence_lines


def _match(topic: str, *sentences: tuple[str, list[str]]) -> TopicMatch:
    return TopicMatch(
        topic=topic,
        score=1.0,
        evidence=[Evidence(rule="r", sentence=s, terms=t) for s, t in sentences],
    )


def test_a_sentence_is_shown_once_with_every_topic_and_term() -> None:
    lines = evidence_lines(
        [
            _match("ceasefire", ("Talks on a truce.", ["truce"]), ("Talks  on a truce.", ["on"])),
            _match("peace-talks", ("Talks on a truce.", ["talks"]), ("Envoys met.", ["envoys"])),
        ]
    )
    assert [(line.sentence, line.topics, line.terms) for line in lines] == [
        ("Talks on a truce.", ["ceasefire", "peace-talks"], ["truce", "on", "talks"]),
        ("Envoys met.", ["peace-talks"], ["envoys"]),
    ]


def test_at_most_the_limit_of_sentences() -> None:
    match = _match("t", *[(f"Sentence {n}.", ["sentence"]) for n in range(5)])
    assert [line.sentence for line in evidence_lines([match], limit=2)] == [
        "Sentence 0.",
        "Sentence 1.",
    ]
