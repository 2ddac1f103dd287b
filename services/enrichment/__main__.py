"""`python -m services.enrichment` serves; annotate, link, entities and schemas need no Kafka."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from shared.events import CanonicalArticle
from shared.runtime import run_service

from .config import EnrichmentSettings
from .entities import EntityEnricher
from .main import build_app
from .ner.tagger import TaggerSet
from .pipeline import Annotator, EnrichmentPipeline
from .schemas import SCHEMA_DIR, write_schemas


def _annotate(path: Path, model_dir: Path | None) -> int:
    article = CanonicalArticle.model_validate_json(path.read_bytes())
    result = EnrichmentPipeline(Annotator.default(model_dir)).enrich(article)
    print(result.enriched.model_dump_json(indent=2))
    return 0


def _documents(paths: list[str]) -> Iterator[tuple[str, bytes]]:
    """(where, JSON) in the order given: a file holds one article or JSON lines; '-' or no
    file at all reads JSON lines from stdin."""
    for name in paths or ["-"]:
        text = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        try:
            json.loads(text)
        except ValueError:
            for n, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    yield f"{name}:{n}", line
        else:
            yield name, text


def _link(paths: list[str], model_dir: Path | None) -> int:
    """Annotate and link in order with an in-memory state; one JSON line per article."""
    pipeline = EnrichmentPipeline(Annotator.default(model_dir))
    failed = 0
    for where, raw in _documents(paths):
        try:
            article = CanonicalArticle.model_validate_json(raw)
        except ValidationError as exc:
            print(f"{where}: not a canonical article: {exc.errors()[0]['msg']}", file=sys.stderr)
            failed += 1
            continue
        enrichment = pipeline.enrich(article).enriched.enrichment
        print(json.dumps({"id": article.id, "story_id": enrichment.story_id,
                          "duplicate_of": enrichment.duplicate_of,
                          "related": [{"id": r.id, "score": r.score}
                                      for r in enrichment.related]},
                         ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _entities(lang: str, model_dir: Path | None) -> int:
    enricher = EntityEnricher(TaggerSet(model_dir))
    for line in sys.stdin:
        if not line.strip():
            continue
        text = str(json.loads(line)["text"])
        ents = [{"start": m.start, "end": m.end, "type": m.type, "text": m.text,
                 "canonical": m.canonical} for m in enricher.mentions(text, lang)]
        print(json.dumps({"entities": ents}, ensure_ascii=False), flush=True)
    return 0


def _schemas(out: Path) -> int:
    for path in write_schemas(out):
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.enrichment")
    parser.add_argument("--model-dir", type=Path, default=None)
    sub = parser.add_subparsers(dest="command")
    annotate = sub.add_parser("annotate", help="enrich one canonical article JSON file")
    annotate.add_argument("file", type=Path)
    link = sub.add_parser("link", help="annotate and link canonical articles in order; one "
                          "JSON line per article (files, or JSON lines on stdin)")
    link.add_argument("files", nargs="*", metavar="FILE")
    entities = sub.add_parser("entities", help='JSON lines {"text"} in, entities out')
    entities.add_argument("--lang", default="de")
    schemas = sub.add_parser("schemas", help="write the JSON Schema of every payload")
    schemas.add_argument("out", type=Path, nargs="?", default=None)
    args = parser.parse_args(argv)
    if args.command == "annotate":
        return _annotate(args.file, args.model_dir)
    if args.command == "link":
        return _link(args.files, args.model_dir)
    if args.command == "entities":
        return _entities(args.lang, args.model_dir)
    if args.command == "schemas":
        return _schemas(args.out or SCHEMA_DIR)

    settings = EnrichmentSettings()
    if args.model_dir is not None:
        settings = settings.model_copy(update={"model_dir": args.model_dir})
    return run_service(settings, build_app)


if __name__ == "__main__":
    sys.exit(main())
