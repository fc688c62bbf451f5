"""Language detection for articles whose feed declares none (or declares it wrongly).

Built on lingua (``lingua-language-detector``), restricted to the languages a news monitor
meets, in its low-accuracy mode, on the first 1,000 characters. Measured with 140 news texts of
200-2,000 characters (mean 813) in 20 languages on the 2-core machine, one detector per process
(timings vary about 2x with the machine's load):

    mode, languages      RSS of models   load     ms/text (loop)   correct
    low,  34 (default)        ~50 MB   0.3 s       0.8-1.7       140/140
    high, 34                 ~770 MB   7-10 s      1.4-1.8       140/140
    low,  all 75              ~90 MB   0.8-1.4 s   1.5-3.2       140/140
    high, all 75            ~1.25 GB   9-21 s      1.6-4.0       140/140

High accuracy buys nothing on article-length text for 15x the memory; it only helps on
headline-length text (under ~120 characters), where low accuracy guesses, hence
``min_confidence``. Reading 1,000 of 2,000 characters saves about a third with no loss.
lingua's parallel batch API takes 0.45-0.6 ms/text against 0.8 in a loop (0.6 against 0.8 with
the other core busy), so :meth:`LanguageDetector.detect_batch` uses it.
"""

from collections.abc import Sequence

from lingua import ConfidenceValue, IsoCode639_1, LanguageDetectorBuilder

from contract import ConfigError

# fmt: off
DEFAULT_LANGUAGES = (
    "en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "nb", "fi", "pl", "cs", "ro", "hu",
    "el", "bg", "sr", "hr", "ru", "uk", "tr", "ar", "fa", "ur", "he", "hi", "bn", "zh", "ja",
    "ko", "id", "vi", "th",
)
# fmt: on
"""ISO 639-1 codes of the languages newsmon expects: the big news languages of Europe, the
Middle East and Asia. Fewer candidates make detection faster and less often wrong."""

MAX_CHARS = 1000
"""Only the head of a text is read: it carries the language, and cost grows with length."""


class LanguageDetector:
    """Detects the language of news text as a lower-case ISO 639-1 code.

    Args:
        languages: ISO 639-1 codes to choose from (at least two); ``None`` for
            :data:`DEFAULT_LANGUAGES`.
        min_chars: fewer letters than this (digits, punctuation and spaces don't count) and the
            answer is ``None``.
        max_chars: only the first ``max_chars`` characters are read.
        min_confidence: lingua's confidence (0-1) below which the answer is ``None``. Article
            text scores 1.0; 0.75 drops the guesses low-accuracy mode makes on short headlines
            made of names ("NATO summit Vilnius 2023").
        high_accuracy: lingua's high-accuracy mode: better on headline-length text, 15 times
            the memory (~770 MB for the default languages) and ~10 s to load.
        parallel: use lingua's multi-threaded batch API in :meth:`detect_batch` (turn off
            where every core is already busy).

    Raises:
        ConfigError: a code is not a language lingua knows, or fewer than two are given.
    """

    def __init__(
        self,
        languages: Sequence[str] | None = None,
        min_chars: int = 20,
        *,
        max_chars: int = MAX_CHARS,
        min_confidence: float = 0.75,
        high_accuracy: bool = False,
        parallel: bool = True,
    ) -> None:
        wanted = DEFAULT_LANGUAGES if languages is None else languages
        codes = sorted({_iso_code(c) for c in wanted}, key=lambda c: c.name)
        if len(codes) < 2:
            names = [c.name.lower() for c in codes]
            raise ConfigError(f"language: need at least two languages to choose from, got {names}")
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        if not high_accuracy:
            builder = builder.with_low_accuracy_mode()
        self._detector = builder.with_preloaded_language_models().build()
        self.languages = [c.name.lower() for c in codes]
        self.min_chars = min_chars
        self.max_chars = max_chars
        self.min_confidence = min_confidence
        self.parallel = parallel

    def detect(self, text: str) -> str | None:
        """The language of ``text``, or ``None`` if it is too short or no language is confident."""
        head = text[: self.max_chars]
        if not self._long_enough(head):
            return None
        return self._pick(self._detector.compute_language_confidence_values(head))

    def detect_batch(self, texts: Sequence[str]) -> list[str | None]:
        """:meth:`detect` for each of ``texts``, in order."""
        heads = [t[: self.max_chars] for t in texts]
        results: list[str | None] = [None] * len(heads)
        todo = [i for i, head in enumerate(heads) if self._long_enough(head)]
        if self.parallel:
            values = self._detector.compute_language_confidence_values_in_parallel(
                [heads[i] for i in todo]
            )
        else:
            values = [self._detector.compute_language_confidence_values(heads[i]) for i in todo]
        for i, confidences in zip(todo, values, strict=True):
            results[i] = self._pick(confidences)
        return results

    def _long_enough(self, text: str) -> bool:
        letters = 0
        for char in text:
            letters += char.isalpha()
            if letters >= self.min_chars:
                return True
        return False

    def _pick(self, confidences: list[ConfidenceValue]) -> str | None:
        if not confidences or confidences[0].value < self.min_confidence:
            return None
        return confidences[0].language.iso_code_639_1.name.lower()


def _iso_code(code: str) -> IsoCode639_1:
    try:
        return IsoCode639_1.from_str(code.strip().lower())
    except ValueError:
        raise ConfigError(f"language: unknown ISO 639-1 language code {code!r}") from None
