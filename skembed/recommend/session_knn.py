"""SessionKNNRecommender: items of the most similar training sequences."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import BaseRecommender
from .kernels import distinct_items
from .knn_kernels import KnnIndex, add_session_knn_scores, knn_options


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
    position_weighting : bool, default=True
        Weigh the query's items linearly by recency (the most recent 1,
        the oldest ``1 / max_history``), as V-SKNN; False weighs them
        equally (plain SKNN).
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
        "position_weighting": ["boolean"],
    }

    def __init__(self, k=100, sample_size=500, max_history=20, position_weighting=True,
                 n_recommendations=10, exclude_seen="auto", n_jobs=None):
        self.k = k
        self.sample_size = sample_size
        self.max_history = max_history
        self.position_weighting = position_weighting
        self.n_recommendations = n_recommendations
        self.exclude_seen = exclude_seen
        self.n_jobs = n_jobs

    def _fit_interactions(self, data, sequences, n_threads):
        n_items = len(self._catalogue)
        self._sessions = distinct_items(data, n_items)  # sequences x items
        indptr = self._sessions.indptr
        self._session_norm = np.sqrt(np.diff(indptr)).astype(np.float32)
        by_item = self._sessions.tocsc()
        by_item.sort_indices()
        self._postings = (by_item.indptr.astype(np.int64), by_item.indices.astype(np.int64))
        self.n_sequences_ = len(indptr) - 1

    def _add_scores(self, data, q0, out, n_threads, self_rows=None, weight=1.0, scaled=False):
        if self_rows is None:
            self_rows = np.full(out.shape[0], -1, np.int64)
        index = KnnIndex(self._session_norm, *self._postings)
        opt = knn_options(self.max_history, self.position_weighting, self.k, self.sample_size)
        add_session_knn_scores(data, q0, self._sessions, index, opt, self_rows, out,
                               np.float32(weight), scaled, n_threads)
