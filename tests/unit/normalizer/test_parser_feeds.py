"""RSS/Atom parser via feedparser, including a Windows-1252 feed with hostile markup."""

from __future__ import annotations

import pytest

from services.normalizer.parsers.base import EmptyDocument, HostileInput, ParseError
from services.normalizer.parsers.feeds import FeedParser

from .conftest import assert_valid_ninjs, fixture_file, make_doc, parse_path, shared_file

pytestmark = pytest.mark.unit


def test_atom_entries() -> None:
    name, articles = parse_path(shared_file("feeds/feed1.atom"))
    assert name == "feed"
    headlines = [a.headline for a in articles]
    assert headlines == ["Atom-Powered Robots Run Amok", "Self-referenced link"]
    assert articles[0].id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert articles[0].version_created is not None
    assert articles[0].version_created.tzinfo is not None


def test_rss2_item() -> None:
    _, [article] = parse_path(shared_file("feeds/feed2.rss"))
    assert article.headline == "Example entry"
    assert article.url == "http://www.example.com/blog/post/1"
    assert article.id == "test:7bd204c6-1655-4c27-aeee-53f933c5395f"
    assert article.first_created is not None
    assert article.first_created.isoformat() == "2009-09-06T16:20:00+00:00"
    assert_valid_ninjs(article)


@pytest.mark.parametrize(
    "name", ["rss10.rdf", "rss20.xml", "rss20dc.xml", "atom03.xml", "atom10.xml"]
)
def test_feedparser_samples(name: str) -> None:
    _, articles = parse_path(shared_file(f"feeds/feedparser/{name}"))
    assert articles
    for article in articles:
        assert article.headline
        assert_valid_ninjs(article)


def test_cp1252_feed_is_decoded_and_sanitised() -> None:
    _, [article] = parse_path(fixture_file("feeds/cp1252.rss"))
    assert article.headline == "Sturm \u2013 Warnung für München"
    assert "<script" not in article.body_html
    assert article.keywords == ("Wetter",)
    assert article.language == "de"


def test_feed_without_items() -> None:
    with pytest.raises(EmptyDocument):
        FeedParser().parse(
            make_doc(b'<rss version="2.0"><channel><title>x</title></channel></rss>'))


def test_entity_declaration_in_feed_is_hostile() -> None:
    payload = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa">]><rss><channel/></rss>'
    with pytest.raises(HostileInput):
        FeedParser().parse(make_doc(payload))


def test_garbage_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        FeedParser().parse(make_doc(b"<rss>\x00\xff<<<"))
