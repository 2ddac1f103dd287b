"""`python -m services.storage` serves the storage consumer."""

from __future__ import annotations

import sys


def main() -> int:
    from shared.runtime import serve

    from .config import StorageSettings
    from .main import build_app

    settings = StorageSettings()
    app, _ = build_app(settings)
    serve(app, settings.common.http_host, settings.http_port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
