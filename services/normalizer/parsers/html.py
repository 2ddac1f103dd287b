"""News web pages: main text via trafilatura, metadata from JSON-LD NewsArticle and OpenGraph."""

from __future__ import annotations

import json
import re
from typing import Any, cast

from lxml import etree
from trafilatura import bare_extraction
from trafilatura.utils import load_html

from shared.events import BodyBlock, CanonicalArticle, Image, Person
from shared.sanitize import clean_text, safe_keys

from .base import EmptyDocument, ParseInput, Parser
from .common import build_article, parse_datetime, str_or_none
from .html_blocks import body_blocks, drop_furniture, ld_body_blocks
from .markup import xp_elements, xp_strings

_JSONLD = etree.XPath('//script[@type="application/ld+json"]/text()')
_META = etree.XPath("//meta[@content]")
_CANONICAL = etree.XPath('//link[@rel="canonical"]/@href')
_TITLE = etree.XPath("//title/text()")
_HTML_LANG = etree.XPath("/html/@lang")
_ARTICLE_TYPES = {
    "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "liveblogposting",
    "report", "techarticle", "scholarlyarticle",
}
_MAX_LD_CHARS = 200_000


def _flatten_ld(value: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value:
            _flatten_ld(item, out, depth + 1)
    elif isinstance(value, dict):
        out.append(value)
        if "@graph" in value:
            _flatten_ld(value["@graph"], out, depth + 1)


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def json_ld_article(tree: etree._Element) -> dict[str, Any]:
    """The first schema.org (News)Article object in the page's JSON-LD, or {}."""
    nodes: list[dict[str, Any]] = []
    for script in xp_strings(_JSONLD, tree):
        text = script.strip()
        if not text or len(text) > _MAX_LD_CHARS:
            continue
        try:
            _flatten_ld(json.loads(text), nodes)
        except (ValueError, RecursionError):
            continue  # broken JSON-LD is common and never fatal
    for node in nodes:
        if _types(node) & _ARTICLE_TYPES:
            return node
    return {}


def meta_tags(tree: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in xp_elements(_META, tree):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        value = meta.get("content")
        if key and value and key not in found:
            found[key] = value
    return found


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for item in value for n in _names(item)]
    return []


def _image(value: Any) -> Image | None:
    if isinstance(value, list):
        return _image(value[0]) if value else None
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return Image(url=value)
    if isinstance(value, dict):
        url = value.get("url") or value.get("contentUrl")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return Image(url=url, caption=str_or_none(value.get("caption")),
                         credit=str_or_none(value.get("creditText")))
    return None


# Text of an element without what scripts and styles hold.
_VISIBLE_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]")
# A "description" longer than this is a whole text, not a summary.
_MAX_TEASER_CHARS = 1500
# Extracted text shorter than this share of the JSON-LD articleBody: the extraction failed.
_LD_BODY_SHARE = 0.5
# Every description a page gives (some give one key twice, the first a stub): meta tags and the
# microdata description of the article (not of an image in it).
_DESCRIPTIONS = etree.XPath(
    '//meta[@property="og:description" or @name="og:description" or @name="description"'
    ' or @name="twitter:description" or @property="twitter:description"'
    ' or @itemprop="description"]/@content'
    ' | //body//*[@itemprop="description"][not(self::meta)][ancestor::*[@itemscope][1]'
    '[contains(@itemtype,"Article") or contains(@itemtype,"Posting")]]')


def _chars(body: tuple[BodyBlock, ...]) -> int:
    return sum(len(block.text) for block in body)


def _teaser(ld: dict[str, Any], tree: etree._Element) -> str | None:
    """The longest of the page's descriptions: JSON-LD, OpenGraph, meta, Twitter, microdata.

    Sites fill some of them with a truncated copy, the site's name or a slogan, and the
    others with the article's summary; the summary is the longest.
    """
    found: list[str] = [ld["description"]] if isinstance(ld.get("description"), str) else []
    for item in cast("list[str | etree._Element]", _DESCRIPTIONS(tree)):
        text = item if isinstance(item, str) else "".join(
            cast("list[str]", _VISIBLE_TEXT(item)))
        if len(text) <= _MAX_TEASER_CHARS:
            found.append(text)
    return max((clean_text(text) for text in found), key=len, default=None) or None


# Between a page title and the site's name: "Site | Title", "Title - Site", "Title · Site".
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\u00b7\u2022\u2013\u2014-]|::)\s+")
# How far into the body a block repeating the headline is still the page's title.
_HEADLINE_BLOCKS = 5


def _repeats_headline(first: str, headline: str) -> bool:
    """The first block is the headline, alone or after a short kicker ("Thema X Headline").

    A headline taken from the page's <title> carries the site's name; the page's own <h1>
    does not, so its longest part counts too.
    """
    core = max(_TITLE_SEPARATORS.split(headline), key=len)
    return first == headline or any(
        len(title) >= 20 and first.endswith(title) and len(first) <= len(title) + 40
        for title in {headline, core})


class HtmlPageParser(Parser):
    name = "html"
    content_types = ("text/html", "application/xhtml+xml")
    priority = 90
    include_comments = False

    def can_parse(self, doc: ParseInput) -> bool:
        head = doc.head(4096).lower()
        return head.startswith("<") and any(
            marker in head for marker in ("<!doctype html", "<html", "<head", "<body", "<meta")
        )

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        # The envelope's charset wins; without one trafilatura sniffs the meta charset.
        source: str | bytes = doc.text() if doc.charset else doc.payload
        try:
            tree = load_html(source)
        except (ValueError, TypeError, etree.ParserError) as exc:
            raise EmptyDocument(f"not parseable as HTML: {exc}") from exc
        if tree is None:
            raise EmptyDocument("not parseable as HTML")
        ld = json_ld_article(tree)
        meta = meta_tags(tree)
        canonical = next(iter(xp_strings(_CANONICAL, tree)), None)
        url = str_or_none(meta.get("og:url")) or canonical or doc.url
        teaser = _teaser(ld, tree)  # before furniture goes: a description box may be in it
        drop_furniture(tree)
        extracted = bare_extraction(
            tree, url=url, include_comments=self.include_comments, with_metadata=False,
        )
        body = body_blocks(getattr(extracted, "body", None))
        ld_body = ld.get("articleBody")
        if isinstance(ld_body, str) and _chars(body) < _LD_BODY_SHARE * len(ld_body):
            # A page that renders its text by script leaves trafilatura a caption or a teaser;
            # the JSON-LD articleBody then holds the article.
            body = ld_body_blocks(ld_body) or body
        title = next(iter(xp_strings(_TITLE, tree)), None)
        headline = (str_or_none(ld.get("headline")) or str_or_none(meta.get("og:title"))
                    or str_or_none(title))
        if headline:
            # The page's <h1> (with its kicker) repeats the headline, first or after a date,
            # a kicker or the teaser.
            shown = clean_text(headline)
            body = tuple(block for index, block in enumerate(body)
                         if index >= _HEADLINE_BLOCKS or not _repeats_headline(block.text, shown))
        authors = _names(ld.get("author")) or _names(
            meta.get("author") or meta.get("article:author"))
        image = _image(ld.get("image")) or _image(meta.get("og:image"))
        keywords = ld.get("keywords") or meta.get("keywords") or ""
        if isinstance(keywords, str):
            keywords = keywords.split(",")
        language = (str_or_none(ld.get("inLanguage")) or str_or_none(meta.get("og:locale"))
                    or next(iter(xp_strings(_HTML_LANG, tree)), None))
        section = ld.get("articleSection") or meta.get("article:section")
        extra = {
            "section": section,
            "publisher": _names(ld.get("publisher"))[:1] or None,
            "json_ld_type": sorted(_types(ld)) or None,
            "site_name": meta.get("og:site_name"),
        }
        return [
            build_article(
                doc,
                parser=self.name,
                headline=headline,
                teaser=teaser,
                body=body,
                url=url,
                language=language.replace("_", "-") if language else None,
                byline=tuple(Person(name=clean_text(a), role="author")
                             for a in dict.fromkeys(authors) if clean_text(a)),
                first_created=parse_datetime(ld.get("datePublished")
                                             or meta.get("article:published_time")),
                version_created=parse_datetime(ld.get("dateModified")
                                               or meta.get("article:modified_time")),
                images=(image,) if image else (),
                keywords=tuple(clean_text(k) for k in keywords
                               if isinstance(k, str) and clean_text(k)),
                extra=safe_keys({k: v for k, v in extra.items() if v}),
            )
        ]
