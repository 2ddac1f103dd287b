"""The explicit registry: unique names, content-type claims confirmed by sniffing."""

from __future__ import annotations

import pytest

from services.normalizer.parsers.base import UnsupportedFormat
from services.normalizer.parsers.ninjs import NinjsParser
from services.normalizer.parsers.registry import PARSERS, DuplicateParser, build_registry, select

from .conftest import make_doc, shared_file

pytestmark = pytest.mark.unit


def test_duplicate_names_are_rejected() -> None:
    with pytest.raises(DuplicateParser):
        build_registry([NinjsParser(), NinjsParser()])


def test_every_format_is_registered() -> None:
    assert set(PARSERS) >= {"pagetext", "html", "newsml-g2", "nitf", "nitf-ntb", "newsml1",
                            "ninjs", "feed", "jsonfeed", "digitalwires", "iptc7901"}


@pytest.mark.parametrize(
    ("relative", "content_type", "expected"),
    [
        ("newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml", "text/plain", "newsml-g2"),
        ("nitf/NTB_nitf_sample.xml", "application/xml", "nitf-ntb"),
        ("digitalwires/eil.json", "application/json", "digitalwires"),
        ("feeds/feed.json", None, "jsonfeed"),
        ("feeds/feed2.rss", "application/xml", "feed"),
        ("ninjs/2.1/ap_image.json", "application/json", "ninjs"),
    ],
)
def test_wrong_or_missing_content_type_is_sniffed(
    relative: str, content_type: str | None, expected: str
) -> None:
    doc = make_doc(shared_file(relative).read_bytes(), content_type)
    assert select(doc).name == expected


def test_unknown_bytes_are_unsupported() -> None:
    with pytest.raises(UnsupportedFormat):
        select(make_doc(b"\x89PNG\r\n\x1a\n", "image/png"))
