"""The lxml fast path for RSS 2.0/Atom 1.0 gives exactly what the feedparser path gives."""

from __future__ import annotations

import random
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from feedparser import sanitizer, urls
from hypothesis import given, settings
from hypothesis import strategies as st

from services.normalizer.parsers import feeds, feeds_read
from services.normalizer.parsers.feeds import FeedParser

from .conftest import fixture_file, make_doc, shared_file

pytestmark = pytest.mark.unit

FAST = [
    shared_file("feeds/feed1.atom"),
    shared_file("feeds/feed2.rss"),
    shared_file("feeds/feedparser/rss20.xml"),
    shared_file("feeds/feedparser/rss20dc.xml"),
    shared_file("feeds/feedparser/rss10.rdf"),
    fixture_file("feeds/cp1252.rss"),
]
# Atom 0.3, and an Atom 1.0 feed with xml:base-relative links and XHTML content.
FALLBACK = [
    shared_file("feeds/feedparser/atom03.xml"),
    shared_file("feeds/feedparser/atom10.xml"),
]
SYNTHETIC = {
    "rss-dc": (
        b'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T'
        b'</title><item><guid>http://x.org/a</guid><link>http://x.org/b</link><title>Hi</title>'
        b'<dc:creator>Jane Roe (jane@x.org)</dc:creator><category domain="d">A</category>'
        b'<category>B</category><enclosure url="http://x.org/i.jpg" type="image/jpeg"/></item>'
        b'<item><title>Two</title><description>plain &amp; text</description>'
        b'<author>x@y.org</author><guid isPermaLink="TRUE">g2</guid></item></channel></rss>'
    ),
    "atom-html": (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de"><title>F</title>'
        b'<link href="http://x.org/"/><entry><id>urn:x:1</id><title>E</title>'
        b'<content type="html">&lt;p&gt;Hallo &lt;a href="/rel"&gt;x&lt;/a&gt;&lt;script&gt;'
        b'x()&lt;/script&gt;&lt;/p&gt;</content><author><name>A</name></author>'
        b'<author><name>B</name><email>b@x.org</email></author><category term="c1"/>'
        b'<published>2024-01-02T03:04:05+01:00</published></entry><entry>'
        b'<link href="http://x.org/2"/><id>urn:x:2</id><title>E2</title>'
        b'<summary>s &lt; t</summary><content type="text">body text</content></entry></feed>'
    ),
    "rss-content": (
        b'<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        b"<channel><item><title>Caf\xc3\xa9</title><description>Sum</description>"
        b"<content:encoded><![CDATA[<div><h2>Sub</h2><p>Para one</p><section>lead<p>x</p>"
        b"</section><foo>bar</foo></div>]]></content:encoded>"
        b"<pubDate>Tue, 21 Jan 2025 08:00:00 +0100</pubDate></item></channel></rss>"
    ),
}


def _same(payload: bytes, content_type: str | None = None) -> None:
    parser = FeedParser()
    doc = make_doc(payload, content_type)
    fast = parser.parse_fast(doc)
    assert fast is not None, "fast path not taken"
    reference = parser.parse_feedparser(doc)
    assert [a.model_dump() for a in fast] == [a.model_dump() for a in reference]
    assert [a.model_dump() for a in parser.parse(doc)] == [a.model_dump() for a in fast]


@pytest.mark.parametrize("path", FAST, ids=lambda p: p.name)
@pytest.mark.parametrize("content_type", [None, "application/rss+xml"])
def test_fast_path_matches_feedparser(path: Path, content_type: str | None) -> None:
    _same(path.read_bytes(), content_type)


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_fast_path_matches_feedparser_synthetic(name: str) -> None:
    _same(SYNTHETIC[name])


@pytest.mark.parametrize("path", FALLBACK, ids=lambda p: p.name)
def test_other_feeds_fall_back_to_feedparser(path: Path) -> None:
    parser = FeedParser()
    doc = make_doc(path.read_bytes())
    assert parser.parse_fast(doc) is None
    assert parser.parse(doc)


@pytest.mark.parametrize("attribute", [
    'base="http://x.org/d/"', 'BASE="http://x.org/d/"', 'xmlns:q="urn:q" q:base="http://x.org/"',
    'lang="de"', 'Lang="de"', 'xml:lang="de"',
])
def test_base_and_lang_attributes_anywhere_fall_back(attribute: str) -> None:
    # feedparser resolves URIs against (and takes languages from) these: feedparser decides.
    for payload in (
        f'<rss version="2.0"><channel><title>T</title><item {attribute}><title>A</title>'
        "<link>rel/a</link></item></channel></rss>",
        f'<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><entry {attribute}>'
        '<id>urn:x</id><title>E</title><link href="rel/a"/></entry></feed>',
    ):
        doc = make_doc(payload.encode())
        assert FeedParser().parse_fast(doc) is None
        assert FeedParser().parse(doc)


@pytest.mark.parametrize("content_type", ["text/xml", "application/xml; charset=utf-8"])
def test_uncertain_content_types_fall_back(content_type: str) -> None:
    doc = make_doc(shared_file("feeds/feed2.rss").read_bytes(), content_type)
    assert FeedParser().parse_fast(doc) is None


def test_fast_path_error_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_doc: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(feeds, "fast_entries", broken)
    doc = make_doc(shared_file("feeds/feed2.rss").read_bytes())
    assert [a.model_dump() for a in FeedParser().parse(doc)] == [
        a.model_dump() for a in FeedParser().parse_feedparser(doc)
    ]


# ------------------------------------------------- differential check on generated feeds

_TEXTS = [
    "Hello", " spaced  out ", "", "Caf\u00e9", "\u00c3\u00a9t\u00e9", "a &amp; b", "x < y",
    "<b>bold</b>", "Stra\u00dfe \u2013 M\u00fcnchen", "\u00a0nbsp\u00a0",
    "Tue, 21 Jan 2025 08:00:00 +0100", "2024-01-02T03:04:05Z", "21.01.2025", "am Mittwoch",
    "line1\nline2", "\u0085odd", "<p>one</p><p>two</p>", "<script>x()</script>tail",
    "<img src='/a.png'>text", "<a href='javascript:alert(1)'>j</a>", "&lt;i&gt;",
    "http://x.org/a?b=1&c=2", "http://x.org/p", "https://x.org/q", "/relative", "urn:uuid:1",
    "http:///x.org", "mailto:a@b.org", "Jane Doe (jane@x.org)", "j@x.org",
    "<![CDATA[<p>cd</p>]]>", "<div>lead<p>x</p></div>", "a &amp;amp; b",
]
_SAFE = [t for t in _TEXTS if not any(c in t for c in "<&\u0085\u00c3")]
_URLS = ["http://x.org/p", "https://x.org/q", "http://x.org/a/b.png"]


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.hostile = self.rnd.random() < 0.3

    def text(self) -> str:
        value = self.rnd.choice(_TEXTS if self.hostile else _SAFE)
        return value if value.startswith("<![CDATA[") else escape(value)

    def url(self) -> str:
        return quoteattr(self.rnd.choice(_TEXTS if self.hostile else _URLS))

    def rss(self) -> str:
        items = []
        for _ in range(self.rnd.randint(1, 3)):
            forms = {
                "title": "<title>{}</title>", "link": "<link>{}</link>",
                "description": "<description>{}</description>", "guid": "<guid>{}</guid>",
                "guidF": '<guid isPermaLink="false">{}</guid>',
                "guidT": '<guid isPermaLink="true">{}</guid>',
                "pubDate": "<pubDate>{}</pubDate>", "author": "<author>{}</author>",
                "category": "<category>{}</category>",
                "categoryD": '<category domain="d">{}</category>',
                "content": "<content:encoded>{}</content:encoded>",
                "creator": "<dc:creator>{}</dc:creator>", "date": "<dc:date>{}</dc:date>",
                "subject": "<dc:subject>{}</dc:subject>",
            }
            parts = []
            for name in self.rnd.sample([*forms, "enclosure"], self.rnd.randint(1, 8)):
                if name == "enclosure":
                    kind = self.rnd.choice(["image/png", "audio/mpeg", "IMAGE/JPEG"])
                    parts.append(f'<enclosure url={self.url()} type="{kind}"/>')
                    continue
                value = self.text()
                if name in ("link", "guid", "guidT") and not self.hostile:
                    value = self.rnd.choice(_URLS)
                parts.append(forms[name].format(value))
            items.append("<item>" + "".join(parts) + "</item>")
        head = self.rnd.sample([
            f"<title>{self.text()}</title>", f"<link>{self.text()}</link>",
            f"<language>{self.text()}</language>", f"<copyright>{self.text()}</copyright>",
        ], self.rnd.randint(0, 4))
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            + "".join(head) + "".join(items) + "</channel></rss>"
        )

    def atom(self) -> str:
        entries = []
        for _ in range(self.rnd.randint(1, 3)):
            forms = {
                "title": "<title>{}</title>", "id": "<id>{}</id>",
                "updated": "<updated>{}</updated>", "published": "<published>{}</published>",
                "summary": "<summary>{}</summary>",
                "summaryhtml": '<summary type="html">{}</summary>',
                "content": "<content>{}</content>",
                "contenthtml": '<content type="html">{}</content>',
                "author": "<author><name>{}</name></author>",
            }
            links = {
                "link": "<link href={}/>",
                "alt": '<link rel="alternate" type="text/html" href={}/>',
                "self": '<link rel="self" href={}/>',
                "enc": '<link rel="enclosure" type="image/jpeg" href={}/>',
                "category": "<category term={}/>",
            }
            parts = []
            for name in self.rnd.sample([*forms, *links], self.rnd.randint(1, 8)):
                if name in links:
                    parts.append(links[name].format(self.url()))
                else:
                    parts.append(forms[name].format(self.text()))
            entries.append("<entry>" + "".join(parts) + "</entry>")
        lang = self.rnd.choice(["", ' xml:lang="en"', ' xml:lang="de-DE"'])
        return (
            f'<feed xmlns="http://www.w3.org/2005/Atom"{lang}><title>{self.text()}</title>'
            '<link href="http://x.org/"/>' + "".join(entries) + "</feed>"
        )


def _rdf(gen: _Gen) -> str:
    """An RSS 1.0 feed; now and then with what the fast path leaves to feedparser."""
    rnd = gen.rnd
    forms = [
        "<title>{}</title>", "<link>{}</link>", "<description>{}</description>",
        "<content:encoded>{}</content:encoded>", "<dc:creator>{}</dc:creator>",
        "<dc:date>{}</dc:date>", "<dc:subject>{}</dc:subject>",
    ]
    odd = ["<guid>{}</guid>", '<title xml:lang="de">{}</title>', "<cc:license>{}</cc:license>"]
    items = []
    for _ in range(rnd.randint(1, 3)):
        pool = forms + odd if gen.hostile else forms
        parts = [form.format(gen.text()) for form in rnd.sample(pool, rnd.randint(1, 6))]
        about = rnd.choice(["", f" rdf:about={gen.url()}", ' rdf:about=""', ' rdf:ID="x"'])
        items.append(f"<item{about}>" + "".join(parts) + "</item>")
    head = rnd.sample([
        f"<title>{gen.text()}</title>", f"<link>{gen.text()}</link>",
        f"<description>{gen.text()}</description>", f"<dc:language>{gen.text()}</dc:language>",
        f"<dc:rights>{gen.text()}</dc:rights>", '<image rdf:resource="http://x.org/i.png"/>',
        '<items><rdf:Seq><rdf:li rdf:resource="http://x.org/1"/></rdf:Seq></items>',
    ], rnd.randint(0, 5))
    extra = rnd.choice(["", "", '<image rdf:about="http://x.org/i"><title>I</title></image>'])
    return (
        '<?xml version="1.0" encoding="utf-8"?><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:cc="http://web.resource.org/cc/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        '<channel rdf:about="http://x.org/">' + "".join(head) + "</channel>"
        + extra + "".join(items) + "</rdf:RDF>"
    )


def test_fast_path_matches_feedparser_on_generated_rss10() -> None:
    parser = FeedParser()
    fast_count = 0
    for seed in range(500):
        payload = _rdf(_Gen(seed)).encode()
        doc = make_doc(payload)
        fast = parser.parse_fast(doc)
        if fast is None:
            continue
        fast_count += 1
        reference = parser.parse_feedparser(doc)
        assert [a.model_dump() for a in fast] == [a.model_dump() for a in reference], payload
    assert fast_count > 70  # and the rest must keep exercising the fallback


def test_fast_path_matches_feedparser_on_generated_feeds() -> None:
    parser = FeedParser()
    fast_count = 0
    for seed in range(400):
        gen = _Gen(seed)
        payload = (gen.rss() if seed % 2 else gen.atom()).encode()
        doc = make_doc(payload)
        fast = parser.parse_fast(doc)
        if fast is None:
            continue
        fast_count += 1
        reference = parser.parse_feedparser(doc)
        assert [a.model_dump() for a in fast] == [a.model_dump() for a in reference], payload
    assert fast_count > 60  # the generator must keep exercising the fast path


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.characters(blacklist_characters="<&", blacklist_categories=("Cs",))),
    encoding=st.sampled_from(["utf-8", "windows-1252"]),
)
def test_markup_free_html_shortcut_matches_feedparser(text: str, encoding: str) -> None:
    full = sanitizer._sanitize_html(
        urls.resolve_relative_uris(text, "", encoding, "text/html"), encoding, "text/html"
    )
    assert feeds_read.feedparser_html(text, encoding) == full
