"""The enrichment pipeline: pure annotators in order, then story linking against the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.events import CanonicalArticle, EnrichedArticle, Enrichment, StoryUpdate, utcnow
from shared.topics import enriched_for_topic

from .doc import Doc, Enricher, article_text
from .entities import EntityEnricher
from .keyphrases import KeyphraseEnricher
from .language import LanguageEnricher
from .ner.tagger import TaggerSet
from .signature import headline_key
from .stories import Linked, StoryLinker, apply_links
from .topics import TopicEnricher
from .vocab import Vocabulary, shared_vocabulary

ENRICHER = "newswire-enrichment/0.1 (lingua; iptc-lexical; crf-ner; story-unionfind)"


class Annotator:
    """Runs the pure enrichers in order; language first, since the others depend on it."""

    def __init__(self, enrichers: Sequence[Enricher]) -> None:
        self.enrichers = tuple(enrichers)

    @classmethod
    def default(cls, model_dir: Path | None = None, hide_source_subjects: bool = False,
                vocab: Vocabulary | None = None) -> Annotator:
        return cls([LanguageEnricher(), TopicEnricher(vocab, hide_source=hide_source_subjects),
                    KeyphraseEnricher(), EntityEnricher(TaggerSet(model_dir))])

    def annotate(self, article: CanonicalArticle) -> Doc:
        doc = Doc(article=article, text=article_text(article))
        for enricher in self.enrichers:
            enricher.enrich(doc)
        return doc


def build_enriched(doc: Doc, linked: Linked | None) -> EnrichedArticle:
    article = doc.article
    if linked is not None and linked.source_links:
        article = article.model_copy(update={"related": linked.source_links})
    enrichment = Enrichment(
        language=doc.language, subjects=tuple(doc.subjects), keyphrases=tuple(doc.keyphrases),
        entities=tuple(doc.entities), story_id=linked.story_id if linked else None,
        related=linked.related if linked else (),
        duplicate_of=linked.duplicate_of if linked else None, enricher=ENRICHER,
    )
    return EnrichedArticle(article=article, enrichment=enrichment)


@dataclass(frozen=True)
class Result:
    enriched: EnrichedArticle
    story: StoryUpdate | None
    republish: tuple[EnrichedArticle, ...] = ()


class EnrichmentPipeline:
    def __init__(self, annotator: Annotator, linker: StoryLinker) -> None:
        self.annotator, self.linker = annotator, linker

    def annotate(self, article: CanonicalArticle) -> Doc:
        return self.annotator.annotate(article)

    async def link(self, doc: Doc) -> Result:
        linked = await self.linker.link(doc)
        enriched = build_enriched(doc, linked)
        store = self.linker.store
        if any(link.resolved_id is None for link in enriched.article.related):
            # Kept so the source can be re-published once a later article resolves a link.
            await store.save_enriched(enriched.id, enriched.model_dump_json())
        story = None
        if linked.gained or linked.merged_from:
            story = StoryUpdate(story_id=linked.story_id, article_id=enriched.id,
                                article_version=enriched.version,
                                headline=enriched.article.headline, size=linked.size,
                                merged_from=linked.merged_from)
        republish = [await self._relinked(source) for source in linked.resolved_sources]
        return Result(enriched, story, tuple(r for r in republish if r is not None))

    async def enrich(self, article: CanonicalArticle) -> Result:
        return await self.link(self.annotate(article))

    async def _relinked(self, source_id: str) -> EnrichedArticle | None:
        store = self.linker.store
        payload = await store.load_enriched(source_id)
        if payload is None:
            return None
        old = EnrichedArticle.model_validate_json(payload)
        keys = [headline_key(link.headline) for link in old.article.related]
        links = apply_links(old.article.related, await store.links_of(source_id, keys))
        new = EnrichedArticle(
            article=old.article.model_copy(update={"related": links}),
            enrichment=old.enrichment.model_copy(update={"enriched_at": utcnow()}),
        )
        await store.save_enriched(source_id, new.model_dump_json())
        return new


def topic_streams(enriched: EnrichedArticle, vocab: Vocabulary | None = None) -> list[str]:
    """Per-top-level topics for this article, source- and machine-given alike."""
    vocab = vocab or shared_vocabulary()
    names: dict[str, None] = {}
    for s in enriched.enrichment.subjects:
        concept = vocab.get(s.qcode) if s.scheme == "medtop" else None
        if concept is not None and concept.level == 1:
            names[enriched_for_topic(concept.labels["en"])] = None
    return list(names)
