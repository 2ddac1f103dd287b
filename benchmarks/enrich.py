"""Enrichment figures: NER P/R/F1, topic accuracy, story linking, throughput and memory."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.enrichment.doc import Doc, article_text  # noqa: E402
from services.enrichment.ner.corpora import KEEP, germeval_split, read_conll, spans  # noqa: E402
from services.enrichment.ner.tagger import TaggerSet  # noqa: E402
from services.enrichment.ner.train import shared_ner_dir  # noqa: E402
from services.enrichment.pipeline import Annotator, EnrichmentPipeline  # noqa: E402
from services.enrichment.store import MemoryStoryStore  # noqa: E402
from services.enrichment.stories import StoryLinker  # noqa: E402
from services.enrichment.topics import TopicEnricher  # noqa: E402
from services.enrichment.vocab import shared_vocabulary  # noqa: E402
from services.normalizer.pipeline import normalize  # noqa: E402
from shared.events import BodyBlock, CanonicalArticle, RawArticle  # noqa: E402

SHARED = REPO.parent / "shared"
T0 = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)


def ner_scores(taggers: TaggerSet) -> None:
    data = shared_ner_dir()
    sets = {"de (GermEval 2014 dev, held-out 2nd half)":
            ("de", germeval_split(data / "germeval2014" / "NER-de-dev.tsv")[1]),
            "en (CoNLL++ dev)": ("en", list(read_conll(data / "conllpp" / "conllpp_dev.txt")))}
    for name, (lang, sents) in sets.items():
        tagger = taggers.for_lang(lang)
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for words, gold in sents:
            g = {s for s in spans(gold) if s[2] in KEEP}
            p = {s for s in spans(tagger.tag_tokens(words)) if s[2] in KEEP}
            for kind in (*KEEP, "ALL"):
                gk = {s for s in g if kind in {"ALL", s[2]}}
                pk = {s for s in p if kind in {"ALL", s[2]}}
                c = counts[kind]
                c[0], c[1], c[2] = c[0] + len(gk & pk), c[1] + len(pk - gk), c[2] + len(gk - pk)
        print(f"NER {name}: {len(sents)} sentences")
        for kind in ("PER", "ORG", "LOC", "ALL"):
            tp, fp, fn = counts[kind]
            prec, rec = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
            f1 = 2 * prec * rec / max(prec + rec, 1e-9)
            print(f"  {kind:4} P={prec:.3f} R={rec:.3f} F1={f1:.3f}")


def wire_articles() -> list[CanonicalArticle]:
    out = []
    for path in sorted((SHARED / "data" / "wires").rglob("*")):
        if not path.is_file() or "should_fail" in path.parts:
            continue
        raw = RawArticle(id=f"bench:{path.name}", source="bench", received_at=T0,
                         payload=path.read_bytes(), trace_id="bench")
        try:
            _, arts = normalize(raw, max_bytes=20 * 1024 * 1024)
        except Exception:  # noqa: BLE001, S112 - unparseable samples are not topic samples
            continue
        out += [a for a in arts if any(s.scheme == "medtop" for s in a.subjects)]
    return out


def topic_accuracy(annotator: Annotator) -> None:
    vocab = shared_vocabulary()
    hidden = TopicEnricher(vocab, hide_source=True)
    arts = wire_articles()
    ok = n = 0
    for art in arts:
        gold = {vocab.top_level(s.qcode) for s in art.subjects if s.scheme == "medtop"} - {None}
        if not gold or not (art.body_text or art.headline):
            continue
        doc = Doc(article=art.model_copy(update={"subjects": ()}), text=art.headline)
        annotator.enrichers[0].enrich(doc)  # language only
        doc.text = "\n".join([art.headline, art.teaser or "", art.body_text])
        machine = [s for s in hidden.classify(doc) if vocab.concepts[s.qcode].level == 1]
        n += 1
        ok += bool(machine and machine[0].qcode in gold)
    print(f"Topics: top-level accuracy {ok}/{n} = {ok / max(n, 1):.3f} "
          "(wire samples carrying medtop codes, source subjects hidden)")


def story_docs(annotator: Annotator) -> tuple[list[Doc], dict[str, str]]:
    rows = [json.loads(x) for x in (REPO / "tests/fixtures/stories/stories.jsonl").read_text(
        encoding="utf-8").splitlines() if x.strip()]
    docs, gold = [], {}
    for r in rows:
        art = CanonicalArticle(id=r["id"], uri=r["id"], source="bench", format="bench",
                               headline=r["headline"], language=r["lang"],
                               body=(BodyBlock(kind="paragraph", text=r["body"]),),
                               first_created=T0 + timedelta(hours=r["hours"]))
        docs.append(annotator.annotate(art))
        gold[r["id"]] = r["story"]
    return docs, gold


async def clusters_of(docs: list[Doc], replicas: int, seed: int) -> dict[str, str]:
    store = MemoryStoryStore()
    linkers = [StoryLinker(store) for _ in range(replicas)]
    order = docs[:]
    random.Random(seed).shuffle(order)
    await asyncio.gather(*(linkers[i % replicas].link(d) for i, d in enumerate(order)))
    out = {}
    for d in docs:
        rec = await store.get(d.article.id)
        out[d.article.id] = await store.find(rec.node) if rec else d.article.id
    return out


def pairwise(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for a, b in combinations(sorted(gold), 2):
        same_p, same_g = pred[a] == pred[b], gold[a] == gold[b]
        tp += same_p and same_g
        fp += same_p and not same_g
        fn += same_g and not same_p
    prec, rec = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return prec, rec, 2 * prec * rec / max(prec + rec, 1e-9)


async def story_scores(annotator: Annotator) -> None:
    docs, gold = story_docs(annotator)
    one = await clusters_of(docs, 1, 0)
    prec, rec, f1 = pairwise(one, gold)
    print(f"Stories: {len(docs)} articles, {len(set(gold.values()))} stories; pairwise "
          f"P={prec:.3f} R={rec:.3f} F1={f1:.3f}; predicted clusters={len(set(one.values()))}")
    same = all([await clusters_of(docs, 2, s) == one for s in range(5)])
    print(f"Stories: two interleaved replicas == one replica over 5 orders: {same}")
    pipe = EnrichmentPipeline(annotator, StoryLinker(MemoryStoryStore()))
    kept = 0
    for d in docs:
        first = await pipe.link(d)
        art = d.article.model_copy(update={"version": 2, "headline": d.article.headline + " +"})
        second = await pipe.enrich(art)
        kept += first.enriched.enrichment.story_id == second.enriched.enrichment.story_id
    print(f"Update chains: {kept}/{len(docs)} second versions kept their story")


def synthetic(i: int, seed_paragraphs: list[str], rng: random.Random) -> CanonicalArticle:
    paras = seed_paragraphs[:]
    rng.shuffle(paras)
    body: list[BodyBlock] = []
    size = 0
    while size < 3000:  # 3 KB of body text
        p = paras[len(body) % len(paras)]
        body.append(BodyBlock(kind="paragraph", text=p))
        size += len(p.encode())
    return CanonicalArticle(id=f"syn-{i}", uri=f"syn-{i}", source="bench", format="bench",
                            headline=f"Meldung {i}: " + paras[0][:60], body=tuple(body),
                            first_created=T0 + timedelta(minutes=i))


async def throughput(annotator: Annotator, n: int, rss_n: int, runs: int) -> None:
    raw = RawArticle(id="seed", source="bench", received_at=T0, trace_id="bench",
                     payload=(SHARED / "seeds" / "000_c3eca885e310276e.txt").read_bytes())
    paragraphs = list(normalize(raw, max_bytes=10**7)[1][0].paragraphs)
    rng = random.Random(1)
    arts = [synthetic(i, paragraphs, rng) for i in range(n)]
    for a in arts[:50]:
        annotator.annotate(a)  # warm-up: models opened, indexes built
    full: list[float] = []
    pure: list[float] = []
    for _ in range(runs):
        pipe = EnrichmentPipeline(annotator, StoryLinker(MemoryStoryStore()))
        t = time.process_time()
        for a in arts:
            await pipe.enrich(a)
        full.append(n / (time.process_time() - t))
        t = time.process_time()
        for a in arts:
            annotator.annotate(a)
        pure.append(n / (time.process_time() - t))
    print(f"Throughput: median {statistics.median(full):.0f} articles/s per core (CPU time, "
          f"{runs} runs of {n} x 3 KB: {', '.join(f'{x:.0f}' for x in full)}; full pipeline "
          "with in-memory story store)")
    print(f"Throughput: median {statistics.median(pure):.0f} articles/s per core for the pure "
          f"annotator ({', '.join(f'{x:.0f}' for x in pure)})")
    stage = {e.name: 0.0 for e in annotator.enrichers}
    for a in arts[:200]:
        doc = Doc(article=a, text=article_text(a))
        for e in annotator.enrichers:
            t = time.perf_counter()
            e.enrich(doc)
            stage[e.name] += time.perf_counter() - t
    print("  per stage ms/article: " + ", ".join(f"{k}={v / 200 * 1000:.2f}"
                                                 for k, v in stage.items()))
    if rss_n:
        # Synthetic articles reuse the seed's paragraphs, so word-level caches stay warm;
        # the figure shows that state stays bounded, not a cold-start cost.
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.process_time()
        for i in range(rss_n):
            annotator.annotate(synthetic(n + i, paragraphs, rng))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"Memory: max RSS {rss:.0f} MiB after {rss_n} articles through the pure annotator "
              f"({before:.0f} MiB before; {rss_n / (time.process_time() - t):.0f} articles/s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000, help="throughput sample")
    parser.add_argument("--rss-articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="throughput runs (median shown)")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["ner", "topics", "stories", "speed"])
    args = parser.parse_args()
    annotator = Annotator.default()
    if "ner" not in args.skip:
        ner_scores(TaggerSet())
    if "topics" not in args.skip:
        topic_accuracy(annotator)
    if "stories" not in args.skip:
        asyncio.run(story_scores(annotator))
    if "speed" not in args.skip:
        asyncio.run(throughput(annotator, args.articles, args.rss_articles, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
