"""Ranking metrics for next-item recommendation (one relevant item per row)."""

import numpy as np

__all__ = ["hit_rate_at_k", "mrr", "ndcg_at_k"]


def _ranks(y_true, recommendations, k):
    """1-based rank of each true item in its recommendation list (0: absent)."""
    y_true = list(y_true)
    recs = list(recommendations)
    if len(y_true) != len(recs):
        raise ValueError(f"y_true has {len(y_true)} entries but recommendations has "
                         f"{len(recs)} rows")
    if k is not None and k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    ranks = np.zeros(len(y_true), dtype=np.int64)
    for i, (target, row) in enumerate(zip(y_true, recs, strict=True)):
        row = list(row)[:k] if k is not None else list(row)
        for r, item in enumerate(row):
            if item is not None and item == target:
                ranks[i] = r + 1
                break
    return ranks


def hit_rate_at_k(y_true, recommendations, k=10):
    """Share of rows whose true item is among the first ``k`` recommendations.

    Parameters
    ----------
    y_true : sequence of item ids, one per row.
    recommendations : sequence of ranked item-id sequences (e.g. the output
        of :meth:`NearestNeighborRecommender.predict`).
    k : int, default=10

    Examples
    --------
    >>> from skembed.metrics import hit_rate_at_k
    >>> hit_rate_at_k(["a", "b"], [["a", "c"], ["c", "d"]], k=2)
    0.5
    """
    ranks = _ranks(y_true, recommendations, k)
    return float(np.mean(ranks > 0)) if len(ranks) else 0.0


def ndcg_at_k(y_true, recommendations, k=10):
    """Normalised discounted cumulative gain with one relevant item per row.

    Each row scores ``1 / log2(rank + 1)`` if the true item is at ``rank``
    <= ``k`` and 0 otherwise (the ideal DCG is 1).

    Examples
    --------
    >>> from skembed.metrics import ndcg_at_k
    >>> round(ndcg_at_k(["a", "b"], [["a", "c"], ["c", "b"]], k=2), 4)
    0.8155
    """
    ranks = _ranks(y_true, recommendations, k)
    gains = np.zeros(len(ranks))
    hit = ranks > 0
    gains[hit] = 1.0 / np.log2(ranks[hit] + 1.0)
    return float(np.mean(gains)) if len(ranks) else 0.0


def mrr(y_true, recommendations, k=None):
    """Mean reciprocal rank of the true item (0 when it is not recommended).

    Examples
    --------
    >>> from skembed.metrics import mrr
    >>> mrr(["a", "b"], [["a", "c"], ["c", "b"]])
    0.75
    """
    ranks = _ranks(y_true, recommendations, k)
    rr = np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0.0)  # no division by 0
    return float(np.mean(rr)) if len(ranks) else 0.0
