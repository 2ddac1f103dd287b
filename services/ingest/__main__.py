"""`python -m services.ingest` serves; `... push PATH...` sends files or directories to news.raw."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.ingest")
    sub = parser.add_subparsers(dest="command")
    push = sub.add_parser("push", help="send files or whole directories to news.raw")
    push.add_argument("paths", nargs="+", type=Path)
    push.add_argument("--source", default="cli", help="source identifier, e.g. dpa")
    args = parser.parse_args(argv)
    if args.command == "push":
        from .push import main_push

        return main_push(args.paths, args.source)

    from shared.runtime import run_service

    from .config import IngestSettings
    from .main import build_app

    return run_service(IngestSettings(), build_app)


if __name__ == "__main__":
    sys.exit(main())
