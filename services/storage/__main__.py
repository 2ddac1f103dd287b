"""`python -m services.storage` serves the storage consumer."""

from __future__ import annotations

import sys


def main() -> int:
    from shared.runtime import run_service

    from .config import StorageSettings
    from .main import build_app

    return run_service(StorageSettings(), build_app)


if __name__ == "__main__":
    sys.exit(main())
