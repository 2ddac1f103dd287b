"""Build the CRF NER models (de, en) from ../shared/data/ner into the model cache dir."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.enrichment.ner.train import main

if __name__ == "__main__":
    sys.exit(main())
