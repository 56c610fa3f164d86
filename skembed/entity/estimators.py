"""EntityEmbeddingRegressor and EntityEmbeddingClassifier: the forecasting network."""


from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_consistent_length, check_is_fitted

from .._dask import dask_aware
from .._fitting import clear_fitted, unfitted_on_error
from .._frames import to_pandas
from .._threads import blas_threads, resolve_n_threads
from ._base import EntityEmbeddingBase
from ._docs import fill
from .categories import RARE_CATEGORY_ROWS
from .encoder import EntityEmbeddingEncoder
from .inputs import InputsMixin
from .pieces import NUMERIC_TAIL, number_scaling, piecewise_linear, quantile_edges, squash_tails

__all__ = ["EntityEmbeddingRegressor", "EntityEmbeddingClassifier"]

_PARAMETERS = ["categorical_features", "embedding_dims", "hidden_layer_sizes", "dropout",
               "batch_size", "learning_rate", "learning_rate_schedule", "max_iter",
               "early_stopping", "validation_fraction", "validation_split",
               "n_iter_no_change", "tol", "weight_decay", "embedding_dropout",
               "min_frequency", "substrings", "numeric_values", "numeric_bins",
               "crosses", "n_networks", "handle_unknown", "warm_start", "n_jobs", "random_state",
               "verbose"]
_ATTRIBUTES = ["is_categorical_", "n_outputs_", "categories_", "infrequent_categories_",
               "embeddings_", "embedding_dims_", "numeric_values_", "encoder_", "loss_curve_",
               "validation_loss_curve_", "best_validation_loss_", "n_iter_",
               "n_networks_", "numeric_bins_", "crosses_", "n_features_in_",
               "feature_names_in_"]

# n_networks="auto": AUTO_NETWORKS networks below AUTO_NETWORK_ROWS training
# rows, fewer above (about as many rows trained in all), one from
# AUTO_NETWORK_ROWS * AUTO_NETWORKS / 2 rows (docs/benchmarks.md)
AUTO_NETWORKS = 3
AUTO_NETWORK_ROWS = 100_000
# numeric_bins="auto": the network that may read numbers in pieces has one bin
# per AUTO_ROWS_PER_BIN training rows, within AUTO_BINS (docs/benchmarks.md)
AUTO_ROWS_PER_BIN = 1000
AUTO_BINS = (4, 64)


def auto_numeric_bins(n):
    """numeric_bins="auto": the bins of ``n`` training rows."""
    return int(np.clip(n // AUTO_ROWS_PER_BIN, *AUTO_BINS))


class _EntityEmbeddingPredictor(InputsMixin, EntityEmbeddingBase):
    """The network as a predictor: categorical and numeric features in."""

    _parameter_constraints = {
        **EntityEmbeddingBase._parameter_constraints,
        "categorical_features": [StrOptions({"auto"}), "array-like", None],
        "n_networks": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "numeric_bins": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "crosses": [StrOptions({"auto"}), "array-like", None],
    }
    # the training task: "regression" or "classification"
    _task = None
    # the runner-up kind of network joins the ensemble (TrainingMixin._train)
    _mixes_kinds = True
    # learning_rate="auto": Adam's step size for this task (docs/benchmarks.md:
    # 3e-3 instead of 1e-3 gained on six of eight regression tables, up to
    # 0.022 R², and cost most classification tables, credit fraud 0.006 AUC)
    _auto_learning_rate = None
    # numeric_values="auto": a feature's number goes in only where its categories
    # are too rare for their own rows to be learned (ZIP codes of a survey, most
    # seen once); where each has many rows its embedding already holds what the
    # number says, and the network fitted trends along arbitrary codes (store
    # numbers: Rossmann's MAPE 0.100 -> 0.109 on a tenth of the rows;
    # docs/benchmarks.md)
    _numbers_below_rows = RARE_CATEGORY_ROWS
    # an instant (a date with its time of day) names an event, whose rows share
    # what happened there (police use of force: 1,149 response times over 3,077
    # rows, one injury each; network alone 0.966 -> 0.979 with the usual widths
    # instead of DATE_MAX_DIM); a stacked booster split the encoder's wider
    # vectors of one-trip pickup times as noise (taxi tips 0.696 -> 0.683)
    _instants_keep_width = True

    def __init__(self, categorical_features="auto", embedding_dims="auto",
                 hidden_layer_sizes=(256, 128), dropout=0.0, batch_size=256,
                 learning_rate="auto", learning_rate_schedule="cosine", max_iter="auto",
                 early_stopping="auto", validation_fraction=0.1, validation_split="random",
                 n_iter_no_change="auto", tol=1e-4, weight_decay=0.5, embedding_dropout="auto",
                 min_frequency=None, substrings="auto", numeric_values="auto",
                 numeric_bins="auto", crosses="auto", n_networks="auto",
                 handle_unknown="infrequent",
                 warm_start=False, n_jobs=None, random_state=None, verbose=0):
        self.categorical_features = categorical_features
        self.embedding_dims = embedding_dims
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.weight_decay = weight_decay
        self.embedding_dropout = embedding_dropout
        self.min_frequency = min_frequency
        self.substrings = substrings
        self.numeric_values = numeric_values
        self.numeric_bins = numeric_bins
        self.crosses = crosses
        self.n_networks = n_networks
        self.handle_unknown = handle_unknown
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # -- networks ---------------------------------------------------------------
    def _n_networks(self, n, partial=False):
        if self.n_networks != "auto":
            return int(self.n_networks)
        if partial:  # data in chunks: large data, one network
            return 1
        return int(np.clip(AUTO_NETWORKS * AUTO_NETWORK_ROWS // max(n, 1), 1, AUTO_NETWORKS))

    def _same_networks(self, k):
        return self.n_networks == "auto" or k == int(self.n_networks)

    def _settle_bins(self):
        """The bins the networks read (``numeric_bins_``); where they read
        numbers only, the pieces are dropped, so that predict does not build
        them."""
        if max(n.n_numeric for n in self._networks()) > self._n_plain_inputs:
            return self._x_bins
        if self._x_edges:
            self._x_edges = []
            self._piece_mean = self._piece_scale = np.zeros(0)
        return 0

    def _input_widths(self, width, partial):
        # numeric_bins="auto": numbers only, or with their pieces too (chosen
        # by validation loss; numbers only when streaming chunks)
        plain = getattr(self, "_n_plain_inputs", width)
        if self.numeric_bins != "auto" or plain == width:
            return [width]
        return [plain] if partial else [plain, width]

    def _prepare(self, X, fit=False, warm=False, declared=False, target=None):
        X = to_pandas(X)
        columns, n = self._columns(X, reset=fit and not warm)
        if fit and not warm:
            self.is_categorical_ = self._categorical_mask(X, columns)
        cat_cols = [columns[j] for j in np.flatnonzero(self.is_categorical_)]
        if fit and not warm:
            self._cat_names = [self._feature_name(j) for j in np.flatnonzero(
                self.is_categorical_)]
            self._categories = self._fit_categories(cat_cols, n, declared, target)
            self.numeric_values_ = self._numeric_value_mask()
            cross_cols = self._fit_crosses(columns, n, target)
            # instants (dates with a time of day) also go in as their hour of
            # the day and day of the week, as the encoder gives them: a number
            # of days holds them only as its fraction and its remainder by 7
            # (stops searched by hour, tweets by the phone they were sent
            # from: docs/benchmarks.md)
            self._time_parts = self._instant_features()
        else:  # each row's cells (fit: built once, with the crosses)
            cross_cols = [c.column(columns) for c in getattr(self, "_crosses", ())]
        # numbers written as categories (numeric_values_) also go in as numbers,
        # then the instants' hours and weekdays
        # (and those of the numeric features of instants, last)
        xnum, dates = self._numeric(columns, n)
        xnum = np.hstack([xnum, self._category_numbers(cat_cols, n),
                          self._numeric_instant_parts(xnum, dates, fit=fit and not warm)])
        missing = np.isnan(xnum)
        if fit and not warm:
            self._x_mean, self._x_scale = number_scaling(xnum)
            # columns with missing values in training get an indicator input
            self._x_flagged = np.flatnonzero(missing.any(axis=0))
        if fit and not warm:  # the numeric features' (numeric_values' only as numbers;
            # dates too: a trend goes on past the last training day, where
            # pieces, constant beyond their last bin, would stop it)
            n_features = int((~self.is_categorical_).sum())
            bins = (auto_numeric_bins(n) if self.numeric_bins == "auto"
                    else self.numeric_bins)
            # the instants' hours and weekdays too: a day's cycle is no trend
            n_parts = int(self._time_parts.sum()) + len(self._numeric_time_parts)
            parts = np.arange(xnum.shape[1] - 2 * n_parts, xnum.shape[1])
            cols = np.concatenate([np.arange(n_features), parts]).astype(np.int64)
            self._x_edges = [(int(cols[c]), e) for c, e in quantile_edges(xnum[:, cols], bins)
                             if cols[c] not in dates]
            self._x_bins = bins
        pieces = piecewise_linear(xnum, getattr(self, "_x_edges", []))
        if fit and not warm:  # standardised as the other inputs
            self._piece_mean, self._piece_scale = number_scaling(pieces)
        if pieces.shape[1]:
            pieces = (pieces - self._piece_mean) / self._piece_scale
        xnum = squash_tails((xnum - self._x_mean) / self._x_scale, NUMERIC_TAIL)
        xnum[missing] = 0.0  # the training mean
        flagged = getattr(self, "_x_flagged", np.zeros(0, np.int64))
        xnum = np.hstack([xnum, missing[:, flagged], pieces]).astype(np.float32)
        if fit and not warm:
            self._n_plain_inputs = xnum.shape[1] - pieces.shape[1]
        codes, entities = self._encode(cat_cols + cross_cols, n, fresh=fit and not warm)
        return codes, entities, xnum, n

    @unfitted_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Finite target values, one column per output (regressor); class
            labels, at least two classes, or a 0/1 indicator matrix of labels
            (classifier).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        params = self._check_params()
        warm = params["warm_start"] and hasattr(self, "_net")
        if y is not None:
            check_consistent_length(X, y)
        rng = check_random_state(self.random_state)
        y_fit, n_outputs, task, stratify = self._fit_target(y, self._task, warm)
        codes, entities, xnum, n = self._prepare(X, fit=True, warm=warm,
                                                 target=(y_fit, task))
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, np.empty((n, 0)),
                                                 ensure_non_negative=True)
        self._train(params, codes, entities, xnum, y_fit, sample_weight, task, n_outputs,
                    rng, stratify)
        self.n_networks_ = len(self._networks())
        self.numeric_bins_ = self._settle_bins()
        self.encoder_ = EntityEmbeddingEncoder._from_fitted(self, task)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch of training on the rows given, continuing the network.

        For data that does not fit in memory (Parquet or Dask partitions,
        chunks of a CSV): call it on each chunk, for as many passes over the
        chunks as wanted.  The first call fixes what later calls build on:

        - the categories of each categorical column: the values of the first
          chunk, or, for a pandas ``category`` dtype, all of the dtype's
          categories (declare them up front, e.g. with
          ``dask.dataframe.DataFrame.categorize()`` or
          ``astype(pd.CategoricalDtype(all_values))``, so that a category first
          met in a later chunk has a row of its own); later unseen categories
          get the shared unknown row (``handle_unknown="error"`` raises);
        - the scaling of numeric columns and of the regression target;
        - the classes (``classes``, required on the first call of a
          classifier with 1-D labels, as for
          :class:`~sklearn.linear_model.SGDClassifier`).

        Each call is one epoch over its rows with the constant
        ``learning_rate`` (no schedule, no early stopping: ``max_iter``,
        ``learning_rate_schedule`` and ``early_stopping`` apply to ``fit``).
        Shuffle rows across chunks if they are ordered.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array-like, default=None
            All class labels (classifier, first call).

        Returns
        -------
        self
        """
        params = self._check_params()
        first = not hasattr(self, "_net")
        try:
            if y is not None:
                check_consistent_length(X, y)
            if first or not hasattr(self, "_partial_rng"):  # (partial_fit after fit too)
                self._partial_rng = check_random_state(self.random_state)
            if first:
                classes = self._check_partial_classes(y, classes)
            elif classes is not None and not np.array_equal(np.unique(classes),
                                                            self.classes_):
                raise ValueError(f"classes={list(classes)} differs from the first call's "
                                 f"{list(self.classes_)}")
            y_fit, n_outputs, task, _ = self._fit_target(
                y, self._task, warm=not first, classes=classes)
            codes, entities, xnum, n = self._prepare(X, fit=first, declared=True)
            if sample_weight is not None:
                sample_weight = _check_sample_weight(sample_weight, np.empty((n, 0)),
                                                     ensure_non_negative=True)
            self._train(params, codes, entities, xnum, y_fit, sample_weight, task, n_outputs,
                        self._partial_rng, partial=True)
        except BaseException:
            if first:  # a failed first call leaves the estimator unfitted
                clear_fitted(self)
            raise
        self.n_networks_ = len(self._networks())
        self.numeric_bins_ = self._settle_bins()
        self.encoder_ = EntityEmbeddingEncoder._from_fitted(self, task)
        return self

    def _check_partial_classes(self, y, classes):
        return None

    def _raw(self, X):
        check_is_fitted(self, "_net")
        codes, entities, xnum, _ = self._prepare(X)
        comp = self._composition(entities)
        with blas_threads(resolve_n_threads(self.n_jobs)):
            nets = self._networks()
            weights = getattr(self, "_net_weights", None)
            if weights is None:  # an ensemble: the mean output (probabilities)
                weights = np.full(len(nets), 1.0 / len(nets))
            out = weights[0] * nets[0].predict_raw(codes, xnum, comp)
            for wt, net in zip(weights[1:], nets[1:], strict=True):
                out += wt * net.predict_raw(codes, xnum, comp)
            return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True  # a missing category; a flagged missing number
        tags.non_deterministic = self.random_state is None
        return tags


@dask_aware
class EntityEmbeddingRegressor(RegressorMixin, _EntityEmbeddingPredictor):
    """Regression network with entity embeddings of the categorical features.

    Guo & Berkhahn (2016): one learned vector per category of each
    categorical feature (store, weekday, state, ...), concatenated with the
    standardised numeric features (tails beyond 3 standard deviations
    compressed logarithmically) and fed to dense ReLU layers with a linear
    output, trained with minibatch Adam on the squared error of the
    standardised target.  Embedding lookups, their gradient scatter-adds and
    the (lazy) Adam updates of the touched rows run in Numba kernels.
    Predictions stay within the range of the training targets, as a tree
    ensemble's do: beyond the rows it saw, the network would extrapolate
    linearly.  For sales-type targets wrap it in
    :class:`~sklearn.compose.TransformedTargetRegressor` with ``np.log``.

    Parameters
    ----------
{parameters}

    Attributes
    ----------
{attributes}

    See Also
    --------
    EntityEmbeddingClassifier : the same network for classification.
    EntityEmbeddingEncoder : the embeddings as a transformer.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skembed import EntityEmbeddingRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"shop": rng.choice(list("abcdef"), 300),
    ...                   "promo": rng.randint(0, 2, 300)})
    >>> y = X["shop"].map(dict(a=1, b=1, c=1, d=5, e=5, f=5)) + X["promo"]
    >>> reg = EntityEmbeddingRegressor(hidden_layer_sizes=(16,), batch_size=32,
    ...                                learning_rate=1e-2, max_iter=40,
    ...                                random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.9
    True
    >>> reg.most_similar("shop", "a", topn=2)[0][0] in {"b", "c"}
    True
    """

    __doc__ = fill(__doc__, _PARAMETERS, _ATTRIBUTES)
    _task = "regression"
    _auto_learning_rate = 3e-3

    def predict(self, X):
        """Predicted target of each row of X.

        Returns
        -------
        ndarray of shape (n_samples,), or (n_samples, n_outputs) for a model
        fitted on a 2-D ``y``
        """
        raw = self._raw(X) * self._y_scale + self._y_mean
        # within the training targets' range, as a tree ensemble's predictions
        # are: beyond the rows it saw a ReLU network extrapolates linearly, and
        # a few outlying rows (Ames' partial sales of huge houses) got twice the
        # dearest price (docs/benchmarks.md); models pickled before it lack it
        bounds = getattr(self, "_y_range", None)
        if bounds is not None:
            raw = np.clip(raw, bounds[0], bounds[1])
        return raw[:, 0] if np.ndim(self._y_mean) == 0 else raw

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


@dask_aware
class EntityEmbeddingClassifier(ClassifierMixin, _EntityEmbeddingPredictor):
    """Classification network with entity embeddings of the categorical features.

    The network of :class:`EntityEmbeddingRegressor` with a sigmoid (two
    classes, logistic loss) or softmax (more classes, cross-entropy) output.

    Parameters
    ----------
{parameters}

    Attributes
    ----------
{attributes}

    See Also
    --------
    EntityEmbeddingRegressor : the same network for regression.
    EntityEmbeddingEncoder : the embeddings as a transformer.

    Examples
    --------
    >>> import numpy as np
    >>> from skembed import EntityEmbeddingClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.choice(["red", "green", "blue", "grey"], size=(300, 1))
    >>> y = np.isin(X[:, 0], ["red", "green"]).astype(int)
    >>> clf = EntityEmbeddingClassifier(hidden_layer_sizes=(8,), batch_size=32,
    ...                                 max_iter=30, random_state=0).fit(X, y)
    >>> clf.predict([["red"], ["grey"]])
    array([1, 0])
    >>> clf.predict_proba([["blue"]]).shape
    (1, 2)
    """

    __doc__ = fill(__doc__, _PARAMETERS, ["classes_", *_ATTRIBUTES])
    _task = "classification"
    _auto_learning_rate = 1e-3

    def _check_partial_classes(self, y, classes):
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:  # label indicator: its columns
            return None
        if classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit "
                             "(all class labels, as for SGDClassifier)")
        classes = np.unique(np.asarray(classes))
        if len(classes) < 2:
            raise ValueError(f"classes must hold at least 2 labels, got {classes.tolist()}")
        return classes

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns as
        ``classes_``; for a multilabel fit, the probability of each label,
        shape (n_samples, n_labels)."""
        p = self._raw(X)
        if self._net.task == "binary":
            return np.column_stack([1.0 - p[:, 0], p[:, 0]])
        return p

    def predict(self, X):
        """Most probable class of each row of X (for a multilabel fit, a 0/1
        indicator matrix: each label with probability above 0.5)."""
        proba = self.predict_proba(X)
        if self._net.task == "multilabel":
            return (proba > 0.5).astype(np.int64)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        return tags
