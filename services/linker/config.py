"""Linker settings (env prefix NEWSWIRE_LINKER_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings


class LinkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_LINKER_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    http_port: int = 8005
    group_id: str = "newswire-linker"
    batch_max_records: int = Field(default=500, ge=1)
    # Short: the batch is the unit of latency as well as of publishing.
    batch_timeout_ms: int = Field(default=20, ge=1)
    # A snapshot after this many records or seconds, whichever comes first; recovery replays
    # at most that much of the annotated stream.
    snapshot_every: int = Field(default=5000, ge=1)
    snapshot_seconds: float = Field(default=30.0, gt=0)
    snapshot_collection: str = "linker_snapshots"
    # Linking policy: story state older than retention (by article time) is dropped.
    retention_days: float = Field(default=14.0, gt=0)
    window_days: float = Field(default=4.0, gt=0)
    link_threshold: float = Field(default=0.15, ge=0, le=1)
    prune_every: int = Field(default=1000, ge=1)
