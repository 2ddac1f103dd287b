"""A crfsuite model's Viterbi in numpy, with emission scores summed once per word type.

Every CRF feature belongs to one word of the +-2 window (its own features, or its features as
a left/right neighbour), and a state score is linear in the features. So a word's contribution
to each label is a fixed vector per window role: it is summed once per word type and cached,
and a sentence's emission matrix is five table gathers. All sentences of an article are then
decoded together, padded, in one loop over positions; crfsuite tags one token at a time in C
but needs every feature string converted per token, which cost more than the decoding itself.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pycrfsuite

from .features import IdFeaturizer

_ROLES = 5  # own, left 1, left 2, right 1, right 2
_CACHE_MAX = 200_000
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


class LinearCrf:
    """Decodes exactly what crfsuite's tagger decodes for the same model (same features, same
    tie-breaking: the first best label wins), checked against it in the unit tests."""

    def __init__(self, tagger: pycrfsuite.Tagger, gaz: dict[str, str]) -> None:
        info = tagger.info()
        self.labels: list[str] = list(tagger.labels())
        lab = {name: i for i, name in enumerate(self.labels)}
        n = len(self.labels)
        self.trans = np.zeros((n, n))
        for (src, dst), weight in info.transitions.items():
            self.trans[lab[src], lab[dst]] = weight
        attrs: dict[str, int] = {}
        rows: list[tuple[int, int, float]] = []
        for (attr, label), weight in info.state_features.items():
            rows.append((attrs.setdefault(attr, len(attrs)), lab[label], weight))
        self.weights = np.zeros((len(attrs), n))
        for a, label_i, weight in rows:
            self.weights[a, label_i] = weight
        self.featurizer = IdFeaturizer(gaz, attrs)
        self.bos = self._sum(self.featurizer.atoms(("BOS",)))
        self.eos = self._sum(self.featurizer.atoms(("EOS",)))
        self._reset()

    def _reset(self) -> None:
        # Row 0 is the zero vector that padding and sentence edges gather.
        self._index: dict[str, int] = {}
        self._table = np.zeros((1024, _ROLES, len(self.labels)))

    def _sum(self, ids: tuple[int, ...]) -> FloatArray:
        return self.weights[list(ids)].sum(axis=0) if ids else np.zeros(len(self.labels))

    def _row(self, word: str) -> int:
        """The table row of a word type, summed on first sight."""
        i = self._index.get(word)
        if i is not None:
            return i
        i = len(self._index) + 1
        if i >= len(self._table):
            self._table = np.concatenate([self._table, np.zeros_like(self._table)])
        f = self.featurizer
        left1, right1, left2, right2 = f.ctx_of(word)
        groups = (f.own_of(word), left1, left2, right1, right2)
        # One gather and one segmented sum for all five roles: a new word type costs a few
        # numpy calls, not one per role.
        flat = [j for ids in groups for j in ids]
        starts: list[int] = []
        roles: list[int] = []
        pos = 0
        for role, ids in enumerate(groups):
            if ids:
                starts.append(pos)
                roles.append(role)
            pos += len(ids)
        self._table[i] = 0.0
        if flat:
            self._table[i, roles] = np.add.reduceat(self.weights[flat], starts, axis=0)
        self._index[word] = i
        return i

    def emissions(self, sentences: list[list[str]]) -> tuple[FloatArray, IntArray, IntArray]:
        """State scores of every token of the batch, flat ([token, label]), with each token's
        position in its sentence and its sentence's length."""
        if len(self._index) >= _CACHE_MAX:
            self._reset()  # bounded; only here, so no row of this batch goes stale
        get, row = self._index.get, self._row
        rows = np.array([get(w) or row(w) for s in sentences for w in s], dtype=np.intp)
        # The table holds what the featurizer's per-word memos would: drop them, not keep
        # every word type twice.
        self.featurizer.forget()
        lens = np.array([len(s) for s in sentences], dtype=np.intp)
        starts = np.cumsum(lens) - lens
        pos = np.arange(len(rows)) - np.repeat(starts, lens)
        size = np.repeat(lens, lens)
        # Neighbours are shifts of the flat row list; row 0 (zeros) past a sentence's ends.
        pad = np.zeros(2, dtype=np.intp)
        wide = np.concatenate([pad, rows, pad])
        table = self._table
        emit = (table[rows, 0]
                + table[np.where(pos >= 1, wide[1:-3], 0), 1]
                + table[np.where(pos >= 2, wide[:-4], 0), 2]
                + table[np.where(pos < size - 1, wide[3:-1], 0), 3]
                + table[np.where(pos < size - 2, wide[4:], 0), 4])
        emit[pos == 0] += self.bos
        emit[pos == size - 1] += self.eos
        return emit, pos, size

    def tag(self, sentences: list[list[str]]) -> list[list[str]]:
        """Best label sequence of each sentence."""
        if not any(sentences):
            return [[] for _ in sentences]
        emit, pos, size = self.emissions(sentences)
        best = self._decode(emit, pos, size)
        names = self.labels
        flat = [names[j] for j in best.tolist()]
        out: list[list[str]] = []
        at = 0
        for s in sentences:
            out.append(flat[at:at + len(s)])
            at += len(s)
        return out

    def _decode(self, emit: FloatArray, pos: IntArray, size: IntArray) -> IntArray:
        """Viterbi of all sentences at once, padded to the longest."""
        first = pos == 0
        sent = np.cumsum(first) - 1
        lens = size[first]
        batch = np.zeros((len(lens), int(lens.max()), emit.shape[1]))
        batch[sent, pos] = emit
        best: IntArray = _viterbi(batch, lens, self.trans)[sent, pos]
        return best


def _viterbi(emit: FloatArray, lens: IntArray, trans: FloatArray) -> IntArray:
    """Batched Viterbi. The forward pass keeps only the best scores; a back pointer is
    recomputed on the way back for the one label the path takes, which is the same argmax
    over the same sums. Past a sentence's end its scores run on unused.

    Arrays are label-major ([label, sentence]): the max over the previous label is then an
    elementwise maximum of contiguous rows, about three times faster than reducing a short
    last axis."""
    n_sent, width, n_lab = emit.shape
    cols = np.arange(n_sent)
    scores = np.ascontiguousarray(emit.transpose(1, 2, 0))  # [position, label, sentence]
    deltas = np.empty((width, n_lab, n_sent))
    delta = deltas[0] = scores[0]
    step = trans[:, :, None]  # [from, to, 1]
    for t in range(1, width):
        delta = deltas[t] = (delta[:, None, :] + step).max(axis=0) + scores[t]
    cur = deltas[lens - 1, :, cols].argmax(axis=1)
    path = np.empty((n_sent, width), dtype=np.intp)
    for t in range(width - 1, 0, -1):
        path[:, t] = cur
        prev = (deltas[t - 1] + trans[:, cur]).argmax(axis=0)
        cur = np.where(t < lens, prev, cur)
    path[:, 0] = cur
    return path
