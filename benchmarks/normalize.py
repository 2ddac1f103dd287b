"""Normalizer throughput per format, and HTML extraction F1/time against trafilatura alone."""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trafilatura

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.normalizer.ninjs_schema import shared_dir  # noqa: E402
from services.normalizer.parsers.base import ParseError, ParseInput  # noqa: E402
from services.normalizer.parsers.html import HtmlPageParser  # noqa: E402
from services.normalizer.parsers.registry import select  # noqa: E402
from shared.events import CanonicalArticle  # noqa: E402

NOW = datetime(2025, 1, 1, tzinfo=UTC)
# A synthetic IPTC 7901 message: the shared data holds no sample of this format.
WIRE_7901 = (
    "\x01dpa0123 4 pl 312 AFP-Gipfel\r\n\x02"
    "GIPFEL\r\nRegierungschefs beraten am Mittwoch (22. Januar) in Brüssel\r\n"
    "   Brüssel (dpa) - Die Staats- und Regierungschefs der EU beraten am Donnerstag über"
    " die Lage. Eine Einigung gilt als offen.\r\n"
    "   Am Freitag soll es weitergehen.\r\n\x03"
).encode()


def _doc(payload: bytes, content_type: str | None = None) -> ParseInput:
    return ParseInput(payload=payload, content_type=content_type, source="bench",
                      received_at=NOW)


def wire_samples() -> dict[str, list[bytes]]:
    """Every shared wire file that parses, grouped by the parser that takes it."""
    groups: dict[str, list[bytes]] = defaultdict(list)
    for path in sorted((shared_dir() / "data" / "wires").rglob("*")):
        if not path.is_file():
            continue
        payload = path.read_bytes()
        try:
            parser = select(_doc(payload))
            parser.parse(_doc(payload))
        except ParseError:
            continue
        groups[parser.name].append(payload)
    groups["iptc7901"].append(WIRE_7901)
    return groups


def _median_rate(run: Callable[[], int], repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        start = time.process_time()  # CPU time: the docs/s of one core, whatever else runs
        count = run()
        rates.append(count / (time.process_time() - start))
    return statistics.median(rates)


# Formats whose documents carry many articles (items): their target is the per-item rate.
MULTI_ITEM = frozenset({"feed", "jsonfeed"})
LABELS = {"feed": "feed (RSS/Atom)", "jsonfeed": "jsonfeed"}
TARGET = 2000


def bench_wires(repeats: int, min_docs: int) -> None:
    print("== structured formats: per core, CPU time (select + parse, median of runs)")
    print(f"{'format':16s} {'samples':>7s} {'items/doc':>9s} {'docs/s':>9s} {'items/s':>9s}"
          f"  target (>= {TARGET:,}/s)")
    for name, payloads in sorted(wire_samples().items()):
        loops = max(1, min_docs // len(payloads))

        per_doc = sum(len(select(_doc(p)).parse(_doc(p))) for p in payloads) / len(payloads)

        def run(payloads: list[bytes] = payloads, loops: int = loops) -> int:
            for _ in range(loops):
                for payload in payloads:
                    doc = _doc(payload)
                    select(doc).parse(doc)
            return loops * len(payloads)

        rate = _median_rate(run, repeats)
        # items = articles: one per document except for feeds, where each item is one.
        metric, value = ("items/s", rate * per_doc) if name in MULTI_ITEM else ("docs/s", rate)
        verdict = "ok" if value >= TARGET else "below"
        print(f"{LABELS.get(name, name):16s} {len(payloads):7d} {per_doc:9.2f} {rate:9,.0f}"
              f" {rate * per_doc:9,.0f}  {metric} {verdict}")


# Soft hyphens and zero-width characters only mark where a word may break.
_INVISIBLE = str.maketrans("", "", "\u00ad\u200b\u200c\u200d\u2060\ufeff")


def _squash(text: str) -> str:
    # Whitespace runs (NBSP included) count as one space and invisible break marks as nothing,
    # on both sides: the canonical body normalises both by design, and a snippet must not fail
    # on how a space is coded (some gold snippets carry soft hyphens themselves).
    return " ".join(text.translate(_INVISIBLE).split())


def _f1(outputs: dict[str, str], gold: dict[str, dict[str, list[str]]]) -> tuple[float, ...]:
    tp = fp = fn = 0
    for key, entry in gold.items():
        text = _squash(outputs.get(key, ""))
        for snippet in entry.get("with", []):
            if _squash(snippet) in text:
                tp += 1
            else:
                fn += 1
        fp += sum(1 for snippet in entry.get("without", []) if _squash(snippet) in text)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def held_out_page(entry: dict[str, Any]) -> bool:
    """A quarter of the pages, by a hash of the file name fixed before tuning: never tuned on."""
    return hashlib.sha1(entry["file"].encode(), usedforsecurity=False).digest()[0] % 4 == 0


def extraction_pages() -> tuple[dict[str, Any], dict[str, bytes]]:
    base = shared_dir() / "data" / "extraction" / "trafilatura-eval"
    raw: dict[str, Any] = json.loads((base / "evaldata-subset.json").read_text(encoding="utf-8"))
    pages: dict[str, bytes] = {}
    for key, entry in raw.items():
        for folder in ("eval", "cache"):
            path = base / folder / entry["file"]
            if path.exists():
                pages[key] = path.read_bytes()
                break
    return raw, pages


def main_text(article: CanonicalArticle) -> str:
    """The article's running text as a reader gets it: the lead (teaser) unless the body
    already holds it, then the body. The headline is left out: the gold treats page titles
    as outside the main text."""
    lead = article.teaser or ""
    if not lead or _squash(lead)[:80] in _squash(article.body_text):
        return article.body_text
    return f"{lead}\n\n{article.body_text}"


def print_errors(outputs: dict[str, str], gold: dict[str, dict[str, Any]]) -> None:
    """Per page, the gold snippets the parser missed and the boilerplate it kept."""
    for key, entry in gold.items():
        text = _squash(outputs.get(key, ""))
        missed = [s for s in entry.get("with", []) if _squash(s) not in text]
        kept = [s for s in entry.get("without", []) if _squash(s) in text]
        for tag, snippets in (("missed", missed), ("kept", kept)):
            for snippet in snippets:
                print(f"    {tag:6s} {entry['file'][:50]:50s} {snippet[:70]!r}")


def bench_html(repeats: int, shown: str = "all", errors: bool = False) -> None:
    raw, pages = extraction_pages()
    parser = HtmlPageParser()

    def ours(payload: bytes) -> str:
        try:
            return main_text(parser.parse(_doc(payload, "text/html"))[0])
        except ParseError:
            return ""

    def alone(payload: bytes) -> str:
        return trafilatura.extract(payload) or ""

    runners = {"ours": ours, "alone": alone}
    times: dict[str, list[float]] = {"ours": [], "alone": []}
    results: dict[str, dict[str, str]] = {"ours": {}, "alone": {}}
    for _ in range(repeats):
        spent = {"ours": 0.0, "alone": 0.0}
        for index, (key, payload) in enumerate(pages.items()):
            # Interleave per page and swap the order each page, and count CPU time, so a
            # busy machine or a warm cache favours neither side.
            order = ("alone", "ours") if index % 2 else ("ours", "alone")
            for label in order:
                start = time.process_time()
                results[label][key] = runners[label](payload)
                spent[label] += time.process_time() - start
        for label, seconds in spent.items():
            times[label].append(seconds)
    print(f"== HTML pages: {len(pages)} pages of trafilatura-eval, "
          f"median CPU time of {repeats} runs")
    splits = {
        "tuning": {k: v for k, v in raw.items() if k in pages and not held_out_page(v)},
        "held-out": {k: v for k, v in raw.items() if k in pages and held_out_page(v)},
        "all": {k: v for k, v in raw.items() if k in pages},
    }
    if shown != "all":  # tuning: look at the tuning pages alone, held-out stays unseen
        splits = {shown: splits[shown]}
    # The body alone (without a lead the extractor missed), untimed, for comparison.
    results["body"] = {key: parser.parse(_doc(payload, "text/html"))[0].body_text
                       for key, payload in pages.items()}
    times["body"] = times["ours"]
    for label, title in (("alone", "trafilatura.extract alone"), ("ours", "html parser"),
                         ("body", "html parser, body only")):
        per_page = statistics.median(times[label]) / len(pages) * 1000
        print(f"{title:26s} {per_page:6.2f} ms/page")
        for split, gold in splits.items():
            p, r, f = _f1(results[label], gold)
            print(f"    {split:9s} {len(gold):3d} pages  P={p:.3f} R={r:.3f} F1={f:.3f}")
    if errors:
        # Only ever the tuning pages: reading held-out errors would make them tuning pages.
        print("== errors of the html parser on the tuning pages")
        print_errors(results["ours"], {k: v for k, v in raw.items()
                                       if k in pages and not held_out_page(v)})
    ratio = statistics.median(times["ours"]) / statistics.median(times["alone"])
    print(f"time ratio html parser / trafilatura alone: {ratio:.2f}x (target <= 1.20x)")


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--repeats", type=int, default=5)
    args.add_argument("--min-docs", type=int, default=2000, help="docs per run per format")
    args.add_argument("--skip-html", action="store_true")
    args.add_argument("--skip-wires", action="store_true")
    args.add_argument("--split", choices=("tuning", "held-out", "all"), default="all",
                      help="which extraction pages to score (tune with --split tuning)")
    args.add_argument("--errors", action="store_true",
                      help="list missed and kept snippets per tuning page")
    opts = args.parse_args(argv)
    if not opts.skip_wires:
        bench_wires(opts.repeats, opts.min_docs)
    if not opts.skip_html:
        bench_html(max(1, min(opts.repeats, 3)), opts.split, opts.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
