"""NearestNeighborRecommender: item2vec, sequential rules, session-kNN and
popularity blended, with weights chosen on a validation split."""

import importlib.util
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._ragged import IndexedSequences, Ragged
from .._threads import blas_threads, in_row_blocks, resolve_n_threads
from ..sequences import ItemSequenceEmbedder
from ._base import BaseRecommender
from .blend import gather_candidates, tune_weights
from .candidates import (
    add_vector_scores,
    drop_entries,
    popular_candidates,
    sample_items,
    scale_rows,
    top_k_entries,
)
from .item_vectors import ItemVectors
from .kernels import (
    add_history_scores,
    add_minmax_scaled,
    add_sparse_scores,
    history_scores,
    minmax_scale_rows,
    recent_items,
    top_k_rows,
)
from .rules import SequentialRulesRecommender
from .session_knn import SessionKNNRecommender

COMPONENTS = ("rules", "session_knn", "cosine", "output", "popularity", "repeat")
# starting point of the weight search, and the weights used when the
# training data are too small to hold out a validation split
DEFAULT_WEIGHTS = {"rules": 1.0, "session_knn": 1.0, "cosine": 0.5, "output": 0.5,
                   "popularity": 0.1, "repeat": 1.0}
# histories needed before weights are tuned on a validation split
MIN_VALIDATION = 50
# the repeat component: recency weights of the last items of a history
_REPEAT_HISTORY = 10
_REPEAT_HALF_LIFE = 1.0
# above this many items "auto" uses approximate search when pynndescent exists
_ANN_THRESHOLD = 200_000
# histories served at once by the two-stage path (per thread)
_SERVE_BLOCK = 256
# two-stage candidates of the item-vector scores: the _VECTOR_NEIGHBOURS
# nearest items of each of a history's last _VECTOR_QUERY known items
_VECTOR_NEIGHBOURS = 20
_VECTOR_QUERY = 3
# and the most popular items (at least; a list of any length up to it has the
# same candidates)
_POPULAR = 50

_WEIGHT = [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})]


class NearestNeighborRecommender(BaseRecommender):
    """Related and next items: item2vec neighbours, sequential rules and
    session neighbours blended with a popularity prior.

    Each history is scored against every catalogue item by up to six
    components, each scaled to [0, 1] per history and blended with a weight:

    - ``rules``: sequential rules (:class:`SequentialRulesRecommender`),
      the items that followed the history's recent items;
    - ``session_knn``: the items of the most similar training sequences
      (:class:`SessionKNNRecommender`);
    - ``cosine``: cosine similarity between the history's profile (a
      recency-weighted mean of its item2vec vectors) and each item vector;
    - ``output``: the item2vec network's own prediction, the profile's inner
      product with each item's output-layer vector (keeps popularity);
    - ``popularity``: log of the item's training count;
    - ``repeat``: the history's own recent items (only when seen items are
      not excluded, for data where people come back to items).

    Weights left at ``"auto"`` are chosen in ``fit`` on a validation split
    of the training histories: the last item of up to ``validation_size``
    histories is held out, the components are fitted on the rest, the
    weights maximising the hit rate plus the NDCG at ``n_recommendations``
    of the held-out items are kept (coordinate ascent), and the components
    are refitted on all data.  The search starts from the best single
    component and keeps a change of weights only when it beats the current
    ones by more than a standard error of the per-history difference: where
    the other components add nothing (baskets of independent popular items)
    the blend stays that component, e.g. popularity, and a small validation
    split cannot be overfitted.  Components whose weight ends at 0 are not
    refitted (the embedder always is, for :meth:`similar_items`).  Fixed
    weights skip the validation fit; all weights are tunable with
    ``GridSearchCV``.

    Parameters
    ----------
    embedder : estimator, default=None
        Learns the item vectors; ``None`` means ``ItemSequenceEmbedder()``
        with this recommender's ``n_jobs`` and ``random_state``.  Any
        estimator whose ``fit(sequences)`` sets ``wv_`` (a
        :class:`~skembed.KeyedVectors` keyed by item id) works; the
        ``output`` component also needs ``output_vectors_`` (rows aligned
        with ``wv_``).  Cloned in fit; a ``random_state`` or ``n_jobs`` of
        the embedder left at None takes this recommender's (seed drawn from
        ``random_state``), also after ``set_params(embedder__window=3)``.
    rules : SequentialRulesRecommender, default=None
        The rules component and its parameters (``rules__window`` ...);
        ``None`` means ``SequentialRulesRecommender()``.
    session_knn : SessionKNNRecommender, default=None
        The session-kNN component; ``None`` means
        ``SessionKNNRecommender()``.
    n_recommendations : int, default=10
        Length of each recommendation list; also the cut-off of the hit
        rate that ``"auto"`` weights maximise.
    rules_weight, session_knn_weight, cosine_weight, output_weight, \
popularity_weight, repeat_weight : float >= 0 or "auto", default="auto"
        Blend weights of the components (scale-free: only ratios matter);
        0 switches a component off.
    exclude_seen : bool or "auto", default="auto"
        Never recommend items already in the history.  ``"auto"``: exclude
        them when fewer than 1% of the training interactions repeat an item
        earlier in the same sequence (``repeat_share_``).
    profile_half_life : float or None, default=5.0
        The history profile that queries the item vectors weighs an item
        ``a`` positions before the end by ``0.5 ** (a / profile_half_life)``;
        ``None`` is the plain mean.
    validation_size : int or float, default=5000
        Histories held out (their last item) to choose ``"auto"`` weights:
        a count, or a fraction of the histories with at least two items.
    algorithm : {"auto", "brute", "nndescent"}, default="auto"
        Search of :meth:`similar_items`: ``"brute"`` is exact (blocked matrix
        products and a parallel top-k kernel); ``"nndescent"`` approximate,
        with pynndescent (``pip install skembed[ann]``); ``"auto"`` uses
        nndescent above 200,000 items when pynndescent is installed.
    epsilon : float, default=0.2
        Query accuracy of the nndescent search (pynndescent's ``epsilon``;
        larger is more accurate and slower; see docs/benchmarks.md).
    nndescent_kwargs : dict or None, default=None
        Extra arguments of ``pynndescent.NNDescent`` (not ``data`` or
        ``metric``, which is cosine).
    scoring : {"candidates", "exact"}, default="candidates"
        How :meth:`recommend` blends.  ``"candidates"`` (two-stage): each
        history's candidates are the items its rules, session neighbours and
        own recent items (repeats) score, the 20 nearest items (item2vec)
        of its last three items (computed in ``fit``: exactly up to 200,000
        items, from the pynndescent index above, none above without it) and
        the 50 most popular allowed items; the blend is computed for them
        alone, the item2vec scores
        scaled over the candidates instead of the whole catalogue (the one
        difference: the same lists as ``"exact"`` on most rows, see
        docs/benchmarks.md).  ``"exact"`` scores every catalogue item for
        every history (dense blocks: cost grows with the catalogue).
    n_jobs : int or None, default=None
        Threads for fitting and scoring; ``None`` means 1 unless a joblib
        ``parallel_config`` context sets ``n_jobs``, ``-1`` all cores the
        process may use (``OMP_NUM_THREADS`` caps it: one in a Dask worker).
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split and the default embedder.
    verbose : int, default=0
        1 prints the validation split, the chosen weights and timings.

    Attributes
    ----------
    items_ : ndarray
        Catalogue of item ids (int64 if all ids are ints, object otherwise),
        most popular first.
    item_counts_ : ndarray of int64
        Training interactions of each item of ``items_``.
    weights_ : dict
        The blend weight of each component in use.
    validation_score_ : float or None
        Validation hit rate at ``n_recommendations`` of the chosen weights
        (``None`` when no weight was tuned).
    exclude_seen_ : bool
    repeat_share_ : float
        As in :class:`~skembed.recommend.PopularityRecommender`.
    embedder_ : estimator or None
        The fitted embedder (``None`` when ``cosine_weight`` and
        ``output_weight`` are both 0).
    rules_, session_knn_ : fitted component or None
        ``None`` when the component's weight is 0.
    algorithm_ : str
        Search algorithm of :meth:`similar_items`.

    See Also
    --------
    SequentialRulesRecommender, SessionKNNRecommender, PopularityRecommender

    Examples
    --------
    >>> from skembed import NearestNeighborRecommender, ItemSequenceEmbedder
    >>> sessions = [["a", "b", "c"], ["x", "y", "z"], ["b", "c", "a"],
    ...             ["y", "z", "x"]] * 50
    >>> rec = NearestNeighborRecommender(
    ...     ItemSequenceEmbedder(vector_size=8, random_state=0),
    ...     n_recommendations=2, random_state=0)
    >>> rec.fit(sessions).predict([["a"], ["z"]]).tolist()
    [['b', 'c'], ['x', 'y']]
    """

    _parameter_constraints = {
        **BaseRecommender._parameter_constraints,
        "embedder": [HasMethods(["fit"]), None],
        "rules": [SequentialRulesRecommender, None],
        "session_knn": [SessionKNNRecommender, None],
        **{f"{name}_weight": _WEIGHT for name in COMPONENTS},
        "profile_half_life": [Interval(Real, 0, None, closed="neither"), None],
        "validation_size": [Interval(Integral, 1, None, closed="left"),
                            Interval(RealNotInt, 0, 1, closed="neither")],
        "algorithm": [StrOptions({"auto", "brute", "nndescent"})],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "nndescent_kwargs": [dict, None],
        "scoring": [StrOptions({"candidates", "exact"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, embedder=None, rules=None, session_knn=None, n_recommendations=10,
                 rules_weight="auto", session_knn_weight="auto", cosine_weight="auto",
                 output_weight="auto", popularity_weight="auto", repeat_weight="auto",
                 exclude_seen="auto", profile_half_life=5.0, validation_size=5000,
                 algorithm="auto", epsilon=0.2, nndescent_kwargs=None,
                 scoring="candidates", n_jobs=None, random_state=None, verbose=0):
        self.embedder = embedder
        self.rules = rules
        self.session_knn = session_knn
        self.n_recommendations = n_recommendations
        self.rules_weight = rules_weight
        self.session_knn_weight = session_knn_weight
        self.cosine_weight = cosine_weight
        self.output_weight = output_weight
        self.popularity_weight = popularity_weight
        self.repeat_weight = repeat_weight
        self.exclude_seen = exclude_seen
        self.profile_half_life = profile_half_life
        self.validation_size = validation_size
        self.algorithm = algorithm
        self.epsilon = epsilon
        self.nndescent_kwargs = nndescent_kwargs
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def set_params(self, **params):
        # embedder__window=... on the default (None) embedder sets it on a
        # default instance, so GridSearchCV works without spelling it out
        defaults = {"embedder": ItemSequenceEmbedder, "rules": SequentialRulesRecommender,
                    "session_knn": SessionKNNRecommender}
        for name, cls in defaults.items():
            if getattr(self, name) is None and name not in params and any(
                    key.startswith(f"{name}__") for key in params):
                setattr(self, name, cls())
        return super().set_params(**params)

    # -- fitting --------------------------------------------------------------
    def _fit_interactions(self, data, sequences, n_threads):
        if self.nndescent_kwargs is not None:
            fixed = {"data", "metric"} & set(self.nndescent_kwargs)
            if fixed:
                raise ValueError(f"nndescent_kwargs cannot set {sorted(fixed)}: the index "
                                 "is always built over the unit item vectors with cosine")
        rng = check_random_state(self.random_state)
        self._embedder_seed = int(rng.randint(np.iinfo(np.int32).max))
        requested = {name: getattr(self, f"{name}_weight") for name in COMPONENTS}
        if self.exclude_seen_:
            requested["repeat"] = 0.0
        self.validation_score_ = None
        if any(w == "auto" for w in requested.values()):
            weights = self._tune(data, sequences, requested, rng, n_threads)
        else:
            weights = {name: float(w) for name, w in requested.items()}
        if not any(weights.values()):
            raise ValueError("all blend weights are 0: give at least one component a "
                             "positive weight")
        self.weights_ = weights
        self._fit_parts(data, sequences, weights, n_threads, final=True)
        self.embedder_ = self._parts["embedder"]
        self.rules_ = self._parts["rules"]
        self.session_knn_ = self._parts["session_knn"]
        self.algorithm_ = self._choose_algorithm()
        if self.algorithm_ == "nndescent":
            self._build_index()
        self._neighbours = None
        if self.scoring == "candidates" and (weights["cosine"] or weights["output"]) and (
                self._items.ann is not None or len(self._catalogue) <= _ANN_THRESHOLD):
            # candidates of the item-vector scores: the nearest items of a
            # history's last items (exact up to 200,000 items, from the
            # pynndescent graph above; none above without pynndescent)
            self._neighbours = self._items.neighbour_table(_VECTOR_NEIGHBOURS, n_threads)

    # the Dask fit: the histories come here encoded over the catalogue (the
    # validation split and the embedder need them), the raw log does not
    def _partition_statistics(self, data, n_items):
        stats = super()._partition_statistics(data, n_items)
        stats["histories"] = data
        return stats

    def _merge_statistics(self, stats, n_items):
        merged = super()._merge_statistics(stats, n_items)
        merged["histories"] = Ragged.concatenate([s["histories"] for s in stats])
        return merged

    def _fit_statistics(self, stats, n_threads):
        data = stats["histories"]
        keys = self._catalogue.keys
        self._fit_interactions(data, lambda: data.to_lists(keys), n_threads)

    def _fit_parts(self, data, sequences, weights, n_threads, final):
        """Fit the components with a non-zero weight on ``data`` (into ``_parts``)."""
        n_items = len(self._catalogue)
        parts = {"embedder": None, "rules": None, "session_knn": None}
        for name, default in (("rules", SequentialRulesRecommender),
                              ("session_knn", SessionKNNRecommender)):
            if weights[name] != 0:
                parts[name] = clone(getattr(self, name) or default())._fit_as_part_of(
                    self, data, sequences, n_threads)
        embedder_off = all(getattr(self, f"{n}_weight") == 0 for n in ("cosine", "output"))
        if (weights["cosine"] != 0 or weights["output"] != 0) or (final and not embedder_off):
            parts["embedder"] = self._fit_embedder(data, sequences,
                                                   need_output=weights["output"] != 0)
        counts = np.bincount(data.ids[data.ids >= 0], minlength=n_items)
        self._popularity = np.log1p(counts).astype(np.float32)
        spread = self._popularity.max() - self._popularity.min()
        self._popularity_scaled = ((self._popularity - self._popularity.min()) / spread
                                   if spread > 0 else np.zeros_like(self._popularity))
        self._parts = parts

    def _new_embedder(self):
        """The embedder to fit: a clone of ``embedder`` (or a default
        ``ItemSequenceEmbedder()``) whose ``random_state`` and ``n_jobs``, when
        it has them and they are None, are this recommender's (so that
        ``set_params(embedder__window=3)`` on the default keeps the seed)."""
        embedder = ItemSequenceEmbedder() if self.embedder is None else clone(self.embedder)
        params = embedder.get_params(deep=False)
        inherited = {}
        if "random_state" in params and params["random_state"] is None:
            inherited["random_state"] = self._embedder_seed
        if "n_jobs" in params and params["n_jobs"] is None:
            inherited["n_jobs"] = self.n_jobs
        return embedder.set_params(**inherited) if inherited else embedder

    def _fit_embedder(self, data, sequences, need_output):
        """Fit the embedder on the histories ``data`` (catalogue indices): an
        ItemSequenceEmbedder takes them as they are (item ids hashed once per
        fit, by the catalogue), another embedder the item id lists
        ``sequences()``."""
        embedder = self._new_embedder()
        if isinstance(embedder, ItemSequenceEmbedder):
            embedder.fit(IndexedSequences.from_codes(self._catalogue.keys, data))
        else:
            embedder.fit(sequences())
        kv = getattr(embedder, "wv_", None)
        if kv is None or not hasattr(kv, "key_to_index") or not hasattr(kv, "vectors"):
            raise TypeError(f"the embedder {type(embedder).__name__} must set wv_ (a "
                            "KeyedVectors of the item vectors) in fit")
        out = getattr(embedder, "output_vectors_", None)
        if need_output and out is None:
            raise ValueError("output_weight > 0 needs an embedder with output_vectors_ "
                             "(ItemSequenceEmbedder with negative sampling, negative > 0); "
                             "set output_weight=0 for this embedder")
        # item vectors aligned with the catalogue; items the embedder dropped
        # (min_count) get zero rows and no weight in profiles
        self._items = ItemVectors(kv, out, self._catalogue.keys)
        return embedder

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

    # -- scoring ----------------------------------------------------------------
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

    # -- related items ----------------------------------------------------------
    def _choose_algorithm(self):
        if self.algorithm == "brute" or self.embedder_ is None:
            return "brute"
        if self.algorithm == "auto" and len(self._catalogue) <= _ANN_THRESHOLD:
            return "brute"  # (without importing pynndescent: it compiles for seconds)
        if importlib.util.find_spec("pynndescent") is None:
            if self.algorithm == "nndescent":
                raise ImportError("algorithm='nndescent' needs pynndescent: "
                                  "pip install 'skembed[ann]'")
            return "brute"
        return "nndescent"

    def _build_index(self):
        self._items.build_index(n_jobs=resolve_n_threads(self.n_jobs),
                                random_state=self._embedder_seed,
                                **(self.nndescent_kwargs or {}))

    def similar_items(self, items, n=10):
        """The ``n`` items whose item2vec vectors are closest (cosine) to each item.

        "More like this": similarity of the learned vectors, without the
        history, rules or popularity (use :meth:`recommend` with a
        one-item history for "what comes next").

        Parameters
        ----------
        items : sequence of hashable
            Known item ids (``KeyError`` names an unknown one).
        n : int, default=10
            Clipped, with a warning, to the number of other items.

        Returns
        -------
        ids : ndarray of shape (len(items), n)
            Item ids, best first, the item itself excluded.
        scores : ndarray of float32, shape (len(items), n)
            Cosine similarities.
        """
        check_is_fitted(self, "items_")
        if self.embedder_ is None:
            raise ValueError("similar_items needs the item vectors: this recommender was "
                             "fitted with cosine_weight=0 and output_weight=0")
        if isinstance(items, (str, bytes)):
            raise TypeError("items must be a sequence of item ids, got a string")
        k2i = self._catalogue.key_to_index
        rows = []
        for item in items:
            try:
                row = k2i[item]
            except (KeyError, TypeError):
                raise KeyError(f"item {item!r} is not in the catalogue") from None
            if not self._items.known[row]:
                raise KeyError(f"item {item!r} has no vector (dropped by the embedder's "
                               "min_count)")
            rows.append(row)
        n_others = int(self._items.known.sum()) - 1
        if n_others < 1:
            raise ValueError("only one item has a vector; nothing is similar to it")
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, Integral) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        if n > n_others:
            warnings.warn(f"n={n} exceeds the {n_others} other items with a vector; "
                          f"returning {n_others} per item", UserWarning, stacklevel=2)
            n = n_others
        rows = np.asarray(rows, np.int64)
        exclude = [np.concatenate(([r], np.flatnonzero(self._items.known == 0))) for r in rows]
        idx, scores = self._items.nearest(self._items.unit[rows], int(n), exclude,
                                          resolve_n_threads(self.n_jobs), self.epsilon)
        return self._ids(idx), scores
