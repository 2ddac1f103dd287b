"""Publication dates as articles state them, in many languages ("30 novembre 2026, 14:05")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

# Month names and common abbreviations; genitive forms where a language declines them.
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "januar", "jänner", "janvier", "janv", "enero", "ene", "gennaio",
        "gen", "janeiro", "januari", "styczeń", "stycznia", "января", "январь", "ocak"),
    2: ("february", "feb", "februar", "février", "févr", "fevrier", "febrero", "febbraio",
        "fevereiro", "fev", "februari", "luty", "lutego", "февраля", "февраль", "şubat"),
    3: ("march", "mar", "märz", "mars", "marzo", "março", "marco", "maart", "mrt", "marts",
        "marzec", "marca", "марта", "март", "mart"),
    4: ("april", "apr", "avril", "avr", "abril", "abr", "aprile", "kwiecień", "kwietnia",
        "апреля", "апрель", "nisan"),
    5: ("may", "mai", "mayo", "maggio", "mag", "maio", "mei", "maj", "maja", "мая", "май",
        "may\u0131s"),
    6: ("june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho", "czerwiec",
        "czerwca", "июня", "июнь", "haziran"),
    7: ("july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho", "lipiec",
        "lipca", "июля", "июль", "temmuz"),
    8: ("august", "aug", "août", "aout", "agosto", "ago", "augustus", "augusti", "sierpień",
        "sierpnia", "августа", "август", "ağustos"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "settembre", "set", "setembro",
        "wrzesień", "września", "сентября", "сентябрь", "eylül"),
    10: ("october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott",
         "outubro", "out", "październik", "października", "октября", "октябрь", "ekim"),
    11: ("november", "nov", "novembre", "noviembre", "novembro", "listopad", "listopada",
         "ноября", "ноябрь", "kas\u0131m"),
    12: ("december", "dec", "dezember", "dez", "décembre", "diciembre", "dic", "dicembre",
         "dezembro", "grudzień", "grudnia", "декабря", "декабрь", "aral\u0131k", "desember"),
}
MONTHS: dict[str, int] = {name: month for month, names in _MONTH_NAMES.items() for name in names}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_TIME = (
    r"(?:\s*(?:,|à|a las|alle|às|um|at|kl\.?|om|в|-|\u2013)?\s*"
    r"(?P<H>[01]?\d|2[0-3])[:.h](?P<M>[0-5]\d)(?::(?P<S>[0-5]\d))?\s*(?P<ampm>[ap]\.?m\.?)?"
    r"(?:\s*(?P<uhr>uhr)|\s*h)?"
    r"(?:\s*(?P<tz>utc|gmt|z|[+-]\d{2}:?\d{2}|cet|cest|mez|mesz|est|edt|bst))?)?"
)
_ISO = re.compile(
    r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<H>\d{2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?:\.\d+)?)?(?P<tz>Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
)
_NUMERIC = re.compile(
    rf"(?<![\d.])(?P<a>\d{{1,2}})[./](?P<b>\d{{1,2}})[./](?P<y>\d{{4}})(?!\d){_TIME}",
    re.IGNORECASE,
)
# "30 November 2026", "30. November 2026", "30 de noviembre de 2026", "1er décembre 2026".
_DAY_MONTH = re.compile(
    rf"(?<![\w.])(?P<d>\d{{1,2}})(?:\.|er|º|st|nd|rd|th)?\s+(?:de\s+)?(?P<mon>{_MONTH})\.?"
    rf"(?:\s+de)?,?\s+(?P<y>\d{{4}})(?:\s*\u0433\.?)?(?!\d){_TIME}",
    re.IGNORECASE,
)
# "November 30, 2026", "Nov. 30 2026".
_MONTH_DAY = re.compile(
    rf"(?<!\w)(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})(?!\d)"
    rf"{_TIME}",
    re.IGNORECASE,
)
# Chinese and Japanese: 2026年11月30日.
_CJK = re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
_ZONES = {"utc": 0, "gmt": 0, "z": 0, "cet": 1, "mez": 1, "cest": 2, "mesz": 2, "est": -5,
          "edt": -4, "bst": 1}


_BERLIN = ZoneInfo("Europe/Berlin")


def _zone(text: str | None, uhr: bool) -> tzinfo:
    if not text:
        # "10:15 Uhr" is German-speaking Europe's local time; other unzoned times are read as UTC.
        return _BERLIN if uhr else UTC
    low = text.lower()
    if low in _ZONES:
        return timezone(timedelta(hours=_ZONES[low]))
    sign = -1 if low[0] == "-" else 1
    digits = low[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _build(year: int, month: int, day: int, match: re.Match[str]) -> datetime | None:
    groups = match.groupdict()
    hour = int(groups["H"]) if groups.get("H") else 0
    minute = int(groups["M"]) if groups.get("M") else 0
    second = int(groups["S"]) if groups.get("S") else 0
    ampm = (groups.get("ampm") or "").lower()
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    try:
        zone = _zone(groups.get("tz"), bool(groups.get("uhr")))
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def find_stated_date(text: str) -> tuple[datetime, tuple[int, int]] | None:
    """The first full date (day, month and year) in text, with its span; naive times are UTC."""
    found: list[tuple[int, int, datetime]] = []
    for pattern in (_ISO, _CJK):
        if match := pattern.search(text):
            value = _build(int(match["y"]), int(match["m"]), int(match["d"]), match)
            if value:
                found.append((match.start(), match.end(), value))
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        if match := pattern.search(text):
            month = MONTHS[match["mon"].lower()]
            value = _build(int(match["y"]), month, int(match["d"]), match)
            if value:
                found.append((match.start(), match.end(), value))
    if match := _NUMERIC.search(text):
        first, second = int(match["a"]), int(match["b"])
        # Day first, as most of the world writes it; "11/30/2026" can only be month first.
        day, month = (second, first) if second > 12 >= first and "/" in match.group(0) else (
            first, second)
        value = _build(int(match["y"]), month, day, match)
        if value:
            found.append((match.start(), match.end(), value))
    if not found:
        return None
    start, end, value = min(found, key=lambda item: item[0])
    return value, (start, end)
