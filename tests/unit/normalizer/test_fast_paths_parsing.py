"""The parsing fast paths (weekday search, key walk, HTML fragments, body walk) match the old code.

The reference versions are the code before the speed-ups, kept verbatim.
"""

from __future__ import annotations

import re
from typing import Any

import nh3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from services.normalizer import dates
from services.normalizer.parsers import common, markup
from services.normalizer.parsers.digitalwires import _has_text
from shared.events import BodyBlock, keys_look_safe, word_count
from shared.sanitize import clean_text

pytestmark = pytest.mark.unit

_WEEKDAY_ALT = "|".join(sorted(dates.WEEKDAYS, key=len, reverse=True))
_DAYPART = r"(?:morgen|vormittag|mittag|nachmittag|abend|nacht)?"
_REF_WEEKDAY_ONLY = re.compile(
    rf"\b(?:am|on|this|last|next|seit|bis)\s+(?P<wd>{_WEEKDAY_ALT}){_DAYPART}\b", re.IGNORECASE
)

# Prepositions, weekday names and the characters re matches case-blind to ASCII letters
# (long s, dotless i, dotted capital I), whitespace of several kinds and word characters.
WEEKDAY_TOKENS = st.sampled_from([
    "am", "AM", "On", "this", "LAST", "next", "seit", "bis", "\u017feit", "B\u0131s", "B\u0130S",
    "Montag", "MONTAG", "Dienstagabend", "sonntagmorgen", "Sunday", "mittwoch", "Sonnabend",
    "\u017famstag", "Freitagnacht", "Samstags", "tag", "day", " ", "  ", "\n", "\t", "\u2003",
    "\u00a0", "x", "3", "_", "\u00e9", "(", ".", "Xam", "on\u0301", "\u03a3", "a", "o", "s",
])


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(WEEKDAY_TOKENS, max_size=16).map("".join))
def test_weekday_mentions_are_what_finditer_finds(text: str) -> None:
    expected = [(m.span(), m["wd"]) for m in _REF_WEEKDAY_ONLY.finditer(text)]
    assert [(m.span(), m["wd"]) for m in dates._weekday_mentions(text)] == expected
    assert [(m.span(), m["wd"]) for m in dates._WEEKDAY_ONLY.finditer(text)] == expected


# -------------------------------------------------------------------------- clean_text

_REF_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def ref_clean_text(text: str) -> str:
    text = _REF_CTRL_RE.sub("", text)
    if "<" in text:
        text = nh3.clean(text, tags=set())
        text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        text = text.replace("&quot;", '"').replace("&#39;", "'")
    return " ".join(text.split())


SPACEY = st.lists(st.sampled_from([
    " ", "a", "\u00e9", "\t", "\n", "\r", "\x0b", "\x1c", "\x85", "\u00a0", "\u2003", "\u2028",
    "\u200b", "\u00ad", "\x00", "\x7f", "<", "<b>", "&amp;", "&lt;", "x",
]), max_size=20).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(st.text(max_size=30), SPACEY))
def test_clean_text_matches_reference(text: str) -> None:
    assert clean_text(text) == ref_clean_text(text)


# --------------------------------------------------------------------------- key walk

def ref_needs_safe_keys(value: Any) -> bool:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > 60:
            return True
        if isinstance(item, dict):
            if not keys_look_safe(item):
                return True
            stack.extend(
                (c, depth + 1) for c in item.values() if isinstance(c, dict | list | tuple)
            )
        elif isinstance(item, list | tuple):
            stack.extend((c, depth + 1) for c in item if isinstance(c, dict | list | tuple))
    return False


KEYS = st.sampled_from(["a", "b", "ok", "", "$x", "x.y", "a\x00", "\x00$", "q$", "$", ".", 1])
VALUES = st.recursive(
    st.one_of(st.none(), st.integers(), st.text(max_size=3)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(KEYS, inner, max_size=3),
    ),
    max_leaves=20,
)


def _nested(depth: int, *, in_list: bool) -> dict[str, Any]:
    value: dict[str, Any] = {"a": 1}
    for _ in range(depth):
        value = {"k": [value]} if in_list else {"k": value}
    return value


@settings(max_examples=500, deadline=None)
@given(extra=st.dictionaries(KEYS, VALUES, max_size=4))
def test_key_walk_matches_reference(extra: dict[Any, Any]) -> None:
    assert common._needs_safe_keys(extra) == ref_needs_safe_keys(extra)


@pytest.mark.parametrize("depth", [29, 30, 31, 59, 60, 61, 62, 80])
@pytest.mark.parametrize("in_list", [False, True])
def test_key_walk_depth_limit_matches_reference(depth: int, *, in_list: bool) -> None:
    extra = _nested(depth, in_list=in_list)
    assert common._needs_safe_keys(extra) == ref_needs_safe_keys(extra)


# ------------------------------------------------------------------------------ HTML

HTML_TOKENS = st.sampled_from([
    '<section class="main">', "<p>", "</p>", "<div>", "</div>", '<span class="\x01x">', "<b\n>",
    '<strong\tid="x" >', '<p\x1cstyle="">', "<script>", "</script>", "<style>", "<template>",
    "<textarea>", "<!--", "-->", "<h2>", "</h2>", "<li>", "<ul>", "<tr>", "<td>", "</td>",
    "<section>", "<figure>", "<br>", "<table>", "<tbody>", "</tr>", '<td colspan="4">', "<p/>",
    "A", "\u00e4", "1", "_", " ", "\n", "\x00", "\x1c",
    "&amp;", "&nbsp;", "<", ">", '"', "x y", "\u03a9", "\u0663", "<html>", "<body>",
])
HTML = st.lists(HTML_TOKENS, max_size=14).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup_text=HTML)
def test_has_text_is_clean_text_truthiness(markup_text: str) -> None:
    assert _has_text(markup_text) == bool(clean_text(markup_text))


def _ref_fragment(text: str) -> etree._Element | None:
    if not text or not text.strip():
        return None
    try:
        root: etree._Element = lxml_html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError, TypeError, AssertionError):
        return None  # the reference too takes lxml's "too many bodies" as no fragment
    return root


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup_text=HTML)
def test_html_fragment_is_lxml_html_fragment(markup_text: str) -> None:
    # The same tree, or the same None, or the same exception (lxml.html asserts one body).
    assert _serialised(markup.html_fragment, markup_text) == _serialised(
        _ref_fragment, markup_text)


def _serialised(func: Any, text: str) -> Any:
    try:
        root = func(text)
    except Exception as exc:  # noqa: BLE001 - the same failure is part of "the same result"
        return type(exc).__name__
    return None if root is None else etree.tostring(root, encoding="unicode")


def ref_element_blocks(root: etree._Element) -> tuple[BodyBlock, ...]:
    out: list[BodyBlock] = []

    def walk(el: etree._Element) -> None:
        for child in el:
            name = markup.local(child).lower()
            if not name or name in markup._SKIP:
                continue
            if name in markup._HEADINGS:
                text = markup.text_of(child)
                if text:
                    out.append(BodyBlock(kind="subhead", text=text))
            elif name in markup._PARAGRAPHS:
                if name == "li" and any(markup.local(c).lower() in {"ul", "ol"} for c in child):
                    walk(child)
                    continue
                sep = " | " if name == "tr" else ""
                cells = (
                    [markup.text_of(c) for c in child if isinstance(c.tag, str)] if name == "tr"
                    else [markup.all_text(child)]
                )
                text = clean_text(sep.join(c for c in cells if c))
                if text:
                    out.append(BodyBlock(kind="paragraph", text=text))
            else:
                lead = clean_text(child.text or "") if name in {"div", "section"} else ""
                if lead:
                    out.append(BodyBlock(kind="paragraph", text=lead))
                walk(child)

    walk(root)
    return tuple(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup_text=HTML)
def test_element_blocks_match_reference(markup_text: str) -> None:
    root = _ref_fragment(markup_text)
    if root is not None:
        assert _outcome(markup.element_blocks, root) == _outcome(ref_element_blocks, root)


def _outcome(func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    except Exception as exc:  # noqa: BLE001 - the same failure is part of "the same result"
        return type(exc).__name__


def test_a_bare_html_tag_is_an_empty_body_not_a_crash() -> None:
    assert markup.html_blocks("<html>") == ()


def test_a_comment_between_table_cells_is_skipped() -> None:
    root = etree.fromstring(b"<body><table><tr><td>1</td><!-- c --><?pi x?><td>2</td></tr>"
                            b"</table></body>")
    assert [b.text for b in markup.element_blocks(root)] == ["1 | 2"]


@pytest.mark.parametrize("xml", [
    b"<body.content><p>a<!-- c -->b</p><P>Up</P><x:p xmlns:x='urn:x'>ns</x:p>"
    b"<hl2>Sub <em>head</em></hl2><table><tr><td>1</td><td/><td>2</td></tr></table>"
    b"<li>item<ul><li>inner</li></ul></li><div>lead<p>x</p></div><?pi x?><media>m</media>"
    b"</body.content>",
])
def test_element_blocks_match_reference_on_xml(xml: bytes) -> None:
    root = etree.fromstring(xml)
    assert markup.element_blocks(root) == ref_element_blocks(root)


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(["a", "b", " ", "  ", "\n", "\t", "\xa0", "\x1c", "\u2028",
                                      "\x01", "ä"]), max_size=12).map("".join))
def test_word_count_matches_split(text: str) -> None:
    assert word_count(text) == len(text.split())


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(["1", "a", " ", "?", "ä", "\u0663", "\uff11", "_", "x2"]),
                     max_size=20).map("".join))
def test_digit_positions_match_re(text: str) -> None:
    positions = dates.digit_positions(text)
    if positions is not None:
        assert positions == [m.start() for m in re.finditer(r"\d", text)]
