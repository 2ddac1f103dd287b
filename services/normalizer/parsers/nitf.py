"""IPTC NITF 3.x, standalone and as the body inside NewsML-G2 and NewsML 1.2; NTB as a quirk."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from shared.events import BodyBlock, CanonicalArticle, Image, Person
from shared.sanitize import clean_text

from .base import EmptyDocument, ParseInput, Parser
from .common import (
    as_version,
    build_article,
    dedupe_subjects,
    parse_datetime,
    pubstatus,
    status_signals,
    str_or_none,
    subject,
)
from .markup import all_text, element_blocks, local, parse_xml, text_of

_BY_PREFIXES = ("by ", "von ", "av ", "par ")


def find_nitf(root: etree._Element) -> etree._Element | None:
    if local(root) == "nitf":
        return root
    return next(iter(root.iter("{*}nitf", "nitf")), None)


def _first(el: etree._Element, path: str) -> etree._Element | None:
    return el.find(path)


def _byline_names(text: str) -> list[str]:
    text = clean_text(text)
    lowered = text.lower()
    for prefix in _BY_PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix):]
            break
    return [text.rstrip(", ")] if text.rstrip(", ") else []


def nitf_content(nitf: etree._Element, tz: tzinfo = UTC) -> dict[str, Any]:
    """What an NITF element says, as keyword fields for build_article (body, headline …)."""
    head = _first(nitf, "{*}head")
    body = _first(nitf, "{*}body")
    body_head = _first(body, "{*}body.head") if body is not None else None
    content = _first(body, "{*}body.content") if body is not None else None
    fields: dict[str, Any] = {}
    headline = text_of(_first(body_head, "{*}hedline/{*}hl1")) if body_head is not None else ""
    if not headline and head is not None:
        headline = text_of(_first(head, "{*}title"))
    fields["headline"] = headline or None
    subhead = text_of(_first(body_head, "{*}hedline/{*}hl2")) if body_head is not None else ""
    fields["subheadline"] = subhead or None
    byline: list[Person] = []
    located = None
    teaser = None
    if body_head is not None:
        for by in body_head.iter("{*}byline"):
            title = text_of(_first(by, "{*}byttl"))
            names = all_text(by)
            if title:
                names = names.replace(title, "", 1) if title in names else names
            byline.extend(Person(name=n, role=title or "author") for n in _byline_names(names))
        located = text_of(_first(body_head, "{*}dateline/{*}location")) or text_of(
            _first(body_head, "{*}dateline")
        )
        teaser = text_of(_first(body_head, "{*}abstract")) or None
    fields["byline"] = tuple(byline)
    fields["located"] = located or None
    fields["teaser"] = teaser
    blocks: tuple[BodyBlock, ...] = element_blocks(content) if content is not None else ()
    fields["body"] = blocks
    images = []
    if content is not None:
        for media in content.iter("{*}media"):
            caption = text_of(_first(media, "{*}media-caption")) or None
            ref = _first(media, "{*}media-reference")
            src = ref.get("source") if ref is not None else None
            url = src if src and src.startswith(("http://", "https://")) else None
            images.append(Image(url=url, caption=caption, alt=ref.get("alternate-text")
                                if ref is not None else None))
    fields["images"] = tuple(images)
    fields["language"] = nitf.get("{http://www.w3.org/XML/1998/namespace}lang") or (
        nitf.get("baselang")
    )
    if head is not None:
        fields.update(_nitf_head(head, tz))
    return fields


def _nitf_head(head: etree._Element, tz: tzinfo) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    docdata = _first(head, "{*}docdata")
    subjects = []
    for item in head.iter("{*}tobject.subject"):
        code = item.get("tobject.subject.refnum") or ""
        name = (item.get("tobject.subject.matter") or item.get("tobject.subject.detail")
                or item.get("tobject.subject.type"))
        subjects.append(subject(code, name) if code else None)
    fields["subjects"] = dedupe_subjects(subjects)
    tobject = _first(head, "{*}tobject")
    if tobject is not None and tobject.get("tobject.type"):
        fields["genre"] = clean_text(tobject.get("tobject.type") or "") or None
    extra: dict[str, Any] = {}
    for meta in head.iter("{*}meta"):
        name, value = meta.get("name"), meta.get("content")
        if name and value is not None:
            extra.setdefault("meta", {})[name] = value
    if docdata is not None:
        doc_id = _first(docdata, "{*}doc-id")
        if doc_id is not None and doc_id.get("id-string"):
            fields["guid"] = doc_id.get("id-string")
        issue = _first(docdata, "{*}date.issue")
        if issue is not None:
            fields["version_created"] = parse_datetime(issue.get("norm"), tz)
        release = _first(docdata, "{*}date.release")
        if release is not None:
            fields["first_created"] = parse_datetime(release.get("norm"), tz)
        embargo = _first(docdata, "{*}date.expire")
        if embargo is not None:
            extra["date_expire"] = embargo.get("norm")
        urgency = _first(docdata, "{*}urgency")
        if urgency is not None and (urgency.get("ed-urg") or "").isdigit():
            extra["urgency"] = int(urgency.get("ed-urg") or 0)
        du_key = _first(docdata, "{*}du-key")
        if du_key is not None:
            fields["version"] = as_version(du_key.get("version"))
            extra["du_key"] = du_key.get("key")
        fields["keywords"] = tuple(
            clean_text(k.get("key") or "") for k in docdata.iter("{*}keyword") if k.get("key")
        )
        status = _first(docdata, "{*}doc.copyright")
        if status is not None and status.get("holder"):
            fields["copyright"] = clean_text(status.get("holder") or "")
        management = _first(docdata, "{*}fixture")
        if management is not None:
            extra["fixture"] = management.get("fix-id")
    fields["extra"] = extra
    return fields


class NitfParser(Parser):
    """Standalone NITF 3.x; the DTD-era form has no namespace, 3.5+ may carry one."""

    name = "nitf"
    content_types = ("application/nitf+xml", "text/vnd.iptc.nitf", "text/xml", "application/xml")
    priority = 22
    # NITF timestamps are often local time without an offset; vendors override their zone.
    timezone: tzinfo = UTC

    def can_parse(self, doc: ParseInput) -> bool:
        head = doc.head(1024)
        return "<nitf" in head and "<NewsML" not in head and "newsItem" not in head

    def parse(self, doc: ParseInput) -> list[CanonicalArticle]:
        root = parse_xml(doc)
        nitf = find_nitf(root)
        if nitf is None:
            raise EmptyDocument("no nitf element in the document")
        fields = nitf_content(nitf, self.timezone)
        self.adjust(fields)
        status = pubstatus((fields.get("extra") or {}).get("meta", {}).get("status"))
        return [
            build_article(
                doc, parser=self.name, pubstatus=status,
                signals=status_signals(status), **fields,
            )
        ]

    def adjust(self, fields: dict[str, Any]) -> None:
        """Hook for vendor quirks; the plain format needs none."""


class NtbNitfParser(NitfParser):
    """NTB (Norway): local Oslo timestamps, the item id in meta NTBID, a '(©NTB)' last line."""

    name = "nitf-ntb"
    priority = 21
    timezone = ZoneInfo("Europe/Oslo")

    def can_parse(self, doc: ParseInput) -> bool:
        return super().can_parse(doc) and 'name="NTBID"' in doc.head(4096)

    def claims(self, doc: ParseInput) -> bool:
        return super().claims(doc) and 'name="NTBID"' in doc.head(4096)

    def adjust(self, fields: dict[str, Any]) -> None:
        meta = (fields.get("extra") or {}).get("meta", {})
        # doc-id carries a per-version suffix ("_00"); NTBID is stable across versions.
        fields["guid"] = str_or_none(meta.get("NTBID")) or fields.get("guid")
        body: tuple[BodyBlock, ...] = fields.get("body", ())
        if body and body[-1].text.strip("() ").startswith("©"):
            fields["copyright"] = body[-1].text.strip("() ")
            fields["body"] = body[:-1]
        fields.setdefault("sources", ("NTB",))
