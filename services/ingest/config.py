"""Ingest settings (env prefix NEWSWIRE_INGEST_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_INGEST_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    http_port: int = 8001
    # Refused at the door with 413, before anything reaches Kafka.
    max_payload_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Optional shared token for POST /v1/articles (header Authorization: Bearer <token>).
    api_token: SecretStr | None = None
