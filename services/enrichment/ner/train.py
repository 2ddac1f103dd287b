"""Reproducible CRF training from ../shared/data/ner into the model dir (ner-<lang>.crfsuite)."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import pycrfsuite  # type: ignore[import-untyped]

from .corpora import Sentence, germeval_split, read_conll, read_europeana
from .features import sent_features
from .tagger import default_model_dir, model_path

log = logging.getLogger("newswire.enrichment.train")


def shared_ner_dir() -> Path:
    """../shared/data/ner relative to the repo root."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ner"


def training_sentences(lang: str, data: Path) -> list[Sentence]:
    if lang == "en":
        return list(read_conll(data / "conllpp" / "conllpp_train.txt"))
    sents: list[Sentence] = []
    for name in ("enp_DE.lft.bio", "enp_DE.onb.bio", "enp_DE.sbb.bio"):
        sents += read_europeana(data / "europeana" / name)
    # Modern news German differs a lot from 19th-century OCR, so the first half of
    # GermEval dev trains too; the benchmark only evaluates on the second half.
    train_half, _ = germeval_split(data / "germeval2014" / "NER-de-dev.tsv")
    return sents + train_half * 4


def train(lang: str, data: Path, out_dir: Path, iterations: int = 100) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    trainer = pycrfsuite.Trainer(verbose=False)
    for words, tags in training_sentences(lang, data):
        trainer.append(sent_features(words), tags)
    trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": iterations,
                        "feature.possible_transitions": True})
    target = model_path(out_dir, lang)
    tmp = target.with_suffix(".tmp")
    trainer.train(str(tmp))
    tmp.replace(target)  # atomic: a reader never sees a half-written model
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lang", action="append", choices=["de", "en"])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--if-missing", action="store_true", help="skip models already built")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = args.out or default_model_dir()
    for lang in args.lang or ["de", "en"]:
        if args.if_missing and model_path(out, lang).exists():
            log.info("model %s exists, skipped", model_path(out, lang))
            continue
        t0 = time.perf_counter()
        path = train(lang, args.data or shared_ner_dir(), out, args.iterations)
        log.info("trained %s in %.0fs -> %s", lang, time.perf_counter() - t0, path)
    return 0
