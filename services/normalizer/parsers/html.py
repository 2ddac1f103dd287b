"""News web pages: main text via trafilatura, metadata from JSON-LD NewsArticle and OpenGraph."""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree
from trafilatura import bare_extraction
from trafilatura.utils import load_html

from shared.events import BodyBlock, CanonicalArticle, Image, Person
from shared.sanitize import clean_text, safe_keys

from .base import EmptyDocument, ParseInput, Parser
from .common import build_article, parse_datetime, str_or_none
from .markup import all_text, xp_elements, xp_strings

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
# Site furniture trafilatura may keep: related-story lists, promos, consent and newsletter boxes.
_FURNITURE = ("related", "promo", "consent", "cookie", "newsletter", "outbrain", "taboola")
# One XPath evaluated once per page, in C; trafilatura's prune_xpath would re-run per fallback.
_FURNITURE_XPATH = etree.XPath(
    "//body//*[self::div or self::section or self::aside or self::ul or self::ol][@class or @id]["
    + " or ".join(f'contains(@class,"{w}") or contains(@id,"{w}")' for w in _FURNITURE)
    + "]"
)
_BOILERPLATE_TEXT = re.compile(
    r"(we use cookies|wir verwenden cookies|cookie[- ]?(settings|einstellungen|policy|richtlinie)"
    r"|accept (all )?cookies|alle akzeptieren|newsletter (abonnieren|bestellen)"
    r"|sign up for our newsletter|subscribe to our newsletter|^(read more|mehr zum thema|"
    r"lesen sie auch|related( stories| articles)?|auch interessant)\b"
    # Advertising labels, calls to subscribe or support, comment-box prompts, own standards.
    r"|^(anzeige|werbung|advertisement|sponsored|publicidad|publicité)\b"
    r"|^(subscribe|abonnieren sie|jetzt abonnieren|suscríbete|abonnez-vous)\b"
    r"|if you (enjoyed|liked) (reading )?this|support our (work|journalism)"
    r"|^(keine|no|noch keine) (kommentare|comments)\b"
    r"|^(du musst|you must be) (eingeloggt|logged in)"
    r"|^our standards:|download the .{0,40}\bapps?\b"
    # Read-also teasers: "À lire aussi", "Lea también", "Leggi anche", "MIRA:", "Dowiedz się".
    r"|^(à lire aussi|lire aussi|lea también|lee también|leggi anche|mira:|lee:|ver también"
    r"|dowiedz się więcej|czytaj (też|także|więcej)|zobacz (też|także)|schon gelesen\??$"
    r"|weitere themen$|das (thema|könnte) (könnte )?(dich|sie) auch interessieren)"
    # Image captions and credits: "Abbildung 4: …", "Beitragsbild: …", "… © AFP / NAME".
    r"|^(abbildung|abb\.|figure|fig\.|bild|foto|beitragsbild|titelbild|photo)\s*\d*\s*:"
    r"|©\s*[\w .-]{1,30}/\s*[\w .-]{1,40}$"
    r"|^>>.*<<$"
    # Newsletter plugs (also "Musiknewsletter"), contact and follow-us lines.
    # Navigation, sharing, tagging and legal lines of page templates.
    r"|^(nach oben|zurück nach oben|back to top|zurück zur (übersicht|listenansicht)|drucken"
    r"|artikel (drucken|teilen|versenden)|print( this)?( article)?|tweet|teilen|share)$"
    r"|^(tags|schlagworte|schlagwörter|stichworte|kategorien|categories|filed under|posted in"
    r"|veröffentlicht in|themen|topics)\s*:"
    r"|^(alle rechte vorbehalten|all rights reserved|copyright\b|impressum$|datenschutz$)"
    r"|^(ähnliche beiträge|related posts|meistgelesen|most (read|popular)|top-themen"
    r"|das könnte sie auch interessieren|weiterlesen$|mehr lesen$|zum artikel$)"
    r"|^(pressekontakt|pressesprecher|press contact|media contact|kontakt:|contact:)"
    r"|newsletter|[\w.+-]+@[\w-]+\.[\w.]+|\b(follow us|folgen sie uns|síguenos|suivez-nous)\b)",
    re.IGNORECASE,
)
# A short heading-like block in the last third that opens a list of other stories, comments or
# the site's own offers: it and everything after it is not the article.
_TAIL_OPENER = re.compile(
    r"^(schon gelesen|weitere themen|mehr zum thema|mehr (dazu|aus|von)\b|auch (auf|interessant)"
    r"|das (thema|könnte) (könnte )?(dich|sie) auch|lesen sie (auch|mehr)|related|read (more|next)"
    r"|more (from|stories|on)\b|you (may|might) (also )?like|recommended|empfohlen|à lire aussi"
    r"|sur le même sujet|también te (puede|podría)|te puede interesar|leggi anche"
    r"|kommentare|comments|leave a (reply|comment)|schreibe(n sie)? einen kommentar"
    # The site or author introducing itself, sharing and rating widgets.
    r"|über (uns|mich|das|den|die)\b|about (us|me|the author)\b|teilen( sie)?( dies| das)?"
    r"( mit)?:?$|share (this|on)\b|bewerten:?$|rate this"
    r"|ähnliche (beiträge|artikel)|related posts|meistgelesen|most (read|popular)|top-themen)",
    re.IGNORECASE,
)
_TAIL_OPENER_MAX_CHARS = 60
# Invisible characters that split words for line breaking only; they break search and matching.
_INVISIBLE = str.maketrans("", "", "\u00ad\u200b\u200c\u200d\u2060\ufeff")
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


def drop_furniture(tree: etree._Element) -> None:
    """Remove related-story lists, promos and consent boxes, once, before extraction."""
    for el in xp_elements(_FURNITURE_XPATH, tree):
        if hasattr(el, "drop_tree"):
            el.drop_tree()  # keeps the element's tail text, unlike parent.remove()


def body_blocks(body: etree._Element | None) -> tuple[BodyBlock, ...]:
    """trafilatura's XML body (p, head, list/item, quote, table/row/cell) as body blocks."""
    if body is None:
        return ()
    pieces: list[tuple[str, str]] = []
    _collect(body, pieces, 0)
    cleaned = [(kind, piece if piece.isascii() else piece.translate(_INVISIBLE))
               for kind, piece in pieces]
    return tuple(
        BodyBlock(kind=kind, text=text) for kind, text in _cut_tail(cleaned)
        if text and not (len(text) < 300 and _BOILERPLATE_TEXT.search(text))
    )


# Page containers that trafilatura's fallbacks copy as they are (a whole <div> of the page):
# their block children are read one by one, so each paragraph is a block of its own.
_CONTAINERS = frozenset(("div", "section", "article", "main", "header", "footer", "aside",
                         "form", "center", "figure", "body"))
_MAX_DEPTH = 30


def _collect(el: etree._Element, pieces: list[tuple[str, str]], depth: int) -> None:
    """(kind, text) of each block under el, loose text between blocks included."""
    if el.text and el.text.strip():
        pieces.append(("paragraph", clean_text(el.text)))
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _CONTAINERS and depth < _MAX_DEPTH:
            _collect(child, pieces, depth + 1)
        elif tag == "list":
            pieces.extend(("paragraph", clean_text(all_text(item)))
                          for item in child.iter("item"))
        elif tag == "table":
            pieces.extend(("paragraph", " | ".join(c for c in (clean_text(all_text(cell))
                                                            for cell in row.iter("cell")) if c))
                          for row in child.iter("row"))
        else:
            kind = "subhead" if tag in ("head", "h1", "h2", "h3", "h4", "h5", "h6") else (
                "paragraph")
            pieces.append((kind, clean_text(all_text(child))))
        if child.tail and child.tail.strip():
            # Loose text between blocks ("</p>Das Programm …<head>") is running text too.
            pieces.append(("paragraph", clean_text(child.tail)))


def _cut_tail(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop a closing "more on this / comments" section: a short opener in the last third."""
    start = max(1, (2 * len(pieces)) // 3)
    for index in range(start, len(pieces)):
        text = pieces[index][1]
        if len(text) <= _TAIL_OPENER_MAX_CHARS and _TAIL_OPENER.match(text):
            return pieces[:index]
    return pieces


def _repeats_headline(first: str, headline: str) -> bool:
    """The first block is the headline, alone or after a short kicker ("Thema X Headline")."""
    return first == headline or (
        len(headline) >= 20 and first.endswith(headline) and len(first) <= len(headline) + 40)


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
        drop_furniture(tree)
        extracted = bare_extraction(
            tree, url=url, include_comments=self.include_comments, with_metadata=False,
        )
        body = body_blocks(getattr(extracted, "body", None))
        title = next(iter(xp_strings(_TITLE, tree)), None)
        headline = (str_or_none(ld.get("headline")) or str_or_none(meta.get("og:title"))
                    or str_or_none(title))
        if body and headline and _repeats_headline(body[0].text, clean_text(headline)):
            body = body[1:]  # the page's <h1> (with its kicker) repeats the headline
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
                teaser=str_or_none(ld.get("description")) or str_or_none(
                    meta.get("og:description") or meta.get("description")),
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
