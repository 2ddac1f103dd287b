"""The working document every enricher reads from and adds to, and the enricher interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from shared.events import CanonicalArticle, Entity, Keyphrase, LanguageGuess, Subject


@dataclass(frozen=True)
class Mention:
    """One entity mention with character offsets into Doc.text."""

    start: int
    end: int
    type: str
    text: str
    canonical: str


@dataclass
class Doc:
    article: CanonicalArticle
    text: str
    language: LanguageGuess | None = None
    subjects: list[Subject] = field(default_factory=list)
    keyphrases: list[Keyphrase] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)

    @property
    def lang(self) -> str:
        if self.language is not None:
            return self.language.code
        return (self.article.language or "en").split("-")[0].lower()


class Enricher(Protocol):
    """A pure, synchronous step: reads the Doc, adds its own fields. No I/O, no broker."""

    name: str

    def enrich(self, doc: Doc) -> None: ...


def article_text(article: CanonicalArticle) -> str:
    """What a reader sees, one block per line: headline, teaser, key points, body."""
    parts = [article.headline, article.teaser or "", *article.key_points, article.body_text]
    return "\n".join(p for p in parts if p)
