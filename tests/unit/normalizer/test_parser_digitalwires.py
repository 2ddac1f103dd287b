"""dpa digitalwires parser: urn, version, signals, embargo, medtop, operator keys."""

from __future__ import annotations

import pytest

from shared.events import CanonicalArticle

from .conftest import assert_valid_ninjs, fixture_file, parse_path, shared_file

pytestmark = pytest.mark.unit


def test_embargoed_entry() -> None:
    name, [article] = parse_path(shared_file("digitalwires/embargoed.json"))
    assert name == "digitalwires"
    assert article.id == "urn:newsml:dpa.com:20090101:250123-930-353124"
    assert article.kicker == "Ausstellung"
    assert "embargo" in article.signals
    assert article.embargoed_until is not None
    assert article.embargoed_until.isoformat() == "2025-01-23T19:00:00+01:00"
    assert "medtop:20000062" in {s.qcode for s in article.subjects}
    assert article.located == "Berlin"
    assert article.related[0].url == "https://dpaq.de/FFJbkHx"
    assert "2025-06-22" in article.mentioned_dates  # "bis zum 22. Juni"
    assert_valid_ninjs(article)


@pytest.mark.parametrize(
    ("sample", "signal", "version"),
    [("dw-1.json", "correction", 2), ("with_dateline.json", "update", 2)],
)
def test_update_and_correction_keep_the_urn(sample: str, signal: str, version: int) -> None:
    _, [article] = parse_path(shared_file(f"digitalwires/{sample}"))
    assert signal in article.signals
    assert article.version == version
    assert article.id.startswith("urn:newsml:dpa.com:")


def test_byline_names_drop_the_agency() -> None:
    _, [article] = parse_path(shared_file("digitalwires/dw-1.json"))
    assert [p.name for p in article.byline] == ["Marco Krefting", "Sunrita Sen"]


def test_image_entry_is_a_picture() -> None:
    _, [article] = parse_path(shared_file("digitalwires/image.json"))
    assert article.type == "picture"
    assert article.images[0].url is not None
    assert article.teaser is not None and article.teaser.startswith("Caroline Kennedy")
    assert_valid_ninjs(article)


def test_operator_keys_are_neutralised_and_cancel_kept() -> None:
    _, [article] = parse_path(fixture_file("digitalwires/operator_keys.json"))
    assert isinstance(article, CanonicalArticle)
    assert "$where" not in article.extra and "\uff04where" in article.extra
    assert article.extra["vendor"] == {"a\uff0eb": 1, "\uff04set": {"x": 2}}
    assert article.pubstatus == "canceled"
    assert article.signals == ("update", "cancel")
    assert article.version == 3
    assert_valid_ninjs(article)
