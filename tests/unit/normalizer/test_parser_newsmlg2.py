"""NewsML-G2 parser: newsItem with NITF/XHTML, packageItem, newsMessage, cancels, hostile XML."""

from __future__ import annotations

import pytest

from services.normalizer.parsers.base import EmptyDocument, HostileInput
from services.normalizer.parsers.newsmlg2 import NewsMLG2Parser

from .conftest import assert_valid_ninjs, fixture_file, make_doc, parse_path, shared_file

pytestmark = pytest.mark.unit


def test_news_item_with_inline_nitf() -> None:
    name, [article] = parse_path(shared_file("newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml"))
    assert name == "newsml-g2"
    assert article.id == "urn:newsml:acmenews.com:20161121:US-FINANCE-FED"
    assert article.version == 11
    assert article.headline == 'Fed to halt QE to avert "bubble"'
    assert [s.qcode for s in article.subjects] == [
        "medtop:04000000", "medtop:20000350", "medtop:20000379"]
    assert article.subjects[0].scheme == "medtop"
    assert article.byline[0].name == "Meredith Jameson"
    assert article.located == "New York, NY"
    assert article.sources == ("Associated Press",)
    assert len(article.paragraphs) == 2
    assert article.version_created is not None
    assert article.version_created.utcoffset() is not None
    assert_valid_ninjs(article)


def test_signals_and_embargo_from_item_meta() -> None:
    _, [article] = parse_path(shared_file("newsml-g2/LISTING_1_A_NewsML-G2_News_Item.xml"))
    assert "update" in article.signals and "embargo" in article.signals
    assert article.embargoed_until is not None
    assert article.extra["slugline"] == "US-Finance-Fed"


def test_package_item_lists_its_items_as_related() -> None:
    _, [article] = parse_path(shared_file("newsml-g2/LISTING_6_Simple_NewsML-G2_Package.xml"))
    assert article.type == "composite"
    assert [r.headline for r in article.related] == [
        "Obama annonce son équipe", "Barack Obama arrive à Washington"]
    assert_valid_ninjs(article)


def test_picture_item_keeps_caption() -> None:
    _, [article] = parse_path(shared_file("newsml-g2/LISTING_3_Photo_in_NewsML-G2.xml"))
    assert article.type == "picture"
    assert article.headline.startswith("Variety Of Recessionary Forces")


def test_news_message_with_update_cancel_and_concept() -> None:
    _, articles = parse_path(fixture_file("newsml-g2/news_message.xml"))
    assert len(articles) == 2
    story, kill = articles
    assert story.signals == ("correction",)
    assert story.subheads == ("Streit ums Geld",)
    assert "<script" not in story.body_html and "onclick" not in story.body_html
    assert story.mentioned_dates[0] == "2025-01-23"
    assert kill.pubstatus == "canceled" and "cancel" in kill.signals
    assert kill.id == "urn:newsml:example.com:20250120:alt" and kill.version == 2
    for article in articles:
        assert_valid_ninjs(article)


@pytest.mark.parametrize(
    "listing",
    ["LISTING_10_Abstract_Concept_conveyed_in_a_NewsML-G2_Concept_Item.xml",
     "LISTING_17_Planning_Item_a_CCL.xml", "LISTING_29_Hop_History.xml"],
)
def test_items_without_an_article_are_rejected(listing: str) -> None:
    with pytest.raises(EmptyDocument):
        parse_path(shared_file(f"newsml-g2/{listing}"))


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_entity_declarations_are_hostile(name: str) -> None:
    doc = make_doc(fixture_file(f"newsml-g2/{name}").read_bytes(), "application/xml")
    with pytest.raises(HostileInput):
        NewsMLG2Parser().parse(doc)


def test_utf16_entity_declaration_is_caught_after_parsing() -> None:
    text = fixture_file("newsml-g2/xxe.xml").read_text().replace('<?xml version="1.0"?>', "")
    with pytest.raises(HostileInput):
        NewsMLG2Parser().parse(make_doc(text.encode("utf-16")))
