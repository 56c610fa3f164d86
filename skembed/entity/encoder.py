"""EntityEmbeddingEncoder: categorical columns -> learned entity embeddings."""

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
)

from .._validation import check_option
from ._base import EntityEmbeddingBase
from .kernels import gather
from .targets import check_regression_target

__all__ = ["EntityEmbeddingEncoder"]


class EntityEmbeddingEncoder(TransformerMixin, EntityEmbeddingBase):
    """Encode categorical features by embeddings learned against a target.

    Entity embeddings (Guo & Berkhahn 2016): one table of vectors per
    categorical feature, trained jointly with a small dense ReLU network that
    predicts ``y`` from the concatenated vectors.  :meth:`transform` then
    replaces every column by the vector of its category, so that any model
    (KNN, gradient boosting, linear) can follow, in the role of
    :class:`~sklearn.preprocessing.OneHotEncoder` or
    :class:`~sklearn.preprocessing.TargetEncoder`.  Every input column is
    treated as categorical (integers too: codes, not magnitudes).

    Categories can be any hashable values; a pandas ``category`` dtype keeps
    its order.  Missing values (None, NaN) form their own category.  Each
    table has one extra row shared by the infrequent categories
    (``min_frequency``) and used for categories unseen in training.  When no
    category is infrequent, that row is set to the frequency-weighted mean of
    the learned rows.

    Parameters
    ----------
    embedding_dims : "auto", int or dict, default="auto"
        Width of each feature's embedding.  ``"auto"`` uses
        fastai's ``min(600, round(1.6 * n_categories ** 0.56))`` (better than
        ``min(50, ceil(n_categories / 2))`` on Rossmann, see the benchmarks);
        a dict maps feature names (or positions) to widths, other features
        use ``"auto"``.
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Dense ReLU layers after the embeddings.
    dropout : float, default=0.0
        Dropout rate after each hidden layer during training.
    task : {"auto", "regression", "binary", "multiclass"}, default="auto"
        Loss of the network: squared error, logistic or softmax
        cross-entropy.  ``"auto"`` infers it from ``y`` with
        :func:`~sklearn.utils.multiclass.type_of_target` (as
        :class:`~sklearn.preprocessing.TargetEncoder`).
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
        share one embedding row.
    handle_unknown : {"infrequent", "error"}, default="infrequent"
        Categories unseen in training get the shared infrequent row, or
        raise a ``ValueError``.
    warm_start : bool, default=False
        Continue training the previous network (same categories, scaling and
        architecture) instead of starting anew.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and the validation split;
        an int makes fits reproducible.
    verbose : int, default=0
        Per-epoch progress (a tqdm bar when tqdm is installed).

    Attributes
    ----------
    categories_ : list of ndarray
        Categories of each feature (missing last, as NaN).
    infrequent_categories_ : list of ndarray or None
    embeddings_ : list of ndarray of shape (n_categories, dim)
        Vector of each category, rows aligned with ``categories_``.
    embedding_dims_ : list of int
    task_ : str
    classes_ : ndarray
        Class labels (classification tasks).
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

    def __init__(self, embedding_dims="auto", hidden_layer_sizes=(256, 128), dropout=0.0,
                 task="auto", batch_size=256, learning_rate=1e-3, max_iter=10,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=3,
                 tol=1e-4, min_frequency=None, handle_unknown="infrequent",
                 warm_start=False, random_state=None, verbose=0):
        self.embedding_dims = embedding_dims
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.task = task
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

    def fit(self, X, y, sample_weight=None):
        """Learn the categories and train their embeddings against ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Categorical features.
        y : array-like of shape (n_samples,)
            Target: continuous, binary or multiclass.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        params = self._check_params()
        check_option(self.task, "task", {"auto", "regression", "binary", "multiclass"})
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
        task = self._resolve_task(y)
        stratify = None
        if task == "regression":
            y = check_regression_target(y)
            if not warm:
                self._y_mean, self._y_scale = _scaling(y)
            y_fit = (y - self._y_mean) / self._y_scale
            n_outputs = 1
        else:
            y_fit, n_outputs = self._encode_classes(y, task, warm)
            stratify = y_fit
        if not warm:
            self._cat_names = [self._feature_name(j) for j in range(len(columns))]
            self._categories = self._fit_categories(columns, n)
        self.task_ = task
        codes = self._encode(columns, n)
        self._train(params, codes, np.zeros((n, 0), np.float32), y_fit, sample_weight,
                    task, n_outputs, rng, stratify)
        return self

    def _resolve_task(self, y):
        if self.task != "auto":
            return self.task
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if kind in ("binary", "multiclass"):
            return kind
        if kind in ("continuous",):
            return "regression"
        raise ValueError(f"task='auto' cannot use a target of type {kind!r}; y must be "
                         "continuous, binary or multiclass (1-D)")

    def _encode_classes(self, y, task, warm):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D for task={task!r}, got shape {y.shape}")
        if warm and hasattr(self, "classes_"):
            unknown = set(np.unique(y)) - set(self.classes_)
            if unknown:
                raise ValueError(f"warm_start=True but y has new classes {sorted(unknown)}")
            y_enc = np.searchsorted(self.classes_, y)
        else:
            le = LabelEncoder()
            y_enc = le.fit_transform(y)
            self.classes_ = le.classes_
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(f"y contains only one class ({self.classes_[0]!r}); a "
                             "classification task needs at least 2 classes")
        if task == "binary":
            if n_classes != 2:
                raise ValueError(f"task='binary' but y has {n_classes} classes")
            return y_enc.astype(np.float64), 1
        return y_enc.astype(np.int64), n_classes

    def transform(self, X):
        """Replace every column by the embedding of its category.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, ``sum(embedding_dims_)``)
            One block of ``embedding_dims_[j]`` columns per feature.
        """
        check_is_fitted(self, "embeddings_")
        columns, n = self._columns(X, reset=False)
        codes = self._encode(columns, n)
        net = self._net
        out = np.empty((n, net.emb_width), dtype=net.dtype)
        gather(net.table, net.row_start, net.row_offset, net.col_offset, net.dims,
               codes, out)
        return out

    def get_feature_names_out(self, input_features=None):
        """``<feature>_emb<k>`` for each embedding column."""
        check_is_fitted(self, "embeddings_")
        names = _check_feature_names_in(self, input_features)
        dims = self.embedding_dims_
        return np.asarray([f"{name}_emb{k}" for name, d in zip(names, dims, strict=True)
                           for k in range(d)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = []  # always float32 embeddings
        tags.non_deterministic = self.random_state is None
        return tags


def _scaling(y):
    mean = float(np.mean(y))
    scale = float(np.std(y))
    return mean, scale if scale > 0 else 1.0
