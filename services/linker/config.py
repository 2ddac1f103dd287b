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
    # A poll is linked this many records at a time, each part sent while the next is linked,
    # so a large poll adds no more than one part's work to an article's latency.
    chunk_records: int = Field(default=32, ge=1)
    # A snapshot after this many records or seconds, whichever comes first; recovery replays
    # at most that much of the annotated stream.
    snapshot_every: int = Field(default=5000, ge=1)
    # The time bound matters at low rates only, where the replay it bounds is short anyway;
    # each snapshot of a full window costs seconds of CPU (the forked dump, and FerretDB
    # storing 10-16 MiB), which every 30 s was 3 ms per article at 50 articles/s.
    snapshot_seconds: float = Field(default=120.0, gt=0)
    snapshot_collection: str = "linker_snapshots"
    # A database of its own by default ("<mongo_db>_linker"): FerretDB on SQLite keeps one file
    # and one write lock per database, so a snapshot of several MiB written into the articles'
    # database held storage's inserts back; on MongoDB the split costs nothing.
    snapshot_db: str = ""

    def snapshot_database(self) -> str:
        return self.snapshot_db or f"{self.common.mongo_db}_linker"
    # Linking policy: story state older than retention (by article time) is dropped.
    retention_days: float = Field(default=14.0, gt=0)
    window_days: float = Field(default=4.0, gt=0)
    link_threshold: float = Field(default=0.15, ge=0, le=1)
    prune_every: int = Field(default=1000, ge=1)
