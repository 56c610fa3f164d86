"""Shared fitting machinery of the entity-embedding estimators."""

import numbers
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import check_scalar
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._frames import is_dataframe, to_pandas
from .._threads import blas_threads, in_threads, resolve_n_threads
from .._validation import check_int_sequence, check_min_frequency
from .categories import (
    RARE_CATEGORY_ROWS,
    SUBSTRING_MIN_CATEGORIES,
    ColumnCategories,
    category_numbers,
    category_position,
    distinct_kind,
)
from .ensemble import mix_weight
from .network import EmbeddingNetwork, auto_embedding_dim, compose, train_network
from .pieces import piecewise_linear
from .targets import (
    check_regression_target,
    encode_classes,
    normalised_weights,
    output_prior,
    target_scaling,
)

# standardised numbers beyond this many standard deviations are compressed
# logarithmically: a heavy tail (a price, a population) no longer saturates
# the ReLU layers, and the order of extreme values is kept (docs/benchmarks.md)
NUMERIC_TAIL = 3.0


def _spelling_helps(n_present, distinct, kind):
    """substrings="auto" for a column of ``n_present`` non-missing values, of
    which ``distinct`` are distinct and read as ``kind`` (:func:`distinct_kind`):
    more than ``SUBSTRING_MIN_CATEGORIES`` distinct values, unless they are
    codes written as strings (they read as numbers) with many rows each, or
    dates.  A rare ZIP code borrows from those that share its prefix (the
    Midwest survey's, 1.2 rows each); a store number of hundreds of rows has
    learned its own row, and its digits added noise (full Rossmann network:
    MAPE 0.094 over 3 seeds, 0.091 without).  A date's digits spell an
    instant whose order its number carries (``numeric_values``); the n-grams
    of unique timestamps learned their rows' own targets (docs/benchmarks.md)."""
    if len(distinct) <= SUBSTRING_MIN_CATEGORIES or kind == "date":
        return False
    rare = n_present < RARE_CATEGORY_ROWS * len(distinct)
    return bool(rare or kind is None)


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


# The rule behind embedding_dims="auto", chosen on Rossmann (docs/benchmarks.md).
AUTO_DIM_RULE = "fastai"
# embedding_dims="auto" of a date: its number (numeric_values) carries its place
# in time; its own vector holds only what a day adds to that, and fastai's rule
# gave 2,264 hire dates of about 4 rows each 118 columns (employee salaries'
# network alone 0.931 -> 0.938 with 2; docs/benchmarks.md)
DATE_MAX_DIM = 2
# embedding_dims="auto" of a feature without n-grams: each category's vector is
# learned from its own rows alone, so it is no wider than the rows a category
# has on average (at least this): fastai's rule gave credit fraud's 4,676 goods
# codes of 20 rows each 182 columns (network alone 0.8125 -> 0.8149 with 19)
ROWS_CAP_MIN_DIM = 16
# embedding_dropout="auto": a category seen n times is dropped with probability
# DROPOUT_PSEUDO_COUNT / (DROPOUT_PSEUDO_COUNT + n)
DROPOUT_PSEUDO_COUNT = 1.0
# early_stopping="auto" turns on above this many samples (HistGradientBoosting's rule)
AUTO_EARLY_STOPPING_ROWS = 10_000
# rows whose output Jacobian measures distances for the order test of unseen values
ANCHOR_SAMPLE_ROWS = 4096



class EntityEmbeddingBase(BaseEstimator):
    """Parameters, input handling and training common to all entity estimators."""

    # max_iter="auto": epochs for about this many minibatch steps, within
    # (min, max) epochs (docs/benchmarks.md, "Entity embeddings on public tables")
    _auto_steps = 10_000
    _auto_epochs = (10, 100)
    # embedding_dims="auto": fastai's rule, capped (the encoder's output feeds
    # another model, for which a few columns per feature serve best)
    _auto_max_dim = None

    _parameter_constraints = {
        "embedding_dims": [StrOptions({"auto"}), Interval(Integral, 1, 100_000, closed="both"),
                           dict],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"cosine", "constant"})],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_split": [StrOptions({"random", "last"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "embedding_dropout": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "min_frequency": [Interval(Integral, 1, None, closed="left"),
                          Interval(RealNotInt, 0, 1, closed="neither"), None],
        "substrings": [StrOptions({"auto"}), "boolean"],
        "numeric_values": [StrOptions({"auto"}), "boolean"],
        "handle_unknown": [StrOptions({"infrequent", "error"})],
        "warm_start": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # -- parameters -------------------------------------------------------------
    def _check_params(self):
        """The parameters as the trainer uses them (each was validated by
        ``_parameter_constraints``; the layer sizes' contents are checked here)."""
        p = {name: int(getattr(self, name))
             for name in ("batch_size", "n_iter_no_change")}
        p["max_iter"] = self.max_iter if isinstance(self.max_iter, str) else int(self.max_iter)
        p.update({name: float(getattr(self, name))
                  for name in ("dropout", "validation_fraction", "tol", "weight_decay")})
        p["learning_rate"] = self._learning_rate()
        p["embedding_dropout"] = (self.embedding_dropout if isinstance(self.embedding_dropout, str)
                                  else float(self.embedding_dropout))
        p["hidden_layer_sizes"] = check_int_sequence(self.hidden_layer_sizes,
                                                     "hidden_layer_sizes")
        p["early_stopping"] = (self.early_stopping if isinstance(self.early_stopping, str)
                               else bool(self.early_stopping))
        p["warm_start"] = bool(self.warm_start)
        p["n_threads"] = self._training_threads()
        return p

    # learning_rate="auto" (the predictors): the step size of the task
    _auto_learning_rate = None

    def _learning_rate(self):
        """``learning_rate`` as a number (``"auto"``: ``_auto_learning_rate``)."""
        rate = self.learning_rate
        return float(self._auto_learning_rate if isinstance(rate, str) else rate)

    def _training_threads(self):
        """``n_jobs`` as training threads (scikit-learn's rule:
        :func:`~skembed._threads.resolve_n_threads`)."""
        return resolve_n_threads(self.n_jobs)

    def _fit_target(self, y, task, warm, classes=None):
        """The training target of ``task`` ("regression", "binary",
        "multiclass", or "classification": binary or multiclass by the number
        of classes); returns ``(y_fit, n_outputs, task, stratify)``."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the "
                             "target y is None")
        if task == "regression":
            y = check_regression_target(y)
            if not warm:
                self._y_mean, self._y_scale = target_scaling(y)
                self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            elif (1 if y.ndim == 1 else y.shape[1]) != self.n_outputs_:
                raise ValueError(f"warm_start=True but y has a different number of outputs "
                                 f"than the {self.n_outputs_} of the previous fit")
            # the range predictions are kept in (EntityEmbeddingRegressor.predict),
            # widened by every chunk a warm start or partial_fit adds
            lo, hi = np.min(y, axis=0), np.max(y, axis=0)
            if warm and hasattr(self, "_y_range"):
                lo, hi = np.minimum(lo, self._y_range[0]), np.maximum(hi, self._y_range[1])
            self._y_range = (lo, hi)
            return (y - self._y_mean) / self._y_scale, self.n_outputs_, task, None
        classes = getattr(self, "classes_", None) if warm else classes
        y_fit, self.classes_, n_outputs, task = encode_classes(
            y, classes, None if task == "classification" else task)
        self.n_outputs_ = n_outputs if task == "multilabel" else 1
        return y_fit, n_outputs, task, (y_fit if y_fit.ndim == 1 else None)

    def _max_auto_dim(self, n_outputs):
        """Cap of the ``"auto"`` widths (None: fastai's rule alone)."""
        return self._auto_max_dim

    def _embedding_dims(self, names, categories, n_outputs=1, previous=None):
        """Width of each feature; ``previous``: the widths of the network a
        warm start or ``partial_fit`` continues, kept for ``"auto"`` features
        (the rules read counts, which later chunks change)."""
        dims = []
        cap = self._max_auto_dim(n_outputs)
        spec = self.embedding_dims
        if isinstance(spec, dict):
            unknown = set(spec) - set(names) - set(range(len(names)))
            if unknown:
                raise ValueError(f"embedding_dims names features {sorted(map(str, unknown))} "
                                 f"that are not categorical features {list(names)}")
        for j, (name, cats) in enumerate(zip(names, categories, strict=True)):
            d = spec.get(name, spec.get(j, "auto")) if isinstance(spec, dict) else spec
            if isinstance(d, str) and d == "auto" and previous is not None:
                d = int(previous[j])
            elif isinstance(d, str) and d == "auto":
                d = auto_embedding_dim(len(cats.categories), AUTO_DIM_RULE)
                if cap is not None:
                    d = min(d, cap)
                if self._value_kind(j) == "date":
                    d = min(d, DATE_MAX_DIM)
                if not cats.n_ngrams:  # each vector learned from its own rows only
                    rows = cats.counts.sum() / max(len(cats.counts), 1)
                    d = min(d, max(ROWS_CAP_MIN_DIM, int(rows)))
            if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1:
                raise ValueError(f"embedding_dims[{name!r}] must be an int >= 1, got {d!r}")
            dims.append(int(d))
        return dims

    # -- input ------------------------------------------------------------------
    def _columns(self, X, reset):
        """Validate X (feature names, n_features) and return its columns."""
        X = to_pandas(X)
        if is_dataframe(X):
            validate_data(self, X, skip_check_array=True, reset=reset)
            for axis, what in ((0, "sample"), (1, "feature")):
                if X.shape[axis] < 1:
                    raise ValueError(f"Found array with 0 {what}(s) (shape={X.shape}) "
                                     "while a minimum of 1 is required.")
            return [X.iloc[:, j] for j in range(X.shape[1])], X.shape[0]
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=reset)
        return [X[:, j] for j in range(X.shape[1])], X.shape[0]

    def _feature_name(self, j):
        names = getattr(self, "feature_names_in_", None)
        return str(names[j]) if names is not None else f"x{j}"

    def _fit_categories(self, columns, n_samples, declared=False, target=None):
        """Categories of each column; ``target``: ``(y_fit, task)``, the
        training target as the network learns it: with ``substrings="auto"`` a
        column keeps its n-grams only where they predict the target of names
        they were not fitted on (:mod:`~skembed.entity.spelling`)."""
        min_count = check_min_frequency(self.min_frequency, n_samples)
        if declared and self.min_frequency is None:
            min_count = 0  # a declared category keeps its own row before it is seen
        spec = getattr(self, "substrings", False)
        n_threads = self._training_threads()
        out, self._read_kinds = [], []
        for col in columns:
            present = pd.Series(col).dropna()
            distinct = pd.unique(present)  # one hashing pass for both tests
            kind = distinct_kind(distinct)
            self._read_kinds.append(kind)
            auto = isinstance(spec, str)
            sub = _spelling_helps(len(present), distinct, kind) if auto else bool(spec)
            out.append(ColumnCategories(col, min_count, declared, substrings=sub,
                                        n_threads=n_threads,
                                        target=target if auto else None,
                                        values=kind is not None))
        return out

    # numeric_values="auto" for the network as a predictor: only features whose
    # categories have fewer rows than this on average (None: any)
    _numbers_below_rows = None

    def _numeric_value_mask(self):
        """Which categorical features also go in as numbers (``numeric_values``),
        read off their fitted categories (each distinct value once); sets what
        each feature's values read as (:func:`distinct_kind`: numbers or dates)."""
        kinds = self._read_kinds  # read by _fit_categories
        self._value_kinds = [k or "number" for k in kinds]
        spec = self.numeric_values
        if not isinstance(spec, str):
            return np.full(len(self._categories), bool(spec))
        # a date always goes in as its number: an embedding of each day cannot
        # reach the days after the training ones (the rule of rows per category
        # is for codes, whose numbers may order nothing)
        below = self._numbers_below_rows
        return np.array([kind == "date" or (kind is not None and (
            below is None or c.counts.sum() < below * max(len(c.counts), 1)))
            for kind, c in zip(kinds, self._categories, strict=True)], dtype=bool)

    def _value_kind(self, j):
        # estimators fitted before dates were read (their features: numbers)
        kinds = getattr(self, "_value_kinds", None)
        return "number" if kinds is None else kinds[j]

    def _category_numbers(self, columns, n):
        """The flagged columns (``numeric_values_``) read as numbers (dates as
        days since 1970), (n, k)."""
        flagged = np.flatnonzero(self.numeric_values_)
        out = np.empty((n, len(flagged)), dtype=np.float64)
        for k, j in enumerate(flagged):
            out[:, k] = category_numbers(columns[j], self._value_kind(j))
        return out

    # unseen values of a column of numbers, dates or months take the entity of
    # the nearest known value (ColumnCategories.set_anchors): the encoder's
    # choice, for a stacked model that never saw the shared row on a training
    # row; the network itself learned the shared row for them (embedding
    # dropout), which scored better there (bike sharing, docs/benchmarks.md)
    _unseen_by_value = False

    def _encode(self, columns, n_samples, fresh=False):
        """Entity codes (n_samples, n_features) and, per feature, the local
        entities of this call (see :class:`ColumnCategories`).  ``fresh``:
        ``columns`` are those the categories were just fitted on."""
        codes = np.zeros((n_samples, len(columns)), dtype=np.int32)
        entities = []
        for j, (col, cats) in enumerate(zip(columns, self._categories, strict=True)):
            taken = cats.take_fit_codes() if fresh else None
            if taken is None:
                taken = cats.encode(col, self.handle_unknown, self._cat_names[j],
                                    by_value=self._unseen_by_value)
            codes[:, j], ent = taken
            entities.append(ent)
        return codes, entities

    def _composition(self, entities, net=None):
        net = self._net if net is None else net
        return compose(entities, net.row_offset)

    # -- training -----------------------------------------------------------------
    def _n_networks(self, n, partial=False):
        """Networks to train on ``n`` rows (one; the predictors average several)."""
        return 1

    def _same_networks(self, k):
        """Whether ``k`` fitted networks are what the parameters ask for."""
        return k == 1

    def _networks(self):
        """The fitted networks: the first (whose embeddings are published) and
        the other members of an ensemble."""
        return [self._net, *getattr(self, "_more_nets", [])]

    def _train(self, params, codes, entities, xnum, y, sample_weight, task, n_outputs, rng,
               stratify=None, partial=False):
        reuse = (params["warm_start"] or partial) and hasattr(self, "_net")
        dims = self._embedding_dims(self._cat_names, self._categories, n_outputs,
                                    self._net.dims if reuse else None)
        n_rows = [c.n_rows for c in self._categories]
        if partial:  # one epoch over these rows, constant step, no validation
            params = {**params, "max_iter": 1, "early_stopping": False}
            if hasattr(self, "_net"):  # later calls: counts behind the mean row
                for j, cats in enumerate(self._categories):
                    cats.add_counts(codes[:, j])
        widths = self._input_widths(xnum.shape[1], partial)
        if reuse:
            nets = self._networks()
            width = nets[0].n_numeric if nets[0].n_numeric in widths else xnum.shape[1]
            want = (tuple(n_rows), tuple(dims), width,
                    (*params["hidden_layer_sizes"], n_outputs), task)
            kept = getattr(self, "_net_weights", None) is not None  # the other kind's, last
            if nets[0].architecture != want or not self._same_networks(len(nets) - kept):
                raise ValueError(
                    "warm_start=True but the network shape changed since the previous "
                    "fit (embedding_dims, hidden_layer_sizes, n_networks, features or "
                    "task); set warm_start=False to refit from scratch")
        k = len(nets) if reuse else self._n_networks(codes.shape[0], partial)
        # one network: the estimator's random stream itself; several: a stream each
        rngs = [rng] if k == 1 else [np.random.RandomState(s) for s in
                                     rng.randint(np.iinfo(np.int32).max, size=k)]

        def make(r, width):
            net = EmbeddingNetwork(n_rows, dims, width, params["hidden_layer_sizes"],
                                   n_outputs, task, params["dropout"], r)
            net.b[-1][...] = output_prior(y, sample_weight, task, n_outputs)
            return net

        comp = None  # the rows of each entity (set by the first network made)
        w = normalised_weights(sample_weight, codes.shape[0])
        rates = self._dropout_rates(params, entities)
        name = type(self).__name__
        threads = params["n_threads"]

        def run(jobs):
            """Train ``(network, rng, split seed)`` jobs; their histories."""
            nonlocal comp
            if comp is None:
                comp = self._composition(entities, jobs[0][0])

            def train(i, n_threads):
                net, r, split = jobs[i]
                net.dropout = params["dropout"]
                return self._train_network(
                    net, params, codes, xnum, y, w, comp, r, stratify, partial, rates,
                    n_threads, name if total == 1 else f"{name} {len(done) + i + 1}/{total}",
                    split)

            m = len(jobs)
            if m == 1 or threads == 1:
                return [train(i, threads) for i in range(m)]
            # whole networks side by side, one thread each (no Hogwild! among them)
            lanes = min(m, threads)
            side = m - m % lanes
            hists = [None] * m

            def lane(t, stop):
                for i in range(t, side, lanes):
                    if stop.is_set():
                        return
                    hists[i] = train(i, 1)

            in_threads(lanes, lane)
            # networks left over (3 on 2 threads): each on all the threads, so that
            # no thread idles through a last round of one network
            hists[side:] = [train(i, threads) for i in range(side, m)]
            return hists

        done = []  # (network, history) of the networks trained so far
        probe = (not reuse and len(widths) == 2
                 and self._validates(params, codes.shape[0]))
        total = k + probe  # networks to train (numeric_bins="auto": one more)
        # small products: threads of our own beat BLAS's.  The limit is process-wide,
        # so it is set here, once, not by each training thread (nested limits
        # entered and left by concurrent threads would restore the wrong count)
        with blas_threads(1):
            if reuse:
                jobs = [(net, r, None) for net, r in zip(nets, rngs, strict=True)]
            elif probe:
                # numeric_bins="auto": a network on numbers only and one with their
                # piecewise-linear inputs too, on the same validation rows; the
                # ensemble is of the kind whose validation loss is lower
                split = int(rng.randint(np.iinfo(np.int32).max))
                other = np.random.RandomState(rng.randint(np.iinfo(np.int32).max))
                pair = [(make(rngs[0], widths[0]), rngs[0], split),
                        (make(other, widths[1]), other, split)]
                hists = run(pair)
                best = int(hists[1]["best_validation_loss"] < hists[0]["best_validation_loss"])
                done.append((pair[best][0], hists[best]))
                # the other kind joins the ensemble with the share that fits the
                # validation rows best (.ensemble)
                _, va = self._validation_rows(codes.shape[0], params, split, stratify)
                outs = [net.predict_raw(codes[va], xnum[va], comp) for net, _, _ in pair]
                # (one network against one: beside k of the winner's kind, whose
                # mean leaves less error to cancel, it weighs at most one member)
                mix = min(mix_weight(outs[best], outs[1 - best], y[va], w[va], task),
                          1.0 / (k + 1))
                other_net = pair[1 - best][0]
                jobs = [(make(r, widths[best]), r, None) for r in rngs[1:]]
            else:
                jobs = [(make(r, widths[0]), r, None) for r in rngs]
            done += zip([j[0] for j in jobs], run(jobs), strict=True)
        nets = [net for net, _ in done]
        if reuse:
            weights = getattr(self, "_net_weights", None)
        elif probe and mix > 0:
            nets.append(other_net)
            weights = np.append(np.full(k, (1 - mix) / k), mix)
        else:
            weights = None  # equal
        hists = [h for _, h in done]
        hist = hists[0]
        if partial and hasattr(self, "loss_curve_"):
            hist["loss_curve"] = self.loss_curve_ + hist["loss_curve"]
            hist["n_iter"] += self.n_iter_
        for net in nets:
            self._set_unknown_rows(net, params)
        self.embedding_dims_ = dims
        self.loss_curve_ = hist["loss_curve"]
        self.validation_loss_curve_ = hist["validation_loss_curve"]
        self.best_validation_loss_ = hist["best_validation_loss"]
        self.n_iter_ = hist["n_iter"]
        self.categories_ = [c.categories for c in self._categories]
        self.infrequent_categories_ = [
            c.categories[c.infrequent] if c.infrequent.any() else None
            for c in self._categories]
        self._more_nets = nets[1:]
        self._net_weights = weights
        self._publish(nets[0])
        self._set_anchors(nets[0], codes, xnum, comp)

    def _set_anchors(self, net, codes, xnum, comp):
        """Unseen values of columns of numbers, dates or months: the nearest
        known one, where the column's embeddings follow its order
        (:meth:`ColumnCategories.set_anchors`).  Distances are measured in
        the network's output: each feature's embeddings scaled along the
        directions the output moves by (the square root of the mean squared
        Jacobian over a sample of rows), so that axes the network ignores
        (still near their random start) do not hide the order."""
        kinds = getattr(self, "_read_kinds", None) or [None] * len(self._categories)
        if not any(kinds):
            return
        # the sample's Jacobian (rows, outputs, width) stays near 64 MB with many classes
        rows = min(ANCHOR_SAMPLE_ROWS, max(64, 2 ** 23 // (net.W[-1].shape[1] * net.emb_width)))
        sample = slice(None, None, max(1, codes.shape[0] // rows))
        _, jac = net.output_jacobian(codes[sample], xnum[sample], comp)
        for j, cats in enumerate(self._categories):
            vectors = None
            if kinds[j] is not None:
                col = slice(int(net.col_offset[j]), int(net.col_offset[j] + net.dims[j]))
                J = jac[:, :, col].reshape(-1, int(net.dims[j]))
                lam, vec = np.linalg.eigh(J.T @ J / max(len(J), 1))
                vectors = self.embeddings_[j].astype(np.float64) \
                    @ (vec * np.sqrt(np.maximum(lam, 0.0)))
            cats.set_anchors(kinds[j], vectors)

    @staticmethod
    def _validates(params, n):
        """Whether training on ``n`` rows holds out validation rows."""
        early = params["early_stopping"]
        if isinstance(early, str):  # "auto": as HistGradientBoosting, on large data
            early = n > AUTO_EARLY_STOPPING_ROWS or params["max_iter"] == "auto"
        return bool(early)

    def _input_widths(self, width, partial):
        """The numeric inputs a network may read: the first ``w`` columns of
        ``xnum`` for each ``w`` returned (two: the fit chooses by validation
        loss)."""
        return [width]

    def _validation_rows(self, n, params, seed, stratify):
        """Training and validation rows of a network (``seed``: an int or a
        RandomState)."""
        n_val = int(round(params["validation_fraction"] * n))
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"validation_fraction={params['validation_fraction']} leaves an empty "
                f"training or validation set with {n} samples")
        idx = np.arange(n)
        if self.validation_split == "last":  # rows in time order: validate on the latest
            return idx[:n - n_val], idx[n - n_val:]
        from sklearn.model_selection import train_test_split

        try:
            tr, va = train_test_split(idx, test_size=n_val, random_state=seed,
                                      stratify=stratify)
        except ValueError:  # too few members of some class to stratify
            tr, va = train_test_split(idx, test_size=n_val, random_state=seed)
        return np.sort(tr), np.sort(va)

    def _train_network(self, net, params, codes, xnum, y, w, comp, rng, stratify, partial,
                       rates, n_threads, name, split=None):
        """Train one network (its own validation split, or the one drawn by
        the seed ``split``); the history of
        :func:`~skembed.entity.network.train_network`."""
        n = codes.shape[0]
        val = None
        if self._validates(params, n):
            tr, va = self._validation_rows(n, params, rng if split is None else split,
                                           stratify)
            val = (codes[va], xnum[va], y[va], w[va])
            codes, xnum, y, w = codes[tr], xnum[tr], y[tr], w[tr]
        max_iter = params["max_iter"]
        if max_iter == "auto":  # small data: more epochs, so that training sees enough steps
            n_batches = -(-codes.shape[0] // params["batch_size"])
            max_iter = int(np.clip(-(-self._auto_steps // n_batches), *self._auto_epochs))
        return train_network(
            net, codes, xnum, y, w, comp, max_iter=max_iter,
            batch_size=params["batch_size"], learning_rate=params["learning_rate"],
            rng=rng, val=val, n_iter_no_change=params["n_iter_no_change"],
            tol=params["tol"], verbose=self.verbose, name=name,
            weight_decay=params["weight_decay"], embedding_dropout=rates,
            schedule="constant" if partial else self.learning_rate_schedule,
            n_threads=n_threads)

    def _publish(self, net):
        self._net = net
        self.embeddings_ = [net.entity_vectors(j, c.known_entities)[1:].astype(net.dtype)
                            for j, c in enumerate(self._categories)]

    def _dropout_rates(self, params, entities):
        """Embedding dropout of every entity of the call (features in order):
        ``embedding_dropout`` for the known categories, or, for ``"auto"``,
        ``1 / (1 + count)`` of each (rare categories learn to lean on the
        shared row and their n-grams, frequent ones keep their own row); 0 for
        entity 0 and 1 for values unseen in training (whose own row is row 0
        anyway)."""
        spec = params["embedding_dropout"]
        rates = []
        for (ptr, _, _), cats in zip(entities, self._categories, strict=True):
            r = np.ones(len(ptr) - 1, dtype=np.float64)
            r[0] = 0.0
            k = len(cats.categories)
            r[1:k + 1] = (DROPOUT_PSEUDO_COUNT / (DROPOUT_PSEUDO_COUNT + cats.counts)
                          if isinstance(spec, str) else spec)
            rates.append(r)
        return np.concatenate(rates) if rates else np.zeros(0)

    def _set_unknown_rows(self, net, params):
        # categories without training rows of their own (no infrequent ones and no
        # embedding dropout, so row 0 never trained) fall back to the
        # frequency-weighted mean embedding
        for j, cats in enumerate(self._categories):
            if not cats.infrequent.any() and params["embedding_dropout"] == 0:
                table = net.table_of(j)
                table[0] = self._mean_row(j, table)

    def _mean_row(self, j, table):
        cats = self._categories[j]
        cnt = cats.counts.astype(np.float64)
        return (cnt @ table[cats.rows].astype(np.float64)) / max(cnt.sum(), 1)

    # -- entities -----------------------------------------------------------------
    def _feature_index(self, feature):
        names = list(self._cat_names)
        if isinstance(feature, numbers.Integral) and not isinstance(feature, bool):
            if not 0 <= feature < len(names):
                raise ValueError(f"feature index {feature} out of range for "
                                 f"{len(names)} categorical features")
            return int(feature)
        if feature in names:
            return names.index(feature)
        raise ValueError(f"{feature!r} is not a categorical feature; known: {names}")

    def embed(self, X, columns=None, representation="embeddings"):
        """One vector per row of ``X``: an entity (a store, a product)
        described by some of the model's features, typically its attributes.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_entities, n_columns)
            The attributes of each entity: columns named like the model's
            features (a DataFrame), or, for an array, the features of
            ``columns`` in that order.  Unseen categories get the shared
            unknown row.
        columns : list of str or int, optional
            The features to use (default: the DataFrame's columns that are
            features of the model, in their order).  Categorical features
            only for ``representation="embeddings"``.
        representation : {"embeddings", "hidden"}, default="embeddings"
            ``"embeddings"``: the learned embeddings of the entity's
            categories, concatenated.  ``"hidden"``: the network's last
            hidden layer for a row holding the entity's features, every other
            categorical feature at its unknown row and every other numeric
            feature at its training mean (the network's view of the entity
            with nothing else known).

        Returns
        -------
        ndarray of shape (n_entities, width)
            float32; ``width`` is the sum of the features' embedding widths
            or the last hidden layer's size.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from skembed import EntityEmbeddingRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = pd.DataFrame({"shop": rng.choice(list("abc"), 200),
        ...                   "town": rng.choice(list("xy"), 200)})
        >>> reg = EntityEmbeddingRegressor(embedding_dims=2, hidden_layer_sizes=(8,),
        ...                                max_iter=2, random_state=0).fit(X, rng.normal(size=200))
        >>> new = pd.DataFrame({"shop": ["a", "b"], "town": ["x", "x"]})
        >>> reg.embed(new).shape, reg.embed(new, representation="hidden").shape
        ((2, 4), (2, 8))
        """
        check_is_fitted(self, "embeddings_")
        if representation not in ("embeddings", "hidden"):
            raise ValueError("representation must be 'embeddings' or 'hidden', got "
                             f"{representation!r}")
        X = to_pandas(X)
        numeric = self._numeric_names() if representation == "hidden" else []
        if columns is None:
            if not is_dataframe(X):
                raise ValueError("embed needs columns=... to know the features of an array")
            columns = [c for c in X.columns if str(c) in self._cat_names or str(c) in numeric]
            if not columns:
                raise ValueError(f"X has none of the features {self._cat_names + numeric}")
        # each column: ("num", position among numeric features) or ("cat", feature)
        kinds = [("num", numeric.index(c)) if isinstance(c, str) and c in numeric
                 else ("cat", self._feature_index(c)) for c in columns]
        if is_dataframe(X):
            missing = [c for c in columns if c not in X.columns]
            if missing:
                raise ValueError(f"columns {missing} are not columns of X")
            cols = [X[c] for c in columns]
        else:
            arr = np.asarray(X, dtype=object)
            if arr.ndim != 2 or arr.shape[1] != len(columns):
                raise ValueError(f"X must have one column per feature of columns "
                                 f"({len(columns)}), got shape {arr.shape}")
            cols = [arr[:, k] for k in range(arr.shape[1])]
        n = len(cols[0])
        codes = np.zeros((n, len(self._cat_names)), dtype=np.int32)
        used = []
        entities = [c.known_entities for c in self._categories]
        # the network's numeric inputs: the numeric features, the categorical ones
        # read as numbers (numeric_values_), then the flags of missing values
        value_of = np.cumsum(getattr(self, "numeric_values_", np.zeros(0, bool))) - 1
        n_inputs = len(self._x_mean) if hasattr(self, "_x_mean") else 0

        # then each number's piecewise-linear inputs (numeric_bins)
        pieces, k = {}, n_inputs + len(getattr(self, "_x_flagged", []))
        k0 = k
        for c, edges in getattr(self, "_x_edges", []):
            pieces[c] = (k, edges)
            k += len(edges) - 1
        # every input the fit prepared (a network trained on numbers only reads
        # the first ones: numeric_bins="auto")
        xnum = np.zeros((n, k), dtype=np.float32)

        def put(c, values):
            xnum[:, c] = np.nan_to_num(squash_tails(
                (values - self._x_mean[c]) / self._x_scale[c], NUMERIC_TAIL))
            flags = np.flatnonzero(getattr(self, "_x_flagged", []) == c)
            if len(flags):
                xnum[:, n_inputs + flags[0]] = np.isnan(values)
            if c in pieces:
                first, edges = pieces[c]
                at = slice(first - k0, first - k0 + len(edges) - 1)
                xnum[:, first:first + len(edges) - 1] = (piecewise_linear(
                    values[:, None], [(0, edges)]) - self._piece_mean[at]) \
                    / self._piece_scale[at]

        for (kind, j), col in zip(kinds, cols, strict=True):
            if kind == "num":
                put(j, np.asarray(col, dtype=np.float64))
            else:
                codes[:, j], entities[j] = self._categories[j].encode(
                    col, "infrequent", self._cat_names[j])
                used.append(j)
                if representation == "hidden" and n_inputs and self.numeric_values_[j]:
                    put(len(numeric) + value_of[j], category_numbers(col, self._value_kind(j)))
        if representation == "hidden":
            with blas_threads(resolve_n_threads(self.n_jobs)):
                return self._net.hidden(codes, xnum,
                                        self._composition(entities)).astype(np.float32)
        return np.hstack([self._net.entity_vectors(j, entities[j])[codes[:, j]]
                          for j in used]).astype(np.float32)

    def _numeric_names(self):
        mask = getattr(self, "is_categorical_", None)
        if mask is None:
            return []
        return [self._feature_name(j) for j in np.flatnonzero(~mask)]

    def similar_entities(self, X_new, X_known, n=10, columns=None, ids=None,
                         representation="embeddings"):
        """The ``n`` known entities closest (cosine of :meth:`embed`) to each
        new one: similar products for a new product, stores like a new store.

        Parameters
        ----------
        X_new : DataFrame or array-like
            Attributes of the entities to match (possibly never seen).
        X_known : DataFrame or array-like
            Attributes of the known entities, one row each.
        n : int, default=10
            Neighbours per entity (clipped to the number of known entities).
        columns : list, optional
            As in :meth:`embed`.
        ids : array-like, optional
            Identifier of each row of ``X_known`` (default: its index for a
            DataFrame, the row number otherwise).
        representation : {"embeddings", "hidden"}, default="embeddings"
            As in :meth:`embed`.

        Returns
        -------
        neighbours : ndarray of shape (n_new, n)
            Ids of the known entities, most similar first.
        similarities : ndarray of float32, shape (n_new, n)
        """
        from ..topk import exact_top_k

        new = self.embed(X_new, columns, representation)
        known = self.embed(X_known, columns if columns is not None else (
            list(to_pandas(X_new).columns) if is_dataframe(to_pandas(X_new)) else None),
            representation)
        if ids is None:
            ids = (np.asarray(to_pandas(X_known).index) if is_dataframe(to_pandas(X_known))
                   else np.arange(len(known)))
        ids = np.asarray(ids)
        if len(ids) != len(known):
            raise ValueError(f"ids has {len(ids)} entries for {len(known)} known entities")
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        k = min(int(n), len(known))

        def unit(a):
            norms = np.linalg.norm(a, axis=1, keepdims=True)
            return np.divide(a, norms, out=np.zeros_like(a), where=norms > 0)

        idx, sims = exact_top_k(unit(new), unit(known), k)
        # float32 rounding may put a cosine just past +-1
        return ids[idx], np.clip(sims, -1.0, 1.0, out=sims)

    # -- similarity -----------------------------------------------------------------
    def most_similar(self, feature, category, topn=10):
        """Categories of ``feature`` nearest to ``category`` by cosine similarity.

        Parameters
        ----------
        feature : str or int
            Name (or position among the categorical features) of the feature.
        category : hashable
            A category of that feature (seen in training).
        topn : int, default=10
            Number of neighbours returned.

        Returns
        -------
        list of (category, similarity) tuples, most similar first.  The
        query itself and categories grouped as infrequent are left out.
        """
        check_is_fitted(self, "embeddings_")
        names = list(self._cat_names)
        j = self._feature_index(feature)
        topn = check_scalar(topn, "topn", numbers.Integral, min_val=1)
        cats = self._categories[j]
        pos = category_position(cats.categories, category)
        if pos is None:
            raise KeyError(f"category {category!r} not seen in training for feature "
                           f"{names[j]!r}")
        if cats.infrequent[pos]:
            raise ValueError(f"category {category!r} of {names[j]!r} is grouped as "
                             "infrequent: it shares its embedding with the other rare "
                             "categories")
        emb = self.embeddings_[j].astype(np.float64)
        norms = np.linalg.norm(emb, axis=1)
        norms[norms == 0] = 1.0
        scores = np.clip(emb @ emb[pos] / (norms * norms[pos]), -1.0, 1.0)
        candidates = np.flatnonzero(~cats.infrequent)
        candidates = candidates[candidates != pos]
        order = candidates[np.argsort(-scores[candidates], kind="stable")][:topn]
        return [(cats.categories[i], float(scores[i])) for i in order]
