"""IPTC NewsML 1.2 (AFP's text profile): NewsItems with NITF or plain-text DataContent."""

from __future__ import annotations

from typing import Any

from lxml import etree

from shared.events import BodyBlock, CanonicalArticle, Person, Signal

from .base import EmptyDocument, ParseInput, Parser
from .common import (
    as_version,
    build_article,
    dedupe_subjects,
    parse_datetime,
    pubstatus,
    status_signals,
    subject,
)
from .markup import html_blocks, paragraphs, parse_xml, text_of, xp_elements, xp_strings
from .nitf import find_nitf, nitf_content

_CREATORS = etree.XPath("AdministrativeMetadata/Creator/Party/@FormalName")
_SUBJECT_TAGS = frozenset({"Subject", "SubjectMatter", "SubjectDetail"})
_ADVISORY = etree.XPath("NewsLines/NewsLine[NewsLineType/@FormalName='AdvisoryLine']/NewsLineText")


def _first_children(el: etree._Element) -> dict[object, etree._Element]:
    """Each child tag's first child element: el.find(tag) for all tags in one pass."""
    # Reversed, so the first child of a tag is the one left in the dict; one pass over the
    # children costs less than a find() (an ElementPath lookup) per tag.
    return {child.tag: child for child in reversed(el)}


class _Descriptive:
    """What the DescriptiveMetadata elements hold, read in one pass over their children.

    Each list is what its XPath gave (in document order, as a nested walk over child elements
    visits them): one walk costs a fraction of five XPath evaluations.
    """

    __slots__ = ("city", "genres", "keywords", "language", "subjects")

    def __init__(self, component: etree._Element) -> None:
        # DescriptiveMetadata/SubjectCode/*[self::Subject or self::SubjectMatter or
        # self::SubjectDetail]
        self.subjects: list[etree._Element] = []
        # DescriptiveMetadata/Property[@FormalName='Keyword' and not(@Role)]/@Value
        self.keywords: list[str] = []
        # DescriptiveMetadata/Genre/@FormalName
        self.genres: list[str] = []
        # DescriptiveMetadata/Location/Property[@FormalName='City']/@Value
        self.city: list[str] = []
        # The first DescriptiveMetadata/Language, as find() gives it.
        self.language: etree._Element | None = None
        for meta in component.iterchildren("DescriptiveMetadata"):
            for child in meta.iterchildren():
                self._child(child)

    def _child(self, child: etree._Element) -> None:
        tag = child.tag
        if tag == "SubjectCode":
            self.subjects += [el for el in child.iterchildren() if el.tag in _SUBJECT_TAGS]
        elif tag == "Property":
            value = child.get("Value")
            if (value is not None and child.get("FormalName") == "Keyword"
                    and child.get("Role") is None):
                self.keywords.append(value)
        elif tag == "Genre":
            genre = child.get("FormalName")
            if genre is not None:
                self.genres.append(genre)
        elif tag == "Location":
            self.city += [
                value for el in child.iterchildren("Property")
                if el.get("FormalName") == "City" and (value := el.get("Value")) is not None
            ]
        elif tag == "Language" and self.language is None:
            self.language = child


def _signals(genres: list[str], advisory: str, revision: int) -> list[Signal]:
    found: list[Signal] = []
    upper = advisory.upper()
    if "CORRECT" in upper or "Correction" in genres:
        found.append("correction")
    if "Update" in genres or "UPDATE" in upper or "RECAST" in upper or revision > 1:
        found.append("update")
    return found


class NewsML1Parser(Parser):
    name = "newsml1"
    content_types = ("application/vnd.iptc.newsml+xml", "application/xml", "text/xml")
    priority = 21

    def can_parse(self, doc: ParseInput) -> bool:
        head = doc.head(1024)
        return "<NewsML" in head and 'Version="1' in head

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        root = parse_xml(doc)
        if root.tag != "NewsML":
            raise EmptyDocument("root element is not NewsML")
        items = list(root.iter("NewsItem"))
        articles = [a for a in (self._item(doc, item) for item in items) if a is not None]
        if not articles:
            raise EmptyDocument("NewsML document has no NewsItem with a headline or text")
        return articles

    def _item(self, doc: ParseInput, item: etree._Element) -> CanonicalArticle | None:
        ident = item.find("Identification/NewsIdentifier")
        guid = None
        revision = 1
        extra: dict[str, Any] = {}
        if ident is not None:
            tags = _first_children(ident)
            parts = [text_of(tags.get(tag)) for tag in ("ProviderId", "DateId", "NewsItemId")]
            # The PublicIdentifier ends in the revision; without it the urn is stable.
            guid = "urn:newsml:" + ":".join(parts) if all(parts) else None
            revision = as_version(text_of(tags.get("RevisionId")))
            extra["public_identifier"] = text_of(tags.get("PublicIdentifier")) or None
        top = _first_children(item)
        management = top.get("NewsManagement")
        managed = _first_children(management) if management is not None else {}
        status_el = managed.get("Status")
        status = pubstatus(status_el.get("FormalName") if status_el is not None else None)
        component = top.get("NewsComponent")
        if component is None:
            return None
        lines = _first_children(component).get("NewsLines")
        headline = subhead = dateline = advisory = ""
        if lines is not None:
            news_lines = _first_children(lines)
            headline = text_of(news_lines.get("HeadLine"))
            subhead = text_of(news_lines.get("SubHeadLine"))
            dateline = text_of(news_lines.get("DateLine"))
            advisory = " ".join(text_of(t) for t in xp_elements(_ADVISORY, lines))
            extra["newslines"] = {
                "dateline": dateline or None, "advisory": advisory or None,
                "creditline": text_of(news_lines.get("CreditLine")) or None,
                "copyrightline": text_of(news_lines.get("CopyrightLine")) or None,
            }
        described = _Descriptive(component)
        genres = described.genres
        body, fields = self._content(component)
        urgency = managed.get("Urgency")
        if urgency is not None and (urgency.get("FormalName") or "").isdigit():
            extra["urgency"] = int(urgency.get("FormalName") or 0)
        if not headline and not body:
            return None
        creators = [c.strip() for c in xp_strings(_CREATORS, component) if c.strip()]
        language = described.language
        city = described.city
        return build_article(
            doc,
            parser=self.name,
            guid=guid,
            headline=headline or fields.get("headline"),
            subheadline=subhead or None,
            body=body,
            teaser=fields.get("teaser"),
            version=revision,
            pubstatus=status,
            signals=status_signals(status, *_signals(genres, advisory, revision)),
            language=language.get("FormalName") if language is not None else None,
            byline=tuple(Person(name=c, role="author") for c in creators),
            subjects=dedupe_subjects(subject(s.get("FormalName") or "")
                                     for s in described.subjects),
            keywords=tuple(described.keywords),
            genre=genres[0] if genres else None,
            located=city[0] if city else (dateline.split(",")[0] or None),
            first_created=parse_datetime(text_of(managed.get("FirstCreated"))),
            version_created=parse_datetime(text_of(managed.get("ThisRevisionCreated"))),
            copyright=extra["newslines"].get("copyrightline") if lines is not None else None,
            extra=extra,
        )

    @staticmethod
    def _content(component: etree._Element) -> tuple[tuple[BodyBlock, ...], dict[str, Any]]:
        for data in component.iter("DataContent"):
            nitf = find_nitf(data)
            if nitf is not None:
                fields = nitf_content(nitf)
                return fields.pop("body"), fields
            if len(data):
                return html_blocks(etree.tostring(data, encoding="unicode")), {}
            if data.text and data.text.strip():
                return paragraphs(data.text.split("\n\n")), {}
        return (), {}
