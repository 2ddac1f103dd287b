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
    # One commit per poll of up to this many records: fewer round trips.
    batch_max_records: int = Field(default=200, ge=1)
    batch_timeout_ms: int = Field(default=20, ge=1)
    # A poll is annotated this many records at a time, each part sent as soon as it is done:
    # sent only after the whole poll, the first article of a 200-record poll waited for the
    # other 199 (seconds of latency at a steady 50/s, measured on news.annotated's timestamps).
    chunk_records: int = Field(default=8, ge=1)
