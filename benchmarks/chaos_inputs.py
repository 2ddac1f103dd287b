"""The chaos run's inputs: varied articles with versions (some out of order) and fuzzed bytes."""

from __future__ import annotations

import html
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from benchmarks.e2e import distinct
from deploy.launcher import ROOT
from shared.ids import article_id

SOURCE = "chaos"
NINJS = "application/ninjs+json"
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
SHARED = ROOT.parent / "shared"
# Fixture folders of documents the normalizer reads (not the k8s schemas or story sets).
FIXTURE_DIRS = (SHARED / "data" / "wires", *(ROOT / "tests" / "fixtures" / d for d in (
    "digitalwires", "feeds", "html", "iptc7901", "newsml-g2", "nitf", "pagetext", "plaintext")))
_TYPES = {".json": "application/json", ".xml": "application/xml", ".rss": "application/rss+xml",
          ".atom": "application/atom+xml", ".rdf": "application/rdf+xml", ".txt": "text/plain",
          ".html": "text/html"}


@dataclass(frozen=True)
class Push:
    """One HTTP push: its body, headers, and for valid articles the id and version stored."""

    body: bytes
    content_type: str | None
    guid: str | None = None  # X-Newswire-Id
    url: str | None = None  # X-Newswire-Url
    article: str | None = None  # the article id a valid push must end up as
    version: int = 0


def ninjs(run: str, i: int, version: int, sents: list[str]) -> Push:
    """A ninjs item made of a corpus run no other article shares; a later version reworks its
    last paragraph and is stamped later."""
    art = distinct(i, sents)
    published = T0 + timedelta(minutes=i / 4) + timedelta(minutes=20 * (version - 1))
    paras = [b.text for b in art.body]
    if version > 1:
        paras[-1] = f"{paras[-1]} (Update {version}: {sents[(i * 31 + version) % len(sents)]})"
    uri = f"urn:newswire:chaos:{run}:{i}"
    item = {"uri": uri, "type": "text", "version": str(version), "headline": art.headline,
            "firstcreated": (T0 + timedelta(minutes=i / 4)).isoformat(),
            "versioncreated": published.isoformat(),
            "body_html": "".join(f"<p>{html.escape(p)}</p>" for p in paras)}
    return Push(json.dumps(item, ensure_ascii=False).encode(), NINJS, guid=uri, article=uri,
                version=version)


def page_with_links(run: str, i: int, sents: list[str], related: list[str]) -> Push:
    """A scraped page whose "Mehr entdecken" box names other articles' headlines, so the
    linker resolves them (now, or when a later article with that headline arrives)."""
    art = distinct(i, sents)
    lines = [f"Chaos {i}", art.headline, "Aktualisiert:", "Bild: Archiv",
             *(b.text for b in art.body), "Verwendete Quellen:", "Nachrichtenagentur dpa",
             "Mehr entdecken", ""]
    for headline in related:
        lines += ["Weitere Meldung", headline, ""]
    url = f"https://chaos.invalid/{run}/{i}"
    return Push("\n".join(lines).encode(), "text/plain", url=url,
                article=article_id(SOURCE, url=url), version=1)


def valid_pushes(run: str, n: int, sents: list[str], *, seed: int = 11,
                 update_share: float = 0.1, page_share: float = 0.03) -> list[Push]:
    """n pushes: new articles, and about `update_share` new versions of earlier ids. A third
    of the updates come as a pair whose higher version is pushed first (out of order)."""
    rng = random.Random(seed)
    out: list[Push] = []
    versions: dict[int, int] = {}  # article index -> newest version planned
    late: list[tuple[int, Push]] = []  # (push position, older version held back)
    made = 0
    while len(out) < n:
        while late and late[0][0] <= len(out):
            out.append(late.pop(0)[1])
        if len(out) >= n:
            break
        if versions and rng.random() < update_share:
            i = rng.choice(list(versions))
            v = versions[i] + 1
            if rng.random() < 1 / 3 and len(out) + 2 <= n:
                versions[i] = v + 1
                out.append(ninjs(run, i, v + 1, sents))
                late.append((len(out) + rng.randint(1, 40), ninjs(run, i, v, sents)))
                late.sort(key=lambda t: t[0])
            else:
                versions[i] = v
                out.append(ninjs(run, i, v, sents))
            continue
        i, made = made, made + 1
        if i >= 20 and rng.random() < page_share:
            # Two links to earlier articles and one to an article not pushed yet.
            related = [distinct(j, sents).headline for j in
                       (rng.randrange(i), rng.randrange(i), i + rng.randint(1, 200))]
            out.append(page_with_links(run, i, sents, related))
        else:
            versions[i] = 1
            out.append(ninjs(run, i, 1, sents))
    out += [p for _, p in late]
    return out[:n] if len(out) > n else out


def fixtures() -> list[tuple[bytes, str | None]]:
    """Every readable fixture document with the content type its extension suggests."""
    return [(path.read_bytes(), _TYPES[path.suffix]) for folder in FIXTURE_DIRS
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.suffix in _TYPES and path.stat().st_size < 400_000]


_EXTREMES = (b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", "\u202e\u0000\ud7ff".encode(errors="replace"),
             b"9" * 400, b"-1e999", b"<![CDATA[", b"]]>", b"&#0;", b"&lt;", b"<!--", b"\"",
             b"{", b"}", b"[", b"]", b"<", b">", b"\r\n", b"\\u0000", b"null", b"true",
             "\u03a9\u2248 \u7530\u4e2d \U0001f3f3\ufe0f\u200d\U0001f308".encode(),
             b"%s%n%x", b"A" * 5000)


def mutate(data: bytes, rng: random.Random, pool: list[tuple[bytes, str | None]]) -> bytes:
    """One to four hypothesis-style mutations: flips, cuts, splices, repeats, extreme tokens."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        n = len(buf)
        op = rng.randrange(9)
        at = rng.randrange(n + 1)
        if op == 0 and n:  # flip bits
            for _ in range(rng.randint(1, 8)):
                buf[rng.randrange(n)] ^= 1 << rng.randrange(8)
        elif op == 1:  # cut a run
            del buf[at:at + rng.randint(1, max(1, n // 4))]
        elif op == 2:  # truncate
            del buf[at:]
        elif op == 3:  # insert an extreme token
            buf[at:at] = rng.choice(_EXTREMES)
        elif op == 4 and n:  # repeat a run
            end = min(n, at + rng.randint(1, 200))
            buf[at:at] = bytes(buf[at:end]) * rng.randint(2, 50)
        elif op == 5:  # splice another fixture's middle
            other = rng.choice(pool)[0]
            k = rng.randrange(len(other) + 1)
            buf[at:at] = other[k:k + rng.randint(1, 2000)]
        elif op == 6:  # deep nesting
            depth = rng.choice((50, 500, 5000))
            buf[at:at] = rng.choice((b"[" * depth, b"{\"a\":" * depth, b"<a>" * depth))
        elif op == 7 and n:  # random bytes over a run
            end = min(n, at + rng.randint(1, 64))
            buf[at:end] = rng.randbytes(end - at)
        elif op == 8:  # re-encode as latin-1 or UTF-16 (wrong declared charset)
            text = bytes(buf).decode("utf-8", errors="replace")
            buf = bytearray(text.encode(rng.choice(("latin-1", "utf-16")), errors="replace"))
    return bytes(buf)


def fuzz_pushes(count: int, seed: int = 5) -> list[Push]:
    """Mutated fixtures (90 %) and random bytes (10 %), under right, wrong or no content types."""
    rng = random.Random(seed)
    pool = fixtures()
    types = [*sorted({t for _, t in pool if t}), NINJS, "application/octet-stream"]
    out = []
    for _ in range(count):
        if rng.random() < 0.1:
            body = rng.randbytes(rng.randint(1, 20_000))
            kind: str | None = rng.choice(types)
        else:
            data, kind = rng.choice(pool)
            body = mutate(data, rng, pool)
            roll = rng.random()
            kind = None if roll < 0.1 else rng.choice(types) if roll < 0.25 else kind
        if not body.strip():
            body = b"\x00" + body
        out.append(Push(body[:2_000_000], kind))
    return out
