# ruff: noqa: RUF001  (news text in many scripts: its look-alike characters are the point)
"""Language detection: news snippets, short and mixed texts, the batch path, bad settings."""

import pytest

from contract import ConfigError
from processors.language import DEFAULT_LANGUAGES, LanguageDetector

SNIPPETS = {
    "en": "The European Central Bank left interest rates unchanged on Thursday, but its "
    "president said policymakers were ready to act if inflation continued to fall faster than "
    "expected.",
    "fr": "Le gouvernement a annoncé jeudi une série de mesures pour soutenir les agriculteurs, "
    "après plusieurs semaines de manifestations dans tout le pays.",
    "de": "Die Bundesregierung hat sich nach langen Verhandlungen auf einen Haushalt für das "
    "kommende Jahr geeinigt, doch Sozialverbände kritisieren die geplanten Kürzungen scharf.",
    "es": "El Gobierno aprobó este martes un nuevo paquete de ayudas para las familias afectadas "
    "por las inundaciones en la Comunidad Valenciana.",
    "ru": "Правительство утвердило новый порядок выдачи льготных ипотечных кредитов, сообщили в "
    "министерстве финансов в пятницу.",
    "uk": "Уряд ухвалив рішення про підвищення мінімальної заробітної плати з першого січня "
    "наступного року, повідомили в міністерстві економіки.",
    "ar": "أعلنت وزارة الصحة يوم الأربعاء عن إطلاق حملة وطنية للتطعيم ضد الحصبة تستهدف الأطفال "
    "دون سن الخامسة.",
    "fa": "وزارت امور خارجه روز سه‌شنبه اعلام کرد که هیئتی برای گفت‌وگو درباره پرونده هسته‌ای "
    "به وین سفر خواهد کرد.",
    "he": "הממשלה אישרה אתמול את תקציב המדינה לשנה הבאה לאחר דיון ארוך שנמשך עד שעות הלילה.",
    "tr": "Merkez Bankası perşembe günü politika faizini sabit tuttuğunu açıkladı.",
    "zh": "国家统计局周一公布的数据显示，今年第三季度国内生产总值同比增长百分之四点六，"
    "略低于市场预期。",
    "ja": "政府は金曜日の閣議で、物価高対策を柱とする総合経済対策を決定した。",
    "hi": "केंद्र सरकार ने बुधवार को किसानों के लिए नई फसल बीमा योजना की घोषणा की।",
}


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    """The default detector (34 languages, low accuracy), loaded once (~0.3 s)."""
    return LanguageDetector()


@pytest.mark.parametrize(("code", "text"), SNIPPETS.items(), ids=SNIPPETS.keys())
def test_news_snippets_are_detected(detector: LanguageDetector, code: str, text: str) -> None:
    assert detector.detect(text) == code


def test_the_batch_path_agrees_and_keeps_order(detector: LanguageDetector) -> None:
    texts = ["", *SNIPPETS.values(), "Hi!"]
    assert detector.detect_batch(texts) == [None, *SNIPPETS.keys(), None]
    assert LanguageDetector(parallel=False).detect_batch(texts) == detector.detect_batch(texts)
    assert detector.detect_batch([]) == []


@pytest.mark.parametrize(
    "text",
    ["", "   \n ", "Live updates", "2024-05-24 17:30 +01:00 !!!", "https://t.co/x"],
)
def test_short_or_letterless_text_is_none(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_min_chars_counts_letters_only() -> None:
    text = "Zelensky meets Macron"  # 19 letters
    assert LanguageDetector(min_chars=20).detect(text) is None
    assert LanguageDetector(min_chars=19, min_confidence=0.0).detect(text) is not None


def test_a_headline_of_names_is_none_rather_than_a_guess(detector: LanguageDetector) -> None:
    assert detector.detect("NATO summit Vilnius 2023") is None


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("uk", "Ukraine war live: Зеленський заявив про нові санкції проти Росії"),
        ("fr", "Macron: « Nous ne céderons pas » face à la réforme des retraites"),
        ("fr", "Breaking news – " + SNIPPETS["fr"]),
        ("en", "Le Monde: " + SNIPPETS["en"]),
        ("de", "Apple, Google und Microsoft: " + SNIPPETS["de"]),
    ],
)
def test_mixed_titles_give_the_dominant_language(
    detector: LanguageDetector, code: str, text: str
) -> None:
    assert detector.detect(text) == code


def test_only_the_head_is_read() -> None:
    english = (SNIPPETS["en"] + " ") * 6
    text = english[:1000] + (SNIPPETS["fr"] + " ") * 20
    assert LanguageDetector(max_chars=1000).detect(text) == "en"
    assert LanguageDetector(max_chars=100_000).detect(text) == "fr"


def test_languages_restrict_the_answers() -> None:
    detector = LanguageDetector(["EN", " fr "])
    assert detector.languages == ["en", "fr"]
    assert detector.detect(SNIPPETS["fr"]) == "fr"
    assert detector.detect(SNIPPETS["ru"]) in {"en", "fr", None}


def test_default_languages_are_all_known(detector: LanguageDetector) -> None:
    assert sorted(detector.languages) == sorted(DEFAULT_LANGUAGES)
    assert len(DEFAULT_LANGUAGES) >= 30


@pytest.mark.parametrize("code", ["xx", "english", "no", "en-US", ""])
def test_unknown_codes_are_config_errors_naming_the_code(code: str) -> None:
    with pytest.raises(ConfigError, match=repr(code)):
        LanguageDetector(["en", code])


def test_one_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="at least two"):
        LanguageDetector(["en", "EN"])
