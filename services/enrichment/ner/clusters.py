"""Word clusters from unlabelled text (neighbour PMI, SVD, k-means) for CRF features."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .tokens import _TOKEN_RE

# Two granularities, as prefixes of a Brown cluster path give: a coarse one that groups most
# names of one kind, and a fine one that tells, say, towns from countries.
SIZES = (64, 512)
_DIM = 64
_CONTEXTS = 1500  # the most frequent words, as left and right neighbours
_TAG = re.compile(r"<[^>]*>")
Clusters = Mapping[str, tuple[int, ...]]
FloatArray = npt.NDArray[np.float32]


def markup_sentences(paths: Iterable[Path]) -> Iterator[list[str]]:
    """Words of HTML/XML/JSON documents, line by line, with tags and entities dropped; crude,
    but clusters only need which words stand next to which."""
    for path in paths:
        text = path.read_bytes().decode("utf-8", errors="replace")
        text = _TAG.sub(" ", re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text))
        text = re.sub(r"&[#\w]+;|\\[nrt]", " ", text)
        for line in text.splitlines():
            words = _TOKEN_RE.findall(line)
            if len(words) >= 4:
                yield words


def _kmeans(x: FloatArray, k: int, rng: np.random.Generator, iterations: int = 20
            ) -> npt.NDArray[np.intp]:
    """Spherical k-means (rows are unit vectors), seeded from k distinct rows."""
    centres = x[rng.choice(len(x), size=k, replace=False)]
    labels = np.zeros(len(x), dtype=np.intp)
    for _ in range(iterations):
        labels = (x @ centres.T).argmax(axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, labels, x)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        centres = np.where(empty[:, None], centres, sums / np.maximum(norms, 1e-9))
    return labels


def build_clusters(sentences: Iterable[list[str]], *, min_count: int = 3,
                   max_words: int = 60_000, sizes: tuple[int, ...] = SIZES, dim: int = _DIM,
                   seed: int = 0) -> dict[str, tuple[int, ...]]:
    """Lower-cased word -> cluster id per granularity in SIZES. Deterministic for one input
    (seeded). Words are embedded by the positive PMI of their left and right neighbours,
    reduced by a randomised SVD, and clustered by k-means."""
    sents = [[w.lower() for w in s] for s in sentences]
    counts = Counter(w for s in sents for w in s)
    vocab = [w for w, c in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:max_words]
             if c >= min_count]
    index = {w: i for i, w in enumerate(vocab)}
    n_ctx = min(_CONTEXTS, len(vocab))
    rows: list[int] = []
    cols: list[int] = []
    for s in sents:
        ids = [index.get(w, -1) for w in s]
        for i, wi in enumerate(ids):
            if wi < 0:
                continue
            if i and 0 <= ids[i - 1] < n_ctx:
                rows.append(wi)
                cols.append(ids[i - 1])
            if i + 1 < len(ids) and 0 <= ids[i + 1] < n_ctx:
                rows.append(wi)
                cols.append(n_ctx + ids[i + 1])
    flat = np.bincount(np.array(rows, dtype=np.int64) * (2 * n_ctx) + np.array(cols),
                       minlength=len(vocab) * 2 * n_ctx)
    ppmi = flat.astype(np.float32).reshape(len(vocab), 2 * n_ctx)
    del flat
    total = ppmi.sum()
    row_sum, col_sum = ppmi.sum(axis=1, keepdims=True), ppmi.sum(axis=0, keepdims=True)
    # In place, a block of rows at a time: the dense matrix is a few hundred MiB already.
    for lo in range(0, len(vocab), 4096):
        block = ppmi[lo:lo + 4096]
        with np.errstate(divide="ignore", invalid="ignore"):
            np.log(block * total / (row_sum[lo:lo + 4096] * col_sum), out=block)
        np.fmax(block, 0, out=block)  # log 0 = -inf and 0/0 = nan become 0
    rng = np.random.default_rng(seed)
    sketch = ppmi @ rng.standard_normal((ppmi.shape[1], dim + 16)).astype(np.float32)
    q, _ = np.linalg.qr(sketch)
    u, sv, _ = np.linalg.svd(q.T @ ppmi, full_matrices=False)
    emb = (q @ u[:, :dim]) * np.sqrt(sv[:dim])
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
    labels = [_kmeans(emb.astype(np.float32), min(k, len(vocab)), rng) for k in sizes]
    return {w: tuple(int(lab[i]) for lab in labels) for w, i in index.items()}


def save_clusters(clusters: Clusters, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({w: list(c) for w, c in sorted(clusters.items())},
                              ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def load_clusters(path: Path) -> dict[str, tuple[int, ...]]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): tuple(int(x) for x in v) for k, v in data.items()}
