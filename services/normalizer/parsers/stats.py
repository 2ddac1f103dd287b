"""shared.events.text_stats with the word count done on bytes the hash encodes anyway."""

from __future__ import annotations

import hashlib
from typing import Any

from shared.events import BodyBlock, word_count

# Every ASCII character str.split() splits on, mapped to the plain space.
_SPACES = bytes.maketrans(b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f", b" " * 9)


def _ascii_word_count(text: str, raw: bytes) -> int:
    """len(text.split()) for ASCII text, given raw = text.encode("ascii").

    For ASCII text, once every separator is a plain space and none leads, trails or doubles,
    the words are the spaces plus one; bytes make that cheaper than word_count's str passes.
    """
    flat = raw.translate(_SPACES)
    if flat and flat[0] != 32 and flat[-1] != 32 and b"  " not in flat:
        return flat.count(b" ") + 1
    return word_count(text)


def text_stats(body: tuple[BodyBlock, ...], headline: str, teaser: str | None) -> dict[str, Any]:
    """shared.events.text_stats(body, headline, teaser), the same dict."""
    text = "\n".join([b.text for b in body])
    seen = "\n".join([headline, teaser or "", text]).encode("utf-8")
    # ASCII text is its last len(text) bytes; other text has more kinds of space (NBSP, U+2000…).
    if text.isascii():
        words = _ascii_word_count(text, seen[len(seen) - len(text):])
    else:
        words = word_count(text)
    return {
        "word_count": words,
        "char_count": len(text),
        "content_hash": "sha256:" + hashlib.sha256(seen).hexdigest(),
    }
