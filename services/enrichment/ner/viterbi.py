"""A crfsuite model's Viterbi in numpy, with emission scores summed once per word type.

Every CRF feature belongs to one word of the +-2 window (its own features, or its features as
a left/right neighbour), and a state score is linear in the features. So a word's contribution
to each label is a fixed vector per window role: it is summed once per word type and cached,
and a sentence's emission matrix is five table gathers. All sentences of an article are then
decoded together, padded, in one loop over positions; crfsuite tags one token at a time in C
but needs every feature string converted per token, which cost more than the decoding itself.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
import numpy.typing as npt
import pycrfsuite

from .features import _NO_CLUSTERS, Clusters, IdFeaturizer

_ROLES = 5  # own, left 1, left 2, right 1, right 2
_OFFSETS = np.array([0, -1, -2, 1, 2])[:, None]  # where each role's word is, from the token
_ROLE_IDS = np.arange(_ROLES)[:, None]
_CACHE_MAX = 200_000
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


class LinearCrf:
    """Decodes exactly what crfsuite's tagger decodes for the same model (same features, same
    tie-breaking: the first best label wins), checked against it in the unit tests."""

    def __init__(self, tagger: pycrfsuite.Tagger, gaz: dict[str, str],
                 clusters: Clusters = _NO_CLUSTERS) -> None:
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
        self.featurizer = IdFeaturizer(gaz, attrs, clusters)
        self.bos = self._sum(self.featurizer.atoms(("BOS",)))
        self.eos = self._sum(self.featurizer.atoms(("EOS",)))
        self._reset()

    def _reset(self) -> None:
        # Row 0 is the zero vector that padding and sentence edges gather.
        self._index: dict[str, int] = {}
        self._table = np.zeros((1024, _ROLES, len(self.labels)))

    def _sum(self, ids: list[int]) -> FloatArray:
        return self.weights[ids].sum(axis=0) if ids else np.zeros(len(self.labels))

    def _add(self, words: list[str]) -> None:
        """Table rows for new word types (distinct, not yet indexed). One gather and one
        segmented sum for every role of every new word of a batch: each numpy call costs
        more than featurizing a word, so they are not made per word or per role."""
        f = self.featurizer
        flat: list[int] = []
        starts: list[int] = []
        cells: list[tuple[int, int]] = []  # (row, role) of each segment
        first = len(self._index) + 1
        for i, word in enumerate(words, first):
            self._index[word] = i
            for role, ids in enumerate(f.roles(word)):
                if ids:
                    starts.append(len(flat))
                    cells.append((i, role))
                    flat += ids
        while first + len(words) > len(self._table):
            self._table = np.concatenate([self._table, np.zeros_like(self._table)])
        if flat:
            # Rows start as zeros (the table only grows; _reset makes a new one), so a role
            # without features stays the zero vector.
            rows, roles = zip(*cells, strict=True)
            self._table[list(rows), list(roles)] = np.add.reduceat(self.weights[flat], starts,
                                                                   axis=0)

    def emissions(self, sentences: list[list[str]]) -> tuple[FloatArray, IntArray, BoolArray]:
        """State scores of the batch, padded to the longest sentence ([position, label,
        sentence]), with each sentence's length and where its tokens are ([sentence,
        position]). Padding scores are never read for a sentence's own positions."""
        if len(self._index) >= _CACHE_MAX:
            self._reset()  # bounded; only here, so no row of this batch goes stale
        words = list(chain.from_iterable(sentences))
        # Known word types are one C-level dict lookup each; only new ones go to _add.
        rows = list(map(self._index.get, words))
        if None in rows:
            self._add(list(dict.fromkeys(w for w, r in zip(words, rows, strict=True)
                                         if r is None)))
            rows = list(map(self._index.get, words))
        lens = np.fromiter(map(len, sentences), dtype=np.intp, count=len(sentences))
        n_sent, n_tok = len(lens), len(rows)
        # Sentences laid end to end with two zero rows (the zero vector) before, between and
        # after them: a neighbour past a sentence's ends gathers zeros, as crfsuite adds
        # nothing there, and each role is one gather over the tokens alone.
        at = np.arange(2, n_tok + 2) + 2 * np.repeat(np.arange(n_sent), lens)
        seq = np.zeros(n_tok + 2 * n_sent + 2, dtype=np.intp)
        seq[at] = np.fromiter(rows, dtype=np.intp, count=n_tok)  # no None left
        # One take of every role of every token from the table's (row, role) rows: a gather
        # per role with a mixed array/int index cost twice as much. The roles are summed in a
        # fixed order, which the unit tests hold to the per-role gathers bit for bit.
        cells = self._table.reshape(-1, len(self.labels))
        own, left1, left2, right1, right2 = cells.take(seq[at + _OFFSETS] * _ROLES + _ROLE_IDS,
                                                       axis=0)
        flat = own + left1 + left2 + right1 + right2
        mask = np.arange(int(lens.max())) < lens[:, None]
        emit = np.zeros((mask.shape[1], n_sent, len(self.labels)))
        emit.transpose(1, 0, 2)[mask] = flat
        emit[0] += self.bos
        emit[lens - 1, np.arange(n_sent)] += self.eos
        return np.ascontiguousarray(emit.transpose(0, 2, 1)), lens, mask

    def tag(self, sentences: list[list[str]]) -> list[list[str]]:
        """Best label sequence of each sentence."""
        if not any(sentences):
            return [[] for _ in sentences]
        scores, lens, mask = self.emissions(sentences)
        best = _viterbi(scores, lens, self.trans)[mask]
        names = self.labels
        flat = [names[j] for j in best.tolist()]
        out: list[list[str]] = []
        at = 0
        for s in sentences:
            out.append(flat[at:at + len(s)])
            at += len(s)
        return out


def _viterbi(scores: FloatArray, lens: IntArray, trans: FloatArray) -> IntArray:
    """Batched Viterbi over [position, label, sentence] scores; the best labels by
    [sentence, position]. The forward pass keeps only the best scores; a back pointer is
    recomputed on the way back for the one label the path takes, which is the same argmax
    over the same sums. Past a sentence's end its scores run on unused.

    Arrays are label-major ([label, sentence]): the max over the previous label is then an
    elementwise maximum of contiguous rows, about three times faster than reducing a short
    last axis. The loops call ufuncs with out= buffers: at a few dozen sentences, numpy's
    per-call cost is most of the work."""
    width, n_lab, n_sent = scores.shape
    cols = np.arange(n_sent)
    deltas = scores.copy()  # position t then becomes its best scores in place
    cand = np.empty((n_lab, n_lab, n_sent))
    step = trans[:, :, None]  # [from, to, 1]
    add, best_of = np.add, np.maximum.reduce
    for t in range(1, width):
        add(deltas[t - 1][:, None, :], step, out=cand)
        cur_t = deltas[t]
        cur_t += best_of(cand, axis=0)
    cur = deltas[lens - 1, :, cols].argmax(axis=1)
    alive = np.arange(width)[:, None] < lens
    # The way back reads [sentence, from] rows: the argmax then runs along a contiguous last
    # axis, and the transition rows into each sentence's label are one take().
    back = deltas.transpose(0, 2, 1).copy()
    into = trans.T.copy()  # [to, from]
    path = np.empty((width, n_sent), dtype=np.intp)
    buf = np.empty((n_sent, n_lab))
    copyto, take = np.copyto, into.take
    for t in range(width - 1, 0, -1):
        path[t] = cur
        add(back[t - 1], take(cur, axis=0), out=buf)
        copyto(cur, buf.argmax(axis=1), where=alive[t])
    path[0] = cur
    return path.T
