"""The only place Kafka topic names are spelled out."""

from __future__ import annotations

import re

from pydantic_settings import BaseSettings, SettingsConfigDict


class TopicSettings(BaseSettings):
    """An optional namespace in front of every topic (env NEWSWIRE_TOPIC_NAMESPACE).

    It lets a test session or a staging tenant share one cluster without sharing data.
    """

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_TOPIC_", extra="ignore")

    namespace: str = ""


_NS = TopicSettings().namespace

RAW = f"{_NS}news.raw"
CANONICAL = f"{_NS}news.canonical"
ENRICHED = f"{_NS}news.enriched"
STORY = f"{_NS}news.story"
# Internal: annotated articles on ONE partition, the totally ordered input of the linker.
ANNOTATED = f"{_NS}news.annotated"
# Resolved source links (LinkUpdate), key = the source article's id.
LINKS = f"{_NS}news.links"
DLQ = f"{_NS}news.dlq"

# Per top-level IPTC Media Topic streams: consumers subscribe only to what they need.
ENRICHED_TOPIC_PREFIX = f"{ENRICHED}."

ALL_CORE = (RAW, CANONICAL, ANNOTATED, ENRICHED, STORY, LINKS, DLQ)

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def enriched_for_topic(top_level_name: str) -> str:
    """Topic name for one top-level Media Topic, e.g. 'politics' -> 'news.enriched.politics'."""
    slug = _SLUG_RE.sub("-", top_level_name.lower()).strip("-")
    if not slug:
        raise ValueError("top-level topic name has no usable characters")
    return f"{ENRICHED_TOPIC_PREFIX}{slug}"
