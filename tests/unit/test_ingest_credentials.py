"""Per-agency ingest credentials: parsing, lookup, reload on change, settings and the CLI."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.ingest import credentials as creds
from services.ingest.config import IngestSettings
from services.ingest.credentials import Credential, CredentialStore, digest, parse

pytestmark = pytest.mark.unit

TOKEN_A = "a" * 20 + "-agency-a-token-0001"
TOKEN_B = "b" * 20 + "-agency-b-token-0002"


def entry(name: str, token: str, *sources: str) -> dict[str, object]:
    return {"name": name, "sha256": digest(token), "sources": list(sources)}


def write_atomically(path: Path, entries: list[dict[str, object]]) -> None:
    # Operators (and the kubelet for a Secret volume) replace the file, never edit it in place.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries), encoding="utf-8")
    tmp.replace(path)


def test_digest_is_sha256_hex_and_tokens_are_found_by_it() -> None:
    assert digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    store = CredentialStore(parse(json.dumps([entry("a", TOKEN_A, "dpa")])))
    found = store.identify(f"Bearer {TOKEN_A}")
    assert found is not None and found.name == "a"
    assert found.allows("dpa") and not found.allows("afp")
    assert store.identify(f"bearer {TOKEN_A}") == found  # the scheme is case-insensitive
    assert store.identify(f"Bearer {TOKEN_B}") is None
    assert store.identify(TOKEN_A) is None  # no scheme
    assert store.identify(f"Basic {TOKEN_A}") is None
    assert store.identify(None) is None
    assert store.identify("Bearer ") is None


def test_short_tokens_are_refused_even_when_their_digest_is_listed() -> None:
    short = "s3cret"
    store = CredentialStore([Credential(name="weak", sha256=digest(short), sources=("dpa",))])
    assert store.identify(f"Bearer {short}") is None


def test_wildcard_and_several_sources() -> None:
    both = Credential(name="two", sha256=digest(TOKEN_A), sources=("dpa", "dpa-sport"))
    anyone = Credential(name="bridge", sha256=digest(TOKEN_B), sources=("*",))
    assert both.allows("dpa-sport") and not both.allows("afp")
    assert anyone.allows("afp") and anyone.allows("dpa")


@pytest.mark.parametrize("bad", [
    [{"name": "a", "sha256": "XYZ", "sources": ["dpa"]}],
    [{"name": "a", "sha256": digest("x"), "sources": []}],
    [{"name": "a", "sha256": digest("x"), "sources": ["has space"]}],
    [{"name": "a", "sha256": digest("x"), "sources": ["dpa"], "token": "plain"}],
    [{"name": "a", "sha256": digest("x"), "sources": ["dpa"]},
     {"name": "b", "sha256": digest("x"), "sources": ["afp"]}],
    {"name": "not a list"},
])
def test_invalid_documents_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="credential"):
        parse(json.dumps(bad))


def test_a_token_pasted_as_digest_does_not_appear_in_the_error() -> None:
    with pytest.raises(ValueError, match="invalid credentials") as err:
        parse(json.dumps([{"name": "a", "sha256": TOKEN_A, "sources": ["dpa"]}]))
    assert TOKEN_A not in str(err.value)


def test_a_missing_or_broken_file_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        CredentialStore(path=tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(ValueError, match="invalid credentials"):
        CredentialStore(path=broken)


def test_rotation_reloads_the_file_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    write_atomically(path, [entry("dpa-1", TOKEN_A, "dpa")])
    now = [0.0]
    store = CredentialStore(path=path, reload_seconds=5, clock=lambda: now[0])
    assert store.identify(f"Bearer {TOKEN_A}") is not None

    write_atomically(path, [entry("dpa-1", TOKEN_A, "dpa"), entry("dpa-2", TOKEN_B, "dpa")])
    now[0] = 1.0
    # Within the reload interval the file is not even looked at.
    assert store.identify(f"Bearer {TOKEN_B}") is None
    now[0] = 6.0
    assert store.identify(f"Bearer {TOKEN_B}") is not None
    assert store.identify(f"Bearer {TOKEN_A}") is not None

    write_atomically(path, [entry("dpa-2", TOKEN_B, "dpa")])
    now[0] = 12.0
    assert store.identify(f"Bearer {TOKEN_A}") is None
    found = store.identify(f"Bearer {TOKEN_B}")
    assert found is not None and found.name == "dpa-2"


def test_a_broken_reload_keeps_the_previous_credentials(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "credentials.json"
    write_atomically(path, [entry("dpa-1", TOKEN_A, "dpa")])
    store = CredentialStore(path=path, reload_seconds=0)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([{"name": "x", "sha256": TOKEN_B, "sources": ["dpa"]}]),
                   encoding="utf-8")
    tmp.replace(path)
    with caplog.at_level(logging.INFO, logger="newswire.ingest.credentials"):
        assert store.identify(f"Bearer {TOKEN_A}") is not None
        assert store.identify(f"Bearer {TOKEN_B}") is None
    assert any("not reloaded" in r.getMessage() for r in caplog.records)
    assert all(TOKEN_B not in str(r.__dict__) for r in caplog.records)
    path.unlink()
    assert store.identify(f"Bearer {TOKEN_A}") is not None  # a vanished file revokes nothing
    write_atomically(path, [entry("dpa-2", TOKEN_B, "dpa")])
    assert store.identify(f"Bearer {TOKEN_B}") is not None
    assert store.identify(f"Bearer {TOKEN_A}") is None


def test_settings_read_credentials_from_env_and_refuse_the_old_shared_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.json"
    monkeypatch.setenv("NEWSWIRE_INGEST_CREDENTIALS_FILE", str(path))
    monkeypatch.setenv("NEWSWIRE_INGEST_CREDENTIALS", json.dumps([entry("a", TOKEN_A, "dpa")]))
    monkeypatch.setenv("NEWSWIRE_INGEST_CREDENTIALS_RELOAD_SECONDS", "0.5")
    settings = IngestSettings()
    assert settings.credentials_file == path
    assert settings.credentials[0].sha256 == digest(TOKEN_A)
    assert settings.credentials_reload_seconds == 0.5
    monkeypatch.setenv("NEWSWIRE_INGEST_API_TOKEN", "s3cret")
    with pytest.raises(ValidationError, match="per-agency credentials"):
        IngestSettings()


def test_cli_new_prints_an_entry_whose_digest_matches_the_token(
    capsys: pytest.CaptureFixture[str]
) -> None:
    assert creds.main(["new", "--name", "dpa-2026-12", "--source", "dpa",
                       "--source", "dpa-sport"]) == 0
    out, err = capsys.readouterr()
    token = err.rsplit(" ", 1)[-1].strip()
    made = Credential.model_validate_json(out)
    assert len(token) >= creds.MIN_TOKEN_CHARS
    assert token not in out  # stdout goes into the file: only the digest may be there
    assert made.sha256 == digest(token) and made.sources == ("dpa", "dpa-sport")
    store = CredentialStore([made])
    assert store.identify(f"Bearer {token}") == made


def test_cli_hash_reads_an_existing_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN_A + "\n"))
    assert creds.main(["hash", "--name", "shared", "--source", "*"]) == 0
    made = Credential.model_validate_json(capsys.readouterr().out)
    assert made.sha256 == digest(TOKEN_A) and made.sources == ("*",)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert creds.main(["hash", "--name", "weak", "--source", "dpa"]) == 2
