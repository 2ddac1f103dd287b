"""Fast paths of the entity stage held to the plainer code they replaced, on real news text."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.enrichment.entities import KINDS, _org_words, propagate, rules
from services.enrichment.ner.canonical import Named, _Words, canonicalize, clean, fold
from services.enrichment.ner.corpora import read_conll, read_germeval
from services.enrichment.ner.features import _ORG_HEADS, _ROLE_WORDS, _ends_with
from services.enrichment.ner.tagger import Span, TaggerSet
from services.enrichment.ner.tokens import _TOKEN_RE, Sentence, _capped, _ends_sentence, sentences
from services.enrichment.ner.train import shared_ner_dir

pytestmark = pytest.mark.unit

SEED = Path(__file__).resolve().parents[3].parent / "shared" / "seeds" / "000_c3eca885e310276e.txt"


def _texts() -> list[str]:
    """The seed, and runs of GermEval and CoNLL++ sentences as paragraphs of an article."""
    data = shared_ner_dir()
    sents = [" ".join(w) for w, _ in read_germeval(data / "germeval2014" / "NER-de-dev.tsv")]
    sents += [" ".join(w) for w, _ in read_conll(data / "conllpp" / "conllpp_dev.txt")]
    return [SEED.read_text(encoding="utf-8"),
            *("\n".join(sents[i:i + 25]) for i in range(0, len(sents), 25))]


def _paragraph_sentences(text: str, max_len: int = 80) -> list[Sentence]:
    """sentences() as it was: the text split at line breaks first, each paragraph tokenized."""
    out: list[Sentence] = []
    for para in re.finditer(r"[^\n]+", text):
        words = _TOKEN_RE.findall(text, para.start(), para.end())
        starts = [m.start() for m in _TOKEN_RE.finditer(text, para.start(), para.end())]
        cut = 0
        for i in [i for i, w in enumerate(words) if w in ".?!"]:
            if _ends_sentence(words, i):
                out += _capped(Sentence(words[cut:i + 1], starts[cut:i + 1]), max_len)
                cut = i + 1
        out += _capped(Sentence(words[cut:], starts[cut:]), max_len)
    return out


def test_sentences_equal_the_per_paragraph_split() -> None:
    for text in _texts():
        assert sentences(text) == _paragraph_sentences(text)
        assert sentences(text, max_len=7) == _paragraph_sentences(text, max_len=7)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"aB .?!\n„“22-'x", "Dr.", "U.S.", "\n\n", " \n "]),
                max_size=120).map("".join))
def test_sentences_equal_the_per_paragraph_split_on_any_text(text: str) -> None:
    assert sentences(text, max_len=7) == _paragraph_sentences(text, max_len=7)


def test_suffix_checks_equal_the_alternation_regex() -> None:
    role = re.compile("(" + "|".join(_ROLE_WORDS) + ")$")
    org = re.compile("(" + "|".join(_ORG_HEADS) + ")$")
    words = {w.lower() for text in _texts() for w in _TOKEN_RE.findall(text)}
    words |= {"sprecher\n", "bank\n\n", "\n", "", "\u017fprecher"}
    for w in words:
        assert _ends_with(w, _ROLE_WORDS) == bool(role.search(w)), w
        assert _ends_with(w, _ORG_HEADS) == bool(org.search(w)), w


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["Putin", "Putins", "é", "_", "9", " ", "-", "\n", "s"]),
                max_size=20).map("".join),
       st.sampled_from(["Putin", "Put", "in", "s", "_", "é", "Putin-", "Putin s", ""]))
def test_word_membership_equals_the_word_set(text: str, word: str) -> None:
    assert (word in _Words(text)) == (word in set(re.findall(r"\w+", text)))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["Welt", "wirtschafts", "forum", "Forum", "s", "ministerium",
                                 "Finanz", "Ä", "x", "_", "9", " ", "-", "\n"]),
                max_size=20).map("".join))
def test_org_words_equal_the_regex_finditer(text: str) -> None:
    want = [(m.start(), m.end(), m.group())
            for m in re.finditer(r"\b[A-ZÄÖÜ]\w{3,}(?:forum|ministerium)s?\b", text)]
    assert [(s.start, s.end, s.text) for s in _org_words(text)] == want


def _canonicalize(spans: list[Span], text: str, lang: str) -> list[Named]:
    """canonicalize() as it was, with a word set and Counter.most_common."""
    words = set(re.findall(r"\w+", text))
    cleaned = [(s, *clean(s, lang, words)) for s in spans]
    cleaned = [(s, surface, shift) for s, surface, shift in cleaned
               if len(surface) >= 2 and any(c.isalpha() for c in surface)]
    full_by_last: dict[str, str] = {}
    for s, surface, _ in cleaned:
        if s.type == "PER":
            key = fold(surface.split()[-1])
            cur = full_by_last.get(key)
            if cur is None or (len(surface.split()), surface) > (len(cur.split()), cur):
                full_by_last[key] = surface
    type_votes: dict[str, Counter[str]] = defaultdict(Counter)
    canon: list[str] = []
    for s, surface, _ in cleaned:
        person = full_by_last.get(fold(surface.split()[-1]))
        canon.append(person if person and (s.type == "PER" or len(surface.split()) == 1)
                     else surface)
        type_votes[fold(canon[-1])][s.type] += 1
    out: list[Named] = []
    for (s, surface, shift), name in zip(cleaned, canon, strict=True):
        votes = type_votes[fold(name)]
        kind = "PER" if votes["PER"] else votes.most_common(1)[0][0]
        out.append(Named(s.start + shift, s.start + shift + len(surface), kind, surface, name))
    return out


@pytest.mark.parametrize("lang", ["de", "en"])
def test_canonical_names_equal_the_reference(model_dir: Path, lang: str) -> None:
    tagger = TaggerSet(model_dir).for_lang(lang)
    named = 0
    for text in _texts()[:40]:
        tagged = [s for s in tagger.spans(text) if s.type in KINDS]
        spans = propagate(text, rules(text, tagged, tagger.featurizer.gaz))
        got = canonicalize(spans, text, lang)
        assert got == _canonicalize(spans, text, lang)
        named += len(got)
    assert named > 500
