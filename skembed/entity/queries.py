"""Queries of fitted entity embeddings: rows as vectors (:meth:`embed`), the
known entities nearest to new ones, the categories nearest to one.  A mixin
of :class:`~skembed.entity._base.EntityEmbeddingBase`."""

import numbers

import numpy as np
from sklearn.utils import check_scalar
from sklearn.utils.validation import check_is_fitted

from .._frames import is_dataframe, to_pandas
from .._threads import blas_threads, resolve_n_threads
from .categories import category_position
from .pieces import NUMERIC_TAIL, piecewise_linear, squash_tails
from .values import category_numbers, hour_and_weekday, numbers_or_days

__all__ = ["QueriesMixin"]


class QueriesMixin:
    """``embed``, ``similar_entities`` and ``most_similar``."""

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
        # read as numbers (numeric_values_), the hour and weekday of each feature
        # of instants (_time_parts), then the flags of missing values
        flagged = getattr(self, "numeric_values_", np.zeros(0, bool))
        value_of = np.cumsum(flagged) - 1
        parts = np.flatnonzero(getattr(self, "_time_parts", np.zeros(0, bool)))
        part_at = {j: int(np.sum(flagged)) + 2 * r for r, j in enumerate(parts)}
        # (and, last, those of the numeric features of instants)
        num_part_at = {int(k): int(np.sum(flagged)) + 2 * (len(parts) + r) for r, k in
                       enumerate(getattr(self, "_numeric_time_parts", ()))}
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
                days = numbers_or_days(col)
                put(j, days)
                if j in num_part_at:
                    hour, weekday = hour_and_weekday(days)
                    put(len(numeric) + num_part_at[j], hour)
                    put(len(numeric) + num_part_at[j] + 1, weekday)
            else:
                codes[:, j], entities[j] = self._categories[j].encode(
                    col, "infrequent", self._cat_names[j])
                used.append(j)
                days = None  # an instant's value is its days: read once
                if representation == "hidden" and n_inputs and self.numeric_values_[j]:
                    days = category_numbers(col, self._value_kind(j))
                    put(len(numeric) + value_of[j], days)
                if representation == "hidden" and n_inputs and j in part_at:
                    if days is None:
                        days = category_numbers(col, "date")
                    hour, weekday = hour_and_weekday(days)
                    put(len(numeric) + part_at[j], hour)
                    put(len(numeric) + part_at[j] + 1, weekday)
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
