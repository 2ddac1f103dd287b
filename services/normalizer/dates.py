"""Dates in text: German/English timestamps and mentioned dates, year inferred from the document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")

MONTHS = {
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "april": 4, "mai": 5, "juni": 6,
    "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12,
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
    "october": 10, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12, "dez": 12,
}
WEEKDAYS = {
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5,
    "sonnabend": 5, "sonntag": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3,
    "friday": 4, "saturday": 5, "sunday": 6,
}
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_ALT = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
# German day parts glue onto the weekday: "Dienstagabend", "Donnerstagmorgen".
_DAYPART = r"(?:morgen|vormittag|mittag|nachmittag|abend|nacht)?"

# The day-month core is searched first and a weekday only looked for just before it: an
# optional leading weekday group would make the regex engine try it at every position.
# Every digit-led pattern starts with the digit itself and checks the word boundary before it
# with a lookbehind: `(?<!\w\d)` right after one digit is exactly `\b` before it. A pattern that
# opens with a character class lets the regex engine skip to the next digit in C; a leading `\b`
# makes it try the whole pattern at every position of the text.
_DAY = r"(?P<d>\d(?<!\w\d)\d?)"
_DE_DAY_MONTH = re.compile(
    rf"{_DAY}\.\s*(?P<m>{_MONTH_ALT})\b\.?(?:\s+(?P<y>\d{{4}}))?\)?",
    re.IGNORECASE,
)
_DE_WEEKDAY_BEFORE = re.compile(rf"\b(?P<wd>{_WEEKDAY_ALT}){_DAYPART}\s*\(?\s*$", re.IGNORECASE)
# English dates are found from the day number backwards for the same reason: digits are rare,
# word starts are everywhere.
_EN_DAY = re.compile(rf"{_DAY}(?:st|nd|rd|th)?\b(?!\.\d)(?:,?\s+(?P<y>\d{{4}}))?")
_EN_MONTH_BEFORE = re.compile(rf"\b(?P<m>{_MONTH_ALT})\.?\s+$", re.IGNORECASE)
_EN_WEEKDAY_BEFORE = re.compile(rf"\b(?P<wd>{_WEEKDAY_ALT}),?\s+$", re.IGNORECASE)
# Where a digit starts a word: the only places _DAY, and so any digit-led pattern, can match.
_WORD_DIGIT = re.compile(r"\d(?<!\w\d)")
_NUMERIC = re.compile(rf"{_DAY}\.(?P<m>\d{{1,2}})\.(?P<y>\d{{4}})\b")
# Case-blind `\b(?:am|on|this|last|next|seit|bis)\s+(?P<wd>…){_DAYPART}\b`, opened instead by
# the class of every character that matches a preposition's first letter case-blind (U+017F,
# long s, matches s): re then skips to those letters in C rather than trying each position.
# `(?<!\w.)` after that letter is `\b` before it, and the lookbehinds pick the one preposition
# that starts with it (the seven first letters differ).
_WEEKDAY_ONLY = re.compile(
    r"[aAoOtTlLnNsS\u017fbB](?<!\w.)"
    r"(?i:(?<=a)m|(?<=o)n|(?<=t)his|(?<=l)ast|(?<=n)ext|(?<=s)eit|(?<=b)is)"
    rf"\s+(?i:(?P<wd>{_WEEKDAY_ALT}){_DAYPART})\b"
)
# _WEEKDAY_ONLY still tries every preposition letter; it runs only when the
# lower-cased text holds a weekday at all (each name contains one of these parts). Case-blind
# matching also equates i with U+0130/U+0131 (dotted capital, dotless i) and s with U+017F (long
# s), which lower() does not: text with any of them always runs the regex, so the shortcut
# never drops a match.
_WEEKDAY_PARTS = ("tag", "day", "mittwoch", "sonnabend")
# Every weekday name ends in one of those parts, and no part overlaps itself: finding the
# parts (then checking the names that end there) finds every name in far fewer searches.
WEEKDAYS_BY_PART = tuple(
    (part, tuple(name for name in WEEKDAYS if name.endswith(part))) for part in _WEEKDAY_PARTS
)
# Every weekday name by its last six letters (no name is shorter, no two share them).
_WEEKDAY_TAILS = {name[-6:]: name for name in WEEKDAYS}
_CASE_FOLD_ODDITIES = ("\u0130", "\u0131", "\u017f")
_PREPOSITIONS = ("am", "on", "this", "last", "next", "seit", "bis")
_TIMESTAMP = re.compile(
    rf"(?P<d>\d{{1,2}})\.\s*(?:(?P<mn>\d{{1,2}})\.|(?P<m>{_MONTH_ALT})\s+)\s*(?P<y>\d{{4}})"
    r"(?:\s*,?\s*(?:um\s+)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:\s*Uhr)?)?",
    re.IGNORECASE,
)


def parse_german_timestamp(text: str, tz: ZoneInfo = BERLIN) -> datetime | None:
    """'21.01.2026, 14:32 Uhr' or '21. Januar 2026 um 9:05' -> aware datetime (Berlin)."""
    match = _TIMESTAMP.search(text)
    if not match:
        return None
    month = int(match["mn"]) if match["mn"] else MONTHS.get(match["m"].lower(), 0)
    try:
        return datetime(
            int(match["y"]), month, int(match["d"]),
            int(match["H"] or 0), int(match["M"] or 0), tzinfo=tz,
        )
    except ValueError:
        return None


def _infer_year(day: int, month: int, weekday: int | None, ref: date) -> date | None:
    """Nearest date to the reference with this day and month (and weekday, when given)."""
    candidates = []
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if weekday is None or candidate.weekday() == weekday:
            candidates.append(candidate)
    if not candidates:
        return None
    return min(candidates, key=lambda c: abs((c - ref).days))


def _fold(word: str) -> str:
    """Lower-case the way the name tables are spelled.

    Case-insensitive regexes also match dotless i, dotted capital I and long s as i and s;
    a plain lower() keeps them distinct and the table lookup would miss.
    """
    return word.lower().replace("\u0131", "i").replace("i\u0307", "i").replace("\u017f", "s")


def _day_month(month_name: str, day_text: str, year: str | None, weekday: int | None,
               ref: date) -> date | None:
    month, day = MONTHS.get(_fold(month_name), 0), int(day_text)
    if not month:
        return None
    if not year:
        return _infer_year(day, month, weekday, ref)
    try:
        return date(int(year), month, day)
    except ValueError:
        return None


def _nearest_weekday(weekday: int, ref: date) -> date:
    """The closest date with this weekday; ties go to the past, where news mostly points."""
    back = (ref.weekday() - weekday) % 7
    forward = (weekday - ref.weekday()) % 7
    return ref - timedelta(days=back) if back <= forward else ref + timedelta(days=forward)


def _has_case_fold_oddity(text: str) -> bool:
    # Three substring searches run in C at memchr speed; a character class scan is far slower.
    return not text.isascii() and any(char in text for char in _CASE_FOLD_ODDITIES)


def _weekday_name_starts(low: str) -> list[int]:
    """Where the weekday names start in lower-cased text, in order."""
    starts: list[int] = []
    for part, _ in WEEKDAYS_BY_PART:
        pos = low.find(part)
        while pos != -1:
            end = pos + len(part)
            name = _WEEKDAY_TAILS.get(low[end - 6:end]) if end >= 6 else None
            if name is not None and low.endswith(name, 0, end):
                starts.append(end - len(name))
            pos = low.find(part, end)
    return sorted(starts)


# The first UTF-8 byte of every non-ASCII decimal digit (Arabic-Indic, Devanagari, fullwidth …);
# a test derives them from all of Unicode.
WIDE_DIGIT_LEADS = (b"\xd9", b"\xdb", b"\xdf", b"\xe0", b"\xe1", b"\xea", b"\xef", b"\xf0")


def _may_hold_wide_digit(text: str) -> bool:
    """False when text surely has no non-ASCII decimal digit.

    Latin, German quotes and dashes never start with those bytes: eight memchr-speed searches
    then spare a look at each non-ASCII character.
    """
    raw = text.encode("utf-8", "surrogatepass")
    return any(lead in raw for lead in WIDE_DIGIT_LEADS)


def digit_positions(text: str) -> list[int] | None:
    """Where `\\d` matches in text, ascending; None when text has too many non-ASCII characters.

    re scans a character class one character at a time (several ns each); str/bytes find of one
    character runs at memchr speed. Encoding to ASCII with '?' for every other character keeps
    the positions; `\\d` is str.isdecimal, so only the non-ASCII characters need a look.
    """
    raw = text.encode("ascii", "replace")
    found: list[int] = []
    for digit in b"0123456789":
        pos = raw.find(digit)
        while pos != -1:
            found.append(pos)
            pos = raw.find(digit, pos + 1)
    if not text.isascii():
        if raw.count(b"?") > len(text) // 8:
            return None
        if not _may_hold_wide_digit(text):
            found.sort()
            return found
        pos = raw.find(b"?")
        while pos != -1:
            if text[pos].isdecimal():
                found.append(pos)
            pos = raw.find(b"?", pos + 1)
    found.sort()
    return found


def _classes(boundary: bytes) -> bytes:
    """A translate table: ASCII digits to "1", the boundary bytes and "?" to " ", the rest "a"."""
    table = bytearray(b"a" * 256)
    for byte in boundary + b"?":
        table[byte] = ord(" ")
    for byte in b"0123456789":
        table[byte] = ord("1")
    return bytes(table)


_SPACE_CLASSES = _classes(b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")
_NON_WORD_CLASSES = _classes(bytes(b for b in range(128) if not (chr(b).isalnum() or b == 95)))


def _digits_after(text: str, classes: bytes, *, at_start: bool) -> list[int] | None:
    """Where an ASCII digit follows a boundary byte of classes (or opens text, when at_start).

    Every digit in the text is visited otherwise, though most continue a number or a word: one
    translate and a search for a two-byte pattern find just the starts. A non-ASCII character
    is "?" there, as is "?" itself, so both count as a boundary and callers check the character
    before each digit; None when text may hold a non-ASCII digit, which the table cannot see.
    """
    if not text.isascii() and _may_hold_wide_digit(text):
        return None
    marks = text.encode("ascii", "replace").translate(classes)
    found = [0] if at_start and marks.startswith(b"1") else []
    # A find loop, not re.finditer: a match object per number cost more than the search saved.
    pos = marks.find(b" 1")
    while pos != -1:
        pos += 1
        found.append(pos)
        pos = marks.find(b" 1", pos)
    return found


def digits_after_space(text: str) -> list[int] | None:
    """Positions p > 0 where text[p] matches `\\d` and text[p - 1] is whitespace, ascending.

    None when text has too many non-ASCII characters for digit_positions.
    """
    found = _digits_after(text, _SPACE_CLASSES, at_start=False)
    if found is not None:
        return [pos for pos in found if text[pos - 1].isspace()]
    positions = digit_positions(text)
    if positions is None:
        return None
    return [pos for pos in positions if pos and text[pos - 1].isspace()]


def _word_digits(text: str) -> list[int]:
    """_WORD_DIGIT's matches: digits with no word character (`\\w`: alnum or '_') before."""
    positions = _digits_after(text, _NON_WORD_CLASSES, at_start=True)
    if positions is None:
        positions = digit_positions(text)
    if positions is None:
        return [m.start() for m in _WORD_DIGIT.finditer(text)]
    return [
        pos for pos in positions
        if not pos or not (text[pos - 1].isalnum() or text[pos - 1] == "_")
    ]


def _anchored(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """pattern.finditer(text) for a pattern that can only match at these (ascending) places."""
    done = 0
    for pos in starts:
        if pos >= done:
            match = pattern.match(text, pos)
            if match is not None:
                done = match.end()  # never empty: every such pattern takes a digit
                yield match


def _weekday_mentions(text: str) -> Iterator[re.Match[str]]:
    """_WEEKDAY_ONLY.finditer(text), the regex tried only where a weekday name occurs.

    A match ends in a weekday name after whitespace, so it starts at the word before that
    whitespace: one anchored try per name found. Matches cannot overlap or interleave, so taking
    the names in order gives finditer's matches. Without U+0130/U+0131/U+017F, and when lower()
    keeps every position, case-blind matching of the names is a search in the lower-cased text.
    """
    low = text.lower()
    if len(low) != len(text) or _has_case_fold_oddity(text):
        yield from _WEEKDAY_ONLY.finditer(text)
        return
    done = 0
    for start in _weekday_name_starts(low):
        word_end = start
        while word_end > done and text[word_end - 1].isspace():
            word_end -= 1
        # A match needs one of the prepositions right before the whitespace.
        if word_end == start or not low.endswith(_PREPOSITIONS, done, word_end):
            continue
        # The prepositions are two to four letters long.
        for begin in range(max(word_end - 4, done), word_end - 1):
            match = _WEEKDAY_ONLY.match(text, begin)
            if match is not None:
                done = match.end()
                yield match
                break


# Every character that re's case-blind matching equates with a month name's letter, mapped to
# that letter (a test derives it from all of Unicode): dotted and dotless i, long s, Kelvin sign.
_MONTH_FOLD = str.maketrans(
    {chr(code): chr(code + 32) for code in range(ord("A"), ord("Z") + 1)}
    | {"\u00c4": "\u00e4", "\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
)
_MONTH_TAILS = frozenset(name[-3:] for name in MONTHS)


def _month_tail(text: str, pos: int) -> bool:
    """False when _EN_MONTH_BEFORE surely finds no month before the number at pos.

    A match ends in a month name, an optional dot and whitespace up to pos; every name has at
    least three letters, so the three characters before that dot and whitespace, folded as
    case-blind matching folds them, end some month name.
    """
    before = text[max(0, pos - 12):pos].rstrip()
    if before.endswith("."):
        before = before[:-1]
    tail = before[-3:]
    # ASCII letters fold by lower(); the table (a dict lookup per character) only elsewhere.
    return (tail.lower() if tail.isascii() else tail.translate(_MONTH_FOLD)) in _MONTH_TAILS


def mentioned_dates(text: str, reference: datetime) -> tuple[str, ...]:
    """ISO dates the text mentions, in order of first mention, without duplicates."""
    ref = reference.date()
    found: list[tuple[int, date]] = []
    spans: list[tuple[int, int]] = []

    def add(pos: int, end: int, value: date | None) -> None:
        if value is not None and not any(pos < e and s < end for s, e in spans):
            found.append((pos, value))
            spans.append((pos, end))

    # Every digit-led pattern starts where a digit starts a word: one scan finds those places
    # for all three, and each is tried only there.
    digits = _word_digits(text)
    # Both dotted patterns need a dot one or two characters after the digit: a slice test is
    # far cheaper than a regex call at every number.
    dotted = [pos for pos in digits if "." in text[pos + 1:pos + 3]]
    for m in _anchored(_NUMERIC, text, dotted):
        try:
            add(m.start(), m.end(), date(int(m["y"]), int(m["m"]), int(m["d"])))
        except ValueError:
            continue
    for m in _anchored(_DE_DAY_MONTH, text, dotted):
        lead = _DE_WEEKDAY_BEFORE.search(text, max(0, m.start() - 24), m.start())
        start = lead.start() if lead else m.start()
        weekday = WEEKDAYS.get(_fold(lead["wd"])) if lead else None
        add(start, m.end(), _day_month(m["m"], m["d"], m["y"], weekday, ref))
    # The month before an English day ends in whitespace. Dropping the other starts drops only
    # matches it would skip: inside a match no later start can match (the year's first digit
    # has three more after it, and _EN_DAY needs a boundary after one or two).
    # The month must end just before the day's whitespace (and an optional dot): most numbers
    # ("174 lives") are dropped by a look at three characters instead of a regex search.
    spaced = [pos for pos in digits if pos and text[pos - 1].isspace() and _month_tail(text, pos)]
    for m in _anchored(_EN_DAY, text, spaced):
        month = _EN_MONTH_BEFORE.search(text, max(0, m.start() - 12), m.start())
        if month is None:
            continue
        lead = _EN_WEEKDAY_BEFORE.search(text, max(0, month.start() - 12), month.start())
        start = lead.start() if lead else month.start()
        weekday = WEEKDAYS.get(_fold(lead["wd"])) if lead else None
        add(start, m.end(), _day_month(month["m"], m["d"], m["y"], weekday, ref))
    # No separate "any weekday at all?" check: _weekday_mentions finds no name just as fast.
    for m in _weekday_mentions(text):
        weekday = WEEKDAYS.get(_fold(m["wd"]))
        if weekday is not None:
            add(m.start(), m.end(), _nearest_weekday(weekday, ref))
    ordered = [d.isoformat() for _, d in sorted(found, key=lambda item: item[0])]
    return tuple(dict.fromkeys(ordered))
