"""Crosses of two features for the entity networks (``crosses="auto"``).

A network that reads two columns (a month and a day of month, as integers)
learns their interaction only if its hidden units find it; a flight's
lateness depends on the date, 365 cells of the two.  A tree splits month,
then day; an embedding of the pair (one row per observed cell, as the
cross-product features of Wide & Deep, Cheng et al. 2016) gives the network
the same cells directly.  Which pairs: among features of at most
``MAX_LEVELS`` distinct values (categories or numbers), those whose cells
predict held-out rows (five contiguous blocks) beyond an additive model of
every feature and beyond the cells' best rank-``RANK`` approximation (the
interactions hidden units learn from two inputs anyway), by at least
``MIN_GAIN`` of the target's variance, best first, at most ``MAX_CROSSES``.
Plain numpy (bincounts); the estimators own the columns.
"""

import numpy as np
import pandas as pd

__all__ = ["Cross", "cross_levels", "fit_crosses", "select_crosses", "target_columns"]

MAX_LEVELS = 64        # a feature takes part if it has 2 to this many distinct values
MIN_CELL_ROWS = 20     # a cross has at most one observed cell per this many rows
MAX_CROSSES = 3
RANK = 2               # interactions of this rank the network's hidden units learn
MIN_GAIN = 0.01        # held-out share of the target's variance a cross must add
                       # beyond its cells' best rank-RANK approximation
SMOOTHING = 10.0       # rows of prior behind each smoothed mean
MAX_TEST_ROWS = 200_000
MAX_CANDIDATES = 24    # features of most effect on their own that the test pairs
MAX_CLASSES = 10       # multiclass: the test reads the most frequent classes
FOLDS = 5


def cross_levels(col, limit=MAX_LEVELS):
    """Codes ``0..k-1`` of a column's distinct values (missing values one
    code of their own) and the values, or ``None`` when the column has fewer
    than 2 or more than ``limit`` of them."""
    series = pd.Series(np.asarray(col) if not hasattr(col, "iloc") else col.to_numpy())
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=False, sort=True)
    except TypeError:  # values of mixed types do not sort
        codes, uniques = pd.factorize(series, use_na_sentinel=False)
    if len(uniques) < 2 or (limit is not None and len(uniques) > limit):
        return None
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def target_columns(y_fit, task):
    """The target as float columns for the test: the standardised regression
    target, a binary label, or indicators of the most frequent classes."""
    y = np.asarray(y_fit)
    if task == "multiclass":
        counts = np.bincount(y.astype(np.int64))
        top = np.argsort(-counts, kind="stable")[:MAX_CLASSES]
        return (y[:, None] == top[None, :]).astype(np.float64)
    y = y.astype(np.float64)
    return y[:, None] if y.ndim == 1 else y


def _smoothed(codes, r, k, train):
    """Smoothed mean of ``r`` (n, m) per code over the rows ``train``."""
    c, m = codes[train], r.shape[1]
    at = c if m == 1 else (c[:, None] * m + np.arange(m)).ravel()
    sums = np.bincount(at, weights=r[train].ravel(), minlength=k * m).reshape(k, m)
    return sums / (np.bincount(c, minlength=k)[:, None] + SMOOTHING)


def additive_residuals(codes, sizes, y, train, rounds=3):
    """Residual of ``y`` after an additive model of every feature (smoothed
    means of each feature's codes, backfitted over the training rows)."""
    mu = y[train].mean(axis=0)
    r = y - mu
    effects = [np.zeros((k, y.shape[1])) for k in sizes]
    for _ in range(rounds):
        for c, k, e in zip(codes, sizes, effects, strict=True):
            step = _smoothed(c, r, k, train)
            e += step
            r -= step[c]
    return r


def cross_gain(a, ka, b, kb, r, train, held, rank=None):
    """Held-out reduction of the squared residual ``r`` by the smoothed
    means of the cells of ``(a, b)`` fitted on the training rows; with
    ``rank``, by their best approximation of that rank (per target column)."""
    cells = a * kb + b
    mc = _smoothed(cells, r, ka * kb, train)
    if rank is not None:
        for j in range(mc.shape[1]):
            u, sv, vt = np.linalg.svd(mc[:, j].reshape(ka, kb), full_matrices=False)
            mc[:, j] = ((u[:, :rank] * sv[:rank]) @ vt[:rank]).ravel()
    rh = r[held]
    return float(np.sum(rh ** 2) - np.sum((rh - mc[cells[held]]) ** 2))


class Cross:
    """Two features crossed: their positions among the input columns, each
    one's known values, and the cells' names (``"<a> & <b>"``; a value not
    seen in training is ``"?"``)."""

    def __init__(self, first, second, first_values, second_values, names):
        self.features = (int(first), int(second))
        self.values = (first_values, second_values)
        self.name = f"{names[0]} & {names[1]}"

    def column(self, columns):
        """The cross of rows ``columns`` (the estimator's input columns) as
        an object array of cell names."""
        codes, labels = [], []
        for j, values in zip(self.features, self.values, strict=True):
            index = pd.Index(values)
            col = columns[j]
            got = index.get_indexer(col.to_numpy() if hasattr(col, "iloc") else
                                    np.asarray(col, dtype=object))
            got = np.where(got < 0, len(values), got)  # unseen: a level of its own
            codes.append(got.astype(np.int64))
            labels.append(np.array([_label(v) for v in values] + ["?"], dtype=object))
        kb = len(labels[1])
        names = np.array([f"{x} & {z}" for x in labels[0] for z in labels[1]], dtype=object)
        return names[codes[0] * kb + codes[1]]


def _baseline_codes(col, categorical, bins=16):
    """Codes of a feature of many values for the additive baseline: the
    categories themselves (NaN: a code of its own), or quantile bins of a
    number."""
    values = col.to_numpy() if hasattr(col, "iloc") else np.asarray(col)
    try:
        x = None if categorical else np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        x = None
    if x is None:
        codes, _ = pd.factorize(pd.Series(values), use_na_sentinel=False)
        return codes.astype(np.int64)
    edges = np.unique(np.nanquantile(x, np.linspace(0, 1, bins + 1)[1:-1])) \
        if np.isfinite(x).any() else np.zeros(0)
    codes = np.searchsorted(edges, x, side="right").astype(np.int64)
    codes[np.isnan(x)] = len(edges) + 1
    return codes


def _label(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "nan"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def select_crosses(columns, names, y, rng, categorical=None, max_crosses=MAX_CROSSES,
                   min_gain=MIN_GAIN, rank=RANK):
    """The pairs of ``columns`` worth crossing (see the module docstring), as
    :class:`Cross` objects, with their held-out gains.

    Parameters
    ----------
    columns : list of array-like
        The estimator's input columns (categorical and numeric).
    names : list of str
    y : ndarray of shape (n_samples, n_targets)
        :func:`target_columns`.
    rng : numpy.random.RandomState
        Draws the test's rows (at most ``MAX_TEST_ROWS``).
    categorical : array-like of bool, optional
        Which columns are categories (the others: numbers, binned for the
        additive model when they have many values); default: none.
    """
    n = len(y)
    rows = (np.sort(rng.choice(n, MAX_TEST_ROWS, replace=False)) if n > MAX_TEST_ROWS
            else None)
    levels, baseline = [], []  # features that cross; every feature's codes
    for j, col in enumerate(columns):
        got = cross_levels(col)
        if got is not None:
            levels.append((j, *got))
        codes = got[0] if got is not None else _baseline_codes(
            col, categorical is not None and categorical[j])
        baseline.append(codes if rows is None else codes[rows])
    if len(levels) < 2 or n < 2 * FOLDS * MIN_CELL_ROWS:
        return [], []
    y = y if rows is None else y[rows]
    m = len(y)
    if len(levels) > MAX_CANDIDATES:  # pairs grow as the square of features
        every = np.arange(m)
        effect = [float(np.sum(_smoothed(c if rows is None else c[rows], y - y.mean(axis=0),
                                         len(v), every) ** 2 * np.bincount(
            c if rows is None else c[rows], minlength=len(v))[:, None])) for _, c, v in levels]
        levels = [levels[t] for t in sorted(np.argsort(effect, kind="stable")[::-1]
                                            [:MAX_CANDIDATES])]
    # contiguous blocks of rows: in data ordered by time a cross must predict
    # other stretches of time (dates written in parts, crossed, memorise
    # each date: no use for the next season), in shuffled data they are
    # random folds
    fold = np.arange(m) * FOLDS // m
    sizes = [int(c.max()) + 1 for c in baseline]
    pairs = []
    for p in range(len(levels)):
        for q in range(p + 1, len(levels)):
            (_, a, va), (_, b, vb) = levels[p], levels[q]
            a, b = (a, b) if rows is None else (a[rows], b[rows])
            cells = np.unique(a * len(vb) + b).size
            if cells * MIN_CELL_ROWS <= m and cells > max(len(va), len(vb)):
                pairs.append((p, q, a, b))  # not too thin; neither determines the other
    if not pairs:
        return [], []
    total = float(np.sum((y - y.mean(axis=0)) ** 2))
    if total <= 0:
        return [], []

    def held_out_gains(subset, rank):
        gains = np.zeros(len(subset))
        for f in range(FOLDS):
            held, train = np.flatnonzero(fold == f), np.flatnonzero(fold != f)
            r = additive_residuals(baseline, sizes, y, train)
            for t, (p, q, a, b) in enumerate(subset):
                gains[t] += cross_gain(a, len(levels[p][2]), b, len(levels[q][2]), r, train,
                                       held, rank)
        return gains / total

    gains = held_out_gains(pairs, None)
    # beyond what the network's hidden units would learn from the two
    # features: the cells' best low-rank approximation (a pattern of hours
    # on working days and another at weekends), measured only where the
    # cells gain enough at all
    keep = np.flatnonzero(gains >= min_gain)
    pairs = [pairs[t] for t in keep]
    gains = gains[keep]
    if rank is not None and len(pairs):
        gains = gains - held_out_gains(pairs, rank)
    crosses, found = [], []
    for t in np.argsort(-gains, kind="stable"):
        if gains[t] < min_gain or len(crosses) == max_crosses:
            break
        p, q, a, b = pairs[t]
        if _determined(a * len(levels[q][2]) + b, baseline):
            continue
        (ja, _, va), (jb, _, vb) = levels[p], levels[q]
        crosses.append(Cross(ja, jb, va, vb, (names[ja], names[jb])))
        found.append(float(gains[t]))
    return crosses, found


def _determined(cells, baseline):
    """Whether another feature determines the cell of every row (a store's
    state and type, given the store): its own embedding holds what the
    cross would, and backfitting's leftovers made the cells look useful."""
    n_cells = int(cells.max()) + 1
    for codes in baseline:
        k = int(codes.max()) + 1
        if k > n_cells and np.unique(codes * n_cells + cells).size == np.unique(codes).size:
            return True
    return False


def fit_crosses(spec, columns, names, target, categorical=None):
    """The crosses of an estimator's ``crosses`` parameter: ``"auto"``, the
    pairs :func:`select_crosses` finds (none without a target); ``None``,
    none; otherwise the pairs listed (names or positions of input columns).

    Parameters
    ----------
    spec : "auto", None or sequence of pairs
    columns : list of array-like
        The input columns.
    names : list of str
        Their names.
    target : tuple (y_fit, task) or None
    categorical : array-like of bool, optional
        Which columns are categories.
    """
    if spec is None:
        return []
    if isinstance(spec, str):
        if target is None:
            return []
        # a fixed stream: which pairs cross depends on the data, not the seed
        crosses, _ = select_crosses(columns, names, target_columns(*target),
                                    np.random.RandomState(0), categorical)
        return crosses
    out = []
    for pair in spec:
        if isinstance(pair, str) or len(pair) != 2:
            raise ValueError(f"crosses must list pairs of features, got {pair!r}")
        pos = [_position(f, names) for f in pair]
        if pos[0] == pos[1]:
            raise ValueError(f"a cross needs two different features, got {pair!r}")
        levels = [cross_levels(columns[j], limit=None) for j in pos]
        if any(lv is None for lv in levels):
            raise ValueError(f"cannot cross {pair!r}: a feature has fewer than 2 values")
        out.append(Cross(pos[0], pos[1], levels[0][1], levels[1][1],
                         (names[pos[0]], names[pos[1]])))
    return out


def _position(feature, names):
    if isinstance(feature, (int, np.integer)) and not isinstance(feature, bool):
        if not 0 <= feature < len(names):
            raise ValueError(f"crosses: feature index {feature} out of range for "
                             f"{len(names)} features")
        return int(feature)
    if feature in names:
        return names.index(feature)
    raise ValueError(f"crosses: {feature!r} is not a feature of X; known: {names}")
