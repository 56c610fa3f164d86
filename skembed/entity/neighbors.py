"""EntityNeighborFeatures: what the most similar known entities say about a row.

Cold start as Mezzogori & Zammori forecast new products: a new entity (a
store, a product) has no history, but its attributes place it near known
entities in the learned embedding space; their histories stand in for its
own, as a forecast or as features of a second model.
"""

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._dask import dask_aware
from .._fitting import unfitted_on_error
from .._frames import to_pandas
from ._base import EntityEmbeddingBase

__all__ = ["EntityNeighborFeatures"]

FEATURES = ("neighbor_forecast", "neighbor_target_mean")


def _entity_model(estimator):
    """The entity-embedding model inside ``estimator`` (itself, the
    ``regressor_`` of a TransformedTargetRegressor, a pipeline's last step)."""
    for candidate in (estimator, getattr(estimator, "regressor_", None),
                      getattr(estimator, "regressor", None),
                      getattr(estimator, "estimator", None)):
        if isinstance(candidate, EntityEmbeddingBase):
            return candidate
    steps = getattr(estimator, "steps", None)
    if steps:
        return _entity_model(steps[-1][1])
    raise TypeError(f"{type(estimator).__name__} holds no entity-embedding model "
                    "(EntityEmbeddingRegressor/Classifier/Encoder)")


@dask_aware
class EntityNeighborFeatures(TransformerMixin, BaseEstimator):
    """Features of each row from the ``n_neighbors`` known entities most
    similar to the row's entity.

    ``fit`` trains ``estimator`` (an :class:`EntityEmbeddingRegressor` or
    :class:`EntityEmbeddingClassifier`, possibly inside a
    :class:`~sklearn.compose.TransformedTargetRegressor`) on the rows, then
    notes every known entity's attributes and mean target.  For a row of
    entity ``e``, the neighbours are the known entities whose attributes
    are closest to ``e``'s in the model's learned space
    (:meth:`EntityEmbeddingRegressor.similar_entities`), never ``e`` itself:
    a new entity and a known one are described the same way, so a second
    model trained on known entities' rows applies to new ones.  Output
    columns:

    - ``neighbor_forecast``: the mean of the model's predictions for the row
      with its entity replaced by each neighbour (the same day, promotion,
      ... at a similar store): a forecast for a new entity by itself;
    - ``neighbor_target_mean``: the mean of the neighbours' mean targets.

    Parameters
    ----------
    estimator : estimator object
        The entity-embedding model (unfitted; cloned and fitted in ``fit``,
        unless ``prefit=True``).
    entity : str
        Column of ``X`` naming the entity (e.g. ``"Store"``); a categorical
        feature of the model.
    attributes : list of str
        Columns describing an entity (e.g. ``["StoreType", "Assortment",
        "State"]``), constant per entity; categorical features of the model
        (and, with ``representation="hidden"``, numeric ones).
    n_neighbors : int, default=10
    representation : {"embeddings", "hidden"}, default="embeddings"
        How entities are compared: their attribute embeddings concatenated,
        or the network's last hidden layer (see
        :meth:`EntityEmbeddingRegressor.embed`).  docs/benchmarks.md compares
        them on Rossmann's new stores.
    prefit : bool, default=False
        ``estimator`` is already fitted: ``fit`` only records the entities.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model.
    entities_ : ndarray of shape (n_entities,)
        Known entities, sorted.
    entity_attributes_ : ndarray of shape (n_entities, n_attributes)
        Their attributes (the first row of each entity).
    entity_target_mean_ : ndarray of shape (n_entities,)
        Mean target of each known entity.
    neighbors_ : ndarray of shape (n_entities, n_neighbors)
        Neighbours of each known entity (positions in ``entities_``), itself
        excluded.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skembed import EntityEmbeddingRegressor, EntityNeighborFeatures
    >>> rng = np.random.RandomState(0)
    >>> shops = pd.DataFrame({"shop": [f"s{i}" for i in range(20)],
    ...                       "kind": ["big", "small"] * 10})
    >>> rows = shops.sample(2000, replace=True, random_state=0).reset_index(drop=True)
    >>> rows["promo"] = rng.randint(0, 2, 2000).astype(str)
    >>> y = np.where(rows["kind"] == "big", 10.0, 2.0) + (rows["promo"] == "1")
    >>> nf = EntityNeighborFeatures(
    ...     EntityEmbeddingRegressor(hidden_layer_sizes=(8,), learning_rate=1e-2,
    ...                              max_iter=20, random_state=0),
    ...     entity="shop", attributes=["kind"], n_neighbors=3).fit(rows, y)
    >>> new = pd.DataFrame({"shop": ["s99"], "kind": ["big"], "promo": ["1"]})
    >>> float(nf.transform(new)[0, 0]) > 8  # a new big shop, forecast from big shops
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "entity": [str, numbers.Integral],
        "attributes": ["array-like"],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "representation": [StrOptions({"embeddings", "hidden"})],
        "prefit": ["boolean"],
    }

    def __init__(self, estimator, entity, attributes, n_neighbors=10,
                 representation="embeddings", prefit=False):
        self.estimator = estimator
        self.entity = entity
        self.attributes = attributes
        self.n_neighbors = n_neighbors
        self.representation = representation
        self.prefit = prefit

    @unfitted_on_error
    def fit(self, X, y):
        """Fit the model (unless prefit) and record the known entities.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            The model's features, including ``entity`` and ``attributes``.
        y : array-like of shape (n_samples,)
            Numeric target (for a classifier: 0/1).

        Returns
        -------
        self
        """
        self._validate_params()
        _entity_model(self.estimator)  # a clear error before any fitting
        X = self._frame(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"y must be 1-D with one value per row of X ({len(X)}), got "
                             f"shape {y.shape}")
        if self.prefit:
            check_is_fitted(self.estimator)
            self.estimator_ = self.estimator
        else:
            self.estimator_ = clone(self.estimator).fit(X, y)
        model = _entity_model(self.estimator_)
        attributes = list(self.attributes)
        first = X.groupby(self.entity, sort=True, observed=True)[attributes].first()
        # plain arrays (not frames): persistable with skops as every other estimator
        self.entities_ = first.index.to_numpy()
        self.entity_attributes_ = first.to_numpy()
        try:
            target = pd.Series(y.astype(np.float64), index=X.index)
        except (TypeError, ValueError):
            raise ValueError("EntityNeighborFeatures needs a numeric target (0/1 for "
                             "classes)") from None
        self.entity_target_mean_ = target.groupby(X[self.entity].to_numpy()).mean().reindex(
            first.index).to_numpy()
        k = min(self.n_neighbors, len(self.entities_) - 1)
        if k < 1:
            raise ValueError("EntityNeighborFeatures needs at least two known entities")
        ids, _ = model.similar_entities(first, first, n=k + 1,
                                        ids=np.arange(len(self.entities_)),
                                        representation=self.representation)
        self.neighbors_ = _drop_self(ids, k)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def _frame(self, X):
        X = to_pandas(X)
        if not isinstance(X, pd.DataFrame):
            raise TypeError("EntityNeighborFeatures needs a DataFrame (columns by name)")
        missing = [c for c in [self.entity, *self.attributes] if c not in X.columns]
        if missing:
            raise ValueError(f"columns {missing} are not in X")
        return X

    def neighbors(self, X):
        """Known entities most similar to the entity of each row of ``X``.

        Returns
        -------
        ndarray of shape (n_samples, n_neighbors)
            Entity ids (values of ``entities_``).
        """
        return self.entities_[self._neighbor_rows(self._frame(X))]

    def _neighbor_rows(self, X):
        check_is_fitted(self, "neighbors_")
        known = pd.Index(self.entities_)
        pos = known.get_indexer(X[self.entity])
        out = np.empty((len(X), self.neighbors_.shape[1]), dtype=np.int64)
        out[pos >= 0] = self.neighbors_[pos[pos >= 0]]
        unknown = pos < 0
        if unknown.any():
            new = X.loc[unknown, [self.entity, *self.attributes]]
            first = new.groupby(self.entity, sort=False, observed=True)[
                list(self.attributes)].first()
            ids, _ = _entity_model(self.estimator_).similar_entities(
                first, self._known_frame(), n=self.neighbors_.shape[1],
                ids=np.arange(len(known)), representation=self.representation)
            row_of = pd.Index(first.index).get_indexer(new[self.entity])
            out[unknown] = ids[row_of]
        return out

    def _known_frame(self):
        return pd.DataFrame(self.entity_attributes_, index=self.entities_,
                            columns=list(self.attributes))

    def transform(self, X):
        """The neighbour features of each row.

        Parameters
        ----------
        X : DataFrame
            Rows with the model's features (entities known or new).

        Returns
        -------
        ndarray of shape (n_samples, 2)
            ``neighbor_forecast``, ``neighbor_target_mean``.
        """
        X = self._frame(X)
        if len(X) == 0:
            check_is_fitted(self, "neighbors_")
            return np.empty((0, len(FEATURES)))
        rows = self._neighbor_rows(X)
        ids = self.entities_
        forecast = np.zeros(len(X))
        swapped = X.copy()
        predict = _prediction(self.estimator_)
        for j in range(rows.shape[1]):
            values = ids[rows[:, j]]
            if isinstance(X[self.entity].dtype, pd.CategoricalDtype):
                values = pd.Categorical(values, categories=X[self.entity].cat.categories)
            swapped[self.entity] = values
            forecast += predict(swapped)
        forecast /= rows.shape[1]
        target = self.entity_target_mean_[rows].mean(axis=1)
        return np.column_stack([forecast, target])

    def get_feature_names_out(self, input_features=None):
        """``neighbor_forecast``, ``neighbor_target_mean``."""
        check_is_fitted(self, "neighbors_")
        return np.asarray(FEATURES, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags


def _prediction(estimator):
    if hasattr(estimator, "predict_proba"):
        return lambda X: np.asarray(estimator.predict_proba(X))[:, -1]
    return lambda X: np.asarray(estimator.predict(X), dtype=np.float64).reshape(len(X), -1)[:, 0]


def _drop_self(ids, k):
    """Each row's neighbours without the row itself (normally first; among
    tied entities it may sit anywhere, or be missing)."""
    out = np.empty((ids.shape[0], k), dtype=np.int64)
    for i, row in enumerate(ids):
        others = row[row != i]
        out[i] = others[:k]
    return out
