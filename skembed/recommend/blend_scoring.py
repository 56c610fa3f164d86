"""How the fitted blend scores histories (a mixin of
:class:`~skembed.recommend.NearestNeighborRecommender`): each component's
raw scores (for the weight search), the dense blend (``scoring="exact"``)
and two-stage serving (``scoring="candidates"``: the candidates and the
top k of :mod:`~skembed.recommend.candidates`)."""

import numpy as np
import scipy.sparse as sp

from .._threads import blas_threads, in_row_blocks
from .candidates import (
    add_vector_scores,
    drop_entries,
    popular_candidates,
    sample_items,
    scale_rows,
    top_k_entries,
)
from .kernels import (
    add_history_scores,
    add_minmax_scaled,
    add_sparse_scores,
    history_scores,
    recent_items,
)

# the repeat component: recency weights of the last items of a history
_REPEAT_HISTORY = 10
_REPEAT_HALF_LIFE = 1.0
# histories served at once by the two-stage path (per thread)
_SERVE_BLOCK = 256
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
            for q0 in range(r0, r1, _SERVE_BLOCK):
                q1 = min(q0 + _SERVE_BLOCK, r1)
                idx[q0:q1], val[q0:q1] = self._serve(data, q0, q1, k, exclude, mask,
                                                     allowed)

        with blas_threads(1):  # the row blocks' products: one BLAS thread each
            in_row_blocks(n_rows, block, n_threads)
        return idx, val

    def _sampled(self, name):
        """Rows of the item table ``name`` ("unit" or "output") at
        :func:`~skembed.recommend.candidates.sample_items`, kept once built."""
        held = self._items.__dict__.setdefault("sampled", {})
        if name not in held:
            table = getattr(self._items, name)
            held[name] = np.ascontiguousarray(table[sample_items(len(table))])
        return held[name]

    def _serve(self, data, q0, q1, k, exclude, mask, allowed):
        """Top-``k`` of histories ``q0 .. q1`` from their candidates
        (:mod:`~skembed.recommend.candidates`), on the calling thread."""
        n_rows, n_items = q1 - q0, len(self._catalogue)
        w = {name: np.float32(v) for name, v in self.weights_.items()}
        parts = []
        for name in ("rules", "session_knn"):
            if w[name]:
                m = scale_rows(self._parts[name].candidate_scores(data, q0, q1, 1), n_items)
                m.data *= w[name]
                parts.append(m)
        if w["repeat"] and not self.exclude_seen_:
            m = scale_rows(history_scores(data, q0, n_rows, _REPEAT_HISTORY,
                                          _REPEAT_HALF_LIFE, n_items), n_items)
            m.data *= w["repeat"]
            parts.append(m)
        if (w["cosine"] or w["output"]) and getattr(self, "_neighbours", None) is not None:
            indptr, last, _ = recent_items(data, q0, n_rows, _VECTOR_QUERY, 0.0)
            near = self._neighbours[last]
            counts = np.diff(indptr) * near.shape[1]
            cols = near.ravel()
            found = cols >= 0
            row = np.repeat(np.arange(n_rows), counts)[found]
            m = sp.csr_matrix((np.zeros(int(found.sum()), np.float32), (row, cols[found])),
                              shape=(n_rows, n_items))
            parts.append(m)
        # the most popular allowed items keep a row full even when the
        # history's own items are excluded
        longest = int(data.lengths[q0:q1].max()) if exclude and n_rows else 0
        parts.append(popular_candidates(n_rows, allowed[:max(k, _POPULAR) + longest],
                                        n_items))
        # summed as entries: scipy's sum of matrices would drop the explicit
        # zeros that hold the popular and the nearest items as candidates
        entries = [m.tocoo() for m in parts]
        total = sp.csr_matrix((np.concatenate([m.data for m in entries]),
                               (np.concatenate([m.row for m in entries]),
                                np.concatenate([m.col for m in entries]))),
                              shape=(n_rows, n_items), dtype=np.float32)
        total.sum_duplicates()
        rows = np.repeat(np.arange(n_rows), np.diff(total.indptr))
        cols = total.indices
        keep = np.ones(len(cols), bool)
        if mask is not None:
            keep &= mask[cols]
        if exclude:
            seen = data.rows(q0, q1)
            seen_keys = np.repeat(np.arange(n_rows, dtype=np.int64), seen.lengths) * n_items \
                + seen.ids
            keep &= ~np.isin(rows.astype(np.int64) * n_items + cols, seen_keys[seen.ids >= 0])
        if not keep.all():
            total = drop_entries(total, keep)
            rows = np.repeat(np.arange(n_rows), np.diff(total.indptr))
            cols = total.indices
        values = total.data.astype(np.float64)
        if w["popularity"]:
            values += w["popularity"] * self._popularity_scaled[cols]
        if w["cosine"] or w["output"]:
            items, half_life = self._items, self._half_life()
            profiles = items.profiles(data, q0, n_rows, half_life, 1)
            if w["cosine"]:
                unit = items.unit_profiles(data, q0, n_rows, half_life, 1, profiles)
                add_vector_scores(values, rows, cols, total.indptr, unit, items.unit,
                                  float(w["cosine"]), self._sampled("unit"))
            if w["output"]:
                add_vector_scores(values, rows, cols, total.indptr, profiles, items.output,
                                  float(w["output"]), self._sampled("output"))
        return top_k_entries(total.indptr, cols, values, k)
