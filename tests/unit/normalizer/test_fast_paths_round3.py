"""The reused nh3 cleaner, byte-level stats, bare subject codes and one-pass NewsML metadata."""

from __future__ import annotations

import hashlib
import re
import sys
from typing import Any

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from services.normalizer import dates
from services.normalizer.parsers import common, markup
from services.normalizer.parsers.base import HostileInput
from services.normalizer.parsers.newsml1 import _Descriptive
from shared import events
from shared.events import BodyBlock, Subject
from shared.sanitize import _HTML_RULES, clean_html, clean_text

pytestmark = pytest.mark.unit

# ------------------------------------------------------------------ reference versions

_REF_SUBJECT_CODE_RE = re.compile(r"^\d{8}$")


def ref_subject(qcode: str, name: str | None = None, *, relevance: float = 1.0) -> Subject | None:
    qcode = clean_text(qcode)
    if not qcode:
        return None
    if _REF_SUBJECT_CODE_RE.match(qcode):
        qcode = f"subj:{qcode}"
    scheme = qcode.split(":", 1)[0].lower() if ":" in qcode else "literal"
    if scheme in common.MEDTOP_NAMES:
        scheme = "medtop"
        qcode = "medtop:" + qcode.split(":", 1)[1]
    return Subject(
        qcode=qcode, name=clean_text(name) if name else None, scheme=scheme, origin="source",
        relevance=min(max(relevance, 0.0), 1.0),
    )


_REF_XPATHS = {
    "subjects": etree.XPath("DescriptiveMetadata/SubjectCode/*[self::Subject or "
                            "self::SubjectMatter or self::SubjectDetail]"),
    "keywords": etree.XPath(
        "DescriptiveMetadata/Property[@FormalName='Keyword' and not(@Role)]/@Value"),
    "genres": etree.XPath("DescriptiveMetadata/Genre/@FormalName"),
    "city": etree.XPath("DescriptiveMetadata/Location/Property[@FormalName='City']/@Value"),
}

# ----------------------------------------------------------------------------- cleaner

MARKUP = st.lists(st.sampled_from([
    "<p>", "</p>", "<script>alert(1)</script>", '<a href="javascript:x">', '<a href="http://x">',
    "</a>", '<img src=x onerror="y">', "<td colspan=2 rowspan=3>", "<h2>", "<style>", "&amp;",
    "&nbsp;", "\xa0", "\x00", "\r\n", "text", "<!-- c -->", "<iframe src=//x>", "<b>", "<",
    '<a href="mailto:a@b" rel="x" target="_blank">', "<svg onload=alert(1)>", "ä", "'\"",
]), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(html=MARKUP)
def test_reused_cleaner_matches_clean_html(html: str) -> None:
    # The reference: nh3.clean building its sanitizer from the same rules on every call.
    assert clean_html(html) == nh3.clean(html, **_HTML_RULES)


# ------------------------------------------------------------------------------ stats

WORDS = st.lists(st.sampled_from(["a", "bc", " ", "  ", "\n", "\t", "\x0b", "\x1c", "\x1f",
                                  "\x00", "\xa0", "\u2028", "ä", "é"]), max_size=10).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(WORDS, max_size=5), headline=WORDS, teaser=st.none() | WORDS)
def test_text_stats_match_shared(texts: list[str], headline: str, teaser: str | None) -> None:
    body = tuple(BodyBlock.model_construct(kind="paragraph", text=t) for t in texts)
    assert events.text_stats(body, headline, teaser) == ref_text_stats(body, headline, teaser)


def ref_text_stats(body: tuple[BodyBlock, ...], headline: str,
                   teaser: str | None) -> dict[str, Any]:
    """shared.events.text_stats as it was before its word-count shortcuts."""
    text = "\n".join(b.text for b in body)
    seen = "\n".join([headline, teaser or "", text])
    return {"word_count": len(text.split()), "char_count": len(text),
            "content_hash": "sha256:" + hashlib.sha256(seen.encode("utf-8")).hexdigest()}


# --------------------------------------------------------------------------- subjects


@pytest.mark.parametrize(("qcode", "name", "relevance"), [
    ("04000000", None, 1.0), ("04000000", "Economy", 1.0), ("04000000", None, 0.5),
    ("0400000", None, 1.0), ("040000000", None, 1.0), ("0400000\u0663", None, 1.0),
    ("\uff10" * 8, None, 1.0), ("0400000²", None, 1.0), (" 04000000", None, 1.0),
    ("04000000\n", None, 1.0), ("medtop:04000000", None, 1.0), ("", None, 1.0),
    ("04000000", None, 1), ("04000000", None, 2.0), ("04000000", "", 1.0),
])
def test_subject_matches_reference(qcode: str, name: str | None, relevance: float) -> None:
    got, expected = common.subject(qcode, name, relevance=relevance), ref_subject(
        qcode, name, relevance=relevance)
    assert got == expected
    if got is not None and expected is not None:
        assert got.model_fields_set == expected.model_fields_set
        assert got.model_dump_json() == expected.model_dump_json()


# ------------------------------------------------------------------ NewsML metadata

META_PARTS = st.lists(st.sampled_from([
    "<SubjectCode><Subject FormalName='01000000'/><Other/><SubjectDetail FormalName='2'/>"
    "</SubjectCode>",
    "<SubjectCode><SubjectMatter FormalName='3'/></SubjectCode>",
    "<Property FormalName='Keyword' Value='k1'/>", "<Property FormalName='Keyword' Value=''/>",
    "<Property FormalName='Keyword' Value='k2' Role='x'/>", "<Property FormalName='Keyword'/>",
    "<Property FormalName='City' Value='c0'/>", "<Genre FormalName='Update'/>", "<Genre/>",
    "<Location><Property FormalName='City' Value='Gaza'/><Property FormalName='Country' "
    "Value='PS'/><Property FormalName='City'/></Location>",
    "<Language FormalName='en'/>", "<Language FormalName='fr'/>", "<!-- c -->", "<?pi x?>",
    "<n:Genre xmlns:n='u' FormalName='ns'/>",
]), max_size=8)


@settings(max_examples=300, deadline=None)
@given(metas=st.lists(META_PARTS, max_size=3), admin=st.booleans())
def test_descriptive_metadata_matches_xpaths(metas: list[list[str]], admin: bool) -> None:
    inner = "".join(f"<DescriptiveMetadata>{''.join(parts)}</DescriptiveMetadata>"
                    for parts in metas)
    if admin:
        inner = "<AdministrativeMetadata><Genre FormalName='no'/></AdministrativeMetadata>" + inner
    component = etree.fromstring(f"<NewsComponent>{inner}</NewsComponent>")
    got = _Descriptive(component)
    for field, xpath in _REF_XPATHS.items():
        expected: Any = xpath(component)
        if field == "subjects":
            assert got.subjects == expected
        else:
            assert getattr(got, field) == [str(value) for value in expected]
    assert got.language is component.find("DescriptiveMetadata/Language")


# --------------------------------------------------------------------- entity check


@pytest.mark.parametrize("bangs", [0, 64, 65, 500])
def test_entity_check_with_many_exclamation_marks(bangs: int) -> None:
    hostile = "!" * bangs + '<!DOCTYPE x [<!ENTITY a "b">]><x/>' + "!" * bangs
    with pytest.raises(HostileInput):
        markup.reject_entity_declarations(hostile)
    markup.reject_entity_declarations("!" * bangs + "<!-- fine --><!DOCTYPE x><x>!</x>")


# ------------------------------------------------------------------------ wide digits


def test_wide_digit_leads_cover_every_non_ascii_decimal() -> None:
    leads = {
        chr(code).encode("utf-8")[:1]
        for code in range(0x80, sys.maxunicode + 1)
        if not 0xD800 <= code < 0xE000 and chr(code).isdecimal()
    }
    assert leads <= set(dates.WIDE_DIGIT_LEADS)


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(["1", "a", " ", "ä", "\u201e", "\u2013", "\u0663", "\uff11",
                                      "\U0001d7ce", "\ud800", "x2", "é"]),
                     max_size=24).map("".join))
def test_digit_positions_with_wide_text(text: str) -> None:
    positions = dates.digit_positions(text)
    if positions is not None:
        assert positions == [m.start() for m in re.finditer(r"\d", text)]


# ------------------------------------------------------------------ one lower() per scan


@pytest.mark.parametrize("texts", [
    [], [""], ["", ""], ["am Montag"], ["\u0130stanbul am Montag", "am 3. Mai"],
    ["O\u03a3", "\u03a3 am Freitag", "x\u03a3"], ["\u03a3\x00\u03a3 am 22. Juni", "\u0130"],
    ["May 7", "\u0130\u0130 on friday", "22.01.2025"], ["a\x00b am Sonntag", "AM MONTAG"],
])
def test_date_candidates_one_lower_matches_reference(texts: list[str]) -> None:
    from .test_fast_paths import ref_date_candidates

    assert common.date_candidates(texts) == ref_date_candidates(texts)
