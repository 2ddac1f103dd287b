"""Per-agency push tokens: SHA-256 digests mapped to the sources each token may push as."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

log = logging.getLogger("newswire.ingest.credentials")

# The rule the envelope applies to a pushed source (gateway.py).
_SOURCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
ANY_SOURCE = "*"
# Tokens are random secrets of at least this many characters (token_urlsafe(32) gives 43).
# Shorter ones are refused before any lookup: that is what makes a plain SHA-256 digest enough
# (see Credential.sha256).
MIN_TOKEN_CHARS = 32


class Credential(BaseModel):
    """One agency token: a name for logs, the token's digest, the sources it may push as."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Shown in logs instead of the token: which credential pushed, or was refused.
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
    # Unsalted SHA-256 (hex), not a slow salted KDF: salts and stretching protect guessable
    # passwords against tables and brute force, but these tokens are 256-bit random strings
    # that no table holds and no search reaches; a KDF would only spend tens of milliseconds of
    # CPU on every push. A leaked file therefore reveals no usable token.
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    # Source identifiers this token may push as; "*" means any (an internal bridge, say).
    sources: tuple[str, ...] = Field(min_length=1)

    @field_validator("sources")
    @classmethod
    def _known_shape(cls, sources: tuple[str, ...]) -> tuple[str, ...]:
        for source in sources:
            if source != ANY_SOURCE and not _SOURCE_RE.match(source):
                raise ValueError(f"not a source identifier: {source!r}")
        return sources

    def allows(self, source: str) -> bool:
        return ANY_SOURCE in self.sources or source in self.sources


_CREDENTIALS = TypeAdapter(list[Credential])


def digest(token: str) -> str:
    """The hex SHA-256 of a token, as stored in the credentials file."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _unique(credentials: Sequence[Credential]) -> tuple[Credential, ...]:
    seen: set[str] = set()
    for cred in credentials:
        # One digest under two names would make the allowed sources depend on file order.
        if cred.sha256 in seen:
            raise ValueError(f"credential {cred.name!r} repeats another credential's sha256")
        seen.add(cred.sha256)
    return tuple(credentials)


def parse(text: str | bytes) -> tuple[Credential, ...]:
    """A credentials document: a JSON list of {name, sha256, sources}."""
    try:
        return _unique(_CREDENTIALS.validate_json(text))
    except ValidationError as exc:
        # Without the inputs: a token pasted into the wrong field must not reach a log.
        problems = "; ".join(
            f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        raise ValueError(f"invalid credentials: {problems}") from None


def _stat(path: Path) -> tuple[int, ...]:
    # Follows symlinks: a Kubernetes Secret volume swaps its ..data link on an update, so the
    # inode changes even when the new file has the old size and a coarse mtime.
    st = path.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)


def _bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class CredentialStore:
    """Finds the credential of a presented bearer token; re-reads its file when it changes.

    Rotation needs no restart: add the new token's entry, hand the token over, then remove the
    old entry. Each request looks at the file's stat at most every `reload_seconds`; a file
    that cannot be read or parsed after a change is logged and the previous credentials stay,
    so a half-written file never locks every agency out (write it to a temporary name and
    rename it, as Kubernetes does with a mounted Secret).
    """

    def __init__(self, static: Sequence[Credential] = (), path: Path | None = None, *,
                 reload_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._static = _unique(static)
        self._path = path
        self._reload_seconds = reload_seconds
        self._clock = clock
        self._from_file: tuple[Credential, ...] = ()
        self._signature: tuple[int, ...] | None = None
        self._next_check = 0.0
        if path is not None:
            # At start a missing or broken file is fatal: better no service than an open one.
            self._signature = _stat(path)
            self._from_file = parse(path.read_bytes())
            _unique(self._static + self._from_file)
            self._loaded()

    @property
    def enabled(self) -> bool:
        """False only when nothing is configured at all: then pushes need no token."""
        return self._path is not None or bool(self._static)

    def identify(self, authorization: str | None) -> Credential | None:
        """The credential whose token the Authorization header carries, else None."""
        self._maybe_reload()
        token = _bearer(authorization)
        if token is None or len(token) < MIN_TOKEN_CHARS:
            return None
        presented = digest(token).encode()
        found: Credential | None = None
        # Every entry is compared, in constant time each, so the answer's timing tells nothing
        # about how close a guess came or which entry it matched.
        for cred in self._static + self._from_file:
            if hmac.compare_digest(cred.sha256.encode(), presented) and found is None:
                found = cred
        return found

    def _maybe_reload(self) -> None:
        if self._path is None:
            return
        now = self._clock()
        if now < self._next_check:
            return
        self._next_check = now + self._reload_seconds
        try:
            signature = _stat(self._path)
            if signature == self._signature:
                return
            self._signature = signature
            loaded = parse(self._path.read_bytes())
            _unique(self._static + loaded)
        except (OSError, ValueError) as exc:
            log.warning("credentials file not reloaded, the previous credentials stay",
                        extra={"path": str(self._path), "error": str(exc)})
            return
        self._from_file = loaded
        self._loaded()

    def _loaded(self) -> None:
        log.info("credentials loaded", extra={
            "path": str(self._path), "credentials": [c.name for c in self._from_file]})


def main(argv: list[str] | None = None) -> int:
    """`python -m services.ingest.credentials new|hash`: make a credentials file entry."""
    parser = argparse.ArgumentParser(prog="python -m services.ingest.credentials")
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="generate a token; its entry goes to stdout")
    known = sub.add_parser("hash", help="the entry of an existing token read from stdin")
    for cmd in (new, known):
        cmd.add_argument("--name", required=True, help="label shown in logs, e.g. dpa-2026-12")
        cmd.add_argument("--source", action="append", required=True, dest="sources",
                         help="a source this token may push as (repeatable; * = any)")
    args = parser.parse_args(argv)
    if args.command == "new":
        token = secrets.token_urlsafe(32)
        # The one time the token is shown: it is stored nowhere, only its digest is.
        sys.stderr.write(f"token for {args.name} (hand it to the agency; not stored): {token}\n")
    else:
        token = sys.stdin.readline().strip()
        if len(token) < MIN_TOKEN_CHARS:
            sys.stderr.write(f"a token needs at least {MIN_TOKEN_CHARS} characters\n")
            return 2
    entry = Credential(name=args.name, sha256=digest(token), sources=tuple(args.sources))
    sys.stdout.write(json.dumps(entry.model_dump(mode="json")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
