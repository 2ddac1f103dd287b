"""Storage settings (env prefix NEWSWIRE_STORAGE_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings


class StorageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_STORAGE_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    http_port: int = 8004
    group_id: str = "newswire-storage"
    articles_collection: str = "articles"
    versions_collection: str = "article_versions"
    # One bulk_write per poll: large enough to amortise round trips, small enough to keep the
    # redelivery after a crash cheap.
    batch_max_records: int = Field(default=500, ge=1)
    batch_timeout_ms: int = Field(default=200, ge=1)
    retry_backoff_s: float = Field(default=1.0, ge=0)
