"""PopularityRecommender: the most frequent items."""

import numpy as np

from ._base import BaseRecommender


class PopularityRecommender(BaseRecommender):
    """Recommend the items with the most interactions in the training data.

    The baseline every recommender must beat, and the fallback of the
    others for histories without a known item.

    Parameters
    ----------
    n_recommendations : int, default=10
        Length of each recommendation list.
    exclude_seen : bool or "auto", default="auto"
        Never recommend items already in the history.  ``"auto"``: exclude
        them when fewer than 1% of the training interactions repeat an item
        earlier in the same sequence (``repeat_share_``).
    n_jobs : int or None, default=None
        Threads for scoring; ``None`` means 1 unless a joblib
        ``parallel_config`` context sets ``n_jobs``, ``-1`` all cores the
        process may use (``OMP_NUM_THREADS`` caps it: one in a Dask worker).

    Attributes
    ----------
    items_ : ndarray
        Catalogue of item ids (int64 if all ids are ints, object otherwise),
        most popular first.
    item_counts_ : ndarray of int64
        Training interactions of each item of ``items_``.
    repeat_share_ : float
        Share of the training interactions (after the first of each
        sequence) that repeat an item earlier in the same sequence.
    exclude_seen_ : bool
        Whether seen items are excluded (``exclude_seen`` resolved).

    Examples
    --------
    >>> from skembed.recommend import PopularityRecommender
    >>> rec = PopularityRecommender(n_recommendations=2).fit([["a", "b"], ["b", "c"], ["b"]])
    >>> rec.predict([["b"], []]).tolist()
    [['a', 'c'], ['b', 'a']]
    """

    _ranking = "popularity"  # the most popular allowed items: no dense rows

    def __init__(self, n_recommendations=10, exclude_seen="auto", n_jobs=None):
        self.n_recommendations = n_recommendations
        self.exclude_seen = exclude_seen
        self.n_jobs = n_jobs

    def _fit_interactions(self, data, sequences, n_threads):
        self._log_counts = np.log1p(self.item_counts_).astype(np.float32)

    def _fit_statistics(self, stats, n_threads):
        self._fit_interactions(None, None, n_threads)

    def _add_scores(self, data, q0, out, n_threads, self_rows=None, weight=1.0, scaled=False):
        out += self._log_counts

    def _popularity_scores(self):
        return self._log_counts
