"""What every recommender shares: the catalogue, encoded histories, blocks
of dense scores, exclusions, allow/deny lists, top-k and the result arrays.

A recommender subclass implements two methods on encoded data:

- ``_fit_interactions(data, sequences, n_threads)``: learn from the
  training histories (``data``: a :class:`~skembed._ragged.Ragged` of
  catalogue indices; ``sequences()`` gives them as item id lists, for a
  learner that needs those, such as a custom embedder);
- ``_add_scores(data, q0, out, n_threads, self_rows=None, weight=1.0,
  scaled=False)``: add its scores of histories ``q0 .. q0 + len(out)`` into
  the float32 block ``out`` (one column per catalogue item; zeroed rows
  unless ``scaled``, which adds ``weight`` times each row scaled to [0, 1],
  as the blend of :class:`NearestNeighborRecommender` needs).

``n_threads`` is ``n_jobs`` resolved once per call of ``fit`` or
``recommend`` (:func:`skembed._threads.resolve_n_threads`).

Everything else (validation, encoding, exclusions, the popularity
fallback, top-k) lives here once.
"""

import warnings
from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._dask import apply_blockwise, dask_aware, dask_kind
from .._fitting import unfitted_on_error
from .._ragged import IndexedSequences, Ragged
from .._threads import resolve_n_threads
from .._validation import N_JOBS
from ..metrics import hit_rate_at_k
from ..sequences import as_sequences, check_item_ids
from .candidates import serve_sparse
from .dask_fit import dask_sequences, fit_statistics
from .kernels import distinct_items, repeat_share, top_k_rows

# a block of dense scores holds about this many floats (16 MB)
_BLOCK_FLOATS = 1 << 22
# "auto" excludes seen items when fewer interactions than this repeat an item
# already in the same sequence
REPEAT_THRESHOLD = 0.01


def training_sequences(X, y=None):
    """X as a list of item lists, each extended by its next item from ``y``."""
    sequences = as_sequences(X)
    if y is not None:
        if isinstance(y, (str, bytes)):
            raise TypeError("y must be a sequence of next items, one per history")
        y = list(y)
        if len(y) != len(sequences):
            raise ValueError(f"X has {len(sequences)} histories but y has {len(y)} items")
        sequences = [h + [t] for h, t in zip(sequences, y, strict=True)]
    if not any(len(s) for s in sequences):
        raise ValueError("X contains no item: fit needs at least one non-empty history")
    return sequences


def id_array(keys):
    """Item ids (an object array) as int64 when all are ints, else a copy."""
    if all(isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))
           for k in keys):
        return keys.astype(np.int64)
    return keys.copy()


def hashable_error(exc):
    return TypeError(f"item ids must be hashable: {exc}")


class Catalogue(NamedTuple):
    """The items a recommender knows, most frequent first (ties: first seen):
    their ids (``keys``, an object array), counts and index."""

    keys: np.ndarray
    counts: np.ndarray
    key_to_index: dict

    @classmethod
    def from_sequences(cls, sequences):
        """Catalogue of ``sequences`` and the sequences encoded over it (a
        :class:`~skembed._ragged.Ragged` of catalogue indices): the one pass
        of a fit that hashes item ids."""
        try:
            index = IndexedSequences.from_sequences(sequences)
        except TypeError as exc:
            raise hashable_error(exc) from None
        check_item_ids(index.keys.tolist())
        order = np.argsort(-index.counts, kind="stable")
        rank = np.empty(len(order), np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        keys = index.keys[order]
        catalogue = cls(keys, index.counts[order],
                        {k: i for i, k in enumerate(keys.tolist())})
        return catalogue, Ragged(rank[index.codes.ids], index.codes.starts)

    def encode(self, sequences):
        """Histories as a Ragged of catalogue indices (-1: unknown item)."""
        try:
            return Ragged.from_lists(sequences, self.key_to_index)
        except TypeError as exc:
            raise hashable_error(exc) from None

    def __len__(self):
        return len(self.keys)


def recommendation_frame(out, block):
    """A block of :meth:`BaseRecommender.recommend` results as a DataFrame
    with the block's index: columns ``item_0 .. item_{n-1}`` (best first;
    nullable ``Int64`` for integer ids, missing slots ``<NA>``/None), then
    ``score_0 .. score_{n-1}`` with ``return_scores`` (NaN where missing)."""
    import pandas as pd

    ids, scores = out if isinstance(out, tuple) else (out, None)
    mask = np.ma.getmaskarray(ids)
    values = np.ma.getdata(ids)
    columns = {}
    for j in range(ids.shape[1]):
        if values.dtype.kind in "iu":
            columns[f"item_{j}"] = pd.arrays.IntegerArray(values[:, j].astype(np.int64),
                                                          mask[:, j].copy())
        else:
            col = values[:, j].copy()
            col[mask[:, j]] = None
            columns[f"item_{j}"] = pd.Series(col, dtype=object, index=block.index)
    if scores is not None:
        for j in range(scores.shape[1]):
            columns[f"score_{j}"] = scores[:, j]
    return pd.DataFrame(columns, index=block.index)


@dask_aware(methods=("predict",))
class BaseRecommender(BaseEstimator):
    """Base class of the next-item and related-item recommenders.

    Not for direct use: subclasses implement ``_fit_interactions`` and
    ``_add_scores`` (see the module docstring).
    """

    _parameter_constraints = {
        "n_recommendations": [Interval(Integral, 1, None, closed="left")],
        "exclude_seen": ["boolean", StrOptions({"auto"})],
        "n_jobs": N_JOBS,
    }

    @unfitted_on_error
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, user_col=None, item_col=None, time_col=None,
            session_gap=None):
        """Learn from interaction histories.

        Parameters
        ----------
        X : sequence of sequences of hashable, or Dask collection
            Interaction histories, oldest item first (lists, tuples, arrays
            or a pandas Series of them).  Later histories count as more
            recent where recency matters (session-kNN sampling).  A Dask Bag
            or Series of histories, or a Dask DataFrame event log (with
            ``user_col`` and ``item_col``), is counted on the workers: the
            same fitted model as the in-memory fit of the computed
            histories, without bringing them here
            (:mod:`skembed.recommend.dask_fit`).
        y : sequence of hashable, optional
            The next item of each history; each history is extended with it
            for training, so the model sees every interaction of the fold.
            Not with Dask collections.
        user_col, item_col, time_col, session_gap : optional
            A Dask DataFrame event log's columns and session cut, as in
            :func:`skembed.sequences_from_events` (done on the workers).

        Returns
        -------
        self
        """
        if dask_kind(X) is not None:
            if y is not None:
                raise TypeError("y is not supported with Dask collections: extend the "
                                "histories with their next items first")
            return self._fit_dask(dask_sequences(X, user_col, item_col, time_col,
                                                 session_gap))
        if dask_kind(y) is not None:
            raise TypeError("y is a Dask collection but X is not: compute y first")
        if item_col is not None or user_col is not None:
            raise TypeError("user_col and item_col name the columns of a Dask DataFrame "
                            "event log; for an in-memory log use sequences_from_events")
        sequences = training_sequences(X, y)
        self._catalogue, data = Catalogue.from_sequences(sequences)
        self.items_ = id_array(self._catalogue.keys)
        self.item_counts_ = self._catalogue.counts
        self.repeat_share_ = float(repeat_share(data, len(self._catalogue)))
        if self.exclude_seen == "auto":
            self.exclude_seen_ = self.repeat_share_ < REPEAT_THRESHOLD
        else:
            self.exclude_seen_ = bool(self.exclude_seen)
        self._fit_interactions(data, lambda: sequences, resolve_n_threads(self.n_jobs))
        return self

    def _fit_interactions(self, data, sequences, n_threads):
        raise NotImplementedError

    # -- fitting from Dask: statistics per partition, merged here -----------------
    def _fit_dask(self, X):
        keys, counts, stats = fit_statistics(self, X)
        self._catalogue = Catalogue(keys, counts, {k: i for i, k in enumerate(keys.tolist())})
        self.items_ = id_array(keys)
        self.item_counts_ = counts
        n_known, n_distinct, n_filled = stats["repeat"]
        total = n_known - n_filled
        self.repeat_share_ = float((n_known - n_distinct) / total if total else 0.0)
        if self.exclude_seen == "auto":
            self.exclude_seen_ = self.repeat_share_ < REPEAT_THRESHOLD
        else:
            self.exclude_seen_ = bool(self.exclude_seen)
        self._fit_statistics(stats, resolve_n_threads(self.n_jobs))
        return self

    def _partition_statistics(self, data, n_items):
        """What one partition of encoded histories (a Ragged over the
        catalogue) contributes to the fit (runs on a worker): here the counts
        behind ``repeat_share_``; subclasses add theirs."""
        distinct = distinct_items(data, n_items)
        return {"repeat": (int(np.count_nonzero(data.ids >= 0)), int(distinct.nnz),
                           int(np.count_nonzero(np.diff(distinct.indptr))))}

    def _merge_statistics(self, stats, n_items):
        """The partitions' statistics (a list, in partition order) added up."""
        return {"repeat": tuple(int(sum(s["repeat"][j] for s in stats)) for j in range(3))}

    def _fit_statistics(self, stats, n_threads):
        """Fit from merged statistics (the Dask fit)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be fitted from Dask")

    def _fit_as_part_of(self, owner, data, sequences, n_threads):
        """Fit as a component of the recommender ``owner`` (a blend): its
        catalogue, counts and exclusion rule, on its encoded ``data``."""
        self._catalogue = owner._catalogue
        self.items_, self.item_counts_ = owner.items_, owner.item_counts_
        self.exclude_seen_ = owner.exclude_seen_
        self._fit_interactions(data, sequences, n_threads)
        return self

    def _add_scores(self, data, q0, out, n_threads, self_rows=None, weight=1.0, scaled=False):
        raise NotImplementedError

    # -- the scorer protocol (what a blend composes) ------------------------------
    def encode(self, X):
        """Histories as catalogue indices (a Ragged; -1: unknown item), the
        input of :meth:`candidate_scores`."""
        check_is_fitted(self, "items_")
        return self._encode(X)

    def candidate_scores(self, histories, start=0, stop=None, n_threads=1, self_rows=None):
        """Raw scores of each history's candidate items (the scorer protocol).

        Parameters
        ----------
        histories : Ragged
            From :meth:`encode` (or a blend's encoding over the same catalogue).
        start, stop : int
            The rows of ``histories`` to score.
        n_threads : int
        self_rows : int64 array, optional
            Per row, a training sequence it must not use (-1: none).

        Returns
        -------
        scipy.sparse.csr_matrix of float32, shape (stop - start, n_items)
            Non-negative scores, one column per catalogue item (``items_``);
            items not stored score 0 (the candidates are the stored items).
            Sparse scorers only (rules, session-kNN).
        """
        raise NotImplementedError(f"{type(self).__name__} has no sparse candidates")

    # -- recommending -------------------------------------------------------
    def _encode(self, X):
        return self._catalogue.encode(as_sequences(X))

    def _check_n(self, n, name="n"):
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, Integral) or n < 1:
            raise ValueError(f"{name} must be an int >= 1, got {n!r}")
        n_items = len(self._catalogue)
        if n > n_items:
            warnings.warn(f"{name}={n} exceeds the {n_items} known items; returning at "
                          f"most {n_items} per row", UserWarning, stacklevel=3)
            return n_items
        return int(n)

    def _item_mask(self, allow, deny):
        """Boolean mask of recommendable items (None: all); unknown ids in the
        lists are ignored (a new item cannot be recommended anyway)."""
        if allow is None and deny is None:
            return None
        k2i = self._catalogue.key_to_index
        mask = np.ones(len(self._catalogue), bool)
        for name, values, keep in (("allow", allow, True), ("deny", deny, False)):
            if values is None:
                continue
            if isinstance(values, (str, bytes)):
                raise TypeError(f"{name} must be a collection of item ids, got a string")
            try:
                rows = [k2i[v] for v in values if v in k2i]
            except TypeError as exc:
                raise hashable_error(exc) from None
            if keep:
                mask[:] = False
                mask[rows] = True
            else:
                mask[rows] = False
        return mask

    def _block_rows(self):
        return int(np.clip(_BLOCK_FLOATS // max(len(self._catalogue), 1), 1, 1024))

    # how a single recommender ranks: "dense" (every item of every history),
    # "sparse" (from candidate_scores and the most popular items alone) or
    # "popularity" (the most popular allowed items); the last two give the
    # lists and scores of the first without a row of every item
    _ranking = "dense"

    def _top_k(self, data, k, exclude, mask, n_threads):
        if self._ranking != "dense":
            scores = popularity = None
            if self._ranking == "sparse":
                def scores(q0, q1):
                    return self.candidate_scores(data, q0, q1, 1)
            else:
                popularity = self._popularity_scores()
            return serve_sparse(data, k, exclude, mask, n_threads, len(self._catalogue),
                                scores, popularity)
        return self._dense_top_k(data, k, exclude, mask, n_threads)

    def _dense_top_k(self, data, k, exclude, mask, n_threads):
        n_rows = data.n_rows
        idx = np.full((n_rows, k), -1, np.int64)
        val = np.full((n_rows, k), np.nan, np.float32)
        block = self._block_rows()
        no_ptr = np.zeros(block + 1, np.int64)
        no_idx = np.zeros(0, np.int32)
        for q0 in range(0, n_rows, block):
            q1 = min(q0 + block, n_rows)
            out = np.zeros((q1 - q0, len(self._catalogue)), np.float32)
            self._add_scores(data, q0, out, n_threads)
            if mask is not None:
                out[:, ~mask] = -np.inf
            if exclude:
                rows = data.rows(q0, q1)
                b_idx, b_val = top_k_rows(out, k, rows.starts, rows.ids, n_threads)
            else:
                b_idx, b_val = top_k_rows(out, k, no_ptr[:q1 - q0 + 1], no_idx, n_threads)
            found = b_idx >= 0
            idx[q0:q1] = b_idx
            val[q0:q1][found] = b_val[found]
        return idx, val

    def _ids(self, idx):
        out = self.items_[np.maximum(idx, 0)]
        missing = idx < 0
        if missing.any():
            return np.ma.masked_array(out, mask=missing)
        return out

    def recommend(self, X, n=None, *, exclude_seen=None, allow=None, deny=None,
                  return_scores=False):
        """The ``n`` best items for each history, with their scores.

        Parameters
        ----------
        X : sequence of sequences of hashable, or Dask collection of them
            Histories, oldest item first.  Unknown items are ignored; a
            history with no known item gets the most popular items.  A Dask
            Series (or one-column DataFrame) of histories gives a lazy Dask
            DataFrame with X's index and divisions, one row per history:
            columns ``item_0 .. item_{n-1}`` (best first; nullable ``Int64``
            for integer ids, ``<NA>`` in missing slots), then ``score_0 ..
            score_{n-1}`` with ``return_scores``.  A Dask Bag gives a Bag of
            per-history results (the ``ids`` row, or ``(ids, scores)``), a
            Dask Array the Arrays of ``ids`` (and ``scores``).
        n : int, optional
            List length (default ``n_recommendations``; clipped, with a
            warning, to the catalogue size).
        exclude_seen : bool, optional
            Override the fitted ``exclude_seen_`` for this call.
        allow : collection of hashable, optional
            Recommend only these items (e.g. what is in stock); unknown ids
            are ignored.
        deny : collection of hashable, optional
            Never recommend these items (for every history of the call).
        return_scores : bool, default=False
            Also return the score of each recommended item.

        Returns
        -------
        ids : ndarray of shape (n_histories, n)
            Item ids (dtype of ``items_``), best first.  When fewer items
            than ``n`` are allowed for a row, it is a masked array whose
            missing slots are masked (``ids.mask``), so no item id is ever
            used as padding.
        scores : ndarray of float32, shape (n_histories, n)
            Only with ``return_scores=True``; NaN where ``ids`` is masked.
            Larger is better; the scale depends on the recommender.
        """
        kind = dask_kind(X)
        if kind is not None:
            check_is_fitted(self, "items_")
            kwargs = dict(n=n, exclude_seen=exclude_seen, allow=allow, deny=deny,
                          return_scores=return_scores)
            post = recommendation_frame if kind in ("series", "frame") else None
            return apply_blockwise(self, "recommend", X, kwargs=kwargs, post=post)
        check_is_fitted(self, "items_")
        n = self._check_n(self.n_recommendations if n is None else n)
        if exclude_seen is None:
            exclude_seen = self.exclude_seen_
        elif not isinstance(exclude_seen, (bool, np.bool_)):
            raise ValueError(f"exclude_seen must be a bool or None, got {exclude_seen!r}")
        data = self._encode(X)
        mask = self._item_mask(allow, deny)
        idx, val = self._top_k(data, n, bool(exclude_seen), mask,
                               resolve_n_threads(self.n_jobs))
        ids = self._ids(idx)
        return (ids, val) if return_scores else ids

    def predict(self, X):
        """Recommend ``n_recommendations`` items for each history, best first.

        Parameters
        ----------
        X : sequence of sequences of hashable
            Histories, oldest item first.

        Returns
        -------
        ndarray of shape (n_histories, n_recommendations)
            Item ids, as :meth:`recommend` returns them.
        """
        return self.recommend(X)

    def score(self, X, y):
        """Hit rate at ``n_recommendations`` of the true next items ``y``.

        Items of ``y`` never seen in training count as misses; the search
        covers the full catalogue (no sampled negatives).
        """
        y = list(y)
        return hit_rate_at_k(y, self.predict(X), k=self.n_recommendations)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags
