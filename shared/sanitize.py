"""Neutralising hostile input: operator keys, markup in text, oversized payloads."""

from __future__ import annotations

import re
import threading
from typing import Any

import nh3

# Tags a body may keep; everything else (script, style, iframe, event attributes) goes.
BODY_TAGS = {
    "p", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "strong", "em", "b", "i",
    "a", "br", "figure", "figcaption", "img", "table", "thead", "tbody", "tr", "td", "th",
}
BODY_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "td": {"colspan"}}

_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class PayloadTooLarge(ValueError):
    """The payload is bigger than the configured limit."""


def check_size(payload: bytes, limit: int) -> None:
    if len(payload) > limit:
        raise PayloadTooLarge(f"payload of {len(payload)} bytes exceeds the limit of {limit}")


def safe_key(key: str) -> str:
    """A key MongoDB cannot read as an operator or a path: '$' and '.' become full-width forms."""
    key = key.replace("\x00", "")
    if key.startswith("$"):
        key = "\uff04" + key[1:]
    return key.replace(".", "\uff0e") or "_"


def safe_keys(value: Any, depth: int = 0) -> Any:
    """Recursively rename unsafe keys; very deep nesting is cut, not recursed into."""
    if depth > 64:
        return None
    if isinstance(value, dict):
        return {safe_key(str(k)): safe_keys(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [safe_keys(v, depth + 1) for v in value]
    return value


def clean_text(text: str) -> str:
    """Plain text without control characters or markup, whitespace folded."""
    if type(text) is str and text.isprintable() and "<" not in text:
        # Printable text holds no control character and no whitespace but the plain space (one
        # C scan): nothing to delete, and folding changes it only where spaces pad or repeat.
        if "  " in text or text.startswith(" ") or text.endswith(" "):
            return " ".join(text.split())
        return text
    text = _CTRL_RE.sub("", text)
    if "<" in text:
        text = nh3.clean(text, tags=set())
        text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        text = text.replace("&quot;", '"').replace("&#39;", "'")
    return " ".join(text.split())


_HTML_RULES: dict[str, Any] = {
    "tags": BODY_TAGS,
    "attributes": BODY_ATTRIBUTES,
    "url_schemes": {"http", "https", "mailto"},
    "link_rel": "noopener noreferrer",
}
_local = threading.local()


def clean_html(html: str) -> str:
    """Body HTML with no script, no event attributes and only safe URL schemes.

    nh3.clean builds its sanitizer from the rules on every call, which costs as much as cleaning
    a short body; one nh3.Cleaner per thread holds the same rules (a test compares both).
    """
    cleaner: nh3.Cleaner | None = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = nh3.Cleaner(**_HTML_RULES)
    return cleaner.clean(html)
