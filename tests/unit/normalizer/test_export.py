"""Every shared wire sample exports valid ninjs 2.2 or is rejected with a stated reason."""

from __future__ import annotations

import json

import pytest

from services.normalizer.__main__ import main
from services.normalizer.export import EXTRA_ROLE, as_uri, to_ninjs
from services.normalizer.ninjs_schema import errors, is_valid
from services.normalizer.parsers.base import EmptyDocument, ParseError, UnsupportedFormat
from shared.events import CanonicalArticle, Subject

from .conftest import WIRES, parse_path, shared_file

pytestmark = pytest.mark.unit

# Shared samples outside the ninjs test suite that hold no article, and why.
REJECTED: dict[str, type[ParseError]] = {
    **{f"newsml-g2/{name}": EmptyDocument for name in (
        # concept, knowledge, catalog and planning items describe concepts or coverage
        "LISTING_10_Abstract_Concept_conveyed_in_a_NewsML-G2_Concept_Item.xml",
        "LISTING_11_Person_Concept_conveyed_in_a_NewsML-G2_Concept_Item.xml",
        "LISTING_12_Knowledge_Item_for_Access_Codes.xml",
        "LISTING_13_Complete_Catalog_Item.xml",
        "LISTING_14_Event_sent_as_a_Concept_Item.xml",
        "LISTING_15_Two_Related_Events_in_a_Knowledge_Item.xml",
        "LISTING_17_Planning_Item_a_CCL.xml",
        "LISTING_18_Planning_Item_at_PCL.xml",
        "LISTING_19_Planning_Item_with_delivery_at_CCL.xml",
        "LISTING_20_Planning_Item_with_delivery_at_PCL.xml",
        # a newsItem carrying only event concepts, and one with metadata but no content
        "LISTING_16_A_Set_of_Events_carried_in_a_News_Item.xml",
        "LISTING_29_Hop_History.xml",
    )},
    # a JSON Schema, not a news item
    "ninjs/2.1/schema-extension/extension-schema.json": UnsupportedFormat,
}
ALL_SAMPLES = sorted(str(p.relative_to(WIRES)) for p in WIRES.rglob("*") if p.is_file())


def test_the_shared_samples_are_there() -> None:
    assert len(ALL_SAMPLES) == 297, "../shared/data/wires is missing or incomplete"


@pytest.mark.parametrize("relative", [s for s in ALL_SAMPLES if "test_suite" not in s])
def test_sample_exports_valid_ninjs_or_is_rejected(relative: str) -> None:
    path = shared_file(relative)
    if relative in REJECTED:
        with pytest.raises(REJECTED[relative]):
            parse_path(path)
        return
    _, articles = parse_path(path)
    assert articles
    for article in articles:
        document = to_ninjs(article)
        assert errors(document) == []
        assert json.loads(json.dumps(document)) == document


@pytest.mark.parametrize("relative", [s for s in ALL_SAMPLES if "test_suite" in s])
def test_suite_documents_parse_when_they_hold_an_article(relative: str) -> None:
    """Invalid-by-design documents: those with a headline or body still yield an article."""
    path = shared_file(relative)
    try:
        _, articles = parse_path(path)
    except EmptyDocument:
        data = json.loads(path.read_text(encoding="utf-8"))
        lowered = {k.lower() for k in data}
        assert not lowered & {"headline", "headlines", "body_text", "bodies", "body_html"} or (
            not any(data.get(k) for k in data if k.lower() in {"headline", "body_text"}))
        return
    except ParseError as exc:
        # Malformed JSON and documents without a uri are rejected outright.
        assert isinstance(exc, UnsupportedFormat) or "JSON" in str(exc)
        return
    for article in articles:
        assert is_valid(to_ninjs(article))


@pytest.mark.parametrize("version", ["1.0", "1.3", "2.0", "2.1", "2.2", "3.0", "3.1"])
def test_validator_agrees_with_the_reference_suite(version: str) -> None:
    for path in sorted((WIRES / "ninjs" / "test_suite" / version).rglob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            assert "should_fail" in str(path)
            continue
        valid = is_valid(document, version, check_formats=False)
        assert valid == ("should_pass" in str(path)), path


def test_export_maps_medtop_and_keeps_extra_losslessly() -> None:
    _, [article] = parse_path(shared_file("digitalwires/embargoed.json"))
    document = to_ninjs(article)
    medtop = [s for s in document["subjects"] if s["literal"] == "medtop:20000062"]
    assert medtop[0]["uri"] == "http://cv.iptc.org/newscodes/mediatopic/20000062"
    assert document["embargoed"] == "2025-01-23T19:00:00+01:00"
    extra = next(d for d in document["descriptions"] if d["role"] == EXTRA_ROLE)
    kept = json.loads(extra["value"])
    assert kept["extra"]["entry_id"] == "LEP5Vqg5SNFqqSeUdCOzfei2OvkEedvfnqr3Cwzhd0"
    assert kept["original_id"] == article.original_id
    html = next(b for b in document["bodies"] if b["contenttype"] == "text/html")
    assert html["wordcount"] == article.word_count and html["charcount"] == article.char_count
    plain = next(b for b in document["bodies"] if b["contenttype"] == "text/plain")
    assert plain["value"].startswith("Bundespräsident Frank-Walter Steinmeier")


def test_export_of_awkward_values_is_still_valid() -> None:
    article = CanonicalArticle(
        id="src:1", uri="not a uri", source="src", format="test", headline="H",
        subjects=(Subject(qcode="medtop:04000000", relevance=0.333),
                  Subject(qcode="free text", scheme="literal")),
        extra={"urgency": 3, "slugline": "x", "nested": {"deep": [1, 2, {"k": None}]}},
    )
    document = to_ninjs(article)
    assert document["uri"] == as_uri("not a uri") == "urn:newswire:not%20a%20uri"
    assert document["urgency"] == 3 and document["slugline"] == "x"
    assert errors(document) == []


def test_cli_prints_ninjs(capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_file("newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml")
    assert main(["parse", str(path), "--format", "ninjs"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert is_valid(document)


def test_cli_reports_rejection(capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_file("newsml-g2/LISTING_29_Hop_History.xml")
    assert main(["parse", str(path)]) == 2
    assert "empty_document" in capsys.readouterr().err
