"""MemoryIndex.candidates held to its plain definition, across new versions and prunes."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import islice

import pytest

from services.enrichment.memory import POSTINGS_MAX, MemoryIndex
from services.enrichment.store import StoredArticle

pytestmark = pytest.mark.unit
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _candidates_by_definition(store: MemoryIndex, keys: tuple[str, ...], *, since: datetime,
                              until: datetime, limit: int, exclude: str) -> list[StoredArticle]:
    """Count each key's newest postings, then rank by count and node within the window."""
    shared = Counter(i for k in set(keys)
                     for i in islice(reversed(store.by_key.get(k, {})), POSTINGS_MAX))
    shared.pop(exclude, None)
    ranked = sorted(((-n, store.articles[i].node, i) for i, n in shared.items()))
    hits = [store.articles[i] for _, _, i in ranked if since <= store.articles[i].published
            <= until]
    return hits[:limit]


def test_candidates_equal_their_definition() -> None:
    rng = random.Random(7)  # noqa: S311 - a fixed sample, not a secret
    store = MemoryIndex()
    # A few busy keys (past POSTINGS_MAX) and many rare ones; some articles come again as
    # new versions with other keys, and prunes drop the oldest.
    vocab = [f"l:busy{i}" for i in range(2)] + [f"k:rare{i}" for i in range(200)]
    for n in range(1500):
        i = rng.randrange(n + 1) if rng.random() < 0.1 else n
        keys = tuple(dict.fromkeys(rng.choice(vocab[:2] if rng.random() < 0.5 else vocab)
                                   for _ in range(rng.randrange(1, 8))))
        store.put(StoredArticle(
            id=f"a{i:05d}", version=n, node=f"st-{i:05d}", published=T0 + timedelta(hours=i),
            keys=keys, sketch=(), headline_key=f"h{i}", headline=f"H{i}"))
        if n % 400 == 399:
            store.prune(T0 + timedelta(hours=n - 1000))
        if n % 7 == 0:
            query = tuple(rng.sample(vocab[2:] if n % 2 else vocab, k=rng.randrange(1, 12)))
            query += tuple(vocab[: n % 3])  # one or both busy keys, or none
            since = T0 + timedelta(hours=n - rng.randrange(900))
            until = since + timedelta(hours=rng.randrange(1, 900))
            limit, exclude = rng.randrange(1, 80), f"a{rng.randrange(n + 1):05d}"
            assert store.candidates(query, since, until, limit, exclude) == (
                _candidates_by_definition(store, query, since=since, until=until, limit=limit,
                                          exclude=exclude))


def test_a_prune_renumbers_the_postings_as_a_rebuild_would() -> None:
    rng = random.Random(8)  # noqa: S311 - a fixed sample, not a secret
    store = MemoryIndex()
    vocab = [f"p:name{i}" for i in range(30)] + [f"k:word{i}" for i in range(60)]
    for n in range(900):
        i = rng.randrange(n + 1) if rng.random() < 0.1 else n
        store.put(StoredArticle(
            id=f"a{i:05d}", version=n, node=f"st-{i:05d}", published=T0 + timedelta(hours=i),
            keys=tuple(dict.fromkeys(rng.sample(vocab, rng.randrange(1, 9)))), sketch=(),
            headline_key=f"h{i}", headline=f"H{i}"))
        if n % 300 == 299:
            store.prune(T0 + timedelta(hours=n - 400))
            pruned = {t: list(s) for t, s in store.slots.items()}
            arrays = (list(store.mass_at), list(store.time_at))
            store.rebuild_slots()
            assert pruned == {t: list(s) for t, s in store.slots.items()}
            assert arrays == (list(store.mass_at), list(store.time_at))
            assert set(store.slots) == set(store.by_key)
