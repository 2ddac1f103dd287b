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
from pathlib import Path

import pycrfsuite

from .corpora import (
    KEEP,
    Sentence,
    germeval_split,
    read_conll,
    read_europeana,
    read_germeval,
    spans,
)
from .features import Featurizer, build_gazetteer, save_gazetteer
from .gazetteers import bundled_gazetteer, merge
from .tagger import default_model_dir, gazetteer_path, model_path

log = logging.getLogger("newswire.enrichment.train")

# Besides the CRF, training writes the gazetteer the features use: word lists learned from the
# training sentences plus lists from package data (gazetteers.py). The shipped German model
# trains on all of GermEval dev (its train split is not available), so its quality is measured
# by `cross_validate`: one model per half of dev, each scored on the other half, so no sentence
# is scored by a model that saw it.

# Chosen by cross-validation on GermEval dev (de) and on a held-out fifth of CoNLL++ train (en);
# `--search` re-runs a grid. German has few in-domain sentences, so a strong L2 prior
# generalises better; the L1 part keeps the model sparse (pure L2 weighs every attribute: 29%
# more per token at tagging).
PARAMS: dict[str, tuple[float, float]] = {"de": (0.05, 0.5), "en": (0.05, 0.01)}
GERMEVAL_REPEAT = 3
# Per type: true positives, false positives, false negatives (PER, ORG, LOC and ALL).
Counts = dict[str, list[int]]


def shared_ner_dir() -> Path:
    """../shared/data/ner relative to the repo root."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ner"


def europeana(data: Path) -> list[Sentence]:
    """Europeana Newspapers German (19th-century OCR), without its noisiest sentences."""
    sents: list[Sentence] = []
    for name in ("enp_DE.lft.bio", "enp_DE.onb.bio", "enp_DE.sbb.bio"):
        sents += [s for s in read_europeana(data / "europeana" / name) if not _ocr_noise(s[0])]
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


def training_parts(lang: str, data: Path,
                   germeval: list[Sentence] | None = None) -> tuple[list[Sentence], list[Sentence]]:
    """(out-of-domain, in-domain) training sentences. German in-domain data is GermEval dev,
    all of it unless `germeval` names a part (cross-validation)."""
    if lang == "en":
        return [], list(read_conll(data / "conllpp" / "conllpp_train.txt"))
    own = list(read_germeval(data / "germeval2014" / "NER-de-dev.tsv")) if germeval is None \
        else germeval
    return europeana(data), own


def _jackknife(sents: list[Sentence], lists: dict[str, str]) -> list[tuple[Sentence, Featurizer]]:
    """Each half's learned-list features come from the other half's lists, so the CRF learns how
    far to trust a list entry instead of memorising that every training name is listed. The
    package lists come from no training sentence and need no such care."""
    halves = [sents[0::2], sents[1::2]]
    feats = [Featurizer(merge(build_gazetteer(halves[1]), lists)),
             Featurizer(merge(build_gazetteer(halves[0]), lists))]
    return [(s, feats[i % 2]) for i, s in enumerate(sents)]


def fit(sents: list[Sentence], repeat_from: int, repeat: int, out: Path, *, c1: float,
        c2: float, iterations: int) -> dict[str, str]:
    """Train a CRF at `out`; sentences from index repeat_from on count `repeat` times. Returns
    the gazetteer to tag with."""
    trainer = pycrfsuite.Trainer(verbose=False)
    lists = bundled_gazetteer()
    for i, (sent, featurizer) in enumerate(_jackknife(sents, lists)):
        words, tags = sent
        feats = featurizer.sent(words)
        for _ in range(repeat if i >= repeat_from else 1):
            trainer.append(feats, tags)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": iterations,
                        "feature.possible_transitions": True})
    tmp = out.with_suffix(".tmp")
    trainer.train(str(tmp))
    tmp.replace(out)  # atomic: a reader never sees a half-written model
    return merge(build_gazetteer(sents), lists)


def _fit_lang(lang: str, data: Path, out: Path, iterations: int, *,
              germeval: list[Sentence] | None = None,
              params: tuple[float, float] | None = None) -> dict[str, str]:
    other, own = training_parts(lang, data, germeval)
    c1, c2 = params or PARAMS[lang]
    return fit(other + own, len(other), GERMEVAL_REPEAT if lang == "de" else 1, out, c1=c1,
               c2=c2, iterations=iterations)


def train(lang: str, data: Path, out_dir: Path, iterations: int = 100) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = model_path(out_dir, lang)
    staging = target.with_suffix(".staging")
    gaz = _fit_lang(lang, data, staging, iterations)
    # Gazetteer first, then the model: an existing model always has its word lists.
    save_gazetteer(gaz, gazetteer_path(target))
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


def evaluate(model: Path, gaz: dict[str, str], sents: list[Sentence]) -> Counts:
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    featurizer = Featurizer(gaz)
    return score(lambda words: list(tagger.tag(featurizer.sent(words))), sents)


def _fold(fold: int, job: tuple[Path, int, tuple[float, float] | None]) -> Counts:
    data, iterations, params = job
    halves = germeval_split(data / "germeval2014" / "NER-de-dev.tsv")
    with tempfile.TemporaryDirectory(prefix="ner-cv-") as tmp:
        model = Path(tmp) / "fold.crfsuite"
        gaz = _fit_lang("de", data, model, iterations, germeval=halves[fold], params=params)
        return evaluate(model, gaz, halves[1 - fold])


def cross_validate(data: Path, iterations: int = 100,
                   params: tuple[float, float] | None = None) -> list[Counts]:
    """German 2-fold cross-validation over GermEval dev, trained exactly like the shipped model
    but on one half: [first half -> scored on second half, second half -> scored on first]."""
    with ProcessPoolExecutor(max_workers=2) as pool:
        return list(pool.map(_fold, [0, 1], [(data, iterations, params)] * 2))


def pooled(folds: list[Counts]) -> Counts:
    return {k: [sum(f[k][j] for f in folds) for j in range(3)] for k in folds[0]}


def search(lang: str, data: Path, out_dir: Path, iterations: int) -> None:
    """c1/c2 grid: German by cross-validation (pooled F1), English on a held-out fifth of
    CoNLL++ train (the dev file the benchmark reports is never used for tuning)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for c1, c2 in ((0.05, 0.01), (0.05, 0.5), (0.02, 0.2), (0.1, 0.5), (0.0, 0.5)):
        if lang == "de":
            f1 = prf(pooled(cross_validate(data, iterations, (c1, c2)))["ALL"])[2]
        else:
            path = out_dir / "search-en.crfsuite"
            sents = list(read_conll(data / "conllpp" / "conllpp_train.txt"))
            held = sents[4::5]
            gaz = fit([x for i, x in enumerate(sents) if i % 5 != 4], 0, 1, path, c1=c1,
                      c2=c2, iterations=iterations)
            f1 = prf(evaluate(path, gaz, held)["ALL"])[2]
            path.unlink(missing_ok=True)
        log.info("%s c1=%.2f c2=%.2f F1=%.3f", lang, c1, c2, f1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lang", action="append", choices=["de", "en"])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--if-missing", action="store_true", help="skip models already built")
    parser.add_argument("--search", action="store_true",
                        help="report F1 for a c1/c2 grid on a clean training split; no model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = args.out or default_model_dir()
    data = args.data or shared_ner_dir()
    langs = args.lang or ["de", "en"]
    if args.search:
        for lang in langs:
            search(lang, data, out, args.iterations)
        return 0
    todo = []
    for lang in langs:
        if args.if_missing and model_path(out, lang).exists():
            log.info("model %s exists, skipped", model_path(out, lang))
        else:
            todo.append(lang)
    # One process per language: CRF training is single-threaded, so two cores halve the wait.
    with ProcessPoolExecutor(max_workers=max(1, min(len(todo), os.cpu_count() or 1))) as pool:
        for lang, seconds, path in pool.map(_train_timed, todo,
                                             [(data, out, args.iterations)] * len(todo)):
            log.info("trained %s in %.0fs -> %s", lang, seconds, path)
    return 0


def _train_timed(lang: str, job: tuple[Path, Path, int]) -> tuple[str, float, Path]:
    t0 = time.perf_counter()
    path = train(lang, *job)
    return lang, time.perf_counter() - t0, path
