"""Plain wire text (IPTC 7901 style) parser."""

from __future__ import annotations

import pytest

from services.normalizer.parsers.base import EmptyDocument
from services.normalizer.parsers.iptc7901 import Iptc7901Parser

from .conftest import assert_valid_ninjs, fixture_file, make_doc, parse_path

pytestmark = pytest.mark.unit


def test_dpa_style_message_in_cp1252() -> None:
    name, [article] = parse_path(fixture_file("iptc7901/dpa_cp1252.txt"))
    assert name == "iptc7901"
    assert article.headline == "Regierungschefs beraten am Mittwoch (22. Januar) in Brüssel"
    assert article.extra["slugline"] == "GIPFEL"
    assert article.extra["urgency"] == 4
    assert article.paragraphs[0].startswith("Brüssel (dpa) - Die Staats- und Regierungschefs")
    # "Mittwoch (22. Januar)" resolves to 2025, the year of the document date.
    assert article.mentioned_dates[0] == "2025-01-22"
    assert_valid_ninjs(article)


def test_empty_text_block() -> None:
    with pytest.raises(EmptyDocument):
        Iptc7901Parser().parse(make_doc(b"\x01dpa0001 1 pl 0\x02   \x03"))
