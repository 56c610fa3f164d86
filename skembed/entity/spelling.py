"""Does a column's spelling carry its target?  A held-out test of n-grams.

``substrings="auto"`` gives the names of a column of strings n-gram rows, so
that rare and unseen categories borrow from similar names.  Where spelling
says nothing about the target (row ids such as ``"row123"``, ticket numbers,
hashes, and ids repeated over many rows such as tail or flight numbers),
those rows only learn noise: trained on every row, they hold each row's own
target a little, and a model stacked on the encoder splits on it (a column
of row ids added to a table; the flight-delay tables' tail and flight
numbers, whose out-of-fold vectors leaned on their own rows through their
n-grams' rows: docs/benchmarks.md).  The test runs on every column that
``"auto"`` gives n-grams.  Over
five folds of the *categories*: each n-gram's mean target over the training
categories that contain it (less their mean, shrunk toward 0 by ``ALPHA``
rows), and each held-out category predicted by the mean of its n-grams',
times the factor that fits the training categories best when each is left
out of its own n-grams' means (one step of a ridge regression, without a
solve).  Spelling is kept when that beats the training categories' mean on
the held-out ones by ``SPELLING_MIN_GAIN`` of its squared error.  Categories
weigh their rows, at most ``RARE_ROWS``: borrowing is for the rare ones,
and a handful of large categories must not decide it.
"""

import numpy as np
from scipy import sparse

__all__ = ["beats_the_mean", "spelling_predicts"]

N_FOLDS = 5
RARE_ROWS = 10
# shrinkage of an n-gram's mean toward 0, in rows
ALPHA = 30.0
# held-out squared error must fall by this share of the constant's (the
# order test of .order); n-grams by SPELLING_MIN_GAIN, as their rows, trained
# on every row, still carry a little of each row's own target into a stacked
# model: a column of host ids whose digits cut the error by 0.7 % cost the
# encoder + HGB 0.014 R² (docs/benchmarks.md)
MIN_GAIN = 0.005
SPELLING_MIN_GAIN = 0.01
# names tested at most (a random sample of them beyond)
MAX_NAMES = 50_000


def spelling_predicts(indptr, grams, n_grams, counts, sums, seed=0):
    """Whether n-grams predict the mean target of held-out categories.

    Parameters
    ----------
    indptr, grams : ndarray of int
        The n-gram rows (``0 .. n_grams - 1``) of each category, CSR-like.
    n_grams : int
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
    m = len(counts)
    present = counts > 0
    if present.sum() < 2 * N_FOLDS or n_grams == 0:
        return True  # too few names to tell: keep the default
    rng = np.random.RandomState(seed)
    if present.sum() > MAX_NAMES:  # a sample of the names tells as well, for less
        present &= rng.rand(m) < MAX_NAMES / present.sum()
    lengths = np.diff(indptr)
    data = np.repeat(1.0 / np.maximum(lengths, 1), lengths)
    X = sparse.csr_matrix((data, grams, indptr), shape=(m, n_grams))[present]
    counts = counts[present].astype(np.float64)
    means = sums[present] / counts[:, None]
    w = np.minimum(counts, RARE_ROWS)
    fold = rng.permutation(len(counts)) % N_FOLDS
    B = X.copy()
    B.data[:] = 1.0  # which n-grams each name has

    def predict(tr, te, mu):
        r = means[tr] - mu
        # each n-gram's weighted mean residual over the training names that
        # contain it, shrunk by ALPHA rows toward 0; a name gets the mean of
        # its n-grams', scaled by the factor that fits the training names best
        # when each is left out of its own n-grams' means (a name's many
        # n-grams dilute what few of them say)
        num = B[tr].T @ (w[tr, None] * r)
        den = B[tr].T @ w[tr]
        Xtr = X[tr].tocoo()
        own = w[tr][Xtr.row]
        loo = (num[Xtr.col] - own[:, None] * r[Xtr.row]) \
            / (den[Xtr.col] - own + ALPHA)[:, None]
        contrib = Xtr.data[:, None] * loo
        fit = np.stack([np.bincount(Xtr.row, weights=contrib[:, j], minlength=len(r))
                        for j in range(r.shape[1])], axis=1)
        scale = (w[tr] @ (fit * r)) / np.maximum(w[tr] @ (fit * fit), 1e-300)
        return X[te] @ (num / (den + ALPHA)[:, None]) * np.maximum(scale, 0.0) + mu

    return beats_the_mean(means, w, fold, predict, SPELLING_MIN_GAIN)


def beats_the_mean(means, w, fold, predict, min_gain=MIN_GAIN):
    """The held-out test of this module and :mod:`.order`: whether
    ``predict(tr, te, mu)``, the held-out categories' mean targets
    (``means[te]``) predicted from the training ones (``mu``: their
    weighted mean), beats ``mu`` by ``min_gain`` of its squared error,
    summed over the ``N_FOLDS`` folds of categories (``fold``), each
    category weighing ``w``."""
    err = base = 0.0
    for k in range(N_FOLDS):
        tr, te = fold != k, fold == k
        mu = w[tr] @ means[tr] / w[tr].sum()
        pred = predict(tr, te, mu)
        err += w[te] @ ((means[te] - pred) ** 2).sum(axis=1)
        base += w[te] @ ((means[te] - mu) ** 2).sum(axis=1)
    return bool(err < (1 - min_gain) * base)
