"""Language detection with lingua's bundled models, restricted to the languages we serve."""

from __future__ import annotations

from lingua import Language, LanguageDetectorBuilder

from shared.events import LanguageGuess

from .doc import Doc

LANGUAGES = (Language.GERMAN, Language.ENGLISH, Language.FRENCH, Language.SPANISH,
             Language.ITALIAN, Language.PORTUGUESE, Language.DUTCH, Language.SWEDISH,
             Language.DANISH, Language.BOKMAL, Language.POLISH)
# The first few hundred characters (headline, teaser) decide the language of a news text;
# reading more only costs time (lingua's cost grows with the text).
SAMPLE_CHARS = 320
MIN_CHARS = 12


class LanguageEnricher:
    name = "language"

    def __init__(self, low_accuracy: bool = True) -> None:
        builder = LanguageDetectorBuilder.from_languages(*LANGUAGES)
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        self._detector = builder.build()

    def detect(self, text: str) -> LanguageGuess | None:
        sample = text[:SAMPLE_CHARS]
        if len(sample.strip()) < MIN_CHARS:
            return None
        values = self._detector.compute_language_confidence_values(sample)
        if not values:
            return None
        best = values[0]
        code = best.language.iso_code_639_1.name.lower()
        return LanguageGuess(code=code, confidence=round(min(max(best.value, 0.0), 1.0), 4))

    def enrich(self, doc: Doc) -> None:
        guess = self.detect(doc.text)
        if guess is None and doc.article.language:
            # Too little text to judge: trust the source's own declaration, half-heartedly.
            guess = LanguageGuess(code=doc.article.language.split("-")[0].lower(), confidence=0.5)
        doc.language = guess
