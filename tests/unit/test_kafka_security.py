"""Admin and lag clients get the broker's SASL/TLS settings, in options aiokafka accepts."""

from __future__ import annotations

import ssl

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.security import SASLScram512
from pydantic import SecretStr

from shared.runtime import _security, kafka_security
from shared.settings import CommonSettings

pytestmark = pytest.mark.unit


def test_plaintext_cluster_needs_no_options() -> None:
    assert kafka_security(CommonSettings()) == {}
    # A mechanism without a password is not SASL, exactly as for the broker.
    assert kafka_security(CommonSettings(kafka_sasl_mechanism="PLAIN")) == {}


def test_sasl_over_tls() -> None:
    options = kafka_security(CommonSettings(
        kafka_security_protocol="sasl_ssl", kafka_sasl_mechanism="scram-sha-512",
        kafka_sasl_username="wire", kafka_sasl_password=SecretStr("s3cret")))
    assert isinstance(options.pop("ssl_context"), ssl.SSLContext)
    assert options == {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                       "sasl_plain_username": "wire", "sasl_plain_password": "s3cret"}


def test_sasl_without_tls() -> None:
    options = kafka_security(CommonSettings(
        kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="wire", kafka_sasl_password=SecretStr("pw")))
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert "ssl_context" not in options


async def test_aiokafka_clients_accept_the_options() -> None:
    # Built, not started: the constructors check the option names and combinations.
    options = kafka_security(CommonSettings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="wire", kafka_sasl_password=SecretStr("pw")))
    admin = AIOKafkaAdminClient(bootstrap_servers="127.0.0.1:1", **options)
    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1", **options)
    assert admin._client._security_protocol == "SASL_SSL"
    assert consumer._client._sasl_mechanism == "SCRAM-SHA-256"
    with pytest.raises(ValueError, match="sasl_mechanism"):
        AIOKafkaAdminClient(bootstrap_servers="127.0.0.1:1",
                            **{**options, "sasl_mechanism": "NOPE"})


def test_the_broker_gets_the_same_security() -> None:
    broker_security = _security(CommonSettings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="scram-sha-512",
        kafka_sasl_username="wire", kafka_sasl_password=SecretStr("s3cret")))
    assert isinstance(broker_security, SASLScram512)
    assert (broker_security.username, broker_security.password, broker_security.use_ssl) == (
        "wire", "s3cret", True)
    assert _security(CommonSettings()) is None
