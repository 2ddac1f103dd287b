"""Dates read from all paragraphs at once, and the month look-back check, against the old paths."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.normalizer import dates
from services.normalizer.parsers import common
from shared.events import BodyBlock

from .conftest import RECEIVED, make_doc
from .test_fast_paths import TEXTS, ref_mentioned_dates

pytestmark = pytest.mark.unit

_MONTH_LETTERS = sorted({char for name in dates.MONTHS for char in name})


def test_month_fold_is_what_case_blind_matching_equates() -> None:
    # Every code point re matches case-blind to some month letter, found with one class scan.
    any_letter = re.compile(f"[{''.join(_MONTH_LETTERS)}]", re.IGNORECASE)
    matching = [chr(code) for code in range(0x110000) if any_letter.fullmatch(chr(code))]
    assert len(matching) > 2 * len(_MONTH_LETTERS)
    for char in matching:
        letters = {
            letter for letter in _MONTH_LETTERS if re.fullmatch(letter, char, re.IGNORECASE)
        }
        assert letters == {char.translate(dates._MONTH_FOLD)}, hex(ord(char))
    # The table's other entries (Q, W, X) fold to no month letter; the ASCII shortcut, lower(),
    # folds as the table does.
    others = {chr(code) for code in dates._MONTH_FOLD} - set(matching)
    assert others == {"Q", "W", "X"}
    assert not {char.translate(dates._MONTH_FOLD) for char in others} & set(_MONTH_LETTERS)
    for code in range(128):
        assert chr(code).lower() == chr(code).translate(dates._MONTH_FOLD)


@pytest.mark.parametrize("text", [
    "MA\u0130 7", "o\u212at. 3, 2024", "\u017fept 9", "M\u00c4R 4", "Dec.\n24", "sept\t7th",
    "on Friday, May 15", "Jan. 2", "claimed 174 lives", "mayor 12", "dec.  31", "ay 5",
    "xjan 7", "in JUNE 30th 2024", "Mai 1", "de 3",
])
def test_month_check_keeps_every_english_date(text: str) -> None:
    assert dates.mentioned_dates(text, RECEIVED) == ref_mentioned_dates(text, RECEIVED)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(TEXTS, max_size=8))
def test_all_paragraphs_give_the_dates_of_the_candidates(texts: list[str]) -> None:
    # Short texts skip the pre-filter: the paragraphs it drops cannot change what is found.
    assert common.date_text(texts) == common._SEP.join(texts)
    assert dates.mentioned_dates(common.date_text(texts), RECEIVED) == dates.mentioned_dates(
        common.date_candidates(texts), RECEIVED)


def test_long_text_keeps_the_paragraphs_that_can_hold_a_date() -> None:
    filler = "Es gab keine Neuigkeiten zu berichten. " * 200
    texts = [filler, filler, filler, "Die Gespräche beginnen am Montag in Berlin."]
    assert sum(map(len, texts)) > common._DATE_SCAN_CHARS
    assert common.date_text(texts) == texts[-1]
    assert dates.mentioned_dates(common.date_text(texts), RECEIVED) == ("2025-02-03",)


def _dates_of(*paragraphs: str) -> tuple[str, ...]:
    body = tuple(BodyBlock(kind="paragraph", text=text) for text in paragraphs)
    article = common.build_article(make_doc(b"-"), parser="test", headline="Gespräche", body=body)
    return article.mentioned_dates


def test_a_date_is_not_pieced_together_across_paragraphs() -> None:
    assert _dates_of("Die Gespräche beginnen am Montag in Berlin.") == ("2025-02-03",)
    assert _dates_of("Die Gespräche beginnen am", "Montag fehlt die Präposition.") == ()
    assert _dates_of("Talks resume in May", "7 delegations attend.") == ()
    assert _dates_of("Talks resume on May 7.", "Nothing else.") == ("2025-05-07",)
