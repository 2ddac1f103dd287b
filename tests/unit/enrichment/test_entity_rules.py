"""Cue rules: the anchored cue scan finds exactly what the cue regexes' own finditer finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.enrichment.entities import (
    _ORG_CUE,
    _ORG_NAME_RE,
    _ROLE_CUE,
    _ROLE_NAME_RE,
    _cue_words,
    _occurrences,
)

pytestmark = pytest.mark.unit

PIECES = ["Kremlsprecher", "Sprecher", "SPRECHER", "\u017fprecher", "Präsident",
          "Nachrichtenagentur", "agency", "Zeitung", "Bank", "Peskow", "Tass", "Iswestija",
          "Ärger", "der", "und",
          " ", " ", "  ", "\n", "„", "“", '"', "'", ".", ",", "-", "Dmitri", "spokesman"]


def _reference(text: str) -> list[tuple[int, int, str]]:
    return [(*m.span(1), "PER") for m in _ROLE_NAME_RE.finditer(text)] + [
        (*m.span(1), "ORG") for m in _ORG_NAME_RE.finditer(text)]


def _anchored(text: str) -> list[tuple[int, int, str]]:
    role, org = _cue_words(text)
    return [(*m.span(1), "PER") for m in _ROLE_CUE.finditer(text, role)] + [
        (*m.span(1), "ORG") for m in _ORG_CUE.finditer(text, org)]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_anchored_cue_scan_equals_the_regex_finditer(text: str) -> None:
    assert _anchored(text) == _reference(text)


def test_cue_scan_finds_roles_and_organisations() -> None:
    text = ('Kremlsprecher Dmitri Peskow sagte der Nachrichtenagentur „Tass“, die Zeitung '
            '"Iswestija" berichte. The spokesman Dmitry Peskov told news agency Interfax.')
    got = {text[s:e] for s, e, _ in _anchored(text)}
    assert got == {"Dmitri Peskow", "Tass", "Iswestija", "Dmitry Peskov", "Interfax"}
    assert _anchored(text) == _reference(text)


NAMES = ["Putin", "Put", "Witkoff", "Kreml", "Kremls", "U.S.", "Ba_r", "Öl", "Ölpreis"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*NAMES, " ", "-", ".", "_", "x", "9", "é", "\n"]), max_size=30)
       .map("".join), st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
def test_name_occurrences_equal_the_alternation_regex(text: str, names: list[str]) -> None:
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
                         + r")\b")
    want = [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)]
    assert _occurrences(text, names) == want
