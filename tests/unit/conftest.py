"""Unit-test fixtures shared across services: the (built-if-missing) NER models."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.enrichment.ner.tagger import default_model_dir, model_path
from services.enrichment.ner.train import main as train_main


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """Builds the CRF models once if the cache lacks them (about 45 s on 2 cores)."""
    out = default_model_dir()
    if not all(model_path(out, lang).exists() for lang in ("de", "en")):
        assert train_main(["--if-missing", "--out", str(out)]) == 0
    return out
