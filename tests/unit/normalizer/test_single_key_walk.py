"""One key walk per article, child lookups and entity checks: same results as the old code."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError

from services.normalizer.parsers import common, markup
from services.normalizer.parsers.base import HostileInput, ParseInput
from services.normalizer.parsers.newsml1 import _first_children
from shared.events import EXTRA_WALK, CanonicalArticle
from shared.sanitize import clean_text, safe_keys

pytestmark = pytest.mark.unit

NOW = datetime(2025, 1, 1, tzinfo=UTC)
DOC = ParseInput(payload=b"", content_type=None, source="test", received_at=NOW)


def _build(extra: dict[Any, Any]) -> CanonicalArticle:
    return common.build_article(DOC, parser="test", headline="Headline", extra=extra)


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize("extra", [
    {}, {"a": 1}, {"$where": 1}, {"a.b": {"c": 1}}, {"a": [{"$x": 1}]}, {"a\x00": 1},
    {1: "int key"}, _nested(59), _nested(61), _nested(70),
])
def test_build_article_extra_is_what_safe_keys_gives(extra: dict[Any, Any]) -> None:
    needs = common.unsafe_keys_within(extra, 60) is not False
    expected = dict(safe_keys(extra)) if needs else extra
    assert _build(extra).extra == expected


@pytest.mark.parametrize("extra", [{"$where": 1}, {"a": {"b.c": 1}}, {"a": [[{"$x": 1}]]}])
def test_the_model_still_rejects_unsafe_keys_on_every_path(extra: dict[str, Any]) -> None:
    base = {"id": "x", "uri": "x", "source": "s", "format": "f", "headline": "h", "extra": extra}
    with pytest.raises(ValidationError):
        CanonicalArticle(**base)
    # The context only carries the walk's answer out; it never skips the check.
    for context in (None, {}, {EXTRA_WALK: False}, {EXTRA_WALK: None}):
        with pytest.raises(ValidationError):
            CanonicalArticle.model_validate(base, context=context)
    with pytest.raises(ValidationError):
        CanonicalArticle.model_validate_json(CanonicalArticle.model_construct(**base).
                                             model_dump_json())


def test_other_validation_errors_are_raised_as_before() -> None:
    with pytest.raises(ValidationError):
        common.build_article(DOC, parser="test", headline="h", version=0, extra={"$x": 1})


def _ref_reject(text: str) -> None:
    if re.compile(r"<!DOCTYPE[^\[>]*\[[^\]]*<!ENTITY", re.IGNORECASE | re.DOTALL).search(
        text[:65536]
    ):
        raise HostileInput("entities")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["<!", "<!doctype x [", "<!DocType", "<!ENTITY", "<!ENTITY",
                                 "]", ">", "[", "<", "!", "a", "<!--", " "]), max_size=12))
def test_entity_declarations_are_found_as_before(parts: list[str]) -> None:
    text = "".join(parts)
    expected = True
    try:
        _ref_reject(text)
    except HostileInput:
        expected = False
    try:
        markup.reject_entity_declarations(text)
        got = True
    except HostileInput:
        got = False
    assert got == expected


def test_first_children_and_text_of_match_find_and_itertext() -> None:
    root = etree.fromstring(
        b"<r><a>1</a><!--c--><b>x <i>y</i> z</b><a>2</a><?pi x?><c/><b>3</b><n:a xmlns:n='u'/></r>"
    )
    tags = _first_children(root)
    for tag in ("a", "b", "c", "d", "{u}a"):
        assert tags.get(tag) is root.find(tag)
        assert markup.text_of(tags.get(tag)) == (
            clean_text("".join(root.find(tag).itertext())) if root.find(tag) is not None else ""
        )
