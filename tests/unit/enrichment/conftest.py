"""Fixtures for enrichment unit tests: the seed article."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.normalizer.pipeline import normalize
from shared.events import CanonicalArticle, RawArticle, utcnow

REPO = Path(__file__).resolve().parents[3]
SEED = REPO.parent / "shared" / "seeds" / "000_c3eca885e310276e.txt"


@pytest.fixture(scope="session")
def seed_article() -> CanonicalArticle:
    raw = RawArticle(id="seed-000", source="cli", received_at=utcnow(),
                     content_type="text/plain", payload=SEED.read_bytes(), trace_id="t-seed")
    _, articles = normalize(raw, max_bytes=10 * 1024 * 1024)
    return articles[0]
