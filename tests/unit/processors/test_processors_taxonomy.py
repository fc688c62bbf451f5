"""Topic rules: windows, lemmas, phrases, unless/exclude/context, thresholds, load errors."""

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

from contract import ConfigError
from processors.enrich import Enricher
from processors.taxonomy import DEFAULT_PATH, Taxonomy, load_taxonomy, tag_topics

Load = Callable[[str], Taxonomy]
Tag = Callable[[Taxonomy, str], dict[str, list[list[str]]]]


@pytest.fixture
def taxonomy_from(enricher: Enricher, tmp_path: Path) -> Load:
    """Factory: YAML text -> Taxonomy, tokenised with the real model's tokenizer."""
    tokenizer = enricher.nlp.tokenizer

    def load(text: str) -> Taxonomy:
        path = tmp_path / "taxonomy.yaml"
        path.write_text(dedent(text), encoding="utf-8")
        return load_taxonomy(lambda s: [t.text for t in tokenizer(s)], path)

    return load


@pytest.fixture
def tag(enricher: Enricher) -> Tag:
    """``tag(taxonomy, text)`` -> {topic: [matched terms of each evidence]}."""

    def run(taxonomy: Taxonomy, text: str) -> dict[str, list[list[str]]]:
        matches = tag_topics(enricher.nlp(text), taxonomy)
        return {m.topic: [e.terms for e in m.evidence] for m in matches}

    return run


WEAPONS = """
taxonomy_version: "t1"
topics:
  - name: limits
    definition: limits on weapons
    rules:
      - id: lift-limit
        all: [[lift, ease], [restriction, limit], [weapon, missile]]
        window: 6
"""


def test_terms_within_window_fire(taxonomy_from: Load, tag: Tag) -> None:
    topics = tag(taxonomy_from(WEAPONS), "Allies should lift restrictions on missiles.")
    assert topics == {"limits": [["lift", "restriction", "missile"]]}


def test_terms_too_far_apart_do_not_fire(taxonomy_from: Load, tag: Tag) -> None:
    text = (
        "Allies should lift the heavy, long and widely criticised, much debated "
        "restrictions that they imposed last year on the use of missiles."
    )
    assert tag(taxonomy_from(WEAPONS), text) == {}


def test_terms_in_different_sentences_do_not_fire(taxonomy_from: Load, tag: Tag) -> None:
    assert tag(taxonomy_from(WEAPONS), "They lift restrictions. Missiles flew.") == {}


def test_lemmas_match_inflected_forms(taxonomy_from: Load, tag: Tag) -> None:
    topics = tag(taxonomy_from(WEAPONS), "They eased the limits on missiles.")
    assert topics == {"limits": [["ease", "limit", "missile"]]}


def test_multi_word_phrases_match_consecutive_tokens(taxonomy_from: Load, tag: Tag) -> None:
    taxonomy = taxonomy_from(
        """
        taxonomy_version: "t1"
        topics:
          - name: aid
            definition: aid packages
            rules:
              - all: [[military aid package]]
        """
    )
    assert tag(taxonomy, "Congress passed a military aid package on Friday.") == {
        "aid": [["military aid package"]]
    }
    assert tag(taxonomy, "The package of aid was not military.") == {}


def test_unless_blocks_the_sentence(taxonomy_from: Load, tag: Tag) -> None:
    taxonomy = taxonomy_from(
        """
        taxonomy_version: "t1"
        topics:
          - name: truce
            definition: truces
            rules:
              - id: truce
                all: [[truce]]
                unless: [tariff]
        """
    )
    assert tag(taxonomy, "The tariff truce held.") == {}
    assert tag(taxonomy, "The tariff talks failed. The truce held.") == {"truce": [["truce"]]}


def test_exclude_blocks_the_whole_article(taxonomy_from: Load, tag: Tag) -> None:
    taxonomy = taxonomy_from(
        """
        taxonomy_version: "t1"
        topics:
          - name: truce
            definition: truces
            exclude: [price war]
            rules:
              - all: [[truce]]
        """
    )
    assert tag(taxonomy, "A truce was agreed. The price war goes on.") == {}
    assert tag(taxonomy, "A truce was agreed.") == {"truce": [["truce"]]}


def test_context_is_required(taxonomy_from: Load, tag: Tag) -> None:
    taxonomy = taxonomy_from(
        """
        taxonomy_version: "t1"
        topics:
          - name: truce
            definition: truces
            context: [troops, fighting]
            rules:
              - all: [[truce]]
        """
    )
    assert tag(taxonomy, "The families agreed a truce over the fence.") == {}
    assert tag(taxonomy, "A truce was agreed. The troops withdrew.") == {"truce": [["truce"]]}


def test_threshold_and_weights(taxonomy_from: Load, enricher: Enricher) -> None:
    taxonomy = taxonomy_from(
        """
        taxonomy_version: "t1"
        topics:
          - name: strikes
            definition: strikes
            threshold: 1.0
            max_hits: 2
            rules:
              - id: weak
                all: [[strike]]
                weight: 0.4
        """
    )

    def score(text: str) -> float | None:
        matches = tag_topics(enricher.nlp(text), taxonomy)
        return matches[0].score if matches else None

    assert score("A strike hit the depot. Another strike followed.") is None  # 0.8 < 1.0
    # Three firing sentences, but at most max_hits=2 count: still 0.8.
    assert score("A strike hit. A strike followed. A strike again.") is None
    heavier = taxonomy_from(
        """
        taxonomy_version: "t1"
        topics:
          - name: strikes
            definition: strikes
            rules:
              - {id: weak, all: [[strike]], weight: 0.5}
              - {id: target, all: [[depot]], weight: 0.5}
        """
    )
    matches = tag_topics(enricher.nlp("A strike hit the depot."), heavier)
    assert [(m.topic, m.score, [e.rule for e in m.evidence]) for m in matches] == [
        ("strikes", 1.0, ["weak", "target"])
    ]


@pytest.fixture(scope="module")
def bundled(enricher: Enricher) -> Taxonomy:
    tokenizer = enricher.nlp.tokenizer
    return load_taxonomy(lambda s: [t.text for t in tokenizer(s)], DEFAULT_PATH)


def test_bundled_taxonomy_has_defined_topics(bundled: Taxonomy) -> None:
    by_name = {t.name: t for t in bundled.topics}
    expected = {
        "weapons-restrictions",
        "ceasefire",
        "military-aid",
        "sanctions",
        "nuclear-escalation",
        "peace-talks",
        "cross-border-strikes",
    }
    assert expected <= set(by_name)
    assert all(by_name[name].definition.strip() for name in by_name)
    assert all(by_name[name].rules for name in by_name)
    assert bundled.version == "1.1.0"
    assert len(bundled.topics) >= 15


def test_price_war_ceasefire_is_a_metaphor(bundled: Taxonomy, tag: Tag) -> None:
    text = "Retailers called a ceasefire in the smartphone price war on Monday."
    assert "ceasefire" not in tag(bundled, text)


def test_real_ceasefire_is_tagged(bundled: Taxonomy, tag: Tag) -> None:
    text = "Both armies agreed a ceasefire on Monday after weeks of fighting near the border."
    assert tag(bundled, text)["ceasefire"] == [["ceasefire"]]


def test_gun_control_is_not_weapons_restrictions(bundled: Taxonomy, tag: Tag) -> None:
    text = "Senators moved to lift restrictions on weapons sales in a gun control bill."
    assert "weapons-restrictions" not in tag(bundled, text)


@pytest.mark.parametrize(
    ("yaml_text", "names"),
    [
        ("topics: [{name: a, definition: d, rules: [{all: [[x]]}]}]", ["taxonomy_version"]),
        (
            "taxonomy_version: 1\ntopics: [{name: lonely, definition: d}]",
            ["lonely", "rules"],
        ),
        (
            "taxonomy_version: 1\ntopics: [{name: nodef, rules: [{all: [[x]]}]}]",
            ["nodef", "definition"],
        ),
        (
            "taxonomy_version: 1\ntopics: [{name: t, definition: d, rules: [{id: r1}]}]",
            ["topic t", "r1", "'all'"],
        ),
        (
            "taxonomy_version: 1\ntopics: [{name: t, definition: d, rules: [{id: r1, all: x}]}]",
            ["topic t", "r1", "all"],
        ),
        (
            "taxonomy_version: 1\ntopics: [{name: t, definition: d, rules: [{id: r1, all: []}]}]",
            ["topic t", "r1", "all"],
        ),
        (
            "taxonomy_version: 1\ntopics: [{name: t, definition: d, rules: [{id: r1, all: [[]]}]}]",
            ["topic t", "r1", "all[0]"],
        ),
        (
            "taxonomy_version: 1\ntopics: [{name: t, definition: d, rules: [ceasefire]}]",
            ["topic t", "rule 0"],
        ),
        (
            "taxonomy_version: 1\n"
            "topics: [{name: t, definition: d, exclude: [], rules: [{all: [[x]]}]}]",
            ["topic t", "exclude"],
        ),
        ("taxonomy_version: 1\ntopics: []", ["no topics"]),
        ("taxonomy_version: [1\n", ["taxonomy"]),
    ],
)
def test_load_errors_name_topic_and_field(tmp_path: Path, yaml_text: str, names: list[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_taxonomy(str.split, path)
    for name in names:
        assert name in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml"):
        load_taxonomy(str.split, tmp_path / "missing.yaml")


TWO_STATES = """
taxonomy_version: "t1"
topics:
  - name: strikes
    definition: one state's forces strike another state
    rules:
      - id: state-force-strikes
        all: [[$country warplanes, $country forces], [strike, bomb, hit]]
        window: 10
        countries: 2
"""


def test_country_rule_needs_two_countries(taxonomy_from: Load, enricher: Enricher) -> None:
    taxonomy = taxonomy_from(TWO_STATES)

    def topics(text: str) -> set[str]:
        return {m.topic for m in tag_topics(enricher.nlp(text), taxonomy, enricher.country_of)}

    assert topics("Israeli warplanes bombed depots near Damascus on Sunday.") == {"strikes"}
    assert topics("Israeli warplanes bombed depots near Haifa on Sunday.") == set()
    assert topics("The warplanes bombed depots near Damascus on Sunday.") == set()
    # Without a way to link entities to countries the rule cannot fire.
    doc = enricher.nlp("Israeli warplanes bombed depots near Damascus on Sunday.")
    assert tag_topics(doc, taxonomy) == []


def test_empty_term_is_a_config_error(taxonomy_from: Load) -> None:
    with pytest.raises(ConfigError, match="empty term"):
        taxonomy_from(WEAPONS.replace("[lift, ease]", '[lift, ""]'))


def test_stamp_changes_with_the_file_not_only_the_declared_version(tmp_path: Path) -> None:
    tokenize = str.split
    path = tmp_path / "taxonomy.yaml"
    body = "taxonomy_version: t1\ntopics: [{name: a, definition: d, rules: [{all: [[x]]}]}]\n"
    path.write_text(body)
    first = load_taxonomy(tokenize, path)
    path.write_text(body.replace("[[x]]", "[[y]]"))
    edited = load_taxonomy(tokenize, path)
    assert first.version == edited.version == "t1"
    assert first.stamp.startswith("t1+") and edited.stamp.startswith("t1+")
    assert first.stamp != edited.stamp
