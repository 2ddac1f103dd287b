"""Stable article ids: the guid or urn of the source where known, else a hash of source + url."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WS_RE = re.compile(r"\s+")
# A guid that is already a global identifier (urn:…, tag:…, http(s)://…) is used as it is.
_GLOBAL_RE = re.compile(r"^(urn|tag|https?):", re.IGNORECASE)


def normalise_text_key(text: str) -> str:
    """Case-, accent-form- and whitespace-insensitive form of a headline, for hashing."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WS_RE.sub(" ", folded).strip()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def article_id(
    source: str,
    *,
    guid: str | None = None,
    url: str | None = None,
    headline: str | None = None,
) -> str:
    """Stable id for one article across versions, so updates share a key and a partition."""
    source = source.strip() or "unknown"
    if guid and guid.strip():
        guid = guid.strip()
        return guid if _GLOBAL_RE.match(guid) else f"{source}:{guid}"
    if url and url.strip():
        return f"nw:{_digest(source, 'url', url.strip())}"
    if headline and headline.strip():
        return f"nw:{_digest(source, 'headline', normalise_text_key(headline))}"
    raise ValueError("an article id needs a guid, a url or a headline")


def payload_id(source: str, payload: bytes) -> str:
    """Id of a raw envelope that carries neither guid nor url: the content hash."""
    return f"raw:{_digest(source, hashlib.sha256(payload).hexdigest())}"
