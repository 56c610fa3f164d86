"""NearestNeighborRecommender: item2vec, sequential rules, session-kNN and
popularity blended, with weights chosen on a validation split.

Its parameters, fitting and related items are here; the weight search in
:mod:`~skembed.recommend.weight_search`, how the fitted blend scores and
serves histories in :mod:`~skembed.recommend.blend_scoring`."""

import importlib.util
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._ragged import IndexedSequences, Ragged
from .._threads import resolve_n_threads
from ..sequences import ItemSequenceEmbedder
from ._base import BaseRecommender
from .blend_scoring import BlendScoringMixin
from .item_vectors import ItemVectors
from .rules import SequentialRulesRecommender
from .session_knn import SessionKNNRecommender
from .weight_search import COMPONENTS, WeightSearchMixin

# above this many items "auto" uses approximate search when pynndescent exists
_ANN_THRESHOLD = 200_000
# two-stage candidates of the item-vector scores: the _VECTOR_NEIGHBOURS
# nearest items of each item, a table computed in fit
_VECTOR_NEIGHBOURS = 20

_WEIGHT = [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})]


class NearestNeighborRecommender(WeightSearchMixin, BlendScoringMixin, BaseRecommender):
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
