"""Golden tests of plain-text articles in several languages, and what sniffing sends elsewhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.normalizer.__main__ import main as cli_main
from services.normalizer.parsers.base import EmptyDocument, UnsupportedFormat
from services.normalizer.parsers.plaintext import PlainTextParser, byline_of, date_line
from services.normalizer.parsers.registry import select
from shared.events import CanonicalArticle

from .conftest import FIXTURES, assert_valid_ninjs, fixture_file, make_doc

pytestmark = pytest.mark.unit
ARTICLES = sorted((FIXTURES / "plaintext").glob("*.txt"))


def summary(article: CanonicalArticle) -> dict[str, Any]:
    """The fields a golden file pins: what a reader of a plain-text article gets."""
    return {
        "format": article.format,
        "headline": article.headline,
        "teaser": article.teaser,
        "byline": [p.name for p in article.byline],
        "version_created": (
            article.version_created.isoformat() if article.version_created else None
        ),
        "stated_date": article.extra.get("stated_date"),
        "body": [[b.kind, b.text] for b in article.body],
    }


def test_there_are_articles_in_several_languages() -> None:
    assert len(ARTICLES) >= 6


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    doc = make_doc(path.read_bytes(), "text/plain")
    parser = select(doc)
    [article] = parser.parse(doc)
    golden = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert summary(article) == golden
    assert_valid_ninjs(article)


@pytest.mark.parametrize("content_type", [None, "application/octet-stream", "text/plain"])
def test_plain_text_is_sniffed_without_or_with_a_wrong_content_type(
    content_type: str | None,
) -> None:
    doc = make_doc(fixture_file("plaintext/en_harbour.txt").read_bytes(), content_type)
    assert select(doc).name == "plaintext"


def test_page_text_layout_keeps_its_parser(seed_bytes: bytes) -> None:
    for content_type in ("text/plain", None):
        assert select(make_doc(seed_bytes, content_type)).name == "pagetext"
    for name in ("zoo.txt", "bahnstreik.txt", "abu-dhabi.txt"):
        payload = fixture_file(f"pagetext/{name}").read_bytes()
        assert select(make_doc(payload, "text/plain")).name == "pagetext"


def test_iptc7901_keeps_its_parser_when_sent_as_text_plain() -> None:
    payload = fixture_file("iptc7901/dpa_cp1252.txt").read_bytes()
    assert select(make_doc(payload, "text/plain")).name == "iptc7901"
    telex = b"ZCZC dpa0042 4 pl 120 WETTER\nSturm erreicht die Nordsee\n\nText.\nNNNN\n"
    assert select(make_doc(telex, "text/plain")).name == "iptc7901"


def test_binary_and_markup_are_not_plain_text() -> None:
    parser = PlainTextParser()
    assert not parser.can_parse(make_doc(b"\x00\x01not a document\xff" * 3, "text/plain"))
    assert not parser.can_parse(make_doc(b"\x89PNG\r\n\x1a\n", "text/plain"))
    assert not parser.can_parse(make_doc(b"<p>Hello there world</p>", "text/plain"))
    with pytest.raises(UnsupportedFormat):
        select(make_doc(b"\x00\x01not a document\xff" * 3, "text/plain"))


def test_blank_text_is_an_empty_document() -> None:
    with pytest.raises(EmptyDocument):
        PlainTextParser().parse(make_doc(b"\n \n\t\n", "text/plain"))


@pytest.mark.parametrize(
    ("line", "names", "after"),
    [
        ("By Jane Doe", ["Jane Doe"], None),
        ("By Jane Doe, Reuters", ["Jane Doe"], None),
        ("Von Anna Berg und Emil Kranz | 1. Dezember 2026", ["Anna Berg", "Emil Kranz"],
         "1. Dezember 2026"),
        ("Door Sanne de Vries", ["Sanne de Vries"], None),
        ("By the time the rain stopped, nobody was left", [], None),
        ("Par ailleurs, la ville a voté le budget.", [], None),
    ],
)
def test_bylines(line: str, names: list[str], after: str | None) -> None:
    assert byline_of(line) == (names, after)


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Published: 2026-11-30T08:00:00+01:00", "2026-11-30T08:00:00+01:00"),
        ("Pubblicato il 4 dicembre 2026", "2026-12-04T00:00:00+00:00"),
        ("Gepubliceerd op 5 december 2026 14:30", "2026-12-05T14:30:00+00:00"),
        ("11/30/2026", "2026-11-30T00:00:00+00:00"),
        ("30.11.2026, 18:45 Uhr", "2026-11-30T18:45:00+01:00"),
        ("Dec. 1, 2026 3:05 p.m. GMT", "2026-12-01T15:05:00+00:00"),
    ],
)
def test_date_lines(line: str, iso: str) -> None:
    found = date_line(line)
    assert found is not None
    assert found[0].isoformat() == iso


def test_a_sentence_with_a_date_is_not_a_date_line() -> None:
    assert date_line("The council met on 30 November 2026 to discuss the new budget plan.") is None


def test_cli_parses_a_plain_text_article(capsys: pytest.CaptureFixture[str]) -> None:
    path = fixture_file("plaintext/fr_velos.txt")
    assert cli_main(["parse", str(path), "--content-type", "text/plain"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["format"] == "plaintext"
    assert printed["byline"][0]["name"] == "Camille Bertrand"
