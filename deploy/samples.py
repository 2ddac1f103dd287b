"""Generated articles in the page-text layout, for the main job, e2e tests and benchmarks."""

from __future__ import annotations

import random

_PLACES = ["Hamburg", "Leipzig", "Köln", "Dresden", "Freiburg", "Kiel", "Mainz", "Potsdam"]
_TOPICS = [
    ("Verkehr", "Neue Radwege", "Die Stadt baut ihr Radnetz aus und sperrt dafür mehrere Straßen."),
    ("Wetter", "Sturmwarnung", "Der Wetterdienst warnt vor orkanartigen Böen an der Küste."),
    ("Bildung", "Schulen digital", "Alle Klassenzimmer sollen bis zum Sommer WLAN bekommen."),
    ("Wirtschaft", "Werk schließt", "Ein Zulieferer verlagert die Produktion ins Ausland."),
    ("Kultur", "Museum öffnet", "Nach drei Jahren Umbau zeigt das Haus wieder seine Sammlung."),
]
_AUTHORS = ["Mara Lindqvist", "Paul Okafor", "Jana Wiegand", "Ole Brandt"]


def page_text(index: int, *, tag: str = "", rng: random.Random | None = None) -> str:
    """One unique article; `tag` makes headlines unique per run so ids never collide."""
    rng = rng or random.Random(index)
    kicker, topic, teaser = _TOPICS[index % len(_TOPICS)]
    place = _PLACES[index % len(_PLACES)]
    author = _AUTHORS[index % len(_AUTHORS)]
    body = [
        f"In {place} berichteten Anwohner am Abschnitt {n + 1} von spürbaren Folgen. "
        f"Die Verwaltung kündigte an, die Lage bis Ende der Woche zu prüfen und "
        f"Ergebnisse öffentlich vorzustellen. Meldung {index}-{n} {tag}."
        for n in range(rng.randint(3, 6))
    ]
    return "\n".join([
        kicker,
        f"{topic} in {place}: Stand der Dinge Nummer {index} {tag}".strip(),
        "Aktualisiert: 12.02.2026, 10:30 Uhr",
        f"von {author}Ein Blick auf die Lage in {place}. (Symbolbild)",
        "Foto: dpa",
        f"{teaser} Die Reaktionen fallen unterschiedlich aus.",
        "Das Wichtigste in Kürze",
        f"In {place} gibt es Neuigkeiten zum Thema {kicker}.",
        "Die Verwaltung will bis Freitag entscheiden.",
        *body[:2],
        "Wie es weitergeht",
        *body[2:],
        "Verwendete Quellen:",
        "Nachrichtenagentur dpa",
        ":newstime verpasst? Hier neueste Folge ansehen",
        "Mehr entdecken",
        "",
        "Aus der Region",
        f"Weitere Nachrichten aus {place}",
        "",
    ])
