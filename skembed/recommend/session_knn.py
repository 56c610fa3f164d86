"""SessionKNNRecommender: items of the most similar training sequences."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions

from .._ragged import Ragged
from ._base import BaseRecommender
from .candidates import drop_entries, top_k_entries
from .kernels import distinct_items, last_positions
from .knn_kernels import (
    MATCH,
    POSITION,
    KnnIndex,
    add_session_knn_scores,
    knn_options,
    session_knn_scores,
)

# shared_item_decay="auto": the decays tried, and how many training sequences
# (a sample by a hash of their items) choose among them
AUTO_DECAYS = (1.0, 3.0, 10.0, 30.0)
AUTO_HISTORIES = 2000


_MIX = np.uint64(0xFF51AFD7ED558CCD)


def _sequence_hashes(known):
    """A 64-bit hash of each row's ids and their order (wrapping uint64
    arithmetic), the same wherever the row is."""
    lengths = np.diff(known.starts)
    pos = np.arange(len(known.ids), dtype=np.int64) - np.repeat(known.starts[:-1], lengths)
    mult = np.ones(max(int(lengths.max(initial=0)), 1), np.uint64)
    with np.errstate(over="ignore"):
        mult[1:] = np.uint64(0x9E3779B97F4A7C15)
        mult = np.cumprod(mult, dtype=np.uint64)  # powers of an odd constant, mod 2**64
        terms = (known.ids.astype(np.uint64) + np.uint64(1)) * mult[pos]
        h = np.zeros(len(lengths), np.uint64)
        nonempty = lengths > 0
        h[nonempty] = np.add.reduceat(terms, known.starts[:-1][nonempty])
        h ^= h >> np.uint64(33)
        h *= _MIX
        h ^= h >> np.uint64(33)
    return h


def _validation_sample(known):
    """The ``shared_item_decay="auto"`` validation sample of the rows of
    ``known`` (known ids only) with two items or more: the ``AUTO_HISTORIES``
    of smallest :func:`_sequence_hashes` (ties: the earlier row), so that the
    sample of a whole log is the sample of its partitions' samples.  Returns
    ``(rows, histories without the last item, last items, hashes)``."""
    lengths = np.diff(known.starts)
    rows = np.flatnonzero(lengths >= 2)
    hashes = _sequence_hashes(known)[rows]
    keep = np.lexsort((rows, hashes))[:AUTO_HISTORIES]
    rows, hashes = rows[keep], hashes[keep]
    hist = known.take(rows).without_last(np.arange(len(rows)))
    return rows, hist, known.last(rows), hashes


def _merge_samples(parts):
    """The sample of consecutive partitions from theirs (as
    :func:`_validation_sample` returns them, rows made global)."""
    rows = np.concatenate([p[0] for p in parts])
    hist = Ragged.concatenate([p[1] for p in parts])
    targets = np.concatenate([p[2] for p in parts])
    hashes = np.concatenate([p[3] for p in parts])
    keep = np.lexsort((rows, hashes))[:AUTO_HISTORIES]
    return rows[keep], hist.take(keep), targets[keep], hashes[keep]


def _hits_at(scores, targets, k, exclude=None):
    """Per row of the CSR ``scores``: 1.0 where ``targets[row]`` is among its
    ``k`` best entries as the blend ranks them
    (:func:`~skembed.recommend.candidates.top_k_entries`), the items of row
    ``row`` of the Ragged ``exclude`` (the history, when seen items are
    excluded) left out."""
    if exclude is not None:
        row = np.repeat(np.arange(scores.shape[0]), np.diff(scores.indptr))
        seen = exclude.to_csr(scores.shape[1])
        scores = drop_entries(scores, np.asarray(seen[row, scores.indices]).ravel() == 0)
    top, _ = top_k_entries(scores.indptr, scores.indices, scores.data, k)
    return (top == np.asarray(targets)[:, None]).any(axis=1).astype(np.float64)


class SessionKNNRecommender(BaseRecommender):
    """Recommend the items of the training sequences most similar to a history.

    Session-kNN (Jannach & Ludewig 2017; the "V-SKNN" variant with a
    position-weighted query): the history's last ``max_history`` distinct
    items are compared (cosine over item sets) with the ``sample_size``
    most recent training sequences that share an item with it; each item
    scores the summed similarity of the ``k`` nearest sequences that
    contain it.

    Parameters
    ----------
    k : int, default=100
        Number of neighbour sequences.
    sample_size : int, default=500
        Only this many of the most recent candidate sequences (later in the
        training data = more recent) are compared, which bounds the cost of
        a query on popular items.
    max_history : int, default=20
        Number of most recent distinct items of a history in the query.
    position_weighting : {"linear", "quadratic", "same"} or bool, default=True
        Weight of the query's items by recency: the item ``a`` steps back of
        ``n`` weighs ``(n - a) / n`` (``"linear"``, or True: the most recent
        1, the oldest ``1 / n``), its square (``"quadratic"``, V-SKNN's
        setting on RSC15), or 1 (``"same"``, or False: plain SKNN).
    similarity : {"cosine", "vec"}, default="cosine"
        Cosine between the weighted query and a sequence's item set, or
        V-SKNN's ``"vec"``: the query weight of the shared items over the
        query's size (long sequences are not penalised).
    match_weighting : {"same", "div", "quadratic"}, default="quadratic"
        V-SKNN's decay of a neighbour's vote by the step back ``s`` (1: the
        last item) to the most recent history item it holds: 1, ``1 / s``
        or ``1 / s ** 2``.
    idf_weight : float, default=0.0
        Each item's score is multiplied by ``1 + idf_weight * idf`` (``idf``
        the log of the number of training sequences over those holding the
        item): rare items count more (V-SKNN's IDF option).
    recency_half_life : float or None, default=None
        A neighbour's similarity halves for every ``recency_half_life``
        training sequences after it (later = more recent): recent
        sequences weigh more (STAN's neighbour recency, counted in
        sequences since ``fit`` gets no times).
    shared_item_decay : float, "auto" or None, default="auto"
        STAN's item-neighbourhood weight: a neighbour's vote for an item is
        multiplied by ``exp(-d / shared_item_decay)``, ``d`` the distance in
        positions between that item and the neighbour's item shared with
        the history (the most recent history item it holds; each item at its
        last occurrence), so that items next to the shared one count most.
        None: every item of a neighbour votes alike (the order inside a
        sequence carries nothing, as in baskets).  ``"auto"``: chosen at
        ``fit`` among None and ``AUTO_DECAYS`` by the hit rate at 10 of the
        last item of training sequences (at most
        ``AUTO_HISTORIES``, each kept from matching itself; a pseudo-random
        sample by a hash of their items); a decay replaces None only when it
        wins by more than two standard errors of the difference, so that a
        small or orderless log keeps plain votes.
    n_recommendations : int, default=10
    exclude_seen : bool or "auto", default="auto"
        See :class:`PopularityRecommender`.
    n_jobs : int or None, default=None
        Threads for scoring; ``None`` means 1 unless a joblib
        ``parallel_config`` context sets ``n_jobs``, ``-1`` all cores the
        process may use (``OMP_NUM_THREADS`` caps it: one in a Dask worker).

    Attributes
    ----------
    items_, item_counts_, repeat_share_, exclude_seen_
        As in :class:`PopularityRecommender`.
    n_sequences_ : int
        Training sequences available as neighbours.
    shared_item_decay_ : float or None
        The decay in use (``shared_item_decay``, or the one ``"auto"`` chose).

    Examples
    --------
    >>> from skembed.recommend import SessionKNNRecommender
    >>> sessions = [["a", "b", "c"], ["a", "b", "d"], ["x", "y", "z"]] * 2
    >>> rec = SessionKNNRecommender(n_recommendations=2).fit(sessions)
    >>> rec.predict([["a", "b"]]).tolist()
    [['c', 'd']]
    """

    _ranking = "sparse"  # from candidate_scores: no dense row per history

    _parameter_constraints = {
        **BaseRecommender._parameter_constraints,
        "k": [Interval(Integral, 1, None, closed="left")],
        "sample_size": [Interval(Integral, 1, None, closed="left")],
        "max_history": [Interval(Integral, 1, 100_000, closed="both")],
        "position_weighting": ["boolean", StrOptions(set(POSITION))],
        "similarity": [StrOptions({"cosine", "vec"})],
        "match_weighting": [StrOptions(set(MATCH))],
        "idf_weight": [Interval(Real, 0, None, closed="left")],
        "recency_half_life": [Interval(Real, 0, None, closed="neither"), None],
        "shared_item_decay": [Interval(Real, 0, None, closed="neither"),
                              StrOptions({"auto"}), None],
    }

    def __init__(self, k=100, sample_size=500, max_history=20, position_weighting=True,
                 similarity="cosine", match_weighting="quadratic", idf_weight=0.0,
                 recency_half_life=None, shared_item_decay="auto", n_recommendations=10,
                 exclude_seen="auto", n_jobs=None):
        self.k = k
        self.sample_size = sample_size
        self.max_history = max_history
        self.position_weighting = position_weighting
        self.similarity = similarity
        self.match_weighting = match_weighting
        self.idf_weight = idf_weight
        self.recency_half_life = recency_half_life
        self.shared_item_decay = shared_item_decay
        self.n_recommendations = n_recommendations
        self.exclude_seen = exclude_seen
        self.n_jobs = n_jobs

    def _fit_interactions(self, data, sequences, n_threads):
        n_items = len(self._catalogue)
        self._index(distinct_items(data, n_items), self._positions_of(data, n_items))
        if self.shared_item_decay == "auto":
            self._choose_decay(*_validation_sample(data.known()), n_threads)

    def _positions_of(self, data, n_items):
        return last_positions(data, n_items) if self.shared_item_decay is not None else None

    def _partition_statistics(self, data, n_items):
        stats = super()._partition_statistics(data, n_items)
        stats["sessions"] = distinct_items(data, n_items)
        stats["positions"] = self._positions_of(data, n_items)
        if self.shared_item_decay == "auto":
            stats["validation"] = _validation_sample(data.known())
        return stats

    def _merge_statistics(self, stats, n_items):
        merged = super()._merge_statistics(stats, n_items)
        if self.shared_item_decay == "auto":  # the partitions' samples, rows made global
            first = np.cumsum([0] + [s["sessions"].shape[0] for s in stats])
            samples = [s["validation"] for s in stats]
            merged["validation"] = _merge_samples(
                [(rows + first[p], hist, targets, hashes)
                 for p, (rows, hist, targets, hashes) in enumerate(samples)])
        for name in ("sessions", "positions"):
            parts = [s[name] for s in stats]
            merged[name] = None if parts[0] is None else sp.vstack(
                parts, format="csr", dtype=np.float32)
        return merged

    def _fit_statistics(self, stats, n_threads):
        self._index(stats["sessions"], stats.get("positions"))
        if self.shared_item_decay == "auto":
            self._choose_decay(*stats["validation"], n_threads)

    def _index(self, sessions, positions=None):
        """The neighbour index of the training sequences' distinct items
        (CSR, sequences x items, ones) and, for ``shared_item_decay``, each
        item's last position (a CSR aligned with them)."""
        self._sessions = sessions
        self.shared_item_decay_ = None if self.shared_item_decay in (None, "auto") \
            else float(self.shared_item_decay)
        indptr = self._sessions.indptr
        self._session_norm = np.sqrt(np.diff(indptr)).astype(np.float32)
        by_item = self._sessions.tocsc()
        by_item.sort_indices()
        self._postings = (by_item.indptr.astype(np.int64), by_item.indices.astype(np.int64))
        self.n_sequences_ = len(indptr) - 1
        self._votes = self._sessions  # what a neighbour adds to each of its items
        if self.idf_weight > 0:
            holding = np.diff(by_item.indptr)
            idf = np.log(self.n_sequences_ / np.maximum(holding, 1)).astype(np.float32)
            # the same entries, in the same order, scaled (positions align with them)
            self._votes = self._sessions.copy()
            factor = 1.0 + np.float32(self.idf_weight) * idf
            self._votes.data = (self._votes.data * factor[self._votes.indices]).astype(
                np.float32)
        # for the decay: each vote's position (float32, aligned with the votes)
        self._positions = None
        if positions is not None:
            self._positions = np.ascontiguousarray(positions.data, np.float32)

    def _options(self):
        position = self.position_weighting
        if isinstance(position, (bool, np.bool_)):
            position = "linear" if position else "same"
        return knn_options(self.max_history, position, self.k, self.sample_size,
                           self.similarity == "vec", self.match_weighting,
                           self.recency_half_life or 0.0)

    def _add_scores(self, data, q0, out, n_threads, self_rows=None, weight=1.0, scaled=False):
        if self_rows is None:
            self_rows = np.full(out.shape[0], -1, np.int64)
        index = KnnIndex(self._session_norm, *self._postings)
        add_session_knn_scores(data, q0, self._votes, index, self._options(), self_rows, out,
                               np.float32(weight), scaled, n_threads, self._distance())

    def _distance(self):
        decay = getattr(self, "shared_item_decay_", None)
        if decay is None:
            return None
        return self._positions, decay

    def _choose_decay(self, rows, hist, targets, hashes, n_threads):
        """``shared_item_decay="auto"``: the validation histories ``hist`` (the
        training sequences ``rows`` without their last known item,
        :func:`_validation_sample`) predict ``targets``; a decay of
        ``AUTO_DECAYS`` replaces None when its hits at 10 beat None's by more
        than two standard errors of the per-history difference (the best of
        four tries beats one standard error by chance too often)."""
        if len(rows) < 2:
            return
        hits = {}
        for decay in (None, *AUTO_DECAYS):
            self.shared_item_decay_ = decay
            scores = self.candidate_scores(hist, n_threads=n_threads,
                                           self_rows=rows.astype(np.int64))
            hits[decay] = _hits_at(scores, targets, 10,
                                   hist if self.exclude_seen_ else None)
        self.shared_item_decay_ = None
        best = max(AUTO_DECAYS, key=lambda d: hits[d].mean())
        diff = hits[best] - hits[None]
        if diff.mean() > 2.0 * diff.std(ddof=1) / np.sqrt(len(diff)):
            self.shared_item_decay_ = best
        else:  # plain votes: the positions are not needed
            self._positions = None

    def candidate_scores(self, histories, start=0, stop=None, n_threads=1, self_rows=None):
        stop = histories.n_rows if stop is None else stop
        if self_rows is None:
            self_rows = np.full(stop - start, -1, np.int64)
        index = KnnIndex(self._session_norm, *self._postings)
        return session_knn_scores(histories, start, stop - start, self._votes, index,
                                  self._options(), np.asarray(self_rows, np.int64), n_threads,
                                  self._distance())
