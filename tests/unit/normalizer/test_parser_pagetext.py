"""Golden tests of the page-text layout: the seed page and our own articles in the same layout."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.normalizer.parsers.base import ParseError, ParseInput
from services.normalizer.parsers.pagetext import PageTextParser, split_byline_caption
from services.normalizer.parsers.registry import select
from shared.events import CanonicalArticle
from tests.conftest import FIXTURES

pytestmark = pytest.mark.unit
PARSER = PageTextParser()
WHEN = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)


def parse(payload: bytes, content_type: str | None = "text/plain") -> CanonicalArticle:
    doc = ParseInput(payload=payload, content_type=content_type, source="test", received_at=WHEN)
    assert select(doc).name == "pagetext"
    [article] = PARSER.parse(doc)
    return article


def fixture(name: str) -> bytes:
    return (FIXTURES / "pagetext" / name).read_bytes()


def test_seed_every_element(seed_bytes: bytes) -> None:
    a = parse(seed_bytes, content_type=None)
    assert a.kicker == "Ukraine-Krieg"
    assert a.headline.startswith("Signal der Annäherung? Kreml bestätigt")
    assert a.version_created is None  # "Aktualisiert:" is empty: no date invented
    assert [p.name for p in a.byline] == ["Emre Bölükbasi"]
    [image] = a.images
    assert image.caption is not None
    assert image.caption.startswith("Die Gespräche zwischen dem russischen Präsidenten Putin")
    assert image.caption.endswith("(Archivbild)")
    assert image.credit == "via REUTERS"
    assert a.teaser is not None
    assert a.teaser.startswith("Ist vielleicht ein diplomatischer Durchbruch in Sicht?")
    assert len(a.key_points) == 3
    assert a.key_points[0].startswith("Der Kreml erwartet ein Treffen")
    assert a.subheads == ("Vorausgegangene Gespräche in Davos",
                          "Trumps Friedensbemühungen für die Ukraine")
    assert len(a.paragraphs) == 7
    assert a.paragraphs[0].startswith("Moskau rechnet nach Kremlangaben")
    assert a.paragraphs[-1].startswith("Witkoff und Kushner waren zuletzt im Dezember")
    assert a.ai_assisted is True
    assert a.ai_disclosure is not None and "Künstlicher Intelligenz" in a.ai_disclosure
    assert a.sources == ("Nachrichtenagentur dpa",)
    body = a.body_text
    for junk in ("Auch in den News", "newstime", "Mehr entdecken", "Verwendete Quellen",
                 "Künstlicher Intelligenz", "Emre"):
        assert junk not in body
    assert len(a.related) == 6
    assert a.related[4].kicker == "In Abu Dhabi"
    assert a.related[4].headline == "Witkoff kündigt neue Ukraine-Gespräche für kommende Woche an"
    assert a.related[0].kicker == '"Zu 100 Prozent"'
    assert all(r.url is None and r.resolved_id is None for r in a.related)
    assert a.mentioned_dates == ("2026-01-22", "2026-01-20")
    assert a.language == "de"
    assert "<h2>Vorausgegangene Gespräche in Davos</h2>" in a.body_html
    assert a.word_count > 150
    assert a.content_hash.startswith("sha256:")


def test_two_authors_glued_name_with_inner_capital_and_date() -> None:
    a = parse(fixture("bahnstreik.txt"))
    assert a.kicker == "Tarifkonflikt"
    assert [p.name for p in a.byline] == ["Anna Berg", "Jonas McAllister"]
    assert a.images[0].caption == (
        "Leere Gleise im Leipziger Hauptbahnhof am frühen Morgen. (Symbolbild)"
    )
    assert a.images[0].credit == "picture alliance/dpa"
    assert a.version_created is not None
    assert a.version_created.isoformat() == "2026-03-14T09:15:00+01:00"
    assert len(a.key_points) == 3
    assert a.subheads == ("Wie geht es weiter?",)
    assert a.sources == ("Nachrichtenagentur dpa", "Deutsche Bahn")
    assert a.ai_assisted is False and a.ai_disclosure is None
    assert [(r.kicker, r.headline) for r in a.related] == [
        ("Nach Rekordwinter", "Heizkosten: Was Mieter jetzt nachzahlen müssen"),
        ("Bundesliga", "Späte Tore entscheiden das Spitzenspiel"),
    ]
    assert "2026-03-16" in a.mentioned_dates
    assert "newstime" not in a.body_text


def test_question_subhead_is_a_subhead() -> None:
    # A subhead may end in '?'; it is short, alone and followed by running text.
    a = parse(fixture("bahnstreik.txt"))
    kinds = [(b.kind, b.text[:20]) for b in a.body]
    assert ("subhead", "Wie geht es weiter?") in kinds


def test_no_byline_no_key_points_box_label_dropped() -> None:
    a = parse(fixture("zoo.txt"))
    assert a.byline == ()
    assert a.images[0].caption is None and a.images[0].credit == "Zoo Köln"
    assert a.key_points == ()
    assert a.teaser is not None and a.teaser.startswith("Im Kölner Zoo")
    assert a.subheads == ("Besucher brauchen Geduld",)
    assert "Auch in den News" not in a.body_text
    assert a.extra["dropped_lines"] == ["Auch in den News:"]
    assert a.related == ()


def test_followup_article_links_and_ai_flag() -> None:
    a = parse(fixture("abu-dhabi.txt"))
    assert a.headline == "Witkoff kündigt neue Ukraine-Gespräche für kommende Woche an"
    assert a.ai_assisted is True
    assert a.sources == ("Nachrichtenagentur dpa", "Nachrichtenagentur Reuters")
    assert a.subheads == ("Reaktionen aus Kiew",)
    assert len(a.related) == 1


@pytest.mark.parametrize(
    ("glued", "names", "caption"),
    [
        ("Emre BölükbasiDie Gespräche laufen.", ["Emre Bölükbasi"], "Die Gespräche laufen."),
        ("Jonas McAllisterDer Kanzler spricht.", ["Jonas McAllister"], "Der Kanzler spricht."),
        ("Anna Berg, Tim OsterUS-Chef spricht.", ["Anna Berg", "Tim Oster"], "US-Chef spricht."),
        ("Anna Berg", ["Anna Berg"], None),
    ],
)
def test_split_byline_caption(glued: str, names: list[str], caption: str | None) -> None:
    assert split_byline_caption(glued) == (names, caption)


def test_same_layout_sniffed_without_content_type() -> None:
    doc = ParseInput(payload=fixture("zoo.txt"), content_type=None, source="t", received_at=WHEN)
    assert PARSER.can_parse(doc)


def test_headline_only_is_an_error() -> None:
    doc = ParseInput(payload=b"Kicker\nNur eine Zeile\nAktualisiert:\nBild: x\n",
                     content_type="text/plain", source="t", received_at=WHEN)
    with pytest.raises(ParseError):
        PARSER.parse(doc)


def test_stable_id_across_versions() -> None:
    first = parse(fixture("bahnstreik.txt"))
    edited = fixture("bahnstreik.txt").replace(b"mehrere tausend", b"rund 5000")
    assert parse(edited).id == first.id
    assert parse(edited).content_hash != first.content_hash
