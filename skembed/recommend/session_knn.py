"""SessionKNNRecommender: items of the most similar training sequences."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseRecommender
from .kernels import distinct_items
from .knn_kernels import (
    MATCH,
    POSITION,
    KnnIndex,
    add_session_knn_scores,
    knn_options,
    session_knn_scores,
)


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

    Examples
    --------
    >>> from skembed.recommend import SessionKNNRecommender
    >>> sessions = [["a", "b", "c"], ["a", "b", "d"], ["x", "y", "z"]] * 2
    >>> rec = SessionKNNRecommender(n_recommendations=2).fit(sessions)
    >>> rec.predict([["a", "b"]]).tolist()
    [['c', 'd']]
    """

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
    }

    def __init__(self, k=100, sample_size=500, max_history=20, position_weighting=True,
                 similarity="cosine", match_weighting="quadratic", idf_weight=0.0,
                 recency_half_life=None, n_recommendations=10, exclude_seen="auto",
                 n_jobs=None):
        self.k = k
        self.sample_size = sample_size
        self.max_history = max_history
        self.position_weighting = position_weighting
        self.similarity = similarity
        self.match_weighting = match_weighting
        self.idf_weight = idf_weight
        self.recency_half_life = recency_half_life
        self.n_recommendations = n_recommendations
        self.exclude_seen = exclude_seen
        self.n_jobs = n_jobs

    def _fit_interactions(self, data, sequences, n_threads):
        self._index(distinct_items(data, len(self._catalogue)))

    def _partition_statistics(self, data, n_items):
        stats = super()._partition_statistics(data, n_items)
        stats["sessions"] = distinct_items(data, n_items)
        return stats

    def _merge_statistics(self, stats, n_items):
        merged = super()._merge_statistics(stats, n_items)
        merged["sessions"] = sp.vstack([s["sessions"] for s in stats], format="csr",
                                       dtype=np.float32)
        return merged

    def _fit_statistics(self, stats, n_threads):
        self._index(stats["sessions"])

    def _index(self, sessions):
        """The neighbour index of the training sequences' distinct items
        (CSR, sequences x items, ones)."""
        self._sessions = sessions
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
            self._votes = self._sessions @ sp.diags(1.0 + np.float32(self.idf_weight) * idf)
            self._votes = sp.csr_matrix(self._votes, dtype=np.float32)

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
                               np.float32(weight), scaled, n_threads)

    def candidate_scores(self, histories, start=0, stop=None, n_threads=1, self_rows=None):
        stop = histories.n_rows if stop is None else stop
        if self_rows is None:
            self_rows = np.full(stop - start, -1, np.int64)
        index = KnnIndex(self._session_norm, *self._postings)
        return session_knn_scores(histories, start, stop - start, self._votes, index,
                                  self._options(), np.asarray(self_rows, np.int64), n_threads)
