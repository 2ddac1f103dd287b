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
    # news.story and news.links carry small events that no reader waits on within a second,
    # so their fetches wait longer than the articles' (CommonSettings.kafka_fetch_max_wait_ms):
    # two consumers polling quiet topics 20 times a second were most of an idle storage's CPU.
    events_fetch_max_wait_ms: int = Field(default=500, ge=0)
    # Database calls in flight at once (repository.py): 1 for FerretDB on SQLite, which
    # serialises writers and pays for concurrent ones with lock retries; more on MongoDB.
    db_concurrency: int = Field(default=1, ge=1)
