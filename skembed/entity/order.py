"""Does a column's order carry its target?  A held-out test of values.

``numeric_values="auto"`` gives :class:`EntityEmbeddingEncoder` one more
output column for a column whose values read as numbers, dates, months or
weekdays: its value, whose order a stacked model can split to place rare
and unseen categories beside their neighbours.  Where the order says
nothing about the target (the pickup instants of taxi trips within one
month, against their tips), that column is noise a gradient-boosted model
still splits on.  The test, over five folds of the *categories*: the
training categories are cut into bins of neighbouring values (quantiles,
at least ``MIN_PER_BIN`` categories each), each bin's mean target shrunk
toward the training mean by ``ALPHA`` rows, and each held-out category
predicted by the mean of the bin its value falls in.  The order is kept
when that beats the training categories' mean on the held-out ones by
``MIN_GAIN`` of its error.  Categories weigh their rows, at most
``RARE_ROWS``, as in :mod:`.spelling`: the order is for the rare ones, and
a handful of large categories must not decide it.
"""

import numpy as np

# the spelling test's protocol: its folds, weights and held-out test
from .spelling import N_FOLDS, RARE_ROWS, beats_the_mean

__all__ = ["order_predicts"]

MAX_BINS = 16
MIN_PER_BIN = 5
# shrinkage of a bin's mean toward the training mean, in rows
ALPHA = 10.0


def order_predicts(values, counts, sums, seed=0):
    """Whether the categories' values predict the mean target of held-out ones.

    Parameters
    ----------
    values : ndarray (m,)
        Each category's value (NaN: not a number; left out).
    counts : ndarray (m,)
        Rows of each category.
    sums : ndarray (m, k)
        Sum of each target column over the category's rows.
    seed : int
        Seeds the categories' folds.

    Returns
    -------
    bool
    """
    keep = np.isfinite(values) & (counts > 0)
    if keep.sum() < 2 * N_FOLDS * MIN_PER_BIN:
        return True  # too few values to tell: keep the default
    values = values[keep]
    counts = counts[keep].astype(np.float64)
    means = sums[keep] / counts[:, None]
    w = np.minimum(counts, RARE_ROWS)
    fold = np.random.RandomState(seed).permutation(len(values)) % N_FOLDS

    def predict(tr, te, mu):
        n_bins = int(min(MAX_BINS, tr.sum() // MIN_PER_BIN))
        edges = np.unique(np.quantile(values[tr], np.linspace(0, 1, n_bins + 1)[1:-1]))
        bin_tr = np.searchsorted(edges, values[tr], side="right")
        bin_te = np.searchsorted(edges, values[te], side="right")
        n = len(edges) + 1
        wsum = np.bincount(bin_tr, weights=w[tr], minlength=n)
        ysum = np.stack([np.bincount(bin_tr, weights=w[tr] * (means[tr, j] - mu[j]),
                                     minlength=n) for j in range(means.shape[1])], axis=1)
        return (mu + ysum / (wsum + ALPHA)[:, None])[bin_te]

    return beats_the_mean(means, w, fold, predict)
