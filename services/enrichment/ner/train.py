"""Reproducible CRF training from ../shared/data/ner into the model dir, and its evaluation."""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pycrfsuite

from .clusters import build_clusters, load_clusters, markup_sentences, save_clusters
from .corpora import (
    KEEP,
    Sentence,
    europeana_split,
    germeval_split,
    read_conll,
    read_europeana,
    read_germeval,
    read_wikiann,
    spans,
    wikiann_split,
)
from .features import Clusters, Featurizer, build_gazetteer, save_gazetteer
from .gazetteers import bundled_gazetteer, merge
from .tagger import clusters_path, default_model_dir, gazetteer_path, model_path

log = logging.getLogger("newswire.enrichment.train")

# Besides the CRF, training writes the gazetteer the features use: word lists learned from the
# training sentences plus lists from package data (gazetteers.py). The shipped German model
# trains on all of GermEval dev (its train split is not available), so its quality is measured
# by `cross_validate`: one model per half of dev, each scored on the other half, so no sentence
# is scored by a model that saw it.

@dataclass(frozen=True)
class Recipe:
    """How one language's model trains: L1/L2 weights, iterations, and how many times each
    source's sentences count (0 leaves a source out)."""

    c1: float
    c2: float
    iterations: int = 100
    wikiann: int = 1
    europeana: int = 1
    own: int = 1  # GermEval dev (de) or CoNLL++ train (en)
    clusters: bool = True  # word-cluster features from unlabelled text
    wiki_sentences: bool = True  # WikiANN: only running text, not bare titles and list items
    wiki_lists: bool = False  # WikiANN train as name lists (features), not as training sentences


# Chosen on tuning splits only (`--tune`): GermEval dev by cross-validation and the first half
# of WikiANN de dev (de); a fifth of CoNLL++ train and the first half of WikiANN en dev (en).
# The test parts (`held_out(..., part=1)`) were scored once, for the figures. German has few
# in-domain sentences, so a strong L2 prior generalises better, and GermEval counts six times
# against WikiANN's silver labels; the L1 part keeps the model sparse (pure L2 weighs every
# attribute: 29% more per token at tagging). Tried for German, GermEval CV pooled F1: no
# WikiANN 0.629; all WikiANN items 0.617; its running text only 0.633 (GermEval x3), 0.637
# (x6); WikiANN as name lists instead of sentences 0.633 (P 0.735, R 0.556).
RECIPES: dict[str, Recipe] = {"de": Recipe(0.05, 0.5, own=6), "en": Recipe(0.05, 0.01)}
# Per type: true positives, false positives, false negatives (PER, ORG, LOC and ALL).
Counts = dict[str, list[int]]


def shared_ner_dir() -> Path:
    """../shared/data/ner relative to the repo root."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ner"


def europeana(data: Path, part: int = 0) -> list[Sentence]:
    """Europeana Newspapers German (19th-century OCR), without its noisiest sentences: part 0
    is the training share of each file, part 1 its held-out last fifth (never trained on)."""
    sents: list[Sentence] = []
    for name in ("enp_DE.lft.bio", "enp_DE.onb.bio", "enp_DE.sbb.bio"):
        kept = [s for s in read_europeana(data / "europeana" / name) if not _ocr_noise(s[0])]
        sents += europeana_split(kept)[part]
    return sents


def _ocr_noise(words: list[str]) -> bool:
    """An all-caps word there is OCR debris and untagged ("SO", "LS"), while in news it is mostly
    an organisation ("SPD", "UEFA"): such sentences taught the CRF that acronyms are not names.
    Stray one-letter and punctuation-run tokens mark garbled lines."""
    if any(w.isupper() and w.isalpha() and len(w) > 1 for w in words):
        return True
    odd = sum(1 for w in words if (len(w) > 1 and not w.isalnum())
              or (len(w) == 1 and w.isalpha() and w.islower()))
    return odd > 0.1 * len(words)


def _running_text(words: list[str], tags: list[str]) -> bool:
    """Most WikiANN items are a bare title or list item, nearly all name: trained on as they
    are, they teach that a capitalised run is a name, which German, capitalising every noun,
    pays for in precision. Running text has function words around its names."""
    return len(words) >= 6 and sum(1 for w, t in zip(words, tags, strict=True)
                                   if t == "O" and w[:1].islower()) >= 2


def unlabelled(data: Path) -> list[list[str]]:
    """Text the word clusters learn from: the training parts of the labelled corpora (their
    words, not their tags) and the shared wire, feed and web-page samples. Nothing held out
    for testing and no GermEval sentence (its halves score each other) is read."""
    sents = [w for lang in ("de", "en") for w, _ in read_wikiann(data / "wikiann" / lang / "train")]
    sents += [w for w, _ in europeana(data)]
    sents += [w for w, _ in read_conll(data / "conllpp" / "conllpp_train.txt")]
    shared = data.parents[1]
    # Wire JSON is text; evaldata*.json of the extraction set is a gold standard, not a page.
    docs = sorted(p for sub in ("data/wires", "data/extraction", "seeds")
                  for p in (shared / sub).rglob("*")
                  if p.is_file() and (p.suffix != ".json" or "wires" in p.parts))
    return sents + list(markup_sentences(docs))


def training_parts(lang: str, data: Path, germeval: list[Sentence] | None = None,
                   recipe: Recipe | None = None) -> list[tuple[list[Sentence], int]]:
    """Training sentences per source with their repeat count, out-of-domain first. German
    in-domain data is GermEval dev, all of it unless `germeval` names a part
    (cross-validation). Held-out parts (WikiANN dev, Europeana's last fifths, CoNLL++ dev)
    never train."""
    r = recipe or RECIPES[lang]
    wiki = list(read_wikiann(data / "wikiann" / lang / "train")) if r.wikiann else []
    if r.wiki_sentences:
        wiki = [s for s in wiki if _running_text(*s)]
    if lang == "en":
        return [(wiki, r.wikiann),
                (list(read_conll(data / "conllpp" / "conllpp_train.txt")), r.own)]
    own = list(read_germeval(data / "germeval2014" / "NER-de-dev.tsv")) if germeval is None \
        else germeval
    return [(wiki, r.wikiann), (europeana(data) if r.europeana else [], r.europeana),
            (own, r.own)]


def _jackknife(sents: list[Sentence], lists: dict[str, str],
               clusters: Clusters) -> list[tuple[Sentence, Featurizer]]:
    """Each half's learned-list features come from the other half's lists, so the CRF learns how
    far to trust a list entry instead of memorising that every training name is listed. The
    package lists come from no training sentence and need no such care."""
    halves = [sents[0::2], sents[1::2]]
    feats = [Featurizer(merge(build_gazetteer(halves[1]), lists), clusters=clusters),
             Featurizer(merge(build_gazetteer(halves[0]), lists), clusters=clusters)]
    return [(s, feats[i % 2]) for i, s in enumerate(sents)]


def fit(parts: list[tuple[list[Sentence], int]], out: Path, *, c1: float, c2: float,
        iterations: int, clusters: Clusters, named: list[Sentence] | None = None
        ) -> dict[str, str]:
    """Train a CRF at `out` on (sentences, repeat count) parts. Returns the gazetteer to tag
    with."""
    trainer = pycrfsuite.Trainer(verbose=False)
    lists = merge(bundled_gazetteer(), name_lists(named or []))
    sents = [s for part, _ in parts for s in part]
    repeats = [n for part, n in parts for _ in part]
    for (sent, featurizer), n in zip(_jackknife(sents, lists, clusters), repeats, strict=True):
        words, tags = sent
        feats = featurizer.sent(words)
        for _ in range(n):
            trainer.append(feats, tags)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": iterations,
                        "feature.possible_transitions": True})
    tmp = out.with_suffix(".tmp")
    trainer.train(str(tmp))
    tmp.replace(out)  # atomic: a reader never sees a half-written model
    return merge(build_gazetteer(sents), lists)


def name_lists(sents: list[Sentence]) -> dict[str, str]:
    """Words of names in sentences no model trains on (WikiANN), as lists of their own
    ("wPER", "wORG", "wLOC", "wFIRST"): the CRF learns from the in-domain sentences how far
    to trust them. Their common-word lists are left out: Wikipedia's are not news'."""
    out = {}
    for word, tags in build_gazetteer(sents).items():
        kept = [f"w{t}" for t in tags.split(",") if t in {"PER", "ORG", "LOC", "FIRST"}]
        if kept:
            out[word] = ",".join(kept)
    return out


def _fit_lang(lang: str, data: Path, out: Path, clusters: Clusters, *,
              germeval: list[Sentence] | None = None,
              recipe: Recipe | None = None) -> dict[str, str]:
    r = recipe or RECIPES[lang]
    named = list(read_wikiann(data / "wikiann" / lang / "train")) if r.wiki_lists else None
    if r.wiki_lists:
        r = replace(r, wikiann=0)
    return fit(training_parts(lang, data, germeval, r), out, c1=r.c1, c2=r.c2, named=named,
               iterations=r.iterations, clusters=clusters if r.clusters else {})


def word_clusters(data: Path, cache: Path | None = None) -> dict[str, tuple[int, ...]]:
    """Clusters of the unlabelled text (the same for both languages), reused from `cache`
    when a file of this version is there."""
    if cache is not None and cache.exists():
        return load_clusters(cache)
    clusters = build_clusters(unlabelled(data))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        save_clusters(clusters, cache)
    return clusters


def train(lang: str, data: Path, out_dir: Path, clusters: Clusters,
          recipe: Recipe | None = None) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = model_path(out_dir, lang)
    staging = target.with_suffix(".staging")
    r = recipe or RECIPES[lang]
    gaz = _fit_lang(lang, data, staging, clusters, recipe=r)
    # Word lists first, then the model: an existing model always has its word lists.
    save_gazetteer(gaz, gazetteer_path(target))
    save_clusters(clusters if r.clusters else {}, clusters_path(target))
    staging.replace(target)
    return target


def score(tag: Callable[[list[str]], list[str]], sents: list[Sentence]) -> Counts:
    """Exact-span counts per type; only PER/ORG/LOC are scored (MISC is trained, not scored)."""
    counts: Counts = defaultdict(lambda: [0, 0, 0])
    for words, gold in sents:
        g = {s for s in spans(gold) if s[2] in KEEP}
        p = {s for s in spans(tag(words)) if s[2] in KEEP}
        for kind in (*sorted(KEEP), "ALL"):
            gk = {s for s in g if kind in {"ALL", s[2]}}
            pk = {s for s in p if kind in {"ALL", s[2]}}
            c = counts[kind]
            c[0], c[1], c[2] = c[0] + len(gk & pk), c[1] + len(pk - gk), c[2] + len(gk - pk)
    return dict(counts)


def prf(c: list[int]) -> tuple[float, float, float]:
    tp, fp, fn = c
    prec, rec = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return prec, rec, 2 * prec * rec / max(prec + rec, 1e-9)


def evaluate(model: Path, gaz: dict[str, str], sents: list[Sentence],
             clusters: Clusters) -> Counts:
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    featurizer = Featurizer(gaz, clusters=clusters)
    return score(lambda words: list(tagger.tag(featurizer.sent(words))), sents)


def _fold(fold: int, job: tuple[Path, Clusters, Recipe | None]) -> Counts:
    data, clusters, recipe = job
    if recipe is not None and not recipe.clusters:
        clusters = {}
    halves = germeval_split(data / "germeval2014" / "NER-de-dev.tsv")
    with tempfile.TemporaryDirectory(prefix="ner-cv-") as tmp:
        model = Path(tmp) / "fold.crfsuite"
        gaz = _fit_lang("de", data, model, clusters, germeval=halves[fold], recipe=recipe)
        return evaluate(model, gaz, halves[1 - fold], clusters)


def cross_validate(data: Path, clusters: Clusters,
                   recipe: Recipe | None = None) -> list[Counts]:
    """German 2-fold cross-validation over GermEval dev, trained exactly like the shipped model
    but on one half: [first half -> scored on second half, second half -> scored on first]."""
    with ProcessPoolExecutor(max_workers=2) as pool:
        return list(pool.map(_fold, [0, 1], [(data, clusters, recipe)] * 2))


def pooled(folds: list[Counts]) -> Counts:
    return {k: [sum(f[k][j] for f in folds) for j in range(3)] for k in folds[0]}


def held_out(lang: str, data: Path, part: int = 1) -> dict[str, list[Sentence]]:
    """Sentences no shipped model trains on, per source. part 1: the untouched test parts
    (quoted as results); part 0: the tuning parts that choices were made on."""
    wiki = wikiann_split(data / "wikiann" / lang / "dev", data / "wikiann" / lang / "train")[part]
    if lang == "de":
        out = {"WikiANN de dev, 2nd half" if part else "WikiANN de dev, 1st half": wiki}
        if part:
            out["Europeana, last fifth of each file"] = europeana(data, part=1)
        return out
    if part:
        return {"CoNLL++ dev": list(read_conll(data / "conllpp" / "conllpp_dev.txt")),
                "WikiANN en dev, 2nd half": wiki}
    return {"WikiANN en dev, 1st half": wiki}


def _tune_job(lang: str, job: tuple[Path, Clusters, Recipe]) -> dict[str, Counts]:
    """One tuning model: German trains like the shipped model (all of GermEval dev) and is
    scored on the tuning parts; English trains without a fifth of CoNLL++ train, which it is
    scored on besides."""
    data, clusters, recipe = job
    if not recipe.clusters:
        clusters = {}
    with tempfile.TemporaryDirectory(prefix="ner-tune-") as tmp:
        model = Path(tmp) / "tune.crfsuite"
        sets = held_out(lang, data, part=0)
        if lang == "en":
            conll = list(read_conll(data / "conllpp" / "conllpp_train.txt"))
            parts = training_parts("en", data, recipe=recipe)
            parts[-1] = ([x for i, x in enumerate(conll) if i % 5 != 4], recipe.own)
            gaz = fit(parts, model, c1=recipe.c1, c2=recipe.c2, iterations=recipe.iterations,
                      clusters=clusters)
            sets["CoNLL++ train, every 5th sentence"] = conll[4::5]
        else:
            gaz = _fit_lang("de", data, model, clusters, recipe=recipe)
        return {name: evaluate(model, gaz, sents, clusters) for name, sents in sets.items()}


def tune(lang: str, data: Path, clusters: Clusters, recipe: Recipe,
         cv_only: bool = False) -> dict[str, Counts]:
    """F1 of a recipe on tuning splits only: German also by cross-validation over GermEval."""
    if cv_only:
        return {"GermEval dev, 2-fold CV pooled": pooled(cross_validate(data, clusters, recipe))}
    with ProcessPoolExecutor(max_workers=2) as pool:
        job = pool.submit(_tune_job, lang, (data, clusters, recipe))
        if lang == "de":
            folds = cross_validate(data, clusters, recipe)
            out = job.result()
            out["GermEval dev, 2-fold CV pooled"] = pooled(folds)
            return out
        return job.result()


def _recipe(lang: str, spec: list[str]) -> Recipe:
    """RECIPES[lang] with `field=value` overrides (--tune experiments)."""
    r = RECIPES[lang]
    for item in spec:
        key, _, value = item.partition("=")
        current = getattr(r, key)
        parsed = value.lower() in {"1", "true", "yes"} if isinstance(current, bool) \
            else type(current)(value)
        r = replace(r, **{key: parsed})
    return r


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lang", action="append", choices=["de", "en"])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--if-missing", action="store_true", help="skip models already built")
    parser.add_argument("--cv-only", action="store_true",
                        help="--tune for German: only the GermEval cross-validation")
    parser.add_argument("--clusters-cache", type=Path, default=None,
                        help="reuse (or write) the word clusters at this file")
    parser.add_argument("--tune", nargs="*", metavar="FIELD=VALUE", default=None,
                        help="no model: F1 on the tuning splits only (never the test parts) "
                             "for the recipe with these overrides, e.g. c2=0.2 wikiann=0")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = args.out or default_model_dir()
    data = args.data or shared_ner_dir()
    langs = args.lang or ["de", "en"]
    if args.tune is not None:
        for lang in langs:
            recipe = _recipe(lang, args.tune)
            t0 = time.perf_counter()
            clusters = word_clusters(data, args.clusters_cache)
            for name, counts in tune(lang, data, clusters, recipe,
                                     args.cv_only and lang == "de").items():
                p, r, f1 = prf(counts["ALL"])
                log.info("%s %s | %s: P=%.3f R=%.3f F1=%.3f", lang, recipe, name, p, r, f1)
            log.info("%s tuned in %.0fs", lang, time.perf_counter() - t0)
        return 0
    todo = []
    for lang in langs:
        if args.if_missing and model_path(out, lang).exists():
            log.info("model %s exists, skipped", model_path(out, lang))
        else:
            todo.append(lang)
    if not todo:
        return 0
    t0 = time.perf_counter()
    clusters = word_clusters(data, args.clusters_cache)
    log.info("word clusters of %d words in %.0fs", len(clusters), time.perf_counter() - t0)
    # One process per language: CRF training is single-threaded, so two cores halve the wait.
    with ProcessPoolExecutor(max_workers=max(1, min(len(todo), os.cpu_count() or 1))) as pool:
        for lang, seconds, path in pool.map(_train_timed, todo,
                                             [(data, out, clusters)] * len(todo)):
            log.info("trained %s in %.0fs -> %s", lang, seconds, path)
    return 0


def _train_timed(lang: str, job: tuple[Path, Path, Clusters]) -> tuple[str, float, Path]:
    t0 = time.perf_counter()
    path = train(lang, *job)
    return lang, time.perf_counter() - t0, path
