"""Topic tagging, keyphrases and language detection on the seed and small made-up texts."""

from __future__ import annotations

import pytest

from services.enrichment.doc import Doc, article_text
from services.enrichment.keyphrases import _WORD_RE as KP_WORD_RE
from services.enrichment.keyphrases import KeyphraseEnricher
from services.enrichment.keyphrases import tokens as kp_tokens
from services.enrichment.language import LanguageEnricher
from services.enrichment.topics import _WORD_RE, TopicEnricher, build_index, label_langs, tokens
from services.enrichment.vocab import shared_vocabulary
from shared.events import BodyBlock, CanonicalArticle

pytestmark = pytest.mark.unit


def _doc(headline: str, body: str, lang: str) -> Doc:
    art = CanonicalArticle(id="t", uri="t", source="test", format="test", headline=headline,
                           language=lang, body=(BodyBlock(kind="paragraph", text=body),))
    return Doc(article=art, text=article_text(art))


def _annotated(art: CanonicalArticle) -> Doc:
    doc = Doc(article=art, text=article_text(art))
    for enricher in (LanguageEnricher(), TopicEnricher(hide_source=True), KeyphraseEnricher()):
        enricher.enrich(doc)
    return doc


def test_seed_topics_keep_diplomacy_and_peace_talks(seed_article: CanonicalArticle) -> None:
    doc = _annotated(seed_article)
    assert doc.lang == "de"
    qcodes = [s.qcode for s in doc.subjects]
    assert qcodes[0] == "medtop:11000000"  # politics leads
    for q in ("medtop:20000639", "medtop:16000000", "medtop:20000076"):
        assert q in qcodes  # diplomacy; conflict, war and peace; peace talks
    assert all(s.origin == "machine" and 0 <= s.confidence <= 1 for s in doc.subjects)


def test_seed_keyphrases(seed_article: CanonicalArticle) -> None:
    texts = [k.text for k in _annotated(seed_article).keyphrases]
    assert {"Witkoff", "Kreml", "Putin"} <= set(texts)
    assert len(texts) <= 10


@pytest.mark.parametrize("text", ["Nord- und Südkorea, l'armée; U.S.-Gespräche (2026)…",
                                  "a--b -x- y- «Zitat» 3.000 Euro_Kurs", "", "  ", "über-all."])
def test_fast_tokenizers_equal_the_regex(text: str) -> None:
    assert tokens(text) == _WORD_RE.findall(text)
    assert kp_tokens(text) == KP_WORD_RE.findall(text)


def test_vocabulary_languages_use_their_own_labels() -> None:
    vocab = shared_vocabulary()
    assert label_langs(vocab, "pt") == {"pt-PT", "pt-BR"}
    assert label_langs(vocab, "no") == {"nb", "nn"}
    assert label_langs(vocab, "it") == {"en"}  # no Italian labels: English it is


def test_english_cue_that_is_a_german_function_word_is_not_indexed() -> None:
    index = build_index(shared_vocabulary(), "de")
    assert not index.lookup("war")  # German "war" is "was", not war
    assert index.lookup("krieg")


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es"])
def test_words_that_only_begin_like_a_cue_are_no_topic_evidence(lang: str) -> None:
    index = build_index(shared_vocabulary(), lang)
    for word in ("important", "importance", "importante", "armenia", "armenien", "armen"):
        assert index.lookup(word) == [], word
    # The cues themselves still count.
    assert index.lookup("imports") and index.lookup("armee")


def test_two_word_label_scores_as_phrase_more_than_its_words_alone() -> None:
    enricher = TopicEnricher(hide_source=True)
    phrase = enricher.scores(_doc("Rates", "The central bank raised interest rates.", "en"))
    words = enricher.scores(_doc("Rates", "The interest of the bank in rates.", "en"))
    rate = "medtop:20000371"  # interest rate
    assert phrase[rate] > words.get(rate, 0.0)


@pytest.mark.parametrize(("headline", "body", "lang", "top"), [
    ("Finanzministerin legt Haushalt vor", "Die Bundesregierung und der Bundestag streiten "
     "über den Haushalt. Die Opposition kritisiert die Regierung.", "de", "medtop:11000000"),
    ("Storm closes schools", "A winter storm brought snow and ice; the weather service "
     "forecast more snow and freezing rain.", "en", "medtop:17000000"),
    ("Finansministern presenterar budgeten", "Regeringen lämnar sin budget till riksdagen. "
     "Oppositionen kritiserar statsbudgeten och regeringens politik.", "sv", "medtop:11000000"),
])
def test_top_level_topic(headline: str, body: str, lang: str, top: str) -> None:
    doc = _doc(headline, body, lang)
    LanguageEnricher().enrich(doc)
    subjects = TopicEnricher(hide_source=True).classify(doc)
    assert subjects
    assert subjects[0].qcode == top


def test_subject_codes_map_through_the_vocabulary() -> None:
    vocab = shared_vocabulary()
    assert vocab.from_subject_code("subj:15007000") == "medtop:20000849"  # baseball
    assert vocab.from_subject_code("http://cv.iptc.org/newscodes/subjectcode/15000000") == (
        "medtop:15000000")
    assert vocab.from_subject_code("subj:04099999") == "medtop:04000000"  # via its top level
    assert vocab.from_subject_code("nonsense") is None
    assert vocab.ancestors("medtop:20000849")[-1] == "medtop:15000000"


def test_language_quick_guess_and_fallback() -> None:
    enricher = LanguageEnricher()
    doc = _doc("Regierung", "Die Regierung hat am Montag beschlossen, dass die Steuern nicht "
               "steigen. Das wurde nach der Sitzung bekannt, und auch die Opposition ist für "
               "den Plan, der bei den Wählern gut ankommt.", "en")
    enricher.enrich(doc)
    assert doc.language is not None and doc.language.code == "de"
    short = _doc("Hi", "", "fr")
    short.text = "Hi"
    enricher.enrich(short)
    assert short.language is not None and short.language.code == "fr"
    assert short.language.confidence == 0.5


def test_word_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.enrichment import topics
    monkeypatch.setattr(topics, "_MEMO_SIZE", 50)
    index = build_index(shared_vocabulary(), "en")
    for i in range(500):
        index.lookup(f"word{i}")
    assert len(index.misses) <= 50


def test_words_written_only_as_names_are_not_topic_evidence() -> None:
    from services.enrichment.topics import _names_only

    index = build_index(shared_vocabulary(), "en")
    text = ("The company showed its new Precision laptops. The Precision models sell well. "
            "Police said the Precision line is popular. The police thanked NATO.")
    words = ["precision", "police", "nato"]
    # "Precision" is mid-sentence and never lower case: a product name. "Police" opens a
    # sentence and is written in lower case too; "nato" is a curated cue.
    assert _names_only(text, words, index) == ["precision"]
    german = TopicEnricher().scores(_doc("Wahl", "Die Regierung und die Opposition.", "de"))
    assert german  # nouns are capitalised in German: nothing is taken for a name there
