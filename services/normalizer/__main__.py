"""`python -m services.normalizer` serves; `... parse FILE` prints one file's canonical JSON."""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

from shared.events import RawArticle, utcnow


def _parse_file(path: Path, content_type: str | None, fmt: str, source: str) -> int:
    from .export import to_ninjs_json
    from .parsers.base import ParseError
    from .pipeline import normalize

    raw = RawArticle(
        id=f"file:{path.name}", source=source, received_at=utcnow(),
        content_type=content_type or "application/octet-stream",
        payload=path.read_bytes(), trace_id=uuid.uuid4().hex,
    )
    try:
        _, articles = normalize(raw, max_bytes=50 * 1024 * 1024)
    except ParseError as exc:
        print(f"error ({exc.reason}): {exc}", file=sys.stderr)
        return 2
    for article in articles:
        print(to_ninjs_json(article) if fmt == "ninjs" else article.model_dump_json(indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.normalizer")
    sub = parser.add_subparsers(dest="command")
    parse = sub.add_parser("parse", help="parse one file and print the result, no Kafka needed")
    parse.add_argument("file", type=Path)
    parse.add_argument("--content-type", default=None)
    parse.add_argument("--format", choices=["canonical", "ninjs"], default="canonical")
    parse.add_argument("--source", default="cli")
    args = parser.parse_args(argv)
    if args.command == "parse":
        return _parse_file(args.file, args.content_type, args.format, args.source)

    from shared.runtime import run_service

    from .config import NormalizerSettings
    from .main import build_app

    return run_service(NormalizerSettings(), build_app)


if __name__ == "__main__":
    sys.exit(main())
