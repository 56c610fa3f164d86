"""The entity estimators' common base: parameters, input columns, categories, targets
and embedding widths; training (:mod:`.training`) and queries (:mod:`.queries`) are
its mixins."""

import numbers
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import validate_data

from .._frames import is_dataframe, to_pandas
from .._threads import resolve_n_threads
from .._validation import check_int_sequence, check_min_frequency
from .categories import RARE_CATEGORY_ROWS, SUBSTRING_MIN_CATEGORIES, ColumnCategories
from .network import auto_embedding_dim, compose
from .queries import QueriesMixin
from .targets import (
    check_regression_target,
    encode_classes,
    target_scaling,
)
from .training import TrainingMixin
from .values import category_numbers, distinct_kind, has_time_of_day, hour_and_weekday


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


# The rule behind embedding_dims="auto", chosen on Rossmann (docs/benchmarks.md).
AUTO_DIM_RULE = "fastai"
# embedding_dims="auto" of a date: its number (numeric_values) carries its place
# in time; its own vector holds only what a day adds to that, and fastai's rule
# gave 2,264 hire dates of about 4 rows each 118 columns (employee salaries'
# network alone 0.931 -> 0.938 with 2; docs/benchmarks.md); not instants in the
# predictors (_instants_keep_width)
DATE_MAX_DIM = 2

# embedding_dims="auto" of a feature without n-grams: each category's vector is
# learned from its own rows alone, so it is no wider than the rows a category
# has on average (at least this): fastai's rule gave credit fraud's 4,676 goods
# codes of 20 rows each 182 columns (network alone 0.8125 -> 0.8149 with 19)
ROWS_CAP_MIN_DIM = 16


def _has_times(cats):
    """Whether some known category of a feature of dates has a time of day."""
    m = len(cats.categories) - cats.has_missing
    return has_time_of_day(category_numbers(pd.Series(cats.categories[:m], dtype=object),
                                            "date"))


class EntityEmbeddingBase(TrainingMixin, QueriesMixin, BaseEstimator):
    """Parameters, input handling and training common to all entity estimators."""

    # max_iter="auto": epochs for about this many minibatch steps, within
    # (min, max) epochs (docs/benchmarks.md, "Entity embeddings on public tables")
    _auto_steps = 10_000
    _auto_epochs = (10, 100)
    # embedding_dims="auto": fastai's rule, capped (the encoder's output feeds
    # another model, for which a few columns per feature serve best)
    _auto_max_dim = None
    # embedding_dims="auto" of a feature of instants (dates with times of day):
    # the usual widths, not DATE_MAX_DIM (the predictors; see DATE_MAX_DIM)
    _instants_keep_width = False

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
        "n_iter_no_change": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
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
        p = {"batch_size": int(self.batch_size)}
        p["n_iter_no_change"] = (self.n_iter_no_change if isinstance(self.n_iter_no_change, str)
                                 else int(self.n_iter_no_change))
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
                if self._value_kind(j) == "date" and not (
                        self._instants_keep_width and _has_times(cats)):
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
            # True: every feature whose values read as dates or of which some
            # value reads as a number; a column of words would go out as NaN only (a model
            # stacked on it, HistGradientBoosting, cannot bin a column of NaN)
            return np.array([bool(spec) and (kind is not None or self._some_value_reads(c))
                             for kind, c in zip(kinds, self._categories, strict=True)],
                            dtype=bool)
        # a date always goes in as its number: an embedding of each day cannot
        # reach the days after the training ones (the rule of rows per category
        # is for codes, whose numbers may order nothing)
        below = self._numbers_below_rows
        return np.array([kind == "date" or (kind is not None and (
            below is None or c.counts.sum() < below * max(len(c.counts), 1)))
            for kind, c in zip(kinds, self._categories, strict=True)], dtype=bool)

    @staticmethod
    def _some_value_reads(cats):
        """Whether any known category reads as a number."""
        m = len(cats.categories) - cats.has_missing
        return bool(np.isfinite(category_numbers(pd.Series(cats.categories[:m], dtype=object),
                                                 "number")).any())

    def _value_kind(self, j):
        # estimators fitted before dates were read (their features: numbers)
        kinds = getattr(self, "_value_kinds", None)
        return "number" if kinds is None else kinds[j]

    def _instant_features(self):
        """Which features are instants: dates with a time of day."""
        return np.array([self._value_kind(j) == "date" and _has_times(cats)
                         for j, cats in enumerate(self._categories)], dtype=bool)

    def _category_numbers(self, columns, n):
        """The flagged columns (``numeric_values_``) read as numbers (dates as
        days since 1970), then, for each feature of instants given its parts
        (``_time_parts``), its hour of the day and day of the week: (n, k)."""
        flagged = np.flatnonzero(self.numeric_values_)
        parts = np.flatnonzero(getattr(self, "_time_parts", np.zeros(0, bool)))
        out = np.empty((n, len(flagged) + 2 * len(parts)), dtype=np.float64)
        read = {}
        for k, j in enumerate(flagged):
            out[:, k] = read[j] = category_numbers(columns[j], self._value_kind(j))
        for k, j in enumerate(parts):
            days = read[j] if j in read else category_numbers(columns[j], "date")
            at = len(flagged) + 2 * k
            out[:, at], out[:, at + 1] = hour_and_weekday(days)
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
