"""Entities on the seed article (the issue's "done when") and across articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.enrichment.entities import EntityEnricher
from services.enrichment.ner.tagger import TaggerSet
from services.enrichment.pipeline import Annotator
from shared.events import CanonicalArticle

pytestmark = pytest.mark.unit


def test_seed_entities_have_the_right_types(model_dir: Path,
                                            seed_article: CanonicalArticle) -> None:
    doc = Annotator.default(model_dir).annotate(seed_article)
    got = {(e.canonical.split()[-1], e.type) for e in doc.entities}
    for name in ("Putin", "Witkoff", "Kushner", "Peskow", "Dmitrijew", "Trump"):
        assert (name, "PER") in got
    for name in ("Moskau", "Davos", "Ukraine"):
        assert (name, "LOC") in got
    for name in ("Kreml", "Tass", "Weltwirtschaftsforum"):
        assert (name, "ORG") in got
    assert not any(e.canonical == "Zeitung" for e in doc.entities)
    assert "Ukraine-Krieg" in [k.text for k in doc.keyphrases]


def test_a_bare_surname_in_a_later_article_keeps_the_full_name(model_dir: Path) -> None:
    enricher = EntityEnricher(TaggerSet(model_dir))
    enricher.mentions("Der russische Präsident Wladimir Putin empfing die Gäste.", "de")
    later = enricher.mentions("Präsident Putin sagte am Abend nichts.", "de")
    assert [m.canonical for m in later if m.type == "PER"] == ["Wladimir Putin"]
