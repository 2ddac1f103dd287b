"""Story linking: same talks -> same story, unrelated -> not, duplicates, links, replicas."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.enrichment.memory import POSTINGS_MAX, MemoryIndex
from services.enrichment.pipeline import Annotator, EnrichmentPipeline
from services.enrichment.store import StoredArticle
from services.enrichment.stories import StoryLinker
from shared.events import BodyBlock, CanonicalArticle

pytestmark = pytest.mark.unit


def article(aid: str, headline: str, paragraphs: list[str], base: CanonicalArticle, *,
            hours: float = 1.0, lang: str = "de") -> CanonicalArticle:
    created = (base.received_at or base.first_created)
    assert created is not None
    return CanonicalArticle(
        id=aid, uri=aid, source="test", format="test", headline=headline, language=lang,
        body=tuple(BodyBlock(kind="paragraph", text=p) for p in paragraphs),
        first_created=created + timedelta(hours=hours))


@pytest.fixture(scope="module")
def annotator(model_dir: Path) -> Annotator:
    return Annotator.default(model_dir)


def follow_up(seed: CanonicalArticle) -> CanonicalArticle:
    return article("talks-2", "Witkoff kündigt neue Ukraine-Gespräche für kommende Woche an", [
        "Der US-Sondergesandte Steve Witkoff hat nach seinem Treffen mit Kremlchef Wladimir "
        "Putin in Moskau neue Gespräche über den Ukraine-Krieg angekündigt.",
        "An dem Treffen im Kreml nahmen auch Jared Kushner und der russische Unterhändler "
        "Kirill Dmitrijew teil, wie Kremlsprecher Dmitri Peskow der Agentur Tass sagte.",
        "Die nächste Runde solle in der kommenden Woche in Abu Dhabi stattfinden.",
    ], seed, hours=30)


def unrelated(seed: CanonicalArticle) -> CanonicalArticle:
    return article("storm-1", "Wintersturm legt Verkehr in Norddeutschland lahm", [
        "Schnee und Glatteis haben am Montag in Hamburg und Bremen zu zahlreichen Unfällen "
        "geführt. Der Deutsche Wetterdienst warnte vor weiterem Eisregen.",
        "Die Deutsche Bahn stellte den Fernverkehr zwischen Hamburg und Berlin vorübergehend ein.",
    ], seed, hours=2)


def english_version(seed: CanonicalArticle) -> CanonicalArticle:
    return article("talks-en", "Kremlin confirms Putin to meet Witkoff and Kushner", [
        "Russian President Vladimir Putin will meet US special envoy Steve Witkoff in Moscow, "
        "Kremlin spokesman Dmitry Peskov told the Tass news agency.",
        "Jared Kushner, the son-in-law of President Donald Trump, will also take part. Witkoff "
        "and Kushner met Kirill Dmitriev in Davos on the sidelines of the World Economic Forum.",
    ], seed, hours=3, lang="en")


def test_seed_follow_up_joins_story_unrelated_does_not_and_link_resolves(
        annotator: Annotator, seed_article: CanonicalArticle) -> None:
    pipe = EnrichmentPipeline(annotator)
    first = pipe.enrich(seed_article)
    assert all(link.resolved_id is None for link in first.enriched.article.related)
    second = pipe.enrich(follow_up(seed_article))
    third = pipe.enrich(unrelated(seed_article))
    assert second.enriched.enrichment.story_id == first.enriched.enrichment.story_id
    assert third.enriched.enrichment.story_id != first.enriched.enrichment.story_id
    assert [r.id for r in second.enriched.enrichment.related][:1] == [seed_article.id]
    # The seed's "Mehr entdecken" link now resolves: a small event, not the whole seed again.
    assert [u.source_id for u in second.links] == [seed_article.id]
    assert [(lk.headline, lk.resolved_id) for lk in second.links[0].links] == [
        ("Witkoff kündigt neue Ukraine-Gespräche für kommende Woche an", "talks-2")]
    assert third.links == ()
    assert second.story is not None
    assert second.story.size == 2


def test_english_article_on_the_same_talks_joins_across_languages(
        annotator: Annotator, seed_article: CanonicalArticle) -> None:
    pipe = EnrichmentPipeline(annotator)
    first = pipe.enrich(seed_article)
    english = pipe.enrich(english_version(seed_article))
    assert english.enriched.enrichment.language is not None
    assert english.enriched.enrichment.language.code == "en"
    assert english.enriched.enrichment.story_id == first.enriched.enrichment.story_id


def test_light_rewrite_is_a_duplicate_of_the_earliest(
        annotator: Annotator, seed_article: CanonicalArticle) -> None:
    pipe = EnrichmentPipeline(annotator)
    pipe.enrich(seed_article)
    body = [b.text.replace("rechnet", "erwartet") for b in seed_article.body]
    rewrite = article("rewrite-1", seed_article.headline + " (aktualisiert)", body,
                      seed_article, hours=2)
    result = pipe.enrich(rewrite)
    assert result.enriched.enrichment.duplicate_of == seed_article.id
    assert "near_duplicate" in result.enriched.enrichment.related[0].reasons


def test_clusters_do_not_depend_on_the_order_articles_arrive_in(
        annotator: Annotator, seed_article: CanonicalArticle) -> None:
    """Two annotation replicas interleave their outputs on the linker's stream in any order;
    the stories must come out the same."""
    arts = [seed_article, follow_up(seed_article), unrelated(seed_article),
            english_version(seed_article)]
    docs = [annotator.annotate(a) for a in arts]
    single = StoryLinker()
    for d in docs:
        single.link(d)
    for seed in range(5):
        other = StoryLinker()
        order = docs[:]
        random.Random(seed).shuffle(order)  # noqa: S311
        for d in order:
            other.link(d)
        assert clusters(other, arts) == clusters(single, arts)
    assert len(set(clusters(single, arts).values())) == 2


def clusters(linker: StoryLinker, arts: list[CanonicalArticle]) -> dict[str, str]:
    out = {}
    for a in arts:
        rec = linker.state.index.get(a.id)
        assert rec is not None
        out[a.id] = linker.state.forest.find(rec.node)
    return out


def test_a_busy_key_is_read_from_its_newest_postings_only() -> None:
    store = MemoryIndex()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(POSTINGS_MAX + 100):
        keys = ("l:usa", "p:rare") if i == 0 else ("l:usa",)
        store.put(StoredArticle(id=f"a{i:04d}", version=1, node=f"st-{i:04d}",
                                      published=t0, keys=keys, sketch=(), headline_key=f"h{i}",
                                      headline=f"H{i}"))
    window = (t0 - timedelta(days=1), t0 + timedelta(days=1))
    got = store.candidates(("l:usa",), *window, limit=10_000, exclude="")
    assert len(got) == POSTINGS_MAX
    assert min(a.id for a in got) == "a0100"  # the oldest 100 fell out of the busy key
    # A rare shared key still finds its old article, ranked first for sharing two keys.
    got = store.candidates(("l:usa", "p:rare"), *window, limit=3, exclude="")
    assert got[0].id == "a0000"
