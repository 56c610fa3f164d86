"""SequentialRulesRecommender: items that followed the history's items."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseRecommender
from .kernels import WEIGHTING, add_rule_scores, rule_scores, transition_pairs

# pairs materialised at once while counting rules (bounds fit memory)
_PAIRS_PER_CHUNK = 1 << 24


def rule_matrix(data, n_items, window, weighting, symmetric, finish=True):
    """Sparse ``(n_items, n_items)`` matrix: entry ``(a, b)`` sums the weights
    of ``b`` following ``a`` within ``window`` positions (both directions if
    ``symmetric``); ``finish=False`` leaves the float64 sums of one
    direction (:func:`finished_rules` finishes them)."""
    code = WEIGHTING[weighting]
    lengths = np.diff(data.starts)
    pairs = np.where(lengths <= window, lengths * (lengths - 1) // 2,
                     window * lengths - window * (window + 1) // 2)
    cum = np.cumsum(pairs)
    cuts = np.searchsorted(cum, np.arange(_PAIRS_PER_CHUNK, cum[-1], _PAIRS_PER_CHUNK),
                           side="right")
    edges = np.unique(np.concatenate(([0], cuts, [data.n_rows])))
    total = sp.csr_matrix((n_items, n_items), dtype=np.float64)
    for q0, q1 in zip(edges[:-1], edges[1:], strict=True):
        rows = data.rows(int(q0), int(q1))
        r, c, v = transition_pairs(rows, window, code)
        total = total + sp.csr_matrix((v.astype(np.float64), (r, c)),
                                      shape=(n_items, n_items))
    return total if not finish else finished_rules(total, symmetric)


def finished_rules(total, symmetric):
    """Summed pair weights (float64) as the fitted rule matrix: both
    directions if ``symmetric``, float32, sorted CSR.  (Sums are float64 so
    that adding partitions in another grouping, as a Dask fit does, gives
    the same float32 rules.)"""
    if symmetric:
        total = total + total.T
    total = sp.csr_matrix(total, dtype=np.float32)
    total.sum_duplicates()
    total.sort_indices()
    return total


class SequentialRulesRecommender(BaseRecommender):
    """Recommend the items that followed the history's items in training.

    Sequential rules (Ludewig & Jannach 2018): every pair of items ``a``
    then ``b`` at most ``window`` positions apart in a training sequence
    adds ``w(gap)`` to the rule ``a -> b``.  A history is scored by the
    rules of its last ``max_history`` items, the most recent weighing most.
    With ``symmetric=True`` the rules count both directions: item-to-item
    co-occurrence, the choice for baskets whose order means nothing.

    Parameters
    ----------
    window : int, default=5
        Largest gap, in positions, between the two items of a rule.
    weighting : {"inverse", "linear", "constant"}, default="inverse"
        Weight of a pair ``gap`` positions apart: ``1 / gap``,
        ``1 - (gap - 1) / window`` or 1.
    symmetric : bool, default=False
        Count ``b`` before ``a`` as well (co-occurrence).
    max_history : int, default=10
        Number of most recent known items of a history that query the rules.
    half_life : float, default=1.0
        The weight of a history item halves every ``half_life`` items back
        from the most recent one; 0 weighs them equally.  (A half-life of 1
        with the last item alone is the classic "query = last item".)
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
    rules_ : scipy.sparse.csr_matrix of float32, shape (n_items, n_items)
        ``rules_[a, b]``: weight of the rule ``items_[a] -> items_[b]``.

    Notes
    -----
    Items with no rule from the history (and histories without a known
    item) are filled by popularity.  Memory is one float per distinct pair
    of items seen within ``window`` positions.

    Examples
    --------
    >>> from skembed.recommend import SequentialRulesRecommender
    >>> sessions = [["home", "shoes", "socks"], ["home", "shirts", "ties"]] * 3
    >>> rec = SequentialRulesRecommender(n_recommendations=2).fit(sessions)
    >>> rec.predict([["shoes"], ["shirts"]]).tolist()
    [['socks', 'home'], ['ties', 'home']]
    """

    _ranking = "sparse"  # from candidate_scores: no dense row per history

    _parameter_constraints = {
        **BaseRecommender._parameter_constraints,
        "window": [Interval(Integral, 1, 10_000, closed="both")],
        "weighting": [StrOptions(set(WEIGHTING))],
        "symmetric": ["boolean"],
        "max_history": [Interval(Integral, 1, 100_000, closed="both")],
        "half_life": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, window=5, weighting="inverse", symmetric=False, max_history=10,
                 half_life=1.0, n_recommendations=10, exclude_seen="auto", n_jobs=None):
        self.window = window
        self.weighting = weighting
        self.symmetric = symmetric
        self.max_history = max_history
        self.half_life = half_life
        self.n_recommendations = n_recommendations
        self.exclude_seen = exclude_seen
        self.n_jobs = n_jobs

    def _fit_interactions(self, data, sequences, n_threads):
        self.rules_ = rule_matrix(data, len(self._catalogue), int(self.window),
                                  self.weighting, bool(self.symmetric))

    def _partition_statistics(self, data, n_items):
        stats = super()._partition_statistics(data, n_items)
        stats["rules"] = rule_matrix(data, n_items, int(self.window), self.weighting, False,
                                     finish=False) if data.n_rows else None
        return stats

    def _merge_statistics(self, stats, n_items):
        merged = super()._merge_statistics(stats, n_items)
        total = sp.csr_matrix((n_items, n_items), dtype=np.float64)
        for s in stats:
            if s["rules"] is not None:
                total = total + s["rules"]
        merged["rules"] = total
        return merged

    def _fit_statistics(self, stats, n_threads):
        self.rules_ = finished_rules(stats["rules"], bool(self.symmetric))

    def _add_scores(self, data, q0, out, n_threads, self_rows=None, weight=1.0, scaled=False):
        add_rule_scores(data, q0, int(self.max_history),
                        float(self.half_life), self.rules_, out, np.float32(weight), scaled,
                        n_threads)

    def candidate_scores(self, histories, start=0, stop=None, n_threads=1, self_rows=None):
        stop = histories.n_rows if stop is None else stop
        return rule_scores(histories, start, stop - start, int(self.max_history),
                           float(self.half_life), self.rules_, n_threads)
