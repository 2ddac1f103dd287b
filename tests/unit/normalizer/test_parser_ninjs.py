"""ninjs 1.x/2.x/3.x parser: golden values on the shared IPTC samples and the test suite."""

from __future__ import annotations

import pytest

from services.normalizer.parsers.base import EmptyDocument, ParseError, UnsupportedFormat
from services.normalizer.parsers.ninjs import NinjsParser

from .conftest import assert_valid_ninjs, make_doc, parse_path, shared_file

pytestmark = pytest.mark.unit


def test_ninjs_1x_body_xhtml_and_byline() -> None:
    name, [article] = parse_path(shared_file("ninjs/1.4/ninjsExSimpleText1.json"))
    assert name == "ninjs"
    assert article.headline == "Captain of wrecked cruise ship on trial in Italy"
    assert article.uri == "http://ninjs.example.com/newsitems/20130709simp123"
    assert len(article.paragraphs) == 4
    assert article.byline[0].name == "Paulo Santalucia and Frances d'Emilio"
    assert article.version_created is not None and article.version_created.tzinfo is not None
    assert article.word_count > 100 and article.content_hash.startswith("sha256:")
    assert_valid_ninjs(article)


def test_ninjs_3x_camel_case_keys_are_read() -> None:
    _, [article] = parse_path(shared_file("ninjs/3.0/dpa_text.json"))
    assert article.id == "urn:newsml:dpa.com:20090101:190510-99-167362"
    assert article.version == 2
    assert article.language == "de"
    assert article.version_created is not None
    assert article.version_created.isoformat() == "2019-05-10T16:02:28+02:00"
    assert article.byline[0].name == "Von Christian Hollmann, dpa"
    assert article.paragraphs[0].startswith("Für Lucien Favre")
    assert article.extra["copyrightHolder"] == "dpa"
    assert_valid_ninjs(article)


def test_ninjs_2x_subjects_and_descriptions() -> None:
    _, [article] = parse_path(shared_file("ninjs/2.1/ntb_text.json"))
    assert article.version == 6
    assert article.teaser is not None and article.teaser.startswith("IT-giganten Google")
    assert {s.qcode for s in article.subjects} >= {"subj:13010000", "subj:04011000"}
    assert article.extra["ednote"] == "Noe utvidet."
    assert_valid_ninjs(article)


def test_collection_yields_one_article_per_item() -> None:
    path = shared_file("ninjs/3.0/collection/20231016-event-timeline-sample.json")
    _, articles = parse_path(path)
    assert len(articles) > 1
    assert len({a.id for a in articles}) == len(articles)


def test_minimal_item_without_content_is_rejected() -> None:
    path = shared_file("ninjs/test_suite/1.0/should_pass/001_simplest_file.json")
    with pytest.raises(EmptyDocument):
        parse_path(path)


def test_canceled_status_spelled_the_british_way() -> None:
    doc = make_doc(b'{"uri": "urn:x:1", "headline": "Story", "pubstatus": "cancelled"}')
    [article] = NinjsParser().parse(doc)
    assert article.pubstatus == "canceled"
    assert "cancel" in article.signals


def test_broken_json_is_a_parse_error() -> None:
    path = shared_file("ninjs/test_suite/1.3/should_fail/006_bad_genre.json")
    with pytest.raises(ParseError):
        parse_path(path)


def test_json_schema_file_is_not_ninjs() -> None:
    with pytest.raises(UnsupportedFormat):
        parse_path(shared_file("ninjs/2.1/schema-extension/extension-schema.json"))
