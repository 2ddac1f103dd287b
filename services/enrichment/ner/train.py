"""Reproducible CRF training from ../shared/data/ner into the model dir (ner-<lang>.v<N>.crfsuite).

Besides the CRF, training writes the gazetteer the features use (word lists learned from the
training sentences only). `--search` tunes c1/c2 on a clean split of the training data: the
GermEval half the benchmark evaluates is never read here.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pycrfsuite

from .corpora import KEEP, Sentence, germeval_split, read_conll, read_europeana, spans
from .features import Featurizer, build_gazetteer, save_gazetteer
from .tagger import default_model_dir, gazetteer_path, model_path

log = logging.getLogger("newswire.enrichment.train")

# Chosen with --search (see module docstring); per language.
PARAMS: dict[str, tuple[float, float]] = {"de": (0.05, 0.01), "en": (0.05, 0.01)}
GERMEVAL_REPEAT = 3


def shared_ner_dir() -> Path:
    """../shared/data/ner relative to the repo root."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ner"


def training_parts(lang: str, data: Path) -> tuple[list[Sentence], list[Sentence]]:
    """(out-of-domain, in-domain) training sentences."""
    if lang == "en":
        return [], list(read_conll(data / "conllpp" / "conllpp_train.txt"))
    sents: list[Sentence] = []
    for name in ("enp_DE.lft.bio", "enp_DE.onb.bio", "enp_DE.sbb.bio"):
        sents += read_europeana(data / "europeana" / name)
    # Modern news German differs a lot from 19th-century OCR, so the first half of
    # GermEval dev trains too; the benchmark only evaluates on the second half.
    train_half, _ = germeval_split(data / "germeval2014" / "NER-de-dev.tsv")
    return sents, train_half


def training_sentences(lang: str, data: Path) -> list[Sentence]:
    other, own = training_parts(lang, data)
    return other + own * (GERMEVAL_REPEAT if lang == "de" else 1)


def _jackknife(sents: list[Sentence]) -> list[tuple[Sentence, Featurizer]]:
    """Each half's gazetteer features come from the other half's lists, so the CRF learns how
    far to trust a list entry instead of memorising that every training name is listed."""
    halves = [sents[0::2], sents[1::2]]
    feats = [Featurizer(build_gazetteer(halves[1])), Featurizer(build_gazetteer(halves[0]))]
    return [(s, feats[i % 2]) for i, s in enumerate(sents)]


def fit(sents: list[Sentence], repeat_from: int, repeat: int, out: Path, *, c1: float,
        c2: float, iterations: int) -> dict[str, str]:
    """Train a CRF at `out`; sentences from index repeat_from on count `repeat` times."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for i, (sent, featurizer) in enumerate(_jackknife(sents)):
        words, tags = sent
        feats = featurizer.sent(words)
        for _ in range(repeat if i >= repeat_from else 1):
            trainer.append(feats, tags)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": iterations,
                        "feature.possible_transitions": True})
    tmp = out.with_suffix(".tmp")
    trainer.train(str(tmp))
    tmp.replace(out)  # atomic: a reader never sees a half-written model
    return build_gazetteer(sents)


def train(lang: str, data: Path, out_dir: Path, iterations: int = 100) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    other, own = training_parts(lang, data)
    c1, c2 = PARAMS[lang]
    target = model_path(out_dir, lang)
    staging = target.with_suffix(".staging")
    gaz = fit(other + own, len(other), GERMEVAL_REPEAT if lang == "de" else 1, staging, c1=c1,
              c2=c2, iterations=iterations)
    # Gazetteer first, then the model: an existing model always has its word lists.
    save_gazetteer(gaz, gazetteer_path(target))
    staging.replace(target)
    return target


def evaluate(model: Path, gaz: dict[str, str], sents: list[Sentence]) -> float:
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    featurizer = Featurizer(gaz)
    counts: dict[str, int] = defaultdict(int)
    for words, gold in sents:
        g = {s for s in spans(gold) if s[2] in KEEP}
        p = {s for s in spans(list(tagger.tag(featurizer.sent(words)))) if s[2] in KEEP}
        counts["tp"] += len(g & p)
        counts["fp"] += len(p - g)
        counts["fn"] += len(g - p)
    prec = counts["tp"] / max(counts["tp"] + counts["fp"], 1)
    rec = counts["tp"] / max(counts["tp"] + counts["fn"], 1)
    return 2 * prec * rec / max(prec + rec, 1e-9)


def search(lang: str, data: Path, out_dir: Path, iterations: int) -> None:
    """c1/c2 grid on a clean split: every 5th in-domain training sentence is held out."""
    other, own = training_parts(lang, data)
    dev = own[4::5]
    fit_own = [s for i, s in enumerate(own) if i % 5 != 4]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"search-{lang}.crfsuite"
    repeat = GERMEVAL_REPEAT if lang == "de" else 1
    for c1, c2 in ((0.05, 0.01), (0.05, 0.05), (0.1, 0.01), (0.2, 0.01), (0.02, 0.05),
                   (0.1, 0.1)):
        gaz = fit(other + fit_own, len(other), repeat, path, c1=c1, c2=c2,
                  iterations=iterations)
        log.info("%s c1=%.2f c2=%.2f F1=%.3f", lang, c1, c2, evaluate(path, gaz, dev))
    path.unlink(missing_ok=True)


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
