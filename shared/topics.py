"""The only place Kafka topic names are spelled out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic_settings import BaseSettings, SettingsConfigDict


class TopicSettings(BaseSettings):
    """An optional namespace in front of every topic (env NEWSWIRE_TOPIC_NAMESPACE).

    It lets a test session or a staging tenant share one cluster without sharing data.
    """

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_TOPIC_", extra="ignore")

    namespace: str = ""

    def names(self) -> Topics:
        return Topics(self.namespace)


_SLUG_RE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Topics:
    """Every topic name of one deployment. Built from settings when an app is built (never at
    import), so a test can build the real app on topics of its own."""

    namespace: str = ""

    @property
    def raw(self) -> str:
        return f"{self.namespace}news.raw"

    @property
    def canonical(self) -> str:
        return f"{self.namespace}news.canonical"

    @property
    def enriched(self) -> str:
        return f"{self.namespace}news.enriched"

    @property
    def story(self) -> str:
        return f"{self.namespace}news.story"

    @property
    def annotated(self) -> str:
        """Internal: annotated articles on ONE partition, the totally ordered linker input."""
        return f"{self.namespace}news.annotated"

    @property
    def links(self) -> str:
        """Resolved source links (LinkUpdate), key = the source article's id."""
        return f"{self.namespace}news.links"

    @property
    def dlq(self) -> str:
        return f"{self.namespace}news.dlq"

    @property
    def all_core(self) -> tuple[str, ...]:
        return (self.raw, self.canonical, self.annotated, self.enriched, self.story,
                self.links, self.dlq)

    def enriched_for(self, top_level_name: str) -> str:
        """Per top-level IPTC Media Topic stream, so consumers subscribe only to what they
        need: 'politics' -> 'news.enriched.politics'."""
        slug = _SLUG_RE.sub("-", top_level_name.lower()).strip("-")
        if not slug:
            raise ValueError("top-level topic name has no usable characters")
        return f"{self.enriched}.{slug}"
