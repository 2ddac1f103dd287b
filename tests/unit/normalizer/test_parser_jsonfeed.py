"""JSON Feed parser."""

from __future__ import annotations

import pytest

from services.normalizer.parsers.base import ParseError
from services.normalizer.parsers.jsonfeed import JsonFeedParser

from .conftest import assert_valid_ninjs, make_doc, parse_path, shared_file

pytestmark = pytest.mark.unit


def test_npr_json_feed() -> None:
    name, articles = parse_path(shared_file("feeds/feed.json"))
    assert name == "jsonfeed"
    assert len(articles) == 25
    first = articles[0]
    assert first.headline == "Keller Rinaudo: How can delivery drones save lives?"
    assert first.id == "test:1050315385"
    assert first.url is not None and first.url.startswith("https://www.npr.org/2021/10/29/")
    assert first.images and first.images[0].url is not None
    assert first.first_created is not None and first.first_created.tzinfo is not None
    for article in articles:
        assert_valid_ninjs(article)


def test_items_must_be_a_list() -> None:
    with pytest.raises(ParseError):
        JsonFeedParser().parse(
            make_doc(b'{"version": "https://jsonfeed.org/version/1", "items": 3}'))
