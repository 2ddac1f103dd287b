"""NITF parser and its NTB quirk subclass."""

from __future__ import annotations

import pytest

from services.normalizer.parsers.base import ParseError
from services.normalizer.parsers.nitf import NitfParser

from .conftest import assert_valid_ninjs, fixture_file, make_doc, parse_path, shared_file

pytestmark = pytest.mark.unit


def test_ntb_sample_uses_oslo_time_and_stable_ntbid() -> None:
    name, [article] = parse_path(shared_file("nitf/NTB_nitf_sample.xml"))
    assert name == "nitf-ntb"
    assert article.id == "NTB5df9281a-a270-4dc5-a618-869bbc3bbca7" or article.id.endswith(
        "NTB5df9281a-a270-4dc5-a618-869bbc3bbca7")
    assert article.version_created is not None
    assert article.version_created.isoformat() == "2021-05-16T09:00:04+02:00"
    assert article.language == "nb-NO"
    assert article.located == "Unnao"
    assert "Myndighetene patruljerer langs elvebredden" in article.subheads
    assert article.copyright == "©NTB"
    assert article.images and article.images[0].caption is not None
    assert {s.qcode for s in article.subjects} == {"subj:07001000", "subj:07000000"}
    assert_valid_ninjs(article)


def test_namespaced_nitf() -> None:
    name, [article] = parse_path(fixture_file("nitf/namespaced.xml"))
    assert name == "nitf"
    assert article.headline == "Storm hits coast"
    assert article.byline[0].name == "Jane Roe"
    assert article.version == 2
    assert article.subheads == ("Damage",)
    assert article.version_created is not None
    assert article.version_created.isoformat() == "2025-01-21T08:15:00+00:00"
    assert article.mentioned_dates == ("2025-01-21",)


def test_truncated_nitf_is_a_parse_error() -> None:
    payload = fixture_file("nitf/namespaced.xml").read_bytes()[:400]
    with pytest.raises(ParseError):
        NitfParser().parse(make_doc(payload))
