"""Ranking metrics for recommendation lists.

Every metric takes ``y_true`` (the relevant items of each row) and
``recommendations`` (a ranked list of item ids per row, e.g. the output of
``predict``).  A row of ``y_true`` is either one item (the next-item
setting) or a list, set or array of several relevant items (e.g. everything
a user interacted with after a cut-off); tuples are item ids, not
collections.  Masked entries and ``None`` in ``recommendations`` are
padding, never items.  A row without any relevant item scores 0.
"""

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "average_precision_at_k",
    "catalogue_coverage",
    "hit_rate_at_k",
    "mrr",
    "ndcg_at_k",
    "next_item_metrics",
    "popularity_bias",
    "precision_at_k",
    "recall_at_k",
]


def _relevant(target):
    if isinstance(target, (list, set, frozenset, np.ndarray, pd.Series)):
        return set(np.asarray(target, dtype=object).ravel().tolist()
                   if isinstance(target, (np.ndarray, pd.Series)) else target)
    return {target}


def _ranked(row, k):
    if isinstance(row, np.ma.MaskedArray):
        row = row.compressed()
    items = [i for i in (row.tolist() if isinstance(row, np.ndarray) else list(row))
             if i is not None and i is not np.ma.masked]
    return items[:k] if k is not None else items


def _check_k(k):
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer))
                          or k < 1):
        raise ValueError(f"k must be an int >= 1 or None, got {k!r}")


def _hits(y_true, recommendations, k):
    """Per row: the relevant set and a boolean hit vector over the top k."""
    y_true = list(y_true)
    recs = list(recommendations)
    if len(y_true) != len(recs):
        raise ValueError(f"y_true has {len(y_true)} entries but recommendations has "
                         f"{len(recs)} rows")
    _check_k(k)
    out = []
    for target, row in zip(y_true, recs, strict=True):
        relevant = _relevant(target)
        ranked = _ranked(row, k)
        seen = set()
        hits = []
        for item in ranked:  # a repeated item counts once
            hits.append(item in relevant and item not in seen)
            seen.add(item)
        out.append((relevant, np.array(hits, dtype=bool)))
    return out


def hit_rate_at_k(y_true, recommendations, k=10):
    """Share of rows with at least one relevant item among the first ``k``.

    Examples
    --------
    >>> from skembed.metrics import hit_rate_at_k
    >>> hit_rate_at_k(["a", "b"], [["a", "c"], ["c", "d"]], k=2)
    0.5
    >>> hit_rate_at_k([{"a", "z"}, ["d"]], [["z", "c"], ["c", "d"]], k=1)
    0.5
    """
    rows = _hits(y_true, recommendations, k)
    return float(np.mean([h.any() for _, h in rows])) if rows else 0.0


def precision_at_k(y_true, recommendations, k=10):
    """Mean share of the first ``k`` slots holding a relevant item.

    Examples
    --------
    >>> from skembed.metrics import precision_at_k
    >>> precision_at_k([["a", "b"]], [["a", "x", "b", "y"]], k=4)
    0.5
    """
    _check_k(k)
    if k is None:
        raise ValueError("precision_at_k needs a list length k")
    rows = _hits(y_true, recommendations, k)
    return float(np.mean([h.sum() / k for _, h in rows])) if rows else 0.0


def recall_at_k(y_true, recommendations, k=10):
    """Mean share of each row's relevant items found among the first ``k``.

    Examples
    --------
    >>> from skembed.metrics import recall_at_k
    >>> recall_at_k([["a", "b", "c", "d"]], [["a", "x", "b"]], k=3)
    0.5
    """
    rows = _hits(y_true, recommendations, k)
    return float(np.mean([h.sum() / len(r) if r else 0.0 for r, h in rows])) if rows else 0.0


def average_precision_at_k(y_true, recommendations, k=10):
    """Mean average precision at ``k`` (MAP@k).

    A row's average precision is the mean of the precision at each rank
    holding a relevant item, divided by ``min(len(relevant), k)``.

    Examples
    --------
    >>> from skembed.metrics import average_precision_at_k
    >>> average_precision_at_k([["a", "b"]], [["a", "x", "b"]], k=3)  # (1 + 2/3) / 2
    0.8333333333333333
    """
    rows = _hits(y_true, recommendations, k)
    scores = []
    for relevant, h in rows:
        if not relevant or not h.any():
            scores.append(0.0)
            continue
        precision = np.cumsum(h) / np.arange(1, len(h) + 1)
        denom = min(len(relevant), k) if k is not None else len(relevant)
        scores.append(float(precision[h].sum() / denom))
    return float(np.mean(scores)) if scores else 0.0


def ndcg_at_k(y_true, recommendations, k=10):
    """Normalised discounted cumulative gain at ``k`` (binary relevance).

    A relevant item at rank ``r`` gains ``1 / log2(r + 1)``; the ideal list
    puts ``min(len(relevant), k)`` relevant items first.  With one relevant
    item per row this is ``1 / log2(rank + 1)`` for a hit, 0 otherwise.

    Examples
    --------
    >>> from skembed.metrics import ndcg_at_k
    >>> round(ndcg_at_k(["a", "b"], [["a", "c"], ["c", "b"]], k=2), 4)
    0.8155
    """
    rows = _hits(y_true, recommendations, k)
    scores = []
    for relevant, h in rows:
        if not relevant:
            scores.append(0.0)
            continue
        discounts = 1.0 / np.log2(np.arange(2, len(h) + 2))
        n_ideal = min(len(relevant), k) if k is not None else len(relevant)
        ideal = (1.0 / np.log2(np.arange(2, n_ideal + 2))).sum()
        scores.append(float(discounts[h].sum() / ideal))
    return float(np.mean(scores)) if scores else 0.0


def mrr(y_true, recommendations, k=None):
    """Mean reciprocal rank of the first relevant item (0 when none is in
    the first ``k``; ``k=None`` looks at the whole list).

    Examples
    --------
    >>> from skembed.metrics import mrr
    >>> mrr(["a", "b"], [["a", "c"], ["c", "b"]])
    0.75
    """
    rows = _hits(y_true, recommendations, k)
    scores = [1.0 / (np.argmax(h) + 1) if h.any() else 0.0 for _, h in rows]
    return float(np.mean(scores)) if scores else 0.0


def catalogue_coverage(recommendations, catalogue, k=None):
    """Share of the catalogue that appears in at least one list.

    Parameters
    ----------
    recommendations : sequence of ranked item-id sequences
    catalogue : collection of hashable or int
        The recommendable items (e.g. a recommender's ``items_``), or their
        number.
    k : int, optional
        Only the first ``k`` items of each list count.

    Examples
    --------
    >>> from skembed.metrics import catalogue_coverage
    >>> catalogue_coverage([["a", "b"], ["a", "c"]], ["a", "b", "c", "d"])
    0.75
    """
    _check_k(k)
    if isinstance(catalogue, (int, np.integer)) and not isinstance(catalogue, bool):
        size, known = int(catalogue), None
    else:
        known = set(np.asarray(catalogue, dtype=object).tolist()
                    if isinstance(catalogue, np.ndarray) else catalogue)
        size = len(known)
    if size < 1:
        raise ValueError("catalogue must hold at least one item")
    shown = {i for row in recommendations for i in _ranked(row, k)}
    if known is not None:
        shown &= known
    return len(shown) / size


def popularity_bias(recommendations, item_counts, k=None):
    """Mean training count of the recommended items, relative to the mean
    count of a catalogue item (average recommendation popularity, ARP,
    normalised): 1 for lists as popular as a random catalogue item, larger
    for lists that favour popular items.

    Parameters
    ----------
    recommendations : sequence of ranked item-id sequences
    item_counts : mapping
        Training count of each catalogue item, e.g.
        ``dict(zip(rec.items_, rec.item_counts_))`` or a pandas Series;
        items missing from it count 0.
    k : int, optional
        Only the first ``k`` items of each list count.

    Examples
    --------
    >>> from skembed.metrics import popularity_bias
    >>> popularity_bias([["a"], ["a", "b"]], {"a": 8, "b": 2, "c": 2})
    1.625
    """
    _check_k(k)
    if isinstance(item_counts, pd.Series):
        item_counts = item_counts.to_dict()
    if not isinstance(item_counts, Mapping) or not item_counts:
        raise TypeError("item_counts must be a non-empty mapping of item -> count")
    mean_count = float(np.mean(list(item_counts.values())))
    if mean_count <= 0:
        raise ValueError("item_counts must contain a positive count")
    per_row = [np.mean([item_counts.get(i, 0) for i in items])
               for items in (_ranked(row, k) for row in recommendations) if items]
    return float(np.mean(per_row) / mean_count) if per_row else 0.0


def next_item_metrics(y_next, recommendations, y_rest=None, k=(5, 10, 20), *,
                      catalogue=None, item_counts=None):
    """The session-based recommendation protocol's metrics in one pass.

    The protocol of Ludewig et al. (2021, session-rec): every prefix of a
    test session predicts its next item (``y_next``: hit rate ``HR@k`` and
    mean reciprocal rank ``MRR@k``) and the rest of the session
    (``y_rest``: precision ``P@k``, recall ``R@k`` and ``MAP@k``, as
    :func:`precision_at_k`, :func:`recall_at_k` and
    :func:`average_precision_at_k` with the rest as the relevant items);
    over all lists, ``coverage@k`` (:func:`catalogue_coverage`) and the
    popularity of what is recommended: ``popularity@k`` as session-rec
    measures it (mean over lists of the mean training count of their items
    divided by the largest count) and ``popularity_bias@k``
    (:func:`popularity_bias`, relative to a mean catalogue item).

    Parameters
    ----------
    y_next : sequence of hashable
        The next item of each prefix.
    recommendations : sequence of ranked item-id sequences
        At least ``max(k)`` long to measure every ``k``.
    y_rest : sequence of collections, optional
        The remaining items of each session (the next one included); without
        it P, R and MAP are left out.
    k : int or sequence of int, default=(5, 10, 20)
    catalogue : collection or int, optional
        The recommendable items (or their number), for coverage.
    item_counts : mapping, optional
        Training count of each item, for the popularity figures.

    Returns
    -------
    dict
        ``{"HR@5": ..., "MRR@5": ..., "P@5": ..., ...}``, floats.

    Examples
    --------
    >>> from skembed.metrics import next_item_metrics
    >>> m = next_item_metrics(["b", "c"], [["b", "x"], ["x", "c"]], [["b", "c"], ["c"]], k=2)
    >>> m["HR@2"], m["MRR@2"], m["P@2"], m["R@2"]
    (1.0, 0.75, 0.5, 0.75)
    """
    ks = [k] if isinstance(k, (int, np.integer)) else list(k)
    for value in ks:
        _check_k(value)
        if value is None:
            raise ValueError("next_item_metrics needs list lengths k")
    y_next = list(y_next)
    recs = [_ranked(row, None) for row in recommendations]
    if len(recs) != len(y_next):
        raise ValueError(f"y_next has {len(y_next)} entries but recommendations has "
                         f"{len(recs)} rows")
    if y_rest is not None:
        y_rest = [_relevant(r) for r in y_rest]
        if len(y_rest) != len(y_next):
            raise ValueError(f"y_rest has {len(y_rest)} entries but y_next has "
                             f"{len(y_next)}")
    n = len(y_next)
    top = max(ks)
    rank = np.full(n, top + 1, np.int64)
    rest_hits = np.zeros((n, top), bool)
    for r, (target, row) in enumerate(zip(y_next, recs, strict=True)):
        seen = set()
        relevant = y_rest[r] if y_rest is not None else ()
        for j, item in enumerate(row[:top]):
            if item in seen:
                continue
            seen.add(item)
            if rank[r] > top and item == target:
                rank[r] = j + 1
            if item in relevant:
                rest_hits[r, j] = True
    out = {}
    denominator = np.maximum(n, 1)
    for value in ks:
        hit = rank <= value
        out[f"HR@{value}"] = float(hit.sum() / denominator)
        out[f"MRR@{value}"] = float(np.where(hit, 1.0 / rank, 0.0).sum() / denominator)
        if y_rest is not None:
            h = rest_hits[:, :value]
            n_rel = np.array([len(rel) for rel in y_rest], np.float64)
            found = h.sum(axis=1)
            out[f"P@{value}"] = float(found.sum() / value / denominator)
            out[f"R@{value}"] = float(np.divide(found, n_rel, out=np.zeros(n),
                                                where=n_rel > 0).sum() / denominator)
            precision = np.cumsum(h, axis=1) / np.arange(1, value + 1)
            ap = np.where(h, precision, 0.0).sum(axis=1)
            out[f"MAP@{value}"] = float(np.divide(ap, np.minimum(n_rel, value),
                                                  out=np.zeros(n), where=n_rel > 0).sum()
                                        / denominator)
        if catalogue is not None:
            out[f"coverage@{value}"] = catalogue_coverage(recs, catalogue, value)
        if item_counts is not None:
            if isinstance(item_counts, pd.Series):
                item_counts = item_counts.to_dict()
            largest = max(item_counts.values()) if item_counts else 0
            if largest > 0:
                lists = [row[:value] for row in recs if row[:value]]
                out[f"popularity@{value}"] = float(np.mean(
                    [np.mean([item_counts.get(i, 0) for i in set(row)]) / largest
                     for row in lists])) if lists else 0.0
            out[f"popularity_bias@{value}"] = popularity_bias(recs, item_counts, value)
    return out
