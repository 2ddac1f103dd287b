"""`python -m services.linker` serves the stateful story-linking stage."""

from __future__ import annotations

import sys

from shared.runtime import run_service

from .config import LinkerSettings
from .main import build_app


def main() -> int:
    return run_service(LinkerSettings(), build_app)


if __name__ == "__main__":
    sys.exit(main())
