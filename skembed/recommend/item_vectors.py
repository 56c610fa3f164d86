"""An embedder's item vectors aligned with a recommender's catalogue: the
history profiles that query them and the search of the nearest items (exact
blocked top-k, or a pynndescent index)."""

import numpy as np

from .._ragged import Ragged
from ..pooling import pool_vectors
from ..topk import exact_top_k

# item-vector neighbour tables of up to this many items are computed in numpy
_NUMPY_TABLE = 4096


class ItemVectors:
    """Item vectors in catalogue order.

    Attributes
    ----------
    vectors, unit : float32 (n_items, dim)
        The vectors and their unit-length versions; zero rows for items the
        embedder dropped (``min_count``).
    known : float32 (n_items,)
        1 for items with a vector, 0 for the others (their pooling weight).
    output : float32 (n_items, dim) or None
        The embedder's output-layer vectors, aligned the same way.
    """

    def __init__(self, kv, output, catalogue_keys):
        k2i = kv.key_to_index
        rows = np.fromiter((k2i.get(k, -1) for k in catalogue_keys), np.int64,
                           count=len(catalogue_keys))
        known = rows >= 0
        dim = kv.vectors.shape[1]
        vectors = np.zeros((len(rows), dim), np.float32)
        vectors[known] = kv.vectors[rows[known]]
        norms = np.linalg.norm(vectors, axis=1)
        unit = np.zeros_like(vectors)
        unit[norms > 0] = vectors[norms > 0] / norms[norms > 0, None]
        self.vectors, self.unit = vectors, unit
        self.known = known.astype(np.float32)
        self.output = None
        if output is not None:
            self.output = np.zeros((len(rows), dim), np.float32)
            self.output[known] = np.asarray(output, np.float32)[rows[known]]
        self.ann = self.indexed = None

    def profiles(self, data, q0, n_rows, half_life, n_threads):
        """Recency-weighted mean vector of histories ``q0 .. q0 + n_rows`` of
        ``data`` (a Ragged of catalogue indices; ``half_life`` 0: plain mean)."""
        rows = data.rows(q0, q0 + n_rows)
        return pool_vectors(rows.ids, rows.starts, self.known, self.vectors, True, half_life,
                            n_threads=n_threads)

    def unit_profiles(self, data, q0, n_rows, half_life, n_threads, profiles=None):
        """:meth:`profiles` scaled to unit length (zero rows stay zero)."""
        q = (self.profiles(data, q0, n_rows, half_life, n_threads) if profiles is None
             else profiles.copy())
        norms = np.linalg.norm(q, axis=1, keepdims=True)
        np.divide(q, norms, out=q, where=norms > 0)
        return q

    def neighbour_table(self, m, n_threads):
        """The ``m`` nearest items (cosine) of every item, ``(n_items, m)``
        catalogue indices (-1: none; items without a vector have none): from
        the pynndescent index's graph when there is one, else exact."""
        n = len(self.known)
        m = int(min(m, max(int(self.known.sum()) - 1, 0)))
        table = np.full((n, max(m, 0)), -1, np.int64)
        if m == 0:
            return table
        rows = np.flatnonzero(self.known)
        if self.ann is not None:
            graph = self.ann.neighbor_graph[0][:, 1:m + 1]
            found = graph >= 0
            mapped = np.where(found, self.indexed[np.maximum(graph, 0)], -1)
            table[self.indexed, :mapped.shape[1]] = mapped
            return table
        known = self.unit[rows]
        if len(rows) <= _NUMPY_TABLE:
            # small catalogues in numpy: no top-k kernel to compile on a cold
            # first fit (docs/benchmarks.md, start-up)
            idx = np.empty((len(rows), m), np.int64)
            for a in range(0, len(rows), 512):
                sims = known[a:a + 512] @ known.T
                sims[np.arange(len(sims)), np.arange(a, a + len(sims))] = -np.inf
                idx[a:a + 512] = np.argpartition(-sims, m - 1, axis=1)[:, :m]
        else:
            exclude = (np.arange(len(rows) + 1, dtype=np.int64),
                       np.arange(len(rows), dtype=np.int64))
            idx, _ = exact_top_k(known, known, m, exclude, n_threads)
        table[rows] = np.where(idx >= 0, rows[np.maximum(idx, 0)], -1)
        return table

    def build_index(self, **kwargs):
        """A pynndescent index (cosine) over the unit vectors of the items
        that have one; ``kwargs`` go to ``NNDescent``."""
        from pynndescent import NNDescent

        self.indexed = np.flatnonzero(self.known)
        self.ann = NNDescent(self.unit[self.indexed], metric="cosine", **kwargs)
        self.ann.prepare()

    def nearest(self, queries, k, exclude, n_threads, epsilon):
        """Top-k items by cosine to unit ``queries``; ``exclude`` a list of
        catalogue-index arrays per query.  Exact (blocked top-k on
        ``n_threads``) without an index; with one, pynndescent's search
        (``epsilon``) over ``k`` plus the longest exclusion candidates."""
        if self.ann is None:
            excluded = Ragged.from_arrays(exclude, np.int64)
            return exact_top_k(queries, self.unit, k, (excluded.starts, excluded.ids),
                               n_threads)
        longest = max((len(e) for e in exclude), default=0)
        cand, dist = self.ann.query(queries, k=min(k + longest, len(self.indexed)),
                                    epsilon=float(epsilon))
        out_idx = np.full((len(queries), k), -1, np.int64)
        out_val = np.full((len(queries), k), np.nan, np.float32)
        for i in range(len(queries)):
            banned = set(np.asarray(exclude[i]).tolist())
            keep = [(self.indexed[c], 1.0 - d) for c, d in zip(cand[i], dist[i], strict=True)
                    if c >= 0 and self.indexed[c] not in banned][:k]
            for j, (c, s) in enumerate(keep):
                out_idx[i, j] = c
                out_val[i, j] = s
        return out_idx, out_val
