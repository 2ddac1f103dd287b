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
