"""Ingest settings (env prefix NEWSWIRE_INGEST_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import CommonSettings

from .credentials import Credential


class FeedSource(BaseModel):
    """One polled feed: where it is and which source its articles are credited to."""

    url: str
    source: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
    # Overrides the poll interval for this feed; a wire feed may want minutes, a blog hours.
    interval_seconds: float | None = Field(default=None, ge=1)
    # Overrides the server's Content-Type, for servers that send XML as text/plain or worse.
    content_type: str | None = None

    @field_validator("url")
    @classmethod
    def _http_only(cls, url: str) -> str:
        # file:, ftp: and friends would let a setting read the local disk.
        if not url.startswith(("http://", "https://")):
            raise ValueError("feed url must be http:// or https://")
        return url


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_INGEST_", extra="ignore")

    common: CommonSettings = Field(default_factory=CommonSettings)
    http_port: int = 8001
    # Refused at the door with 413, before anything reaches Kafka.
    max_payload_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Per-agency tokens for POST /v1/articles (Authorization: Bearer <token>): a JSON file of
    # [{"name", "sha256", "sources"}] re-read when it changes (rotation without a restart),
    # and/or the same list inline (read once at start). With neither, pushes need no token.
    credentials_file: Path | None = None
    credentials: list[Credential] = Field(default_factory=list)
    # How often a request may look whether the file changed (a stat, no read unless it did).
    credentials_reload_seconds: float = Field(default=1.0, ge=0)
    # Removed: the one shared token let any agency push as any other. Still read, only so that
    # a deployment that sets it refuses to start instead of silently accepting every push.
    api_token: SecretStr | None = None
    # Feeds to poll, as JSON: [{"url": "https://…/rss", "source": "example"}].
    feeds: list[FeedSource] = Field(default_factory=list)
    feed_interval_seconds: float = Field(default=300, ge=1)
    feed_timeout_seconds: float = Field(default=20, gt=0)

    @model_validator(mode="after")
    def _no_shared_token(self) -> IngestSettings:
        if self.api_token is not None:
            raise ValueError(
                "NEWSWIRE_INGEST_API_TOKEN was replaced by per-agency credentials: run "
                "`python -m services.ingest.credentials hash --name shared --source '*'` with "
                "the token on stdin, put the entry in NEWSWIRE_INGEST_CREDENTIALS_FILE and unset "
                "NEWSWIRE_INGEST_API_TOKEN")
        return self
