"""Language detection with lingua's bundled models, restricted to the languages we serve.

Most copy is plainly German, English, French, Spanish or Italian: a count of function words
that belong to exactly one of those (and to none of the other languages served) settles it
without lingua. Anything short, mixed or carrying another language's markers goes to lingua.
"""

from __future__ import annotations

import re

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

# Function words unique to one language among those served (no "die": Dutch; no "mit",
# "der", "den", "er": Danish/Norwegian; no "is", "to", "for": Dutch, Polish, Scandinavian;
# no "que", "como", "este": Portuguese; no "le", "des", "du": shared or German).
_MARKER_WORDS = {
    "de": "und nicht ist sich auch für dem das wird wurde sind eine einer einem zum zur bei "
          "nach aber noch oder",
    "en": "the and of was that with are this from by were which said has been his their would",
    "fr": "les et est une dans pour qui sur pas avec aux été cette ont mais au sont",
    "es": "el los las y según fue pero sus muy",
    "it": "il di che della delle per sono gli nel nella alla degli anche è questo essere",
    # Markers of the other languages served: any of them sends the text to lingua.
    "": "het een van niet zijn voor ook worden não uma os com em ao foi och att är inte som "
        "på og ikke til med af av det się nie jest że",
}
_MARKERS = {lang: frozenset(words.split()) for lang, words in _MARKER_WORDS.items()}
_MARKER_LANG = {w: lang for lang, words in _MARKERS.items() for w in words}
_WORD_RE = re.compile(r"\w+")
# Counting words is cheap, so the quick guess reads more than lingua would.
QUICK_CHARS = 1000
# At least this many marker words, and this many times more than all other markers together.
MIN_MARKERS = 6
DOMINANCE = 5


def quick_guess(sample: str) -> LanguageGuess | None:
    """A confident guess from function words alone, or None when lingua should decide. The
    confidence is the smoothed share of marker words pointing to the language."""
    hits: dict[str, int] = {}
    for word in _WORD_RE.findall(sample.lower()):
        lang = _MARKER_LANG.get(word)
        if lang is not None:
            hits[lang] = hits.get(lang, 0) + 1
    if not hits:
        return None
    best = max(hits, key=lambda k: hits[k])
    top = hits[best]
    rest = sum(hits.values()) - top
    if not best or top < MIN_MARKERS or top < DOMINANCE * rest:
        return None
    return LanguageGuess(code=best, confidence=round(top / (top + rest + 1), 4))


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
        quick = quick_guess(text[:QUICK_CHARS])
        if quick is not None:
            return quick
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
