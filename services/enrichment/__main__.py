"""`python -m services.enrichment` serves; `annotate`, `entities`, `schemas` need no Kafka."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from shared.events import CanonicalArticle
from shared.runtime import run_service

from .config import EnrichmentSettings
from .entities import EntityEnricher
from .main import build_app
from .ner.tagger import TaggerSet
from .pipeline import Annotator, EnrichmentPipeline
from .schemas import SCHEMA_DIR, write_schemas
from .store import MemoryStoryStore
from .stories import StoryLinker


def _annotate(path: Path, model_dir: Path | None) -> int:
    article = CanonicalArticle.model_validate_json(path.read_bytes())
    pipeline = EnrichmentPipeline(Annotator.default(model_dir), StoryLinker(MemoryStoryStore()))
    result = asyncio.run(pipeline.enrich(article))
    print(result.enriched.model_dump_json(indent=2))
    return 0


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
    entities = sub.add_parser("entities", help='JSON lines {"text"} in, entities out')
    entities.add_argument("--lang", default="de")
    schemas = sub.add_parser("schemas", help="write the JSON Schema of every payload")
    schemas.add_argument("out", type=Path, nargs="?", default=None)
    args = parser.parse_args(argv)
    if args.command == "annotate":
        return _annotate(args.file, args.model_dir)
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
