"""Pure contract code: ids, the raw envelope, DLQ headers, key sanitising, topics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.dlq import H_EXC_MESSAGE, H_OFFSET, H_PARTITION, H_REASON, H_TOPIC, Origin, dead_letter
from shared.envelope import EnvelopeError, from_record, to_headers
from shared.events import CanonicalArticle, RawArticle
from shared.ids import article_id, payload_id
from shared.sanitize import PayloadTooLarge, check_size, clean_html, clean_text, safe_keys
from shared.settings import CommonSettings
from shared.topics import Topics, TopicSettings

pytestmark = pytest.mark.unit


def test_ids_prefer_guid_then_url_then_headline() -> None:
    assert article_id("dpa", guid="urn:newsml:dpa.com:1") == "urn:newsml:dpa.com:1"
    assert article_id("dpa", guid="123") == "dpa:123"
    by_url = article_id("site", url="https://x.test/a")
    assert by_url == article_id("site", url="https://x.test/a", headline="other")
    assert by_url != article_id("other", url="https://x.test/a")
    assert article_id("s", headline="Ein  Titel") == article_id("s", headline="ein titel")
    with pytest.raises(ValueError, match="needs a guid"):
        article_id("s")
    assert payload_id("s", b"a") != payload_id("s", b"b")


def test_envelope_round_trip_and_errors() -> None:
    raw = RawArticle(id="x", source="dpa", received_at=datetime(2026, 1, 1, tzinfo=UTC),
                     content_type="application/json", payload=b"{}", url="https://a.test",
                     trace_id="t")
    headers = {k: v.encode() for k, v in to_headers(raw).items()}
    assert from_record(b"{}", headers) == raw
    with pytest.raises(EnvelopeError, match="nw-source"):
        from_record(b"{}", {})
    with pytest.raises(EnvelopeError, match="timezone"):
        from_record(b"{}", {"nw-source": b"a", "nw-received-at": b"2026-01-01T00:00:00"})
    # An agency may send only the source: id falls back to the key, then the content hash.
    minimal = from_record(b"<x/>", {"nw-source": b"afp"}, key=b"afp-77")
    assert minimal.id == "afp-77" and minimal.received_at.tzinfo is not None


def test_dead_letter_keeps_bytes_and_context() -> None:
    try:
        raise ValueError("bad thing")
    except ValueError as exc:
        letter = dead_letter(value=b"\xff\x00", origin=Origin("news.raw", 2, 41, b"k", {"a": "b"}),
                             service="normalizer", stage="normalize", handler="H",
                             reason="parse_error", exc=exc)
    assert letter.value == b"\xff\x00" and letter.key == b"k"
    assert letter.headers[H_TOPIC] == "news.raw"
    assert letter.headers[H_PARTITION] == "2" and letter.headers[H_OFFSET] == "41"
    assert letter.headers[H_EXC_MESSAGE] == "bad thing"
    assert letter.headers[H_REASON] == "parse_error"
    assert letter.headers["a"] == "b"


def test_operator_keys_neutralised_and_rejected() -> None:
    cleaned = safe_keys({"$where": 1, "a.b": {"$gt": [{"$ne": 1}]}})
    assert cleaned == {"\uff04where": 1, "a\uff0eb": {"\uff04gt": [{"\uff04ne": 1}]}}
    with pytest.raises(ValidationError, match="unsafe key"):
        CanonicalArticle(id="a", uri="a", source="s", format="f", headline="h",
                         extra={"$set": {"x": 1}})


def test_markup_neutralised() -> None:
    html = clean_html(
        '<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:x">l</a></p>'
    )
    assert "script" not in html and "onclick" not in html and "javascript" not in html
    assert clean_text("<b>Fett</b>\x00 und   <i>kursiv</i>") == "Fett und kursiv"
    with pytest.raises(PayloadTooLarge):
        check_size(b"x" * 11, 10)


def test_topic_names() -> None:
    plain, spaced = Topics(), TopicSettings(namespace="t1.").names()
    assert (plain.raw, plain.dlq, spaced.raw, spaced.dlq) == (
        "news.raw", "news.dlq", "t1.news.raw", "t1.news.dlq")
    assert len(set(plain.all_core)) == 7
    assert all(name.startswith("t1.news.") for name in spaced.all_core)
    assert spaced.enriched_for("Conflict, war and peace") == (
        "t1.news.enriched.conflict-war-and-peace"
    )
    with pytest.raises(ValueError, match="no usable"):
        plain.enriched_for("!!!")


def test_topic_names_come_from_the_settings_when_read_not_at_import(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_TOPIC_NAMESPACE", "later.")
    assert CommonSettings().topics.names().canonical == "later.news.canonical"
