"""Number starts found by translate, and the pre-filtered day patterns, against the old scans."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.normalizer import dates
from services.normalizer.parsers import common

from .conftest import RECEIVED
from .test_fast_paths import ref_date_candidates, ref_mentioned_dates

pytestmark = pytest.mark.unit

# Digits after every kind of neighbour: ASCII and Unicode whitespace, a literal "?" (what a
# non-ASCII character becomes before the translate), letters, "_", wide digits, surrogates.
_PIECES = st.sampled_from([
    "1", "7", "22", "2021", " ", "\t", "\n", "\x1c", "\xa0", "\u2009", "?", "_", "a", "Z", "é",
    "ä", ".", ",", "-", "\u0663", "\uff11", "\U0001d7ce", "\ud800", "\u2013", "\x00",
])
_TEXTS = st.lists(_PIECES, max_size=30).map("".join)
# Dates and near-dates with the day after whitespace, punctuation or a word.
_DATE_PIECES = st.sampled_from([
    "May", "may", "Jan.", "Sept", "mär", "Mai", "März", "on", "am", "Friday", "Montag", " ", "  ",
    "\n", "\xa0", ",", ", ", "-", "(", ")", "?", ".", "1", "7", "12", "22", "3.", "22.", "01.",
    "2021", "2025", "1st", "th", "x", "a1", "7.5.", "1.2.2024", "\u0663", "é",
])
_DATE_TEXTS = st.lists(_DATE_PIECES, max_size=18).map("".join)


def _ref_digits_after_space(text: str) -> list[int]:
    return [
        m.start() for m in re.finditer(r"\d", text) if m.start() and text[m.start() - 1].isspace()
    ]


@settings(max_examples=500, deadline=None)
@given(text=_TEXTS)
def test_digits_after_space_match_scan(text: str) -> None:
    found = dates.digits_after_space(text)
    if found is None:
        assert dates.digit_positions(text) is None
    else:
        assert found == _ref_digits_after_space(text)


@settings(max_examples=500, deadline=None)
@given(text=_TEXTS)
def test_word_digits_match_regex(text: str) -> None:
    assert dates._word_digits(text) == [m.start() for m in dates._WORD_DIGIT.finditer(text)]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_DATE_TEXTS)
def test_prefiltered_day_patterns_match_reference(text: str) -> None:
    assert dates.mentioned_dates(text, RECEIVED) == ref_mentioned_dates(text, RECEIVED)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_DATE_TEXTS, max_size=6))
def test_date_candidates_with_number_starts_match_reference(texts: list[str]) -> None:
    assert common.date_candidates(texts) == ref_date_candidates(texts)


@pytest.mark.parametrize("text", [
    "May 7, 2021", "May-7 2021", "May\n7", "on May\xa07", "x-5 2021 May 7", "3.Mai", "1.2.2024",
    "am 22. Juni 2025", "May ?7", "Sept. 12th, 2024", "\u0663. Mai", "May 7\u0663",
])
def test_examples_match_reference(text: str) -> None:
    assert dates.mentioned_dates(text, RECEIVED) == ref_mentioned_dates(text, RECEIVED)
    assert common.date_candidates([text, "x"]) == ref_date_candidates([text, "x"])
