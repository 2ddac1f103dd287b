"""Settings common to every service; each service adds its own class with its own env prefix."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.topics import TopicSettings


class CommonSettings(BaseSettings):
    """Connection settings every service shares (env prefix NEWSWIRE_)."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    # PEM file of the CA that signed the brokers' certificates (SASL_SSL); unset = system CAs.
    kafka_ssl_cafile: str | None = None
    # A service whose Kafka login is refused stays up, not ready, and tries again this often.
    kafka_login_retry_seconds: float = Field(default=30.0, gt=0)
    # The Mongo URL may carry credentials, so it is a secret and never logged.
    mongo_url: SecretStr = SecretStr("mongodb://127.0.0.1:27117")
    mongo_db: str = "newswire"
    http_host: str = "127.0.0.1"
    log_level: str = "INFO"
    log_json: bool = True
    topic_partitions: int = Field(default=3, ge=1)
    # The sends one poll makes leave in one produce request per partition: without a few ms of
    # lingering, a stage's sends went out a record or two per request, and the requests (each
    # a socket write here and a round of work in the broker) cost more CPU than the records.
    kafka_linger_ms: int = Field(default=5, ge=0)
    # One produce request carries at most this much per partition. The client's 16 KiB default
    # held a single enriched article (about 10 KB), so a stage's sends to one partition went
    # out one request, and one round trip, per record; news.annotated has one partition.
    # At most the topics' max.message.bytes (1 MiB by default).
    kafka_max_batch_bytes: int = Field(default=512 * 1024, ge=16 * 1024)
    # A fetch waits for this many bytes or kafka_fetch_max_wait_ms, whichever comes first: a
    # consumer that keeps up otherwise asks for every record or two with a request of its own.
    # The wait is also what an idle consumer's fetch loop costs (a request per wait) and what
    # a record waits per stage when traffic is thin.
    kafka_fetch_min_bytes: int = Field(default=64 * 1024, ge=1)
    kafka_fetch_max_wait_ms: int = Field(default=50, ge=0)
    # How often a consuming service measures its groups' lag; 0 turns the measuring off.
    lag_interval_seconds: float = Field(default=15.0, ge=0)
    # How often the dependencies are checked for the newswire_ready gauge, between probes too.
    ready_interval_seconds: float = Field(default=5.0, gt=0)
    # Its own env prefix (NEWSWIRE_TOPIC_NAMESPACE); the names are built from it per app.
    topics: TopicSettings = Field(default_factory=TopicSettings)


def mongo_url_for_log(url: SecretStr) -> str:
    """The Mongo URL without credentials, for logs."""
    raw = url.get_secret_value()
    scheme, _, rest = raw.partition("://")
    host = rest.rsplit("@", 1)[-1]
    return f"{scheme}://{host}"
