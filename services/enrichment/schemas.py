"""JSON Schemas of every payload the service reads or writes, shipped next to the code."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from shared.events import CanonicalArticle, EnrichedArticle, LinkUpdate, StoryUpdate

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
PAYLOADS: dict[str, type[BaseModel]] = {
    "news.canonical.CanonicalArticle": CanonicalArticle,
    "news.enriched.EnrichedArticle": EnrichedArticle,
    "news.annotated.EnrichedArticle": EnrichedArticle,
    "news.story.StoryUpdate": StoryUpdate,
    "news.links.LinkUpdate": LinkUpdate,
}


def schema_text(model: type[BaseModel]) -> str:
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(out: Path = SCHEMA_DIR) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, model in PAYLOADS.items():
        path = out / f"{name}.schema.json"
        path.write_text(schema_text(model), encoding="utf-8")
        paths.append(path)
    return paths
