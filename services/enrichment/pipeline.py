"""The enrichment pipeline: pure annotators in order, then story linking on in-memory state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.events import (
    CanonicalArticle,
    EnrichedArticle,
    Enrichment,
    LinkUpdate,
    ResolvedLink,
    StoryUpdate,
)
from shared.topics import Topics

from .doc import Doc, Enricher, article_text
from .entities import EntityEnricher
from .keyphrases import KeyphraseEnricher
from .language import LanguageEnricher
from .ner.tagger import TaggerSet
from .stories import Linked, StoryLinker
from .topics import TopicEnricher
from .vocab import Vocabulary, shared_vocabulary

ENRICHER = "newswire-enrichment/0.2 (lingua; iptc-lexical; crf-ner; story-unionfind)"


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


def annotated(doc: Doc) -> EnrichedArticle:
    """The annotation stage's output: everything but the links (news.annotated)."""
    return build_enriched(doc, None)


def doc_of(item: EnrichedArticle) -> Doc:
    """The linker's working document back from an annotated article."""
    enrichment = item.enrichment
    return Doc(article=item.article, text=article_text(item.article),
               language=enrichment.language, subjects=list(enrichment.subjects),
               keyphrases=list(enrichment.keyphrases), entities=list(enrichment.entities))


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
    links: tuple[LinkUpdate, ...] = ()


def link_result(doc: Doc, linked: Linked) -> Result:
    """The events one linked article gives: itself, its story's change, links it resolved."""
    enriched = build_enriched(doc, linked)
    story = None
    if linked.gained or linked.merged_from:
        story = StoryUpdate(story_id=linked.story_id, article_id=enriched.id,
                            article_version=enriched.version,
                            headline=enriched.article.headline, size=linked.size,
                            merged_from=linked.merged_from, moved=linked.moved)
    by_source: dict[str, list[ResolvedLink]] = {}
    for source, headline in linked.resolved:
        by_source.setdefault(source, []).append(
            ResolvedLink(headline=headline, resolved_id=enriched.id))
    links = tuple(LinkUpdate(source_id=s, links=tuple(ls)) for s, ls in by_source.items())
    return Result(enriched, story, links)


class EnrichmentPipeline:
    """Annotate and link in one process: the batch CLI, benchmarks and tests."""

    def __init__(self, annotator: Annotator, linker: StoryLinker | None = None) -> None:
        self.annotator, self.linker = annotator, linker or StoryLinker()

    def annotate(self, article: CanonicalArticle) -> Doc:
        return self.annotator.annotate(article)

    def link(self, doc: Doc) -> Result:
        return link_result(doc, self.linker.link(doc))

    def enrich(self, article: CanonicalArticle) -> Result:
        return self.link(self.annotate(article))


def topic_streams(enriched: EnrichedArticle, names: Topics,
                  vocab: Vocabulary | None = None) -> list[str]:
    """Per-top-level topics for this article, source- and machine-given alike."""
    vocab = vocab or shared_vocabulary()
    streams: dict[str, None] = {}
    for s in enriched.enrichment.subjects:
        concept = vocab.get(s.qcode) if s.scheme == "medtop" else None
        if concept is not None and concept.level == 1:
            streams[names.enriched_for(concept.labels["en"])] = None
    return list(streams)
