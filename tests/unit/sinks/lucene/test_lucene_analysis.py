"""The embedded ``newsmon_english`` analyzer: Lucene's StandardTokenizer, stop words, hunspell.

The expected values are what Elasticsearch's ``_analyze`` returns on the local stack (both
nodes); tests/integration/test_integration_parity.py checks the whole corpus against it.
"""

import time
from pathlib import Path

import pytest

from contract import ConfigError
from sinks.lucene.analysis import ENGLISH_STOP_WORDS, Token, analyze, lowercase, term_stems
from sinks.lucene.analysis.stemmer import (
    Stemmer,
    build_table,
    default_stemmer,
    emitted,
    read_affix_file,
    read_dictionary,
)
from sinks.lucene.analysis.tokenizer import MAX_TOKEN_LENGTH, token_spans


def tokens(text: str) -> list[str]:
    return [text[a:b] for a, b in token_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The U.S. restrictions", ["The", "U.S", "restrictions"]),
        ("don't stop, don\u2019t", ["don't", "stop", "don\u2019t"]),
        ("1,200 troops and 3.5% of $40", ["1,200", "troops", "and", "3.5", "of", "40"]),
        ("cease-fire U.S.-led", ["cease", "fire", "U.S", "led"]),
        ("bbc.co.uk a:b snake_case _x_", ["bbc.co.uk", "a:b", "snake_case", "_x_"]),
        ("'quoted' \"words\" (paren)", ["quoted", "words", "paren"]),
        ("Zürich Straße ΟΔΟΣ", ["Zürich", "Straße", "ΟΔΟΣ"]),
        ("e\u0301te\u0301", ["e\u0301te\u0301"]),  # combining marks stay in the word
        ("中国人 ひらがな カタカナ", ["中", "国", "人", "ひ", "ら", "が", "な", "カタカナ"]),
        ("ภาษาไทย ok", ["ภาษาไทย", "ok"]),
        ('שלום א"ב', ["שלום", 'א"ב']),
        ("hi 😀 👍🏽 🇺🇸 1️⃣ x", ["hi", "😀", "👍🏽", "🇺🇸", "1️⃣", "x"]),
        ("a 👍🏽b", ["a", "👍🏽", "b"]),  # an emoji modifier does not extend a word (Unicode 9)
        ("--- ... !!", []),
    ],
)
def test_tokenizer_splits_like_lucene_standard_tokenizer(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_long_tokens_are_cut_at_255_characters() -> None:
    assert [b - a for a, b in token_spans("a" * 600)] == [255, 255, 90]
    assert [b - a for a, b in token_spans("x " + "é" * 300)] == [1, 255, 45]
    assert MAX_TOKEN_LENGTH == 255


def test_analyze_gives_positions_with_stop_word_gaps_offsets_and_stems() -> None:
    text = "The restrictions were lifted in the U.S."
    assert analyze(text) == [
        Token(1, frozenset({"restriction"}), 4, 16),
        Token(2, frozenset({"were"}), 17, 21),
        Token(3, frozenset({"lift"}), 22, 28),
        Token(6, frozenset({"u.s"}), 36, 39),
    ]
    assert analyze("the of and") == []
    assert "were" not in ENGLISH_STOP_WORDS and len(ENGLISH_STOP_WORDS) == 33


@pytest.mark.parametrize(
    ("word", "stems"),
    [
        ("restrictions", {"restriction"}),
        ("Negotiations", {"negotiations"}),  # not in the dictionary: the token itself
        ("Kyiv", {"kyiv"}),
        ("rearm", {"arm"}),  # prefix stripped, "rearm" itself is no entry
        ("discontinued", {"continue"}),  # prefix + suffix (cross product)
        ("unable", {"able"}),
        ("cried", {"cry"}),  # a suffix with a strip
        ("rec", {"rec", "c"}),  # the entry itself and a one-letter root
        ("don\u2019t", {"don't"}),  # ICONV: the stem is looked up (and spelled) with '
        ("Ukraine's", {"ukraine's"}),  # capitalised entries never match lower-cased tokens
        ("1st", {"1st"}),
        ("10th", {"10th"}),  # 1th/0th-style entries are ONLYINCOMPOUND
        # Lucene stems in the term buffer: a later stem reads what the first one wrote there
        ("configured", {"figure", "figureure"}),
        ("designer", {"signer"}),
        ("debasement", {"basement", "seme"}),
        ("conquest's", {"quest", "questest"}),
        ("conquest\u2019s", {"quest", "conquest"}),  # ... unless ICONV made a copy
    ],
)
def test_hunspell_stems_are_elasticsearch_s(word: str, stems: set[str]) -> None:
    (token,) = analyze(word)
    assert token.stems == stems


def test_lowercase_is_lucene_s_per_character_mapping() -> None:
    assert lowercase("ΟΔΟΣ") == "οδοσ"  # no final sigma
    assert lowercase("İSTANBUL") == "istanbul"
    assert lowercase("ABC") == "abc"


def test_the_stem_table_builds_fast_and_once() -> None:
    stemmer = Stemmer(default_stemmer().aff, default_stemmer().dic)
    started = time.perf_counter()
    table = stemmer.table()
    assert time.perf_counter() - started < 5  # about 1 s on one core
    assert stemmer.table() is table
    assert len(table) > 100_000
    assert term_stems("lifted") == frozenset({"lift"})


AFF = """SET UTF-8
ICONV 1
ICONV \u2019 '
ONLYINCOMPOUND c
PFX A Y 1
PFX A   0     re         .
SFX D Y 3
SFX D   0     d          e
SFX D   y     ied        [^aeiou]y
SFX D   0     ed         [^ey]
SFX V N 1
SFX V   e     ive        e
"""


def _stemmer(tmp_path: Path, aff: str, dic: list[str]) -> Stemmer:
    (tmp_path / "x.aff").write_text(aff, encoding="utf-8")
    (tmp_path / "x.dic").write_text(f"{len(dic)}\n" + "\n".join(dic) + "\n", encoding="utf-8")
    return Stemmer(tmp_path / "x.aff", tmp_path / "x.dic")


def test_word_forms_respect_strip_condition_and_cross_product(tmp_path: Path) -> None:
    stemmer = _stemmer(tmp_path, AFF, ["cry/DA", "play/D", "move/DAV", "y/D", "nth/c", "Paris/D"])
    assert stemmer.stems("cried") == ("cry",)
    assert stemmer.stems("recried") == ("cry",)  # prefix + suffix, both cross products
    assert stemmer.stems("plaied") == ("plaied",)  # [^aeiou]y does not hold for "play"
    assert stemmer.stems("played") == ("played",)  # nor [^ey]: no rule of D fits
    assert stemmer.stems("moved") == ("move",)
    assert stemmer.stems("removive") == ("removive",)  # V is not a cross product
    assert stemmer.stems("ied") == ("ied",)  # a suffix leaves at least one character
    assert stemmer.stems("nth") == ("nth",)  # ONLYINCOMPOUND entries are no stems
    assert stemmer.stems("parised") == ("parised",)
    assert stemmer.stems("re\u2019cry") == ("re\u2019cry",)


def test_emitted_reproduces_stemming_in_the_term_buffer() -> None:
    assert emitted("configured", (("figure", 3), ("configure", 0))) == ("figure", "figureure")
    assert emitted("cried", (("cry", -1),)) == ("cry",)
    assert emitted("cones", (("cone", 0), ("e", 3))) == ("cone", "e")


def test_unsupported_affix_features_are_refused(tmp_path: Path) -> None:
    stemmer = _stemmer(tmp_path, "SET UTF-8\nFLAG long\n", ["a"])
    with pytest.raises(ConfigError, match="FLAG"):
        stemmer.table()
    stemmer = _stemmer(tmp_path, "SET UTF-8\nSFX A Y 1\nSFX A 0 s/B .\n", ["a/A"])
    with pytest.raises(ConfigError, match="continuation"):
        stemmer.table()


def test_the_bundled_dictionary_is_read_whole() -> None:
    stemmer = default_stemmer()
    affixes = read_affix_file(stemmer.aff)
    assert len(affixes.prefixes) == 7 and len(affixes.suffixes) == 16
    entries = read_dictionary(stemmer.dic)
    assert len(entries) == 79013
    assert build_table(affixes, entries[:50])
