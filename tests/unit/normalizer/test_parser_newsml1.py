"""NewsML 1.2 parser on the AFP sample."""

from __future__ import annotations

import pytest

from .conftest import assert_valid_ninjs, parse_path, shared_file

pytestmark = pytest.mark.unit


def test_afp_newsml12() -> None:
    name, [article] = parse_path(shared_file("nitf/afp.com_newsml1.2_sample.xml"))
    assert name == "newsml1"
    # The revision is not part of the id, so later revisions update the same article.
    assert article.id == "urn:newsml:afp.com:20210516T080625Z:TX-PAR-WGF71"
    assert article.extra["public_identifier"].endswith(":1")
    assert article.headline == "Israel strikes key Hamas targets as UN Security Council to meet"
    assert "update" in article.signals
    assert article.located == "Gaza City"
    assert "subj:11000000" in {s.qcode for s in article.subjects}
    assert article.keywords == ("Israel", "Palestinians", "conflict")
    assert "- Media offices destroyed -" in article.subheads
    assert article.first_created is not None and article.first_created.tzinfo is not None
    assert "2021-05-15" in article.mentioned_dates  # "Saturday" before Sunday 16 May
    assert_valid_ninjs(article)
