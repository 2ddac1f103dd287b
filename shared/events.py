"""Versioned, frozen event models that travel between the services."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from itertools import chain
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

EVENT_VERSION: Literal[1] = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def utcnow() -> datetime:
    """Timezone-aware now; every timestamp in the contract is aware."""
    return datetime.now(UTC)


# ---------------------------------------------------------------------------- raw


class RawArticle(_Frozen):
    """What ingest publishes to news.raw: the original bytes plus where they came from.

    On the wire the value is the payload bytes untouched and the other fields ride in
    headers (see shared.envelope), so agencies can produce to news.raw directly.
    """

    event_version: Literal[1] = EVENT_VERSION
    id: str = Field(min_length=1, max_length=512)
    source: str = Field(min_length=1, max_length=128)
    received_at: AwareDatetime
    content_type: str = Field(default="application/octet-stream", max_length=256)
    payload: bytes
    url: str | None = Field(default=None, max_length=4096)
    trace_id: str = Field(min_length=1, max_length=128)


# ---------------------------------------------------------------------- canonical


class Person(_Frozen):
    name: str
    role: str | None = None


class Image(_Frozen):
    url: str | None = None
    caption: str | None = None
    credit: str | None = None
    alt: str | None = None


class BodyBlock(_Frozen):
    """One block of the body in reading order: a paragraph or a subhead."""

    kind: Literal["paragraph", "subhead"]
    text: str


class RelatedLink(_Frozen):
    """A link the source itself gives ("Mehr entdecken"), resolved later to a stored id."""

    headline: str
    kicker: str | None = None
    url: str | None = None
    resolved_id: str | None = None


Origin = Literal["source", "machine"]


class Subject(_Frozen):
    """A classification: IPTC Media Topic (scheme 'medtop') or another vocabulary."""

    qcode: str
    name: str | None = None
    scheme: str = "medtop"
    origin: Origin = "source"
    confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    relevance: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0


PubStatus = Literal["usable", "withheld", "canceled"]
Signal = Literal["update", "correction", "cancel", "embargo"]


class CanonicalArticle(_Frozen):
    """One article in one shape, whatever format it arrived in; ninjs 2.2 is an export of it."""

    event_version: Literal[1] = EVENT_VERSION
    id: str = Field(min_length=1, max_length=512)
    uri: str
    version: int = Field(default=1, ge=1)
    source: str
    format: str = Field(description="name of the parser that produced it")
    type: Literal["text", "picture", "video", "audio", "graphic", "composite"] = "text"
    pubstatus: PubStatus = "usable"
    signals: tuple[Signal, ...] = ()
    language: str | None = None
    url: str | None = None
    headline: str
    kicker: str | None = None
    subheadline: str | None = None
    teaser: str | None = None
    key_points: tuple[str, ...] = ()
    byline: tuple[Person, ...] = ()
    body: tuple[BodyBlock, ...] = ()
    body_html: str = ""
    images: tuple[Image, ...] = ()
    sources: tuple[str, ...] = ()
    ai_assisted: bool = False
    ai_disclosure: str | None = None
    related: tuple[RelatedLink, ...] = ()
    subjects: tuple[Subject, ...] = ()
    keywords: tuple[str, ...] = ()
    genre: str | None = None
    located: str | None = None
    copyright: str | None = None
    first_created: AwareDatetime | None = None
    version_created: AwareDatetime | None = None
    embargoed_until: AwareDatetime | None = None
    mentioned_dates: tuple[str, ...] = Field(
        default=(), description="ISO dates the text refers to, resolved against the document date"
    )
    word_count: int = 0
    char_count: int = 0
    content_hash: str = ""
    original_id: str | None = None
    extra: dict[str, Any] = Field(
        default_factory=dict, description="vendor fields with no slot here, kept losslessly"
    )
    received_at: AwareDatetime | None = None
    trace_id: str | None = None

    @field_validator("extra")
    @classmethod
    def _no_operator_keys(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        # '$' and '.' keys would be read as operators/paths by MongoDB; parsers must
        # neutralise them (shared.sanitize.safe_keys) before they get here.
        # The level walk proves most values safe quickly; anything else (an unsafe key, very deep
        # nesting) takes the plain recursive walk, which raises exactly as it always did.
        # The first walk stops at the depth safe_keys keeps, so its answer is also the one the
        # normalizer needs (must extra be rebuilt?); a caller that asks for it gets it back
        # through the context instead of walking the same keys again. The check itself always
        # runs, whatever the context holds.
        shallow = unsafe_keys_within(value, EXTRA_KEEP_DEPTH)
        context = info.context
        if type(context) is dict and EXTRA_WALK in context:
            context[EXTRA_WALK] = shallow
        if shallow is not False and unsafe_keys_within(value, _LEVEL_WALK_DEPTH) is not False:
            _assert_safe_keys(value)
        return value

    @property
    def body_text(self) -> str:
        return "\n\n".join(block.text for block in self.body)

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.body if b.kind == "paragraph")

    @property
    def subheads(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.body if b.kind == "subhead")


def keys_look_safe(value: dict[Any, Any]) -> bool:
    """True when no key of this dict (not nested ones) is a non-string or has '$', '.' or NUL.

    One join and three searches in C instead of a Python loop over the keys: the keys joined by
    NUL hold a NUL only between keys, a '$' at a key start only at the start or after a NUL.
    """
    if not value:
        return True
    try:
        joined = "\x00".join(value)
    except TypeError:
        return False  # a key that is not a string
    return not (
        "." in joined or joined.startswith("$") or "\x00$" in joined
        or joined.count("\x00") != len(value) - 1
    )


def _assert_safe_keys(value: Any) -> None:
    if isinstance(value, dict):
        if not keys_look_safe(value):
            _raise_first_unsafe_key(value)
        for item in value.values():
            if isinstance(item, dict | list | tuple):
                _assert_safe_keys(item)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, dict | list | tuple):
                _assert_safe_keys(item)


# shared.sanitize.safe_keys cuts nesting below this depth, so a normalizer rebuilds deeper values.
EXTRA_KEEP_DEPTH = 60
# The validation context key under which the extra validator reports its first walk's answer.
EXTRA_WALK = "extra_keys_within_keep_depth"
# Deeper nesting than this is left to the recursive walk (and its RecursionError, as before).
_LEVEL_WALK_DEPTH = 200
# A tuple, not a union: isinstance is faster with it, and this runs for every nested value.
_CONTAINERS = (dict, list, tuple)


def unsafe_keys_within(value: Any, max_depth: int) -> bool | None:
    """True for a '$'/'.'/NUL or non-string key anywhere, False for none; None when nesting goes
    deeper than max_depth (levels below the top) before any unsafe key is seen.

    Walked a level at a time: one keys_look_safe-style check over all keys of a level's dicts
    (chained in C) answers what one call per dict would, with far fewer Python calls.
    """
    level: list[Any] = [value] if isinstance(value, _CONTAINERS) else []
    depth = 0
    while level:
        if depth > max_depth:
            return None
        dicts = [item for item in level if isinstance(item, dict)]
        if dicts:
            try:
                joined = "\x00".join(chain.from_iterable(dicts))
            except TypeError:
                return True  # a key that is not a string
            count = sum(map(len, dicts))
            if count and (
                "." in joined or joined.startswith("$") or "\x00$" in joined
                or joined.count("\x00") != count - 1
            ):
                return True
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, _CONTAINERS)
        ]
        depth += 1
    return False


def _raise_first_unsafe_key(value: Any) -> None:
    """The plain walk, key by key: raises for the same key, in the same order, as always."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$") or "." in key or "\x00" in key:
                raise ValueError(f"unsafe key in extra: {key!r}")
            _raise_first_unsafe_key(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _raise_first_unsafe_key(item)


def text_stats(body: tuple[BodyBlock, ...], headline: str, teaser: str | None) -> dict[str, Any]:
    """Word/char counts over the body and a content hash over what a reader sees."""
    text = "\n".join([b.text for b in body])
    seen = "\n".join([headline, teaser or "", text]).encode("utf-8")
    # ASCII text is the last len(text) bytes of what the hash encodes anyway.
    words = (_ascii_word_count(text, seen[len(seen) - len(text):]) if text.isascii()
             else word_count(text))
    return {
        "word_count": words,
        "char_count": len(text),
        "content_hash": "sha256:" + hashlib.sha256(seen).hexdigest(),
    }


def word_count(text: str) -> int:
    """len(text.split()), without building a string per word when the text allows.

    With newlines as spaces, printable text has no whitespace but the plain space; without
    leading, trailing or doubled spaces (clean_text's output), words are spaces plus one.
    """
    flat = text.replace("\n", " ")
    if flat and flat.isprintable() and "  " not in flat and flat[0] != " " and flat[-1] != " ":
        return flat.count(" ") + 1
    return len(text.split())


# Every ASCII character str.split() splits on, mapped to the plain space.
_SPACES = bytes.maketrans(b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f", b" " * 9)


def _ascii_word_count(text: str, raw: bytes) -> int:
    """len(text.split()) for ASCII text, given raw = text.encode("ascii"): once every
    separator is a plain space and none leads, trails or doubles, words are spaces plus one."""
    flat = raw.translate(_SPACES)
    if flat and flat[0] != 32 and flat[-1] != 32 and b"  " not in flat:
        return flat.count(b" ") + 1
    return word_count(text)


# ----------------------------------------------------------------------- enriched


class LanguageGuess(_Frozen):
    code: str
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]


class Keyphrase(_Frozen):
    text: str
    score: float


EntityType = Literal["PER", "ORG", "LOC", "MISC"]


class Entity(_Frozen):
    canonical: str
    type: EntityType
    mentions: int = Field(ge=1)
    surface_forms: tuple[str, ...] = ()


class RelatedArticle(_Frozen):
    id: str
    score: float
    reasons: tuple[str, ...]


class Enrichment(_Frozen):
    language: LanguageGuess | None = None
    subjects: tuple[Subject, ...] = ()
    keyphrases: tuple[Keyphrase, ...] = ()
    entities: tuple[Entity, ...] = ()
    story_id: str | None = None
    related: tuple[RelatedArticle, ...] = ()
    duplicate_of: str | None = None
    enricher: str = Field(description="name and version of the enricher pipeline")
    enriched_at: AwareDatetime = Field(default_factory=utcnow)


class EnrichedArticle(_Frozen):
    event_version: Literal[1] = EVENT_VERSION
    article: CanonicalArticle
    enrichment: Enrichment

    @property
    def id(self) -> str:
        return self.article.id

    @property
    def version(self) -> int:
        return self.article.version


class StoryUpdate(_Frozen):
    """Published to news.story when a story gains an article."""

    event_version: Literal[1] = EVENT_VERSION
    story_id: str
    article_id: str
    article_version: int
    headline: str
    size: int = Field(ge=1)
    merged_from: tuple[str, ...] = Field(
        default=(), description="story ids this story absorbed now; their articles move here"
    )
    moved: tuple[str, ...] = Field(
        default=(), description="ids of the articles of the merged_from stories, now in this "
                                "story (so a store re-labels them by id, without a query)"
    )
    updated_at: AwareDatetime = Field(default_factory=utcnow)


class ResolvedLink(_Frozen):
    headline: str = Field(description="the link's headline exactly as the source lists it")
    resolved_id: str


class LinkUpdate(_Frozen):
    """Published to news.links when later articles resolve a source's related headlines."""

    event_version: Literal[1] = EVENT_VERSION
    source_id: str
    links: tuple[ResolvedLink, ...] = Field(min_length=1)
    updated_at: AwareDatetime = Field(default_factory=utcnow)
