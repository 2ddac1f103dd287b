"""Enrichment settings (env prefix NEWSWIRE_ENRICHMENT_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings


class EnrichmentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_ENRICHMENT_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    http_port: int = 8003
    group_id: str = "newswire-enrichment"
    # None: the cache dir scripts/train_ner.py writes to (~/.cache/newswire/models).
    model_dir: Path | None = None
    collection_prefix: str = "enrich_"
    # Story state older than this (by article time) is pruned, keeping the store bounded.
    retention_days: float = Field(default=14.0, gt=0)
    window_days: float = Field(default=4.0, gt=0)
    link_threshold: float = Field(default=0.15, ge=0, le=1)
    prune_every: int = Field(default=1000, ge=1)
