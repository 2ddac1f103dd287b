"""Normalizer settings (env prefix NEWSWIRE_NORMALIZER_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings


class NormalizerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_NORMALIZER_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    http_port: int = 8002
    group_id: str = "newswire-normalizer"
    # Wire documents are small; a multi-megabyte payload is a mistake or an attack.
    max_payload_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Records per poll; the fetch size (1 MiB per partition) bounds a poll's bytes as well.
    batch_max_records: int = Field(default=100, ge=1)
    batch_timeout_ms: int = Field(default=20, ge=1)
