"""EntityEmbeddingRegressor and EntityEmbeddingClassifier: the forecasting network."""


import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_array, check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_consistent_length, check_is_fitted

from ._base import EntityEmbeddingBase, _is_dataframe
from .encoder import EntityEmbeddingEncoder, _scaling
from .targets import check_regression_target

__all__ = ["EntityEmbeddingRegressor", "EntityEmbeddingClassifier"]

_COMMON_PARAMS = """
    categorical_features : "auto", None, or array-like of str, int or bool, default="auto"
        Columns to embed.  ``"auto"``: columns of a DataFrame with object,
        string or ``category`` dtype, or every column of an object/string
        array; ``None``: none.  Otherwise names, positions or a boolean mask
        (as :class:`~sklearn.ensemble.HistGradientBoostingRegressor`).
        Integer columns listed here are treated as categories, not
        magnitudes.  All other columns must be numeric (finite); they are
        standardised and concatenated with the embeddings.
    embedding_dims : "auto", int or dict, default="auto"
        Width of each categorical feature's embedding.  ``"auto"`` uses
        fastai's ``min(600, round(1.6 * n_categories ** 0.56))`` (better than
        ``min(50, ceil(n_categories / 2))`` on Rossmann, see the benchmarks);
        a dict maps feature names (or positions among the categorical
        features) to widths, other features use ``"auto"``.
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Dense ReLU layers.
    dropout : float, default=0.0
        Dropout rate after each hidden layer during training.
    batch_size : int, default=256
        Minibatch size; the data are reshuffled every epoch.
    learning_rate : float, default=1e-3
        Adam step size.
    max_iter : int, default=10
        Number of epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop once its loss has
        not improved by ``tol`` for ``n_iter_no_change`` epochs and keep the
        best weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=3
    tol : float, default=1e-4
    min_frequency : int, float or None, default=None
        Categories seen fewer times (a float is a fraction of the samples)
        share one embedding row with unseen categories.
    handle_unknown : {"infrequent", "error"}, default="infrequent"
        Categories unseen in training (a new store) get the shared row, so
        the prediction rests on the other features; or raise a ``ValueError``.
        When no category is infrequent, the shared row is the
        frequency-weighted mean of the learned rows.
    warm_start : bool, default=False
        Continue training the previous network (same categories, scaling and
        architecture) instead of starting anew.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and the validation split;
        an int makes fits reproducible.
    verbose : int, default=0
        Per-epoch progress (a tqdm bar when tqdm is installed).
"""

_COMMON_ATTRS = """
    is_categorical_ : ndarray of bool of shape (``n_features_in_``,)
        Which input columns are embedded.
    categories_ : list of ndarray
        Categories of each categorical feature (missing last, as NaN).
    infrequent_categories_ : list of ndarray or None
    embeddings_ : list of ndarray of shape (n_categories, dim)
        Vector of each category, rows aligned with ``categories_``.
    embedding_dims_ : list of int
    encoder_ : EntityEmbeddingEncoder
        Fitted encoder of the categorical columns sharing the learned
        embeddings, to reuse them in other models.
    loss_curve_ : list of float
        Mean training loss per epoch.
    validation_loss_curve_ : list of float
        Validation loss per epoch (``early_stopping=True``).
    best_validation_loss_ : float or None
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.
"""


class _EntityEmbeddingPredictor(EntityEmbeddingBase):
    def __init__(self, categorical_features="auto", embedding_dims="auto",
                 hidden_layer_sizes=(256, 128), dropout=0.0, batch_size=256,
                 learning_rate=1e-3, max_iter=10, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=3, tol=1e-4,
                 min_frequency=None, handle_unknown="infrequent", warm_start=False,
                 random_state=None, verbose=0):
        self.categorical_features = categorical_features
        self.embedding_dims = embedding_dims
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.min_frequency = min_frequency
        self.handle_unknown = handle_unknown
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # -- input ------------------------------------------------------------------
    def _categorical_mask(self, X, columns):
        spec = self.categorical_features
        p = len(columns)
        if spec is None:
            return np.zeros(p, dtype=bool)
        if isinstance(spec, str):
            if spec != "auto":
                raise ValueError("categorical_features must be 'auto', None or an "
                                 f"array-like of names, indices or booleans, got {spec!r}")
            if _is_dataframe(X):
                return np.array([_is_categorical_dtype(c.dtype) for c in columns], bool)
            return np.full(p, columns[0].dtype.kind in "OUS" if p else False)
        spec = np.asarray(spec)
        if spec.ndim != 1:
            raise ValueError("categorical_features must be 1-D")
        if spec.dtype.kind == "b":
            if len(spec) != p:
                raise ValueError(f"categorical_features mask has {len(spec)} entries, X has "
                                 f"{p} features")
            return spec.copy()
        mask = np.zeros(p, dtype=bool)
        if spec.size == 0:
            return mask
        if spec.dtype.kind in "iu":
            if spec.min() < -p or spec.max() >= p:
                raise ValueError(f"categorical_features index out of range for {p} "
                                 f"features: {spec.tolist()}")
            mask[spec] = True
            return mask
        if spec.dtype.kind in "OU":
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError("categorical_features names need X with string column "
                                 "names (a DataFrame); pass indices or a mask instead")
            names = list(names)
            missing = [s for s in spec if s not in names]
            if missing:
                raise ValueError(f"categorical_features {missing} are not columns of X")
            mask[[names.index(s) for s in spec]] = True
            return mask
        raise ValueError("categorical_features must contain names, ints or booleans, "
                         f"got dtype {spec.dtype}")

    def _numeric(self, columns, n):
        cols = [columns[j] for j in np.flatnonzero(~self.is_categorical_)]
        xnum = np.empty((n, len(cols)), dtype=np.float64)
        for k, col in enumerate(cols):
            j = np.flatnonzero(~self.is_categorical_)[k]
            try:
                if hasattr(col, "to_numpy"):
                    xnum[:, k] = col.to_numpy(dtype=np.float64, na_value=np.nan)
                else:
                    xnum[:, k] = np.asarray(col, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(
                    f"column {self._feature_name(j)} is not numeric; list it in "
                    "categorical_features to embed it") from None
        return check_array(xnum, dtype=np.float64, input_name="X",
                           ensure_min_features=0)

    def _prepare(self, X, fit=False, warm=False):
        columns, n = self._columns(X, reset=fit and not warm)
        if fit and not warm:
            self.is_categorical_ = self._categorical_mask(X, columns)
        cat_cols = [columns[j] for j in np.flatnonzero(self.is_categorical_)]
        xnum = self._numeric(columns, n)
        if fit and not warm:
            self._x_mean = xnum.mean(axis=0)
            std = xnum.std(axis=0)
            self._x_scale = np.where(std > 0, std, 1.0)
            self._cat_names = [self._feature_name(j) for j in np.flatnonzero(
                self.is_categorical_)]
            self._categories = self._fit_categories(cat_cols, n)
        xnum = ((xnum - self._x_mean) / self._x_scale).astype(np.float32)
        codes = self._encode(cat_cols, n)
        return codes, xnum, n

    def _fit(self, X, y, sample_weight):
        params = self._check_params()
        warm = params["warm_start"] and hasattr(self, "_net")
        if _is_dataframe(X) or hasattr(X, "shape"):
            check_consistent_length(X, y)
        elif y is not None:
            check_consistent_length(X, y)
        rng = check_random_state(self.random_state)
        y_fit, n_outputs, task, stratify = self._fit_target(y, warm)
        codes, xnum, n = self._prepare(X, fit=True, warm=warm)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, np.empty((n, 0)),
                                                 ensure_non_negative=True)
        self._train(params, codes, xnum, y_fit, sample_weight, task, n_outputs, rng,
                    stratify)
        self.encoder_ = self._make_encoder(task)
        return self

    def _make_encoder(self, task):
        enc = EntityEmbeddingEncoder(
            embedding_dims=self.embedding_dims, hidden_layer_sizes=self.hidden_layer_sizes,
            dropout=self.dropout, task=task, batch_size=self.batch_size,
            learning_rate=self.learning_rate, max_iter=self.max_iter,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change, tol=self.tol,
            min_frequency=self.min_frequency, handle_unknown=self.handle_unknown,
            random_state=self.random_state)
        enc.n_features_in_ = len(self._cat_names)
        if hasattr(self, "feature_names_in_"):
            enc.feature_names_in_ = np.asarray(self._cat_names, dtype=object)
        enc._cat_names = list(self._cat_names)
        enc._categories = self._categories
        enc._net = self._net
        enc.task_ = task
        for name in ("categories_", "infrequent_categories_", "embeddings_",
                     "embedding_dims_", "loss_curve_", "validation_loss_curve_",
                     "best_validation_loss_", "n_iter_"):
            setattr(enc, name, getattr(self, name))
        if hasattr(self, "classes_"):
            enc.classes_ = self.classes_
        return enc

    def _raw(self, X):
        check_is_fitted(self, "_net")
        codes, xnum, _ = self._prepare(X)
        return self._net.predict_raw(codes, xnum)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.non_deterministic = self.random_state is None
        return tags


def _is_categorical_dtype(dtype):
    import pandas as pd

    return (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype))


class EntityEmbeddingRegressor(RegressorMixin, _EntityEmbeddingPredictor):
    __doc__ = """Regression network with entity embeddings of the categorical features.

    Guo & Berkhahn (2016): one learned vector per category of each
    categorical feature (store, weekday, state, ...), concatenated with the
    standardised numeric features and fed to dense ReLU layers with a linear
    output, trained with minibatch Adam on the squared error of the
    standardised target.  Embedding lookups, their gradient scatter-adds and
    the (lazy) Adam updates of the touched rows run in Numba kernels.  For
    sales-type targets wrap it in
    :class:`~sklearn.compose.TransformedTargetRegressor` with ``np.log``.

    Parameters
    ----------""" + _COMMON_PARAMS + """
    Attributes
    ----------""" + _COMMON_ATTRS + """
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
    ...                                max_iter=40, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.9
    True
    >>> reg.most_similar("shop", "a", topn=2)[0][0] in {"b", "c"}
    True
    """

    def fit(self, X, y, sample_weight=None):
        """Train the network.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Finite target values.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight)

    def _fit_target(self, y, warm):
        if y is None:
            raise ValueError("EntityEmbeddingRegressor requires y to be passed, but the "
                             "target y is None")
        y = check_regression_target(y)
        if not warm:
            self._y_mean, self._y_scale = _scaling(y)
        return (y - self._y_mean) / self._y_scale, 1, "regression", None

    def predict(self, X):
        """Predicted target of each row of X (ndarray of shape (n_samples,))."""
        return self._raw(X)[:, 0] * self._y_scale + self._y_mean


class EntityEmbeddingClassifier(ClassifierMixin, _EntityEmbeddingPredictor):
    __doc__ = """Classification network with entity embeddings of the categorical features.

    The network of :class:`EntityEmbeddingRegressor` with a sigmoid (two
    classes, logistic loss) or softmax (more classes, cross-entropy) output.

    Parameters
    ----------""" + _COMMON_PARAMS + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)""" + _COMMON_ATTRS + """
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

    def fit(self, X, y, sample_weight=None):
        """Train the network.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight)

    def _fit_target(self, y, warm):
        if y is None:
            raise ValueError("EntityEmbeddingClassifier requires y to be passed, but the "
                             "target y is None")
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        if y.ndim == 2 and y.shape[1] == 1:
            from sklearn.utils.validation import column_or_1d

            y = column_or_1d(y, warn=True)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        check_classification_targets(y)
        if warm and hasattr(self, "classes_"):
            new = np.setdiff1d(np.unique(y), self.classes_)
            if len(new):
                raise ValueError(f"warm_start=True but y has new classes {new.tolist()}")
            y_enc = np.searchsorted(self.classes_, y)
        else:
            le = LabelEncoder()
            y_enc = le.fit_transform(y)
            self.classes_ = le.classes_
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(f"y contains only one class ({self.classes_[0]!r}); the classifier "
                             "needs more than one class")
        if n_classes == 2:
            return y_enc.astype(np.float64), 1, "binary", y_enc
        return y_enc.astype(np.int64), n_classes, "multiclass", y_enc

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns as ``classes_``."""
        p = self._raw(X)
        if p.shape[1] == 1:
            return np.column_stack([1.0 - p[:, 0], p[:, 0]])
        return p

    def predict(self, X):
        """Most probable class of each row of X."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


