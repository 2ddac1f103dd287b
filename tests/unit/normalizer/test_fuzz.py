"""Property tests: arbitrary and mutated input never raises anything but ParseError."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.normalizer.export import to_ninjs
from services.normalizer.ninjs_schema import is_valid
from services.normalizer.parsers.base import ParseError
from services.normalizer.parsers.registry import PARSERS
from services.normalizer.pipeline import normalize
from shared.events import RawArticle

from .conftest import FIXTURES, WIRES, make_doc

pytestmark = pytest.mark.unit

SEEDS = [
    WIRES / "newsml-g2" / "LISTING_2_NewsML-G2_Text_Document.xml",
    WIRES / "nitf" / "NTB_nitf_sample.xml",
    WIRES / "nitf" / "afp.com_newsml1.2_sample.xml",
    WIRES / "ninjs" / "3.0" / "dpa_text.json",
    WIRES / "ninjs" / "1.4" / "ninjsExComplex1.json",
    WIRES / "digitalwires" / "embargoed.json",
    WIRES / "feeds" / "feed2.rss",
    WIRES / "feeds" / "feed.json",
    FIXTURES / "html" / "article.html",
    FIXTURES / "iptc7901" / "dpa_cp1252.txt",
    FIXTURES / "newsml-g2" / "news_message.xml",
]
SEED_BYTES = [path.read_bytes()[:6000] for path in SEEDS]
CONTENT_TYPES = st.sampled_from(
    [None, "text/html", "application/xml", "application/json; charset=bogus",
     "text/plain; charset=utf-16", "application/nitf+xml", "application/rss+xml"]
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_BYTES)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at: at + draw(st.integers(1, 400))]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(
                [b"<", b"&", b"\x00", b'"$x":1,', b"<!ENTITY a 'b'>", b"]]>", b"\xff\xfe", b"{"]))
        else:
            data[at:at] = data[at: at + 200]
    return bytes(data)


def _check(payload: bytes, content_type: str | None) -> None:
    for parser in PARSERS.values():
        doc = make_doc(payload, content_type)
        try:
            parser.can_parse(doc)
            articles = parser.parse(doc)
        except ParseError:
            continue
        for article in articles:
            assert is_valid(to_ninjs(article))
    raw = RawArticle(id="r", source="fuzz", received_at=datetime(2025, 1, 1, tzinfo=UTC),
                     content_type=content_type or "application/octet-stream",
                     payload=payload, trace_id="t")
    with contextlib.suppress(ParseError):
        normalize(raw, max_bytes=1 << 20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(max_size=2048), content_type=CONTENT_TYPES)
def test_arbitrary_bytes(payload: bytes, content_type: str | None) -> None:
    _check(payload, content_type)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=mutated(), content_type=CONTENT_TYPES)
def test_mutated_fixtures(payload: bytes, content_type: str | None) -> None:
    _check(payload, content_type)
