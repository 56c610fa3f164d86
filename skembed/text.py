"""Word2VecTransformer: word2vec trained on raw text, documents to vectors."""

import numbers
import re
import time

import numba
import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils.validation import check_is_fitted

from ._validation import check_bool, check_n_jobs, check_option, word2vec_config
from .keyed_vectors import KeyedVectors
from .pooling import pool_vectors
from .word2vec import fit_sequences, resolve_n_threads
from .word2vec.vocab import encode_ids

__all__ = ["Word2VecTransformer"]

_SIF_A = 1e-3


def _as_documents(X):
    """Return X as a list of documents, rejecting the common mistakes."""
    if isinstance(X, (str, bytes)):
        raise ValueError(
            "Iterable over documents expected, a single string was given; "
            "wrap it in a list: [text]"
        )
    if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:  # one-column DataFrame
        if X.shape[1] != 1:
            raise ValueError(f"X has {X.shape[1]} columns; pass one text column")
        X = X.iloc[:, 0]
    elif isinstance(X, np.ndarray) and X.ndim == 2:
        if X.shape[1] != 1:
            raise ValueError(f"X has {X.shape[1]} columns; pass one text column")
        X = X[:, 0]
    try:
        docs = list(X)
    except TypeError:
        raise TypeError(
            f"X must be an iterable of documents (strings or lists of tokens), "
            f"got {type(X).__name__}"
        ) from None
    return docs


class Word2VecTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Learn word2vec vectors from text and turn documents into vectors.

    Trains word2vec (Mikolov et al. 2013; skip-gram or CBOW, negative
    sampling and/or hierarchical softmax, frequent-word subsampling) with
    Numba kernels, then represents each document by a weighted average of
    its word vectors, so that a classifier or regressor can follow in a
    :class:`~sklearn.pipeline.Pipeline`.  Defaults follow gensim and the
    original C tool where they overlap.

    Parameters
    ----------
    vector_size : int, default=100
        Dimensionality of the word vectors.
    window : int, default=5
        Maximum distance between the target word and a context word.
    sg : bool, default=False
        Skip-gram if True, CBOW otherwise.
    hs : bool, default=False
        Train a hierarchical-softmax output layer (Huffman tree).
    negative : int, default=5
        Number of negative samples per positive example; 0 disables
        negative sampling (then ``hs`` must be True).
    ns_exponent : float, default=0.75
        Negatives are drawn with probability ~ count ** ns_exponent; 1 is
        frequency, 0 uniform, negative values favour rare words.
    cbow_mean : bool, default=True
        CBOW averages the context vectors (True) or sums them (False).
    sample : float, default=1e-3
        Subsampling threshold for frequent words (0 disables).
    min_count : int, default=5
        Ignore words with a lower total count.
    max_vocab_size : int or None, default=None
        Bound on the number of distinct words held while counting; rarer
        words are pruned on the way (as gensim/C), so counts become lower
        bounds.  ``None`` means no bound.
    max_final_vocab : int or None, default=None
        Keep at most this many words by raising ``min_count`` as needed.
    alpha : float, default=0.025
        Initial learning rate.
    min_alpha : float, default=1e-4
        Final learning rate; the rate decays linearly over all epochs.
    epochs : int, default=5
        Passes over the corpus.
    shrink_windows : bool, default=True
        Sample the effective window uniformly in ``[1, window]`` per target
        word (weights near words more), as the C tool does.
    lowercase : bool, default=True
        Lowercase string documents before tokenizing (token lists are used
        as given).
    token_pattern : str, default=r"(?u)\\b\\w\\w+\\b"
        Regular expression of a token in string documents (as
        :class:`~sklearn.feature_extraction.text.CountVectorizer`).
    doc_vector : {"mean", "tfidf", "sif"}, default="mean"
        How :meth:`transform` pools word vectors: plain mean over the known
        tokens; idf-weighted mean (smooth idf learned in ``fit``); or smooth
        inverse frequency (Arora et al. 2017: weights ``a / (a + p(w))`` with
        ``a = 1e-3``, then the first principal component of the training
        documents removed).
    n_jobs : int or None, default=None
        Training threads (hogwild); ``None`` means 1, ``-1`` all cores.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation and sampling.  With an int and ``n_jobs=1`` two
        fits give bit-identical vectors.
    verbose : int, default=0
        If > 0, print timings and per-epoch loss and speed (a tqdm bar when
        tqdm is installed).

    Attributes
    ----------
    wv_ : KeyedVectors
        The learned word vectors, most frequent word first.
    loss_history_ : list of float
        Mean loss per training example (a target word in CBOW, a
        target-context pair in skip-gram) of each epoch.
    idf_ : ndarray of shape (n_words,)
        Inverse document frequency of each word (``doc_vector="tfidf"``).
    sif_component_ : ndarray of shape (vector_size,)
        Principal direction removed from SIF document vectors
        (``doc_vector="sif"``).
    effective_min_count_ : int
        The count threshold applied (raised by ``max_final_vocab``).
    corpus_word_count_ : int
        Number of raw tokens seen in ``fit``.
    timings_ : dict
        Seconds spent in ``tokenize``, ``vocab`` and ``train`` during fit.

    See Also
    --------
    sklearn.feature_extraction.text.TfidfVectorizer : sparse bag-of-words.
    KeyedVectors : similarity queries and word2vec-format I/O.

    Examples
    --------
    >>> from skembed import Word2VecTransformer
    >>> docs = ["the cat sat on the mat", "the dog sat on the log"] * 50
    >>> w2v = Word2VecTransformer(vector_size=8, min_count=1, random_state=0)
    >>> w2v.fit_transform(docs).shape
    (100, 8)
    >>> w2v.wv_.index_to_key[:3]
    ['the', 'sat', 'on']
    """

    def __init__(
        self,
        vector_size=100,
        window=5,
        sg=False,
        hs=False,
        negative=5,
        ns_exponent=0.75,
        cbow_mean=True,
        sample=1e-3,
        min_count=5,
        max_vocab_size=None,
        max_final_vocab=None,
        alpha=0.025,
        min_alpha=1e-4,
        epochs=5,
        shrink_windows=True,
        lowercase=True,
        token_pattern=r"(?u)\b\w\w+\b",
        doc_vector="mean",
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
        self.cbow_mean = cbow_mean
        self.sample = sample
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.max_final_vocab = max_final_vocab
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.epochs = epochs
        self.shrink_windows = shrink_windows
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.doc_vector = doc_vector
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # -- tokenizing -----------------------------------------------------------
    def _tokenizer(self):
        try:
            pattern = re.compile(self.token_pattern)
        except (re.error, TypeError) as exc:
            raise ValueError(f"token_pattern {self.token_pattern!r} is not a valid "
                             f"regular expression: {exc}") from None
        lowercase = check_bool(self.lowercase, "lowercase")
        findall = pattern.findall

        def tokenize(doc, i):
            if isinstance(doc, str):
                return findall(doc.lower() if lowercase else doc)
            if isinstance(doc, (list, tuple, np.ndarray)):
                return doc if isinstance(doc, list) else list(doc)
            raise TypeError(
                f"document {i} is a {type(doc).__name__}; each document must be a "
                "string or a list of string tokens (fill missing texts, e.g. "
                "Series.fillna(''))"
            )

        return tokenize

    def _tokenize(self, X, check_tokens):
        docs = _as_documents(X)
        tokenize = self._tokenizer()
        tokenized = [tokenize(doc, i) for i, doc in enumerate(docs)]
        if check_tokens:
            _check_tokens(tokenized)
        return tokenized

    # -- fitting ------------------------------------------------------------
    def _validate_params(self):
        config = word2vec_config(self)
        check_scalar(self.min_count, "min_count", numbers.Integral, min_val=1)
        for name in ("max_vocab_size", "max_final_vocab"):
            value = getattr(self, name)
            if value is not None:
                check_scalar(value, name, numbers.Integral, min_val=1)
        check_option(self.doc_vector, "doc_vector", {"mean", "tfidf", "sif"})
        check_n_jobs(self.n_jobs)
        check_scalar(self.verbose, "verbose", numbers.Integral)
        return config

    def fit(self, X, y=None):
        """Learn the vocabulary and word vectors from the documents in X.

        Parameters
        ----------
        X : iterable of str or of list of str
            Documents: raw strings (tokenized with ``token_pattern``) or
            lists of tokens.  A single text column (1-column DataFrame or
            2-D array) is accepted too.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit, then return the document vectors of X (avoids re-tokenizing)."""
        corpus = self._fit(X)
        return self._pool(corpus.tokens, corpus.document_starts())

    def _fit(self, X):
        config = self._validate_params()
        rng = check_random_state(self.random_state)
        n_threads = resolve_n_threads(self.n_jobs)
        timings = {}
        t0 = time.perf_counter()
        docs = self._tokenize(X, check_tokens=False)
        if not docs:
            raise ValueError("X contains no documents: fit needs at least one "
                             "document with words")
        timings["tokenize"] = time.perf_counter() - t0

        n_tokens = sum(map(len, docs))
        if n_tokens == 0:
            raise ValueError(
                f"all {len(docs)} documents are empty after tokenizing: check the "
                f"input or token_pattern={self.token_pattern!r}"
            )

        def check_keys(keys):  # O(vocabulary); locate the culprit only on failure
            if not all(isinstance(k, str) for k in keys):
                _check_tokens(docs)

        try:
            vocab, corpus, state = fit_sequences(
                docs, config, rng, self.min_count, self.max_vocab_size,
                self.max_final_vocab, n_threads, self.verbose, "Word2VecTransformer",
                check_keys)
        except TypeError as exc:  # an unhashable token
            _check_tokens(docs)
            raise exc
        timings.update(state.timings)
        self.wv_ = KeyedVectors(vocab.keys, state.syn0, vocab.counts)
        self.loss_history_ = list(state.loss_history)
        self.effective_min_count_ = vocab.min_count
        self.corpus_word_count_ = corpus.raw_words
        self.timings_ = timings
        self._key_weights = self._document_weights(corpus, vocab.counts)
        if self.doc_vector == "sif":
            self.sif_component_ = np.zeros(config.vector_size, np.float32)
            pooled = self._pool(corpus.tokens, corpus.document_starts())
            if np.any(pooled):
                # first right singular vector of the (uncentred) document matrix
                _, _, vt = np.linalg.svd(pooled.astype(np.float64), full_matrices=False)
                self.sif_component_ = vt[0].astype(np.float32)
        return corpus

    def _document_weights(self, corpus, counts):
        if self.doc_vector == "tfidf":
            df = _document_frequency(corpus, len(counts))
            self.idf_ = (np.log((1.0 + corpus.n_documents) / (1.0 + df)) + 1.0).astype(
                np.float32)
            return self.idf_
        if self.doc_vector == "sif":
            p = counts / max(counts.sum(), 1)
            return (_SIF_A / (_SIF_A + p)).astype(np.float32)
        return np.ones(len(counts), np.float32)

    # -- transforming ---------------------------------------------------------
    def _pool(self, ids, starts):
        numba.set_num_threads(resolve_n_threads(self.n_jobs))
        out = pool_vectors(ids, starts, self._key_weights, self.wv_.vectors,
                           self.doc_vector != "sif")
        if self.doc_vector == "sif" and hasattr(self, "sif_component_"):
            u = self.sif_component_
            out -= np.outer(out @ u, u).astype(np.float32)
        return out

    def transform(self, X):
        """Document vectors: pooled vectors of the known words of each document.

        Parameters
        ----------
        X : iterable of str or of list of str

        Returns
        -------
        ndarray of float32, shape (n_documents, vector_size)
            Documents without any known word get a zero row.
        """
        check_is_fitted(self, "wv_")
        docs = self._tokenize(X, check_tokens=True)
        ids, lengths = encode_ids(docs, self.wv_.key_to_index)
        starts = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return self._pool(ids, starts)

    @property
    def _n_features_out(self):
        return self.wv_.vector_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.non_deterministic = self.random_state is None
        return tags


def _check_tokens(docs):
    for i, doc in enumerate(docs):
        for t in doc:
            if not isinstance(t, str):
                raise TypeError(
                    f"document {i} contains a token of type {type(t).__name__} "
                    f"({t!r}); tokens must be strings"
                )


def _document_frequency(corpus, n_keys):
    """Number of documents containing each key."""
    starts = corpus.document_starts()
    doc_ids = np.repeat(np.arange(corpus.n_documents), np.diff(starts))
    pairs = np.unique(doc_ids * n_keys + corpus.tokens.astype(np.int64))
    return np.bincount(pairs % n_keys, minlength=n_keys).astype(np.float64)
