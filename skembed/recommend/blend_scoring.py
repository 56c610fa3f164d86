"""How the fitted blend scores histories (a mixin of
:class:`~skembed.recommend.NearestNeighborRecommender`): each component's
raw scores (for the weight search), the dense blend (``scoring="exact"``)
and two-stage serving (``scoring="candidates"``: the candidates and the
top k of :mod:`~skembed.recommend.candidates`)."""

import numpy as np

from .._threads import blas_threads, in_row_blocks
from .candidates import (
    NO_VECTORS,
    SERVE_BLOCK,
    popular_and_seen,
    sample_items,
    serve_scratch,
    sparse_bundle,
)
from .kernels import (
    add_history_scores,
    add_minmax_scaled,
    add_sparse_scores,
    history_scores,
    recent_items,
)
from .serve_kernels import Extra, Vectors, serve_block

# the repeat component: recency weights of the last items of a history
_REPEAT_HISTORY = 10
_REPEAT_HALF_LIFE = 1.0
# two-stage candidates of the item-vector scores: the nearest items (the
# table ``_neighbours`` built in fit) of each of a history's last
# _VECTOR_QUERY known items
_VECTOR_QUERY = 3
# and the most popular items (at least; a list of any length up to it has the
# same candidates)
_POPULAR = 50


class BlendScoringMixin:
    """``_component_scores``, ``_add_scores`` and ``_top_k`` of the blend.
    Uses the recommender's ``profile_half_life`` and ``scoring`` and what
    its fit sets: ``weights_``, ``exclude_seen_``, ``_catalogue``, the
    fitted components ``_parts``, the item vectors ``_items``, the
    popularity scores ``_popularity`` and ``_popularity_scaled``, and the
    nearest-item table ``_neighbours`` (or None)."""

    def _half_life(self):
        return 0.0 if self.profile_half_life is None else float(self.profile_half_life)

    def _component_scores(self, name, data, q0, buf, n_threads, self_rows=None):
        """Raw scores of one component for histories ``q0 ..`` into the
        zeroed ``buf`` (weight tuning)."""
        if name in ("rules", "session_knn"):
            add_sparse_scores(self._parts[name].candidate_scores(
                data, q0, q0 + buf.shape[0], n_threads, self_rows), buf, 1.0, False)
        elif name == "cosine":
            np.dot(self._items.unit_profiles(data, q0, buf.shape[0], self._half_life(),
                                             n_threads), self._items.unit.T, out=buf)
        elif name == "output":
            np.dot(self._items.profiles(data, q0, buf.shape[0], self._half_life(), n_threads),
                   self._items.output.T, out=buf)
        elif name == "popularity":
            buf += self._popularity
        elif name == "repeat":
            add_history_scores(data, q0, _REPEAT_HISTORY, _REPEAT_HALF_LIFE,
                               buf, np.float32(1.0), False)

    def _add_scores(self, data, q0, out, n_threads, self_rows=None, weight=1.0, scaled=False):
        """The blend: each component scaled to [0, 1] per row and weighted.
        Sparse components touch only their non-zero scores; the item2vec
        components are dense (a matrix product and two passes per row)."""
        w = {name: np.float32(v) for name, v in self.weights_.items()}
        if w["popularity"]:
            out += w["popularity"] * self._popularity_scaled
        for name in ("rules", "session_knn"):
            if w[name]:
                add_sparse_scores(self._parts[name].candidate_scores(
                    data, q0, q0 + out.shape[0], n_threads, self_rows), out, w[name], True)
        if w["repeat"] and not self.exclude_seen_:
            add_history_scores(data, q0, _REPEAT_HISTORY, _REPEAT_HALF_LIFE,
                               out, w["repeat"], True)
        if w["cosine"] or w["output"]:
            items, half_life = self._items, self._half_life()
            profiles = items.profiles(data, q0, out.shape[0], half_life, n_threads)
            buf = np.empty_like(out)
            if w["cosine"]:
                np.dot(items.unit_profiles(data, q0, out.shape[0], half_life, n_threads,
                                           profiles), items.unit.T, out=buf)
                add_minmax_scaled(out, buf, w["cosine"], n_threads)
            if w["output"]:
                np.dot(profiles, items.output.T, out=buf)
                add_minmax_scaled(out, buf, w["output"], n_threads)

    # -- two-stage serving -------------------------------------------------------
    def _top_k(self, data, k, exclude, mask, n_threads):
        if self.scoring == "exact":
            return super()._top_k(data, k, exclude, mask, n_threads)
        n_rows = data.n_rows
        idx = np.full((n_rows, k), -1, np.int64)
        val = np.full((n_rows, k), np.nan, np.float32)
        allowed = np.arange(len(self._catalogue)) if mask is None else np.flatnonzero(mask)

        def block(r0, r1):
            for q0 in range(r0, r1, SERVE_BLOCK):
                q1 = min(q0 + SERVE_BLOCK, r1)
                idx[q0:q1], val[q0:q1] = self._serve(data, q0, q1, k, exclude, mask,
                                                     allowed)

        with blas_threads(1):  # the row blocks' products: one BLAS thread each
            in_row_blocks(n_rows, block, n_threads)
        return idx, val

    def _sampled(self, name):
        """Rows of the item table ``name`` ("unit" or "output") at
        :func:`~skembed.recommend.candidates.sample_items`, in float64, kept
        once built."""
        held = self._items.__dict__.setdefault("sampled", {})
        if name not in held:
            table = getattr(self._items, name)
            held[name] = np.ascontiguousarray(table[sample_items(len(table))], np.float64)
        return held[name]

    def _serve(self, data, q0, q1, k, exclude, mask, allowed):
        """Top-``k`` of histories ``q0 .. q1`` from their candidates
        (:mod:`~skembed.recommend.candidates`), on the calling thread: the
        components' scores here, the union, blend and top k in
        :func:`~skembed.recommend.serve_kernels.serve_block`."""
        n_rows, n_items = q1 - q0, len(self._catalogue)
        w = {name: np.float32(v) for name, v in self.weights_.items()}
        no_rows = np.zeros(n_rows + 1, np.int64)
        sparse = []
        for name in ("rules", "session_knn"):
            m = self._parts[name].candidate_scores(data, q0, q1, 1) if w[name] else None
            sparse.append(sparse_bundle(m, w[name], no_rows, scale=True))
        repeat = w["repeat"] and not self.exclude_seen_
        sparse.append(sparse_bundle(history_scores(data, q0, n_rows, _REPEAT_HISTORY,
                                                   _REPEAT_HALF_LIFE, n_items)
                                    if repeat else None, w["repeat"], no_rows, scale=True))
        vectors = w["cosine"] or w["output"]
        near_indptr, last = no_rows, np.zeros(0, np.int64)
        neighbours = getattr(self, "_neighbours", None)
        if vectors and neighbours is not None:
            near_indptr, last, _ = recent_items(data, q0, n_rows, _VECTOR_QUERY, 0.0)
        else:
            neighbours = np.zeros((0, 0), np.int64)
        # the most popular allowed items keep a row full even when the
        # history's own items are excluded
        popular, seen_indptr, seen = popular_and_seen(data, q0, q1, exclude, allowed,
                                                      max(k, _POPULAR))
        extra = Extra(np.asarray(near_indptr, np.int64), np.asarray(last, np.int64),
                      np.asarray(neighbours, np.int64), popular, seen_indptr, seen,
                      np.zeros(0, np.bool_) if mask is None else mask,
                      self._popularity_scaled, w["popularity"])
        scored = []
        items, half_life = getattr(self, "_items", None), self._half_life()
        profiles = items.profiles(data, q0, n_rows, half_life, 1) if vectors else None
        for name, table in (("cosine", "unit"), ("output", "output")):
            if not w[name]:
                scored.append(None)
                continue
            queries = profiles if name == "output" else items.unit_profiles(
                data, q0, n_rows, half_life, 1, profiles)
            # in float64 (float32 products are exact there): a float32 BLAS
            # product rounds a row differently by the block's shape, and the
            # scores must not depend on how rows were split among threads
            around = queries.astype(np.float64) @ self._sampled(table).T
            scored.append(Vectors(np.ascontiguousarray(queries, np.float32),
                                  getattr(items, table), around.min(axis=1), around.max(axis=1),
                                  w[name]))
        present = next((v for v in scored if v is not None), NO_VECTORS)
        scored = tuple(present._replace(weight=np.float32(0)) if v is None else v
                       for v in scored)
        # candidates of a row at most: its sparse entries, nearest items, popular ones
        width = len(popular) + sum(np.diff(sp.indptr) for sp in sparse) + \
            np.diff(extra.near_indptr) * extra.neighbours.shape[1]
        size = int(width.max()) if n_rows else 0
        idx = np.empty((n_rows, k), np.int64)
        val = np.empty((n_rows, k), np.float32)
        serve_block(n_rows, n_items, tuple(sparse), scored, extra,
                    serve_scratch(n_items, size), k, idx, val)
        return idx, val
