"""CRF token features; word-level parts are memoised because news vocabulary repeats a lot."""

from __future__ import annotations

from functools import lru_cache


def _shape(word: str) -> str:
    out: list[str] = []
    for ch in word[:12]:
        if ch.isupper():
            c = "X"
        elif ch.islower():
            c = "x"
        elif ch.isdigit():
            c = "d"
        else:
            c = ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


@lru_cache(maxsize=200_000)
def word_features(word: str) -> tuple[str, ...]:
    """Features of one word on its own (no context); bounded cache keeps memory flat."""
    low = word.lower()
    feats = [
        "w=" + low, "s3=" + low[-3:], "s4=" + low[-4:], "s2=" + low[-2:],
        "p3=" + low[:3], "sh=" + _shape(word),
    ]
    if word[:1].isupper():
        feats.append("title")
    if word.isupper() and len(word) > 1:
        feats.append("upper")
    if any(c.isdigit() for c in word):
        feats.append("digit")
    if "-" in word:
        head, _, tail = word.rpartition("-")
        feats += ["hyph", "hl=" + tail.lower()[-5:], "hf=" + head.split("-")[0].lower()]
    if len(word) == 1 and not word.isalnum():
        feats.append("punct")
    return tuple(feats)


@lru_cache(maxsize=200_000)
def context_features(word: str) -> tuple[str, ...]:
    low = word.lower()
    return ("w=" + low, "sh=" + _shape(word), "s3=" + low[-3:],
            "t" if word[:1].isupper() else "l")


def sent_features(words: list[str]) -> list[list[str]]:
    """Features for each token of one sentence: own word plus a +-2 window."""
    n = len(words)
    own = [word_features(w) for w in words]
    ctx = [context_features(w) for w in words]
    out: list[list[str]] = []
    for i in range(n):
        f = ["b", *own[i]]
        if i == 0:
            f.append("BOS")
        else:
            f += ["-1" + x for x in ctx[i - 1]]
            if i > 1:
                f.append("-2" + ctx[i - 2][0])
        if i == n - 1:
            f.append("EOS")
        else:
            f += ["+1" + x for x in ctx[i + 1]]
            if i < n - 2:
                f.append("+2" + ctx[i + 2][0])
        out.append(f)
    return out
