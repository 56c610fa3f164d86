"""Numbers as piecewise-linear inputs of the entity network (``numeric_bins``)."""

import numpy as np

__all__ = ["piecewise_linear", "quantile_edges"]


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
