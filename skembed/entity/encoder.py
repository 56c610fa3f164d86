"""EntityEmbeddingEncoder: categorical columns -> learned entity embeddings."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
)

from .._dask import dask_aware
from .._fitting import unfitted_on_error
from ._base import EntityEmbeddingBase
from ._docs import ENCODER_PARAMETERS, fill
from .categories import RARE_CATEGORY_ROWS
from .crossfit import newton_embeddings
from .kernels import entity_scratch, gather
from .order import order_predicts
from .pieces import number_scaling
from .targets import category_target_sums, normalised_weights, resolve_task
from .values import category_numbers

__all__ = ["EntityEmbeddingEncoder"]


@dask_aware
class EntityEmbeddingEncoder(TransformerMixin, EntityEmbeddingBase):
    """Encode categorical features by embeddings learned against a target.

    Entity embeddings (Guo & Berkhahn 2016): one table of vectors per
    categorical feature, trained jointly with a small dense ReLU network that
    predicts ``y`` from the concatenated vectors.  :meth:`transform` then
    replaces every column by the vector of its category, so that any model
    (KNN, gradient boosting, linear) can follow, in the role of
    :class:`~sklearn.preprocessing.OneHotEncoder` or
    :class:`~sklearn.preprocessing.TargetEncoder`.  Every input column is
    treated as categorical (integers too: codes); a column of numbers (ZIP
    codes, integers) also keeps its magnitude as one more output column
    (``numeric_values``).

    Categories can be any hashable values; a pandas ``category`` dtype keeps
    its order.  Missing values (None, NaN) form their own category.  Each
    table has one extra row shared by the infrequent categories
    (``min_frequency``) and used for categories unseen in training (an unseen
    number, date or month whose column's embeddings follow its order takes
    the nearest known one's instead, ``handle_unknown``).  When no category
    is infrequent, that row is set to the frequency-weighted mean of the
    learned rows.

    Parameters
    ----------
{parameters}

    Attributes
    ----------
{attributes}

    See Also
    --------
    EntityEmbeddingRegressor : the network as a predictor, numeric features too.
    sklearn.preprocessing.TargetEncoder : one number per category.

    Examples
    --------
    >>> import numpy as np
    >>> from skembed import EntityEmbeddingEncoder
    >>> rng = np.random.RandomState(0)
    >>> X = rng.choice(["a", "b", "c", "d"], size=(200, 1))
    >>> y = (X[:, 0] == "a") * 2.0 + rng.normal(0, 0.1, 200)
    >>> enc = EntityEmbeddingEncoder(embedding_dims=2, hidden_layer_sizes=(8,),
    ...                              random_state=0).fit(X, y)
    >>> enc.transform(X).shape
    (200, 2)
    >>> enc.get_feature_names_out()
    array(['x0_emb0', 'x0_emb1'], dtype=object)
    >>> enc.most_similar("x0", "b", topn=2)[0][0] in {"c", "d"}
    True
    """

    __doc__ = fill(__doc__, ["embedding_dims", "hidden_layer_sizes", "dropout", "task",
                             "batch_size", "learning_rate", "learning_rate_schedule",
                             "max_iter", "early_stopping", "validation_fraction",
                             "validation_split", "n_iter_no_change", "tol", "weight_decay",
                             "embedding_dropout", "min_frequency",
                             "substrings", "numeric_values", "handle_unknown", "cv",
                             "smoothing", "warm_start",
                             "n_jobs", "random_state", "verbose"],
                   ["categories_", "infrequent_categories_", "embeddings_", "embedding_dims_",
                    "numeric_values_", "task_", "classes_", "smoothing_", "loss_curve_",
                    "validation_loss_curve_", "best_validation_loss_", "n_iter_",
                    "n_features_in_", "feature_names_in_"], ENCODER_PARAMETERS)

    _parameter_constraints = {
        **EntityEmbeddingBase._parameter_constraints,
        "task": [StrOptions({"auto", "regression", "binary", "multiclass", "multilabel"})],
        "cv": [Interval(Integral, 2, None, closed="left"), "cv_object", None],
        "smoothing": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
    }

    # a quick network: its embeddings, not its predictions, are the product
    # 300 steps and at least 3 epochs scored as 500 and 5 on nine tables, in
    # 10-25 % less time (docs/benchmarks.md)
    _auto_steps = 300
    _auto_epochs = (3, 50)
    _auto_max_dim = 4
    # a stacked model met no shared row on a training row: unseen values of
    # ordered columns take the nearest known one's embedding (handle_unknown)
    _unseen_by_value = True

    def _max_auto_dim(self, n_outputs):
        # one output (regression, binary) moves along one direction of each
        # feature's embedding: a fourth column added nothing before gradient
        # boosting on six tables and cost it time; classes use all four
        return self._auto_max_dim if n_outputs > 1 else self._auto_max_dim - 1

    def __init__(self, embedding_dims="auto", hidden_layer_sizes=(64,), dropout=0.0,
                 task="auto", batch_size=256, learning_rate=1e-2,
                 learning_rate_schedule="cosine", max_iter="auto", early_stopping="auto",
                 validation_fraction=0.1, validation_split="random",
                 n_iter_no_change=3, tol=1e-4, weight_decay=1.0, embedding_dropout="auto",
                 min_frequency=None, substrings="auto", numeric_values="auto",
                 handle_unknown="infrequent", cv=5, smoothing="auto", warm_start=False,
                 n_jobs=None, random_state=None, verbose=0):
        self.embedding_dims = embedding_dims
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.task = task
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
        self.handle_unknown = handle_unknown
        self.cv = cv
        self.smoothing = smoothing
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @unfitted_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Learn the categories and train their embeddings against ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Categorical features.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target: continuous (one column per output), binary, multiclass,
            or a 0/1 indicator matrix of labels (multilabel).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        self._fit(X, y, sample_weight)
        return self

    def _fit(self, X, y, sample_weight):
        params = self._check_params()
        warm = params["warm_start"] and hasattr(self, "_net")
        columns, n = self._columns(X, reset=not warm)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the "
                             "target y is None")
        check_consistent_length(columns[0], y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, np.empty((n, 0)),
                                                 ensure_non_negative=True)
        rng = check_random_state(self.random_state)
        y_fit, n_outputs, task, stratify = self._fit_target(y, self._resolve_task(y), warm)
        if not warm:
            self._cat_names = [self._feature_name(j) for j in range(len(columns))]
            self._categories = self._fit_categories(columns, n,
                                                    target=(y_fit, task))
            self.numeric_values_ = self._numeric_value_mask()
        codes, entities = self._encode(columns, n, fresh=not warm)
        if not warm and isinstance(self.numeric_values, str):
            self.numeric_values_ &= self._order_predicts(codes, y_fit, task)
        if not warm:
            # instants (dates with a time of day) also give their hour and
            # weekday: a stacked tree cannot split a timestamp by the time of
            # day (stops searched by hour, tweets by the phone they were sent
            # from: docs/benchmarks.md); skrub's DatetimeEncoder gives them too
            self._time_parts = self._instant_features()
        numbers = self._category_numbers(columns, n)  # read once per fit
        if not warm:
            self._number_mean, self._number_scale = number_scaling(numbers)
        self.task_ = task
        xnum = np.zeros((n, 0), np.float32)
        self._train(params, codes, entities, xnum, y_fit, sample_weight, task, n_outputs,
                    rng, stratify)
        self._entity_tables = None
        if self.cv is None:
            return None
        w = normalised_weights(sample_weight, n)
        comp = self._composition(entities)
        fold = self._folds(y, codes, rng)
        oof, tables, self.smoothing_, self._rotations = newton_embeddings(
            self._net, self._categories, codes, comp, xnum, y_fit, w, fold,
            int(fold.max()) + 1, self.smoothing, n_threads=self._training_threads())
        self._entity_tables = [t.astype(self._net.dtype) for t in tables]
        self.embeddings_ = [t[1:].copy() for t in self._entity_tables]
        return self._with_numbers(oof.astype(self._net.dtype), numbers)

    def _order_predicts(self, codes, y_fit, task):
        """Which columns' values predict the target of held-out categories
        (:mod:`.order`): ``numeric_values="auto"`` keeps the others' value
        columns out (a timestamp within one month says nothing of a tip)
        where the categories are rare.  Where each has many rows the value
        also names the category in one column, as an ordinal code, which a
        tree splits to single it out (Rossmann's store numbers: 0.001 R²)."""
        out = np.ones(len(self._categories), dtype=bool)
        for j in np.flatnonzero(self.numeric_values_):
            cats = self._categories[j]
            m = len(cats.categories) - cats.has_missing
            if cats.counts[:m].sum() >= RARE_CATEGORY_ROWS * m:
                continue
            values = category_numbers(pd.Series(cats.categories[:m]), self._value_kind(j))
            present = (codes[:, j] >= 1) & (codes[:, j] <= m)
            sums = category_target_sums(np.asarray(y_fit)[present], task,
                                        codes[present, j] - 1, m)
            out[j] = order_predicts(values, cats.counts[:m], sums)
        return out

    def _folds(self, y, codes, rng):
        """Fold of each row for cross-fitting (``cv``)."""
        from sklearn.model_selection import check_cv

        classification = self.task_ in ("binary", "multiclass")
        cv = self.cv
        if isinstance(cv, Integral):
            from sklearn.model_selection import KFold, StratifiedKFold

            n_splits, splitter = cv, KFold
            if classification:
                least = int(np.bincount(
                    np.unique(np.asarray(y), return_inverse=True)[1].ravel()).min())
                if least >= 2:  # stratify when every class can be in two folds
                    n_splits, splitter = min(cv, least), StratifiedKFold
            cv = splitter(n_splits=n_splits, shuffle=True,
                          random_state=rng.randint(np.iinfo(np.int32).max))
        cv = check_cv(cv, y, classifier=classification)
        n_splits = cv.get_n_splits(codes, np.asarray(y))
        if n_splits > codes.shape[0]:
            raise ValueError(
                f"{type(self).__name__} cross-fits its embeddings over cv={self.cv!r} "
                f"({n_splits} folds) but X has only {codes.shape[0]} "
                f"sample{'s' if codes.shape[0] != 1 else ''}: give at least {n_splits}, "
                "a smaller cv, or cv=None (in-sample embeddings)")
        fold = np.full(codes.shape[0], -1, dtype=np.int64)
        for k, (_, test) in enumerate(cv.split(codes, np.asarray(y))):
            fold[test] = k
        if (fold < 0).any():
            raise ValueError("cv must assign every row to one test fold")
        return fold

    @classmethod
    def _from_fitted(cls, model, task):
        """The encoder of a fitted regressor or classifier: same categories,
        a copy of its network (its embeddings are the model's at this fit;
        a later warm-started fit of the model does not change it)."""
        enc = cls(**{name: getattr(model, name) for name in cls._parameter_constraints
                     if name not in ("task", "cv", "learning_rate") and hasattr(model, name)},
                  learning_rate=model._learning_rate(),  # "auto" resolved
                  task=task, cv=None)  # the model's jointly trained embeddings
        # the features of the model's input (its crosses, made from its
        # columns, are not the encoder's)
        m = len(model._cat_names) - len(getattr(model, "_crosses", ()))
        enc.n_features_in_ = m
        if hasattr(model, "feature_names_in_"):
            enc.feature_names_in_ = np.asarray(model._cat_names[:m], dtype=object)
        enc._cat_names = list(model._cat_names[:m])
        enc._categories = model._categories[:m]
        for name in ("_read_kinds", "_value_kinds"):  # how each column's values read
            if hasattr(model, name):
                setattr(enc, name, list(getattr(model, name)[:m]))
        enc._net = model._net.first_tables(m)  # a snapshot: warm starts leave it
        enc.task_ = task
        # the model's scaling of the numbers it takes (after its numeric features)
        first = int((~model.is_categorical_).sum()) if hasattr(model, "is_categorical_") else 0
        # (the values of numeric_values_, then the hour and weekday of instants)
        enc._time_parts = getattr(model, "_time_parts", np.zeros(m, bool))[:m]
        k = int(np.sum(getattr(model, "numeric_values_", 0))) + 2 * int(enc._time_parts.sum())
        enc._number_mean = getattr(model, "_x_mean", np.zeros(0))[first:first + k]
        enc._number_scale = getattr(model, "_x_scale", np.ones(0))[first:first + k]
        for name in ("categories_", "infrequent_categories_", "embeddings_",
                     "embedding_dims_", "numeric_values_", "loss_curve_",
                     "validation_loss_curve_", "best_validation_loss_", "n_iter_", "classes_"):
            if hasattr(model, name):
                value = getattr(model, name)
                setattr(enc, name, value[:m] if name in (
                    "categories_", "infrequent_categories_", "embeddings_",
                    "embedding_dims_", "numeric_values_") else value)
        return enc

    @unfitted_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y, sample_weight=None):
        """Fit on all of ``X`` and return **out-of-fold** embeddings of ``X``.

        With ``cv`` set (the default), each row is encoded by embeddings that
        never saw it, as :class:`~sklearn.preprocessing.TargetEncoder`
        cross-fits its means.  One network is trained on all rows; then, with
        its dense layers kept fixed, each category's embedding is re-fitted
        without the rows of each fold by one Newton step on the network's loss
        (the sums it needs are gathered in one pass over the rows; leaving a
        fold out is a subtraction), shrunk toward the category's prior (the
        shared row plus its substrings) by ``smoothing``.  A fold's rows get
        the embeddings fitted without them; :meth:`transform` uses the step
        taken with every fold.  All of them live in the coordinates of the one
        network, so the training rows of a stacked model and its new rows are
        encoded alike.  A category seen only in one fold gets its prior there,
        as a target encoding gets the global mean.  A category with at least
        30 training rows, each weighing at most 1 % of its embedding (rows
        plus ``smoothing`` at least 100), encodes them all by its full-data
        embedding: its out-of-fold vectors would differ by fold, opposite to
        each fold's targets, a pattern a stacked tree learns and new rows do
        not have.  ``fit(X, y).transform(X)``
        therefore differs from ``fit_transform(X, y)``.  ``cv=None`` returns
        ``fit(X, y).transform(X)`` with the jointly trained embeddings.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        ndarray of shape (n_samples, ``len(get_feature_names_out())``)
        """
        out = self._fit(X, y, sample_weight)
        if out is None:
            return self.transform(X)
        return out

    def _resolve_task(self, y):
        if self.task != "auto":
            return self.task
        return resolve_task(y)

    def transform(self, X):
        """Replace every column by the embedding of its category.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, ``len(get_feature_names_out())``)
            One block of ``embedding_dims_[j]`` columns per feature, then the
            features of ``numeric_values_`` as numbers, then the hour and
            weekday of each feature of instants (``numeric_values``).
        """
        check_is_fitted(self, "embeddings_")
        columns, n = self._columns(X, reset=False)
        codes, entities = self._encode(columns, n)
        net = self._net
        tables = getattr(self, "_entity_tables", None)
        if tables is None:
            x = np.empty((n, net.emb_width), dtype=net.dtype)
            comp = self._composition(entities)
            gather(net.table, net.layout, comp, codes, x, entity_scratch(comp))
        else:
            x = np.empty((n, net.emb_width), dtype=net.dtype)
            for j, table in enumerate(tables):
                vec = table
                if len(entities[j][0]) - 1 > len(table):  # unseen values: their prior
                    extra = net.entity_vectors(j, entities[j])[len(table):]
                    extra = extra @ self._rotations[j].T
                    vec = np.vstack([table, extra.astype(table.dtype)])
                col = int(net.col_offset[j])
                x[:, col:col + int(net.dims[j])] = vec[codes[:, j]]
        return self._with_numbers(x, self._category_numbers(columns, n))

    def _with_numbers(self, x, numbers):
        """The embeddings, then ``numbers`` (the columns of ``numeric_values_``
        read as numbers) standardised by the training mean and standard
        deviation (trees do not care; distances and linear models need the
        scale of the embeddings)."""
        if not numbers.shape[1]:
            return x
        values = (numbers - self._number_mean) / self._number_scale
        return np.hstack([x, values.astype(x.dtype)])

    def get_feature_names_out(self, input_features=None):
        """``<feature>_emb<k>`` for each embedding column, then ``<feature>_value``
        for each feature of ``numeric_values_``, then ``<feature>_hour`` and
        ``<feature>_weekday`` for each feature of instants."""
        check_is_fitted(self, "embeddings_")
        names = _check_feature_names_in(self, input_features)
        dims = self.embedding_dims_
        values = [f"{name}_value" for name, flag in zip(names, self.numeric_values_,
                                                         strict=True) if flag]
        parts = getattr(self, "_time_parts", np.zeros(len(names), bool))
        values += [f"{name}_{part}" for name, flag in zip(names, parts, strict=True) if flag
                   for part in ("hour", "weekday")]
        return np.asarray([f"{name}_emb{k}" for name, d in zip(names, dims, strict=True)
                           for k in range(d)] + values, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = []  # always float32 embeddings
        tags.non_deterministic = self.random_state is None
        return tags


