"""The blend's weight search in ``fit`` (a mixin of
:class:`~skembed.recommend.NearestNeighborRecommender`): the last item of
validation histories held out, the components fitted on the rest, each
held-out row's candidates gathered with every component's scaled scores,
and the weights chosen over them by
:func:`~skembed.recommend.blend.tune_weights` (the search itself, numpy)."""

from numbers import Integral, Real

import numpy as np

from .blend import gather_candidates, tune_weights
from .kernels import minmax_scale_rows, top_k_rows

COMPONENTS = ("rules", "session_knn", "cosine", "output", "popularity", "repeat")
# starting point of the weight search, and the weights used when the
# training data are too small to hold out a validation split
DEFAULT_WEIGHTS = {"rules": 1.0, "session_knn": 1.0, "cosine": 0.5, "output": 0.5,
                   "popularity": 0.1, "repeat": 1.0}
# histories needed before weights are tuned on a validation split
MIN_VALIDATION = 50


class WeightSearchMixin:
    """``_tune``: the weights of the blend, those requested as ``"auto"``
    chosen on a validation split.  Uses the recommender's parameters
    (``validation_size``, ``n_recommendations``, ``verbose``), its fitted
    ``_catalogue`` and ``exclude_seen_``, and its methods ``_fit_parts``
    (fit the components on some histories), ``_component_scores`` and
    ``_block_rows``."""

    def _validation_split(self, data, sequences, rng):
        """Hold out the last item of up to ``validation_size`` histories:
        ``(train, train_sequences, queries, targets, rows)``, the histories
        without them, the same as item id lists (a function: built only for
        an embedder that needs them), the shortened histories of ``rows`` and
        their held-out items; None when too few histories qualify."""
        eligible = np.flatnonzero(data.lengths >= 2)
        size = self.validation_size
        if isinstance(size, Real) and not isinstance(size, Integral):
            size = int(np.ceil(size * len(eligible)))
        size = min(int(size), len(eligible))
        if size < MIN_VALIDATION:
            return None
        rows = np.sort(rng.choice(eligible, size, replace=False))
        targets = data.last(rows).copy()
        train = data.without_last(rows)

        def train_sequences():
            out = list(sequences())
            for r in rows:
                out[r] = out[r][:-1]
            return out

        return train, train_sequences, train.take(rows), targets, rows

    def _tune(self, data, sequences, requested, rng, n_threads):
        split = self._validation_split(data, sequences, rng)
        if split is None:
            if self.verbose:
                print("NearestNeighborRecommender: too few histories to tune weights on a "
                      "validation split; using the default weights")
            return {n: DEFAULT_WEIGHTS[n] if w == "auto" else float(w)
                    for n, w in requested.items()}
        train, train_sequences, queries, targets, rows = split
        active = [n for n in COMPONENTS if requested[n] != 0]
        fit_weights = {n: (1.0 if n in active else 0.0) for n in COMPONENTS}
        self._fit_parts(train, train_sequences, fit_weights, n_threads, final=False)
        cand, vals, in_hist = self._candidates(queries, targets, rows, active, n_threads)
        start = np.array([DEFAULT_WEIGHTS[n] if requested[n] == "auto" else requested[n]
                          for n in active])
        tunable = np.array([requested[n] == "auto" for n in active])
        best, score = tune_weights(cand, vals, in_hist, start, tunable,
                                   int(self.n_recommendations), self.exclude_seen_)
        self.validation_score_ = score
        weights = {n: 0.0 for n in COMPONENTS}
        weights.update({n: float(w) for n, w in zip(active, best, strict=True)})
        if self.verbose:
            shown = ", ".join(f"{n}={weights[n]:g}" for n in active)
            print(f"NearestNeighborRecommender: {len(rows)} validation histories, weights "
                  f"{shown}; validation HR@{self.n_recommendations} {score:.4f}")
        return weights

    def _candidates(self, queries, targets, rows, active, n_threads):
        """Scaled component scores of each validation history's candidates."""
        n_items = len(self._catalogue)
        block = max(1, self._block_rows() // max(len(active), 1))
        n_top = max(5 * int(self.n_recommendations), 50)
        cands, vals, hist = [], [], []
        for q0 in range(0, queries.n_rows, block):
            q1 = min(q0 + block, queries.n_rows)
            mats = np.zeros((len(active), q1 - q0, n_items), np.float32)
            for c, name in enumerate(active):
                self._component_scores(name, queries, q0, mats[c], n_threads, rows[q0:q1])
                minmax_scale_rows(mats[c], n_threads)
            no_ptr = np.zeros(q1 - q0 + 1, np.int64)
            no_idx = np.zeros(0, np.int32)  # the dtype of _base's exclusions: one compilation
            tops = np.concatenate(
                [top_k_rows(mats[c], min(n_top, n_items), no_ptr, no_idx, n_threads)[0]
                 for c in range(len(active))], axis=1)
            cand, val = gather_candidates(mats, tops, queries, q0, targets[q0:q1])
            in_hist = np.zeros(cand.shape, bool)
            for r in range(q1 - q0):
                seen = queries.ids[queries.starts[q0 + r]:queries.starts[q0 + r + 1]]
                in_hist[r] = np.isin(cand[r], seen) & (cand[r] >= 0)
            cands.append(cand)
            vals.append(val)
            hist.append(in_hist)
        width = max(c.shape[1] for c in cands)

        def pad(arrays, fill):
            out = []
            for a in arrays:
                extra = [(0, 0), (0, width - a.shape[1])] + [(0, 0)] * (a.ndim - 2)
                out.append(np.pad(a, extra, constant_values=fill))
            return np.concatenate(out)

        return pad(cands, -1), pad(vals, 0.0), pad(hist, False)
