"""ItemSequenceEmbedder (item2vec / Pin2Vec) and the validation of item
sequences shared with the recommenders."""

from numbers import Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted

from ._dask import dask_aware, dask_kind
from ._ragged import IndexedSequences, Ragged
from ._threads import resolve_n_threads
from ._validation import WORD2VEC_PARAMETERS
from ._word2vec_estimator import Word2VecEstimator
from .events import sequences_from_events
from .pooling import pool_vectors
from .topk import exact_top_k
from .word2vec.vocab import MAX_SENTENCE_LEN

__all__ = ["ItemSequenceEmbedder", "as_sequences", "check_item_ids",
           "sequences_from_events"]


def check_item_ids(keys):
    """Item ids follow Python's dict semantics (``True``, ``1`` and ``1.0`` are
    one item); a missing id (None, NaN) is an error, not an item."""
    bad = [k for k in keys if k is None or (isinstance(k, float) and k != k)]
    if bad:
        raise ValueError(f"item ids must not be missing, found {bad[0]!r}; drop or fill "
                         "them first (e.g. Series.dropna())")


def as_sequences(X, name="X"):
    """Validate X as a list of item sequences (each a list of hashable ids).

    Accepts lists, tuples, numpy arrays and pandas Series of such sequences.
    A single flat sequence of scalars is rejected with a hint.
    """
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be a sequence of item sequences, got {type(X).__name__}")
    if sp.issparse(X):
        raise TypeError(f"{name} is a sparse matrix: sparse input is not supported; give "
                        "sequences of item ids")
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(f"{name} has {X.shape[1]} columns; pass one column of sequences")
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series) and isinstance(X.dtype, pd.StringDtype):
        raise TypeError(
            f"{name} holds strings ({X.dtype}), not sequences of item ids.  (A Dask Series of "
            "lists made by dask.dataframe.from_pandas gets its lists turned into strings "
            "unless dask.config.set({'dataframe.convert-string': False}) is in effect.)")
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype != object:
        return [row.tolist() for row in X]  # equal-length sequences as a 2-D array
    try:
        items = list(X)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of item sequences, "
                        f"got {type(X).__name__}") from None
    out = []
    for i, seq in enumerate(items):
        if isinstance(seq, np.ndarray):
            out.append(seq.tolist())
        elif isinstance(seq, (list, tuple, pd.Series)):
            out.append(list(seq))
        else:
            raise TypeError(
                f"{name}[{i}] is a {type(seq).__name__}; each element of {name} must be a "
                "sequence of item ids (wrap a single history in a list: [history])"
            )
    return out


# list length of ItemSequenceEmbedder.score
_SCORE_K = 10


def _hashable(key):
    try:
        hash(key)
    except TypeError:
        return False
    return True


@dask_aware(methods=("transform", "fit_transform"))
class ItemSequenceEmbedder(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                           Word2VecEstimator):
    """Item vectors from sequences of interactions (item2vec, Pin2Vec).

    The word2vec engine applied to sessions, baskets or user histories:
    items that appear in the same contexts get close vectors (Barkan &
    Koenigstein 2016; Pinterest's Pin2Vec).  :meth:`transform` turns each
    sequence into a profile vector, e.g. to feed a classifier or to query
    nearest items with :class:`NearestNeighborRecommender`.

    Parameters
    ----------
    vector_size : int, default=64
        Dimensionality of the item vectors.
    window : int or "all", default=5
        Context size in positions; ``"all"`` uses every other item of the
        sequence as context (item2vec on baskets, order ignored).
    sg : bool, default=True
        Skip-gram if True, CBOW otherwise.
    hs : bool, default=False
        Hierarchical softmax output layer.
    negative : int, default=5
        Negative samples per positive example (0 requires ``hs=True``).
    ns_exponent : float, default=0.75
        Negatives are drawn with probability ~ count ** ns_exponent; negative
        values favour rare items (found best for some recommendation data by
        Caselles-Dupré et al. 2018).
    sample : float, default=0.0
        Subsampling threshold of frequent items (0 disables).
    min_count : int, default=1
        Ignore items seen fewer times.
    alpha, min_alpha : float, default=0.025, 1e-4
        Learning rate, decayed linearly over all epochs.
    epochs : int, default=10
    shared_negatives : bool, default=False
        Draw one set of negative samples per target item, shared by all its
        context items (faster skip-gram; see :class:`Word2VecTransformer`,
        where it is the default).  ``False`` matches gensim.
    shrink_windows : bool, default=True
        Sample the effective window in ``[1, window]`` (ignored with
        ``window="all"``).
    profile : {"mean", "recency"}, default="mean"
        Profile of a sequence in :meth:`transform`: mean of its known item
        vectors, or a weighted mean where an item ``a`` positions before the
        end weighs ``0.5 ** (a / half_life)``.
    half_life : float, default=5.0
        Half-life in positions of the recency profile.
{pretrained}
    n_jobs : int or None, default=None
        Training threads; ``None`` means 1 unless a joblib
        ``parallel_config`` context sets ``n_jobs``, ``-1`` all cores the
        process may use (``OMP_NUM_THREADS`` caps it: one in a Dask worker).
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0

    Attributes
    ----------
    wv_ : KeyedVectors
        Item vectors, most frequent item first.
    loss_history_ : list of float
        Mean training loss per example of each epoch.
    item_counts_ : ndarray of int64
        Number of occurrences of each item of ``wv_`` in the training data.
    output_vectors_ : ndarray of float32 (n_items, vector_size) or None
        Negative-sampling output layer, rows aligned with ``wv_`` (``None``
        when ``negative=0``).  ``profile @ output_vectors_.T`` scores how
        likely each item is in the context of a sequence.
    effective_min_count_ : int
        The count threshold applied.
    corpus_word_count_ : int
        Number of interactions seen in ``fit`` (and ``partial_fit``).
    timings_ : dict
        Seconds spent in ``tokenize`` (reading X), ``vocab``, ``train`` and
        ``compile`` (Numba compiling the training kernel on first use).

    Examples
    --------
    >>> from skembed import ItemSequenceEmbedder
    >>> baskets = [["milk", "bread", "butter"], ["beer", "chips"],
    ...            ["bread", "butter", "jam"], ["chips", "beer", "salsa"]] * 50
    >>> emb = ItemSequenceEmbedder(vector_size=8, window="all", random_state=0)
    >>> emb.fit(baskets).transform([["milk", "jam"]]).shape
    (1, 8)
    >>> emb.wv_.most_similar("beer", topn=1)[0][0] in {"chips", "salsa"}
    True
    """

    _parameter_constraints = {
        **WORD2VEC_PARAMETERS,
        "window": [*WORD2VEC_PARAMETERS["window"], StrOptions({"all"})],
        "profile": [StrOptions({"mean", "recency"})],
        "half_life": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        vector_size=64,
        window=5,
        sg=True,
        hs=False,
        negative=5,
        ns_exponent=0.75,
        sample=0.0,
        min_count=1,
        alpha=0.025,
        min_alpha=1e-4,
        epochs=10,
        shrink_windows=True,
        shared_negatives=False,
        profile="mean",
        half_life=5.0,
        init_vectors=None,
        lock_factor=1.0,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.vector_size = vector_size
        self.window = window
        self.sg = sg
        self.hs = hs
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.sample = sample
        self.min_count = min_count
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.epochs = epochs
        self.shrink_windows = shrink_windows
        self.shared_negatives = shared_negatives
        self.profile = profile
        self.half_life = half_life
        self.init_vectors = init_vectors
        self.lock_factor = lock_factor
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Learn item vectors from the sequences in X.

        Parameters
        ----------
        X : sequence of sequences of hashable, or dask Bag or Series
            Item ids in interaction order (lists, arrays, or a pandas Series
            of lists).  Empty sequences are skipped.  A Dask Bag or Series
            of sequences is counted and encoded on the workers and streamed
            here for training (:class:`~skembed.word2vec.DaskCorpus`): the
            same vocabulary, and with ``n_jobs=1`` the same vectors, as the
            in-memory fit of the computed sequences.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        return super().fit(X, y)

    def partial_fit(self, X, y=None):
        """Continue training on new sequences (online item2vec).

        Items of X seen at least ``min_count`` times in X join the
        vocabulary (appended: rows of known items never move); counts of
        known items grow.  Each call makes ``epochs`` passes over X with the
        learning rate decaying from ``alpha`` to ``min_alpha``.  On an
        unfitted estimator this is ``fit``.

        Parameters
        ----------
        X : sequence of sequences of hashable
        y : None
            Ignored.

        Returns
        -------
        self
        """
        return super().partial_fit(X, y)

    # -- the word2vec estimator's part (Word2VecEstimator) -----------------------
    _output_vectors = True
    _dask_what = "item sequences"

    def _sequences(self, X):
        if isinstance(X, IndexedSequences):  # indexed once by a recommender
            return X
        return as_sequences(X)

    def _partition_reader(self):
        return as_sequences

    def _dask_corpus(self, X):
        if dask_kind(X) != "bag":
            as_sequences(X._meta)  # the column's type, before any work
        return super()._dask_corpus(X)

    def _key_check(self, corpus):
        return check_item_ids

    def _key_type_error(self, corpus, exc):
        return TypeError(f"item ids must be hashable: {exc}")

    def _config_overrides(self, corpus):
        if self.window != "all":
            return {}
        longest = min(corpus.longest(), MAX_SENTENCE_LEN)
        return {"window": max(longest - 1, 1), "shrink_windows": False}

    def _after_fit(self, corpus, vocab, state, update):
        self.item_counts_ = vocab.counts

    def score(self, X, y=None):
        """Held-out next-item hit rate at 10 of the item vectors.

        Each history's profile (as in :meth:`transform`, ``profile`` and
        ``half_life`` included) queries the item vectors by cosine; a row
        scores 1 when its next item is among the 10 nearest items (the
        history's own items included: a repeat can be the next item).
        Larger is better, so ``GridSearchCV`` can tune an embedder alone on
        sequences: ``GridSearchCV(ItemSequenceEmbedder(),
        {"window": [2, 5]}).fit(sequences)`` fits on the training folds and
        scores the last item of each held-out sequence.

        Parameters
        ----------
        X : sequence of sequences of hashable
            Histories (with ``y``), or whole sequences whose last item is
            held out (without ``y``; sequences shorter than 2 are skipped).
        y : sequence of hashable, optional
            The next item of each history.

        Returns
        -------
        float
            Share of rows whose next item is among the 10 nearest; an item
            without a vector, or a history without a known item, is a miss.
        """
        check_is_fitted(self, "wv_")
        sequences = as_sequences(X)
        if y is None:
            rows = [s for s in sequences if len(s) >= 2]
            histories, targets = [s[:-1] for s in rows], [s[-1] for s in rows]
        else:
            if isinstance(y, (str, bytes)):
                raise TypeError("y must be a sequence of next items, one per history")
            histories, targets = sequences, list(y)
            if len(targets) != len(histories):
                raise ValueError(f"X has {len(histories)} histories but y has "
                                 f"{len(targets)} items")
        if not histories:
            raise ValueError("score needs at least one history with a next item (a "
                             "sequence of two or more items without y)")
        k2i = self.wv_.key_to_index
        target_rows = np.array([k2i.get(t, -1) if _hashable(t) else -1 for t in targets],
                               np.int64)
        queries = self.transform(histories)
        norms = np.linalg.norm(queries, axis=1, keepdims=True)
        np.divide(queries, norms, out=queries, where=norms > 0)
        vectors = self.wv_.vectors
        lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)
        k = min(_SCORE_K, len(k2i))
        top, _ = exact_top_k(queries, unit, k, n_threads=resolve_n_threads(self.n_jobs))
        hits = (top == target_rows[:, None]).any(axis=1) & (target_rows >= 0)
        hits &= norms[:, 0] > 0
        return float(hits.mean())

    def transform(self, X):
        """Profile vector of each sequence (zero row if no item is known).

        Parameters
        ----------
        X : sequence of sequences of hashable

        Returns
        -------
        ndarray of float32, shape (n_sequences, vector_size)
        """
        check_is_fitted(self, "wv_")
        # used only here, so a set_params after fit is checked here too
        validate_parameter_constraints(
            {k: self._parameter_constraints[k] for k in ("profile", "half_life")},
            {"profile": self.profile, "half_life": self.half_life},
            caller_name=type(self).__name__)
        try:
            sequences = Ragged.from_lists(as_sequences(X), self.wv_.key_to_index)
        except TypeError as exc:
            raise TypeError(f"item ids must be hashable: {exc}") from None
        half_life = float(self.half_life) if self.profile == "recency" else 0.0
        weights = np.ones(len(self.wv_), np.float32)
        return pool_vectors(sequences.ids, sequences.starts, weights, self.wv_.vectors, True,
                            half_life, n_threads=resolve_n_threads(self.n_jobs))

