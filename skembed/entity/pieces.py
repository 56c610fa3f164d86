"""Numbers as inputs of the entity network: their scaling, their compressed
tails, and their piecewise-linear pieces (``numeric_bins``)."""

import warnings

import numpy as np

__all__ = ["NUMERIC_TAIL", "number_scaling", "piecewise_linear", "quantile_edges",
           "squash_tails"]

# standardised numbers beyond this many standard deviations are compressed
# logarithmically: a heavy tail (a price, a population) no longer saturates
# the ReLU layers, and the order of extreme values is kept (docs/benchmarks.md)
NUMERIC_TAIL = 3.0


def number_scaling(values):
    """Mean and scale (the standard deviation, 1 where it is 0 or undefined) of
    each column of ``values``, ignoring NaN."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
        mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    return np.nan_to_num(mean), np.where(np.nan_to_num(std) > 0, np.nan_to_num(std), 1.0)


def squash_tails(z, tail):
    """``z`` unchanged within ``[-tail, tail]``, ``sign(z) * (tail + log1p(|z| - tail))``
    beyond: continuous, increasing, and slope 1 at the joins."""
    a = np.abs(z)
    over = a > tail
    if over.any():
        z = np.where(over, np.sign(z) * (tail + np.log1p(np.maximum(a - tail, 0.0))), z)
    return z


def quantile_edges(values, bins):
    """Edges of ``bins`` quantile bins of each column of ``values`` (NaN
    ignored) for :func:`piecewise_linear`: a list of ``(column, edges)``.
    Quantiles that coincide (a count that is mostly 0 or 1) merge their bins;
    a column left with fewer than two (a flag: its one input already says it
    all) is not listed."""
    out = []
    if bins < 2:
        return out
    for c in range(values.shape[1]):
        v = values[:, c]
        v = v[~np.isnan(v)]
        if len(v) == 0:
            continue
        edges = np.unique(np.quantile(v, np.linspace(0, 1, bins + 1)))
        if len(edges) >= 3:
            out.append((c, edges))
    return out


def piecewise_linear(values, edges):
    """Piecewise-linear encoding of numbers (Gorishniy, Rubachev & Babenko
    2022, "On embeddings for numerical features in tabular deep learning"):
    per column of ``edges`` (:func:`quantile_edges`), one input per bin,
    0 below it, 1 above it and linear across it, so that the network bends
    its response to a number (a price by latitude) with few hidden units.
    Missing values: all 0 (their flag says they are missing)."""
    n = values.shape[0]
    width = sum(len(e) - 1 for _, e in edges)
    out = np.zeros((n, width), dtype=np.float32)
    k = 0
    for c, e in edges:
        v = values[:, c]
        lo, hi = e[:-1], e[1:]
        with np.errstate(invalid="ignore"):
            piece = np.clip((v[:, None] - lo) / (hi - lo), 0.0, 1.0)
        out[:, k:k + len(lo)] = np.nan_to_num(piece)
        k += len(lo)
    return out
