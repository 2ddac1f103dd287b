"""HTML page parser: trafilatura body, JSON-LD and OpenGraph metadata, boilerplate removal."""

from __future__ import annotations

import pytest

from services.normalizer.parsers.base import ParseError
from services.normalizer.parsers.html import HtmlPageParser

from .conftest import SHARED, assert_valid_ninjs, fixture_file, make_doc, parse_path

pytestmark = pytest.mark.unit


def test_news_article_page() -> None:
    name, [article] = parse_path(fixture_file("html/article.html"))
    assert name == "html"
    assert article.headline == "Stadtrat beschließt neuen Radweg"  # JSON-LD beats og:title
    assert [p.name for p in article.byline] == ["Eva Schmidt", "Tom Berg"]
    assert article.first_created is not None
    assert article.first_created.isoformat() == "2025-01-21T09:30:00+01:00"
    assert article.url == "https://example.org/lokales/radweg-123"
    assert article.images[0].url == "https://example.org/img/radweg-large.jpg"
    assert article.language == "de-DE"
    assert article.extra["section"] == "Lokales"
    assert article.keywords == ("Radweg", "Stadtrat", "Verkehr")
    assert article.subheads == ("Bauzeit bis Herbst",)
    text = article.body_text
    assert "Oberbürgermeisterin Klara Neumann" in text
    assert "Ausstellung im Rathaus" in text
    for furniture in ("Radfahrer fordern mehr Platz", "Newsletter abonnieren", "Cookies"):
        assert furniture not in text
    assert_valid_ninjs(article)


def test_declared_charset_wins() -> None:
    page = "<html><head><title>Größe</title></head><body><p>Äpfel und Birnen</p></body></html>"
    doc = make_doc(page.encode("latin-1"), "text/html; charset=iso-8859-1")
    [article] = HtmlPageParser().parse(doc)
    assert article.headline == "Größe"


def test_trafilatura_eval_page() -> None:
    path = SHARED / "data" / "extraction" / "trafilatura-eval" / "cache"
    path = path / "reuters.com.parasite.html"
    assert path.is_file(), path
    [article] = HtmlPageParser().parse(make_doc(path.read_bytes(), "text/html"))
    assert article.word_count > 200
    assert_valid_ninjs(article)


def test_not_html_at_all() -> None:
    with pytest.raises(ParseError):
        HtmlPageParser().parse(make_doc(b"", "text/html"))


def _blocks_of(xml: str) -> list[str]:
    from lxml import etree

    from services.normalizer.parsers.html_blocks import body_blocks

    return [b.text for b in body_blocks(etree.fromstring(xml))]


def test_loose_text_between_blocks_is_kept_as_a_paragraph() -> None:
    blocks = _blocks_of("<body>Lead text<p>First.</p>Loose running text.<head>Sub</head></body>")
    assert blocks == ["Lead text", "First.", "Loose running text.", "Sub"]


def test_soft_hyphens_and_zero_width_characters_are_removed() -> None:
    xml = "<body><p>Kiess\u00adling hat vie\u00adle\u200b Ent\u00addeckungen</p></body>"
    assert _blocks_of(xml) == ["Kiessling hat viele Entdeckungen"]


def test_advertising_captions_and_read_also_lines_are_dropped() -> None:
    blocks = _blocks_of(
        "<body><p>Anzeige, enthält Affiliate Links</p><p>The council met on Monday.</p>"
        "<p>Abbildung 4: Eine Schicht im Schnee.</p><p>À lire aussi » Un autre article</p>"
        "<p>Skier in action. © AFP / JANE DOE</p><p>It voted for the plan.</p></body>")
    assert blocks == ["The council met on Monday.", "It voted for the plan."]


def test_a_closing_more_on_this_section_is_cut() -> None:
    body = "".join(f"<p>Paragraph {i} of the story goes on.</p>" for i in range(6))
    blocks = _blocks_of(f"<body>{body}<p>Schon gelesen?</p><p>Another story</p></body>")
    assert blocks == [f"Paragraph {i} of the story goes on." for i in range(6)]
    # Early in the text a short "Kommentare" line is a subject of the story, not an opener.
    early = _blocks_of(f"<body><p>Intro here.</p><p>Kommentare</p>{body}</body>")
    assert "Kommentare" in early


def test_a_copied_page_container_is_read_paragraph_by_paragraph() -> None:
    blocks = _blocks_of(
        "<body><div><h2>Title</h2><div><p>First paragraph.</p>Loose</div>"
        "<section><p>Second paragraph.</p></section></div></body>")
    assert blocks == ["Title", "First paragraph.", "Loose", "Second paragraph."]


def test_newsletter_plugs_and_contact_lines_are_dropped() -> None:
    blocks = _blocks_of(
        "<body><p>The bridge reopens on Monday.</p><p>Lust auf mehr? Unser Musiknewsletter.</p>"
        "<p>Write to us at desk@example.org or on social media.</p>"
        "<p>Pressekontakt: Jane Doe</p><p>Traffic will be light.</p></body>")
    assert blocks == ["The bridge reopens on Monday.", "Traffic will be light."]


def test_a_kicker_before_the_repeated_headline_is_not_body() -> None:
    from services.normalizer.parsers.html import _repeats_headline

    headline = "Mehr Transparenz bei Preisanpassungen"
    assert _repeats_headline(f"Thema Verbraucherschutz {headline}", headline)
    long_lead = f"A first paragraph, far longer than any kicker could be, ends with {headline}"
    assert not _repeats_headline(long_lead, headline)
