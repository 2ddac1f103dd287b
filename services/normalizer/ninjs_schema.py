"""Offline validator for the official ninjs schemas, with the GeoJSON $ref resolved locally."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

GEOJSON_ID = "https://geojson.org/schema/GeoJSON.json"
# RFC 3986 absolute URI: a scheme, a colon, then no whitespace or characters URIs never hold.
_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
# RFC 3339 date-time: full date, full time, and a mandatory offset.
_DATE_TIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def shared_dir() -> Path:
    """The shared data directory: $NEWSWIRE_SHARED_DIR, else ../shared next to the repo."""
    env = os.environ.get("NEWSWIRE_SHARED_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / ".." / "shared"


def schema_dir() -> Path:
    return shared_dir() / "schemas" / "ninjs"


def is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI_RE.match(value))


def is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME_RE.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


def _format_checker() -> FormatChecker:
    # jsonschema skips "uri" and "date-time" unless optional packages are installed; check
    # them here so a valid export really is valid, not just unchecked.
    checker = FormatChecker()
    checker.checks("uri")(is_uri)
    checker.checks("date-time")(is_date_time)
    return checker


@cache
def validator(version: str = "2.2", *, check_formats: bool = True) -> Validator:
    """A validator for one ninjs schema version; schemas are read once per process.

    check_formats=False matches the reference test suite, which does not assert formats.
    """
    base = schema_dir()
    schema: dict[str, Any] = json.loads(
        (base / f"ninjs-schema_{version}.json").read_text(encoding="utf-8")
    )
    geojson = json.loads((base / "GeoJSON-schema.json").read_text(encoding="utf-8"))
    resources = [(GEOJSON_ID, Resource.from_contents(geojson))]
    if isinstance(schema.get("$id"), str):
        # Older schemas $ref themselves by absolute id; serve that from the local copy too.
        own = Resource.from_contents(schema, default_specification=DRAFT202012)
        resources.append((schema["$id"].rstrip("#"), own))
    registry: Registry[Any] = Registry().with_resources(resources)
    cls = validator_for(schema)
    checker = _format_checker() if check_formats else None
    result: Validator = cls(schema, registry=registry, format_checker=checker)
    return result


def errors(document: Any, version: str = "2.2", *, check_formats: bool = True) -> list[str]:
    """Every schema violation, as 'path: message'; empty when the document is valid."""
    found = validator(version, check_formats=check_formats).iter_errors(document)
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in found]


def is_valid(document: Any, version: str = "2.2", *, check_formats: bool = True) -> bool:
    return not errors(document, version, check_formats=check_formats)
