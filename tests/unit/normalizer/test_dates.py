"""Mentioned dates and timestamps in German and English text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.normalizer.dates import mentioned_dates, parse_german_timestamp

pytestmark = pytest.mark.unit
DOC = datetime(2026, 1, 21, 12, tzinfo=UTC)


def test_weekday_with_day_month_infers_the_year_from_the_document() -> None:
    text = "Der Termin sei für Donnerstag (22. Januar) angesetzt; am Dienstagabend (20. Januar)."
    assert mentioned_dates(text, DOC) == ("2026-01-22", "2026-01-20")


def test_weekday_must_match_so_a_december_mention_goes_to_last_year() -> None:
    # 30 December 2025 was a Tuesday; in 2026 it is a Wednesday.
    assert mentioned_dates("am Dienstag (30. Dezember)", DOC) == ("2025-12-30",)


def test_english_forms_and_explicit_years() -> None:
    text = "on Tuesday, January 20, talks resumed; the deal of March 3, 2024 and 05.02.2026."
    assert mentioned_dates(text, DOC) == ("2026-01-20", "2024-03-03", "2026-02-05")


def test_bare_weekday_is_the_nearest_one() -> None:
    assert mentioned_dates("Die Gespräche begannen am Montag.", DOC) == ("2026-01-19",)


def test_odd_case_folds_do_not_crash() -> None:
    # Case-insensitive matching treats these as i and s; lookups must too.
    assert mentioned_dates("am M\u0131ttwoch, am \u017famstag", DOC) == ("2026-01-21", "2026-01-24")


def test_invalid_dates_are_ignored() -> None:
    assert mentioned_dates("am 31. Februar und 30.02.2026", DOC) == ()


def test_timestamps() -> None:
    stamp = parse_german_timestamp("Aktualisiert: 21. Januar 2026 um 9:05 Uhr")
    assert stamp is not None and stamp.isoformat() == "2026-01-21T09:05:00+01:00"
    assert parse_german_timestamp("") is None
