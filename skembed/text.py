"""Word2VecTransformer: word2vec trained on raw text, documents to vectors."""

import re
import time
from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted

from ._threads import numba_threads, resolve_n_threads
from ._validation import FLAG, WORD2VEC_PARAMETERS
from .keyed_vectors import KeyedVectors
from .pooling import (
    document_weights,
    first_principal_axis,
    pool_pieces,
    pool_vectors,
    remove_component,
    smooth_idf,
)
from .word2vec import SequenceCorpus, TextFileCorpus, Word2VecConfig, fit_corpus
from .word2vec.corpus import check_paths
from .word2vec.vocab import encode_ids

__all__ = ["Word2VecTransformer"]


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
    shared_negatives : bool, default=True
        Skip-gram draws one set of negative samples per target word, shared
        by all its context words (as HogBatch, Ji et al. 2016), so the few
        output rows involved stay in cache: much faster skip-gram at equal
        analogy accuracy (figures in docs/benchmarks.md).
        ``False`` draws new negatives for every (target, context) pair, as
        gensim and the C tool do.  No effect on CBOW.
    shrink_windows : bool, default=True
        Sample the effective window uniformly in ``[1, window]`` per target
        word (weights near words more), as the C tool does.
    lowercase : bool, default=True
        Lowercase string documents before tokenizing (token lists are used
        as given).
    token_pattern : str, default=``r"(?u)\\b\\w\\w+\\b"``
        Regular expression of a token in string documents (as
        :class:`~sklearn.feature_extraction.text.CountVectorizer`).
    input : {"content", "filename"}, default="content"
        ``"content"``: X holds the documents.  ``"filename"``: X is a list of
        paths to text files (plain or ``.gz``) streamed in chunks for
        counting and for every epoch, so memory stays bounded by vocabulary
        + weights + a fixed buffer whatever the corpus size; each line is a
        training sentence and each file one document for :meth:`transform`.
    doc_vector : {"mean", "tfidf", "sif"}, default="mean"
        How :meth:`transform` pools word vectors: plain mean over the known
        tokens; idf-weighted mean (smooth idf learned in ``fit``); or smooth
        inverse frequency (Arora et al. 2017: weights ``a / (a + p(w))`` with
        ``a = 1e-3``, then the first principal component of the training
        documents removed).  Only :meth:`transform` uses it, so it can be
        changed with ``set_params`` after fit without retraining (except to
        ``"sif"`` after a streamed ``input="filename"`` fit, which computes
        the SIF component only when ``doc_vector="sif"``).
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
        target-context pair in skip-gram) of each epoch, estimated on every
        8th example before its update; it can rise slightly in the last
        epochs as the learning rate decays (see the user guide).
    idf_ : ndarray of shape (n_words,)
        Smooth inverse document frequency of each word,
        ``log((1 + n_documents) / (1 + df)) + 1`` (used by
        ``doc_vector="tfidf"``).
    sif_component_ : ndarray of shape (vector_size,)
        Principal direction removed from SIF document vectors (used by
        ``doc_vector="sif"``; absent after a streamed fit with another
        ``doc_vector``).
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

    _parameter_constraints = {
        **WORD2VEC_PARAMETERS,
        "cbow_mean": FLAG,
        "max_vocab_size": [Interval(Integral, 1, 2**40, closed="both"), None],
        "max_final_vocab": [Interval(Integral, 1, 2**40, closed="both"), None],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "input": [StrOptions({"content", "filename"})],
        "doc_vector": [StrOptions({"mean", "tfidf", "sif"})],
    }

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
        shared_negatives=True,
        lowercase=True,
        token_pattern=r"(?u)\b\w\w+\b",
        input="content",
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
        self.shared_negatives = shared_negatives
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.input = input
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
        lowercase = bool(self.lowercase)
        findall = pattern.findall

        def tokenize_text(text):
            return findall(text.lower() if lowercase else text)

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

        tokenize.text = tokenize_text
        return tokenize

    def _tokenize(self, X, check_tokens):
        docs = _as_documents(X)
        tokenize = self._tokenizer()
        tokenized = [tokenize(doc, i) for i, doc in enumerate(docs)]
        if check_tokens:
            _check_tokens(tokenized)
        return tokenized

    # -- fitting ------------------------------------------------------------
    def fit(self, X, y=None):
        """Learn the vocabulary and word vectors from the documents in X.

        Parameters
        ----------
        X : iterable of str or of list of str
            Documents: raw strings (tokenized with ``token_pattern``) or
            lists of tokens.  A single text column (1-column DataFrame or
            2-D array) is accepted too.  With ``input="filename"``: a list of
            paths to text files.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._reset()
        self._fit(X)
        return self

    def _reset(self):
        for attr in ("wv_", "_state", "_vocab", "idf_", "sif_component_", "_df"):
            self.__dict__.pop(attr, None)

    def partial_fit(self, X, y=None):
        """Continue training on new documents (online word2vec).

        Words of X seen at least ``min_count`` times in X join the
        vocabulary (appended: rows of known words never move, as gensim's
        ``build_vocab(update=True)``); counts of known words grow, and the
        sampling tables are rebuilt from the updated counts.  Each call makes
        ``epochs`` passes over X with the learning rate decaying linearly
        from ``alpha`` to ``min_alpha`` (like a new gensim ``train()`` call);
        lower ``alpha`` for gentle updates.  On an unfitted estimator this is
        ``fit``.

        Parameters
        ----------
        X : iterable of str or of list of str (or paths with
            ``input="filename"``)
        y : None
            Ignored.

        Returns
        -------
        self
        """
        if not hasattr(self, "_state"):
            return self.fit(X)
        self._fit(X, update=True)
        return self

    def fit_transform(self, X, y=None):
        """Fit, then return the document vectors of X (avoids re-tokenizing)."""
        self._reset()
        corpus = self._fit(X)
        if self.input == "filename":  # streamed files: one document per file
            return self.transform(X)
        return self._pool(corpus.encoded.tokens, corpus.encoded.document_starts())

    def _corpus(self, X):
        """X as a corpus of the engine: token lists in memory, or files."""
        tokenize = self._tokenizer()
        if self.input == "filename":
            return TextFileCorpus(check_paths(X), tokenize.text)
        docs = self._tokenize(X, check_tokens=False)
        if not docs:
            raise ValueError("X contains no documents: fit needs at least one document "
                             "with words")
        if not any(len(d) for d in docs):
            raise ValueError(f"all {len(docs)} documents are empty after tokenizing: check "
                             f"the input or token_pattern={self.token_pattern!r}")
        return SequenceCorpus(docs)

    @_fit_context(prefer_skip_nested_validation=True)
    def _fit(self, X, update=False):
        config = Word2VecConfig.from_params(self.get_params())
        rng = self._rng if update else check_random_state(self.random_state)
        t0 = time.perf_counter()
        corpus = self._corpus(X)
        timings = {"tokenize": time.perf_counter() - t0}
        try:
            try:
                vocab, state = fit_corpus(
                    corpus, config, rng, min_count=self.min_count,
                    max_vocab_size=self.max_vocab_size, max_final_vocab=self.max_final_vocab,
                    vocab=self._vocab if update else None,
                    state=self._state if update else None,
                    n_threads=resolve_n_threads(self.n_jobs), verbose=self.verbose,
                    name="Word2VecTransformer", check_keys=_check_string_keys(corpus))
            except TypeError:  # an unhashable token: name the document
                if isinstance(corpus, SequenceCorpus):
                    _check_tokens(corpus.sequences)
                raise
            timings["vocab"] = state.timings["vocab"]
            timings["train"] = state.timings["train"]
            self._state, self._vocab, self._rng = state, vocab, rng
            self.wv_ = KeyedVectors(vocab.keys, state.syn0, vocab.counts)
            self.loss_history_ = (self.loss_history_ if update else []) + state.loss_history
            state.loss_history = []
            self.effective_min_count_ = vocab.min_count
            self.corpus_word_count_ = ((self.corpus_word_count_ if update else 0)
                                       + corpus.raw_words)
            self.timings_ = timings
            self._learn_pooling(corpus, update)
        finally:
            corpus.close()
        return corpus

    def _learn_pooling(self, corpus, update):
        """Document statistics for every pooling rule, so that doc_vector can
        be changed with set_params after fit (no retraining)."""
        n_keys = len(self._vocab)
        df = corpus.document_frequency(n_keys)
        n_documents = corpus.n_documents
        if update:
            n_documents += self._n_documents
            df[: len(self._df)] += self._df
        self._df, self._n_documents, self._counts = df, n_documents, self._vocab.counts
        self.idf_ = smooth_idf(df, n_documents)
        self.__dict__.pop("sif_component_", None)
        # streamed files would need one more pass: only when asked for
        streamed = self.input == "filename"
        if not streamed or self.doc_vector == "sif":
            weights = document_weights("sif", self._counts)
            if streamed:
                pooled = pool_pieces(corpus.pieces(), n_documents, weights,
                                     self.wv_.vectors, False)
            else:
                pooled = pool_vectors(corpus.encoded.tokens,
                                      corpus.encoded.document_starts(), weights,
                                      self.wv_.vectors, False)
            self.sif_component_ = first_principal_axis(pooled)

    def _pooling(self):
        """Validated ``doc_vector`` and its weights, at transform time."""
        validate_parameter_constraints(
            {"doc_vector": self._parameter_constraints["doc_vector"]},
            {"doc_vector": self.doc_vector}, caller_name=type(self).__name__)
        rule = self.doc_vector
        if rule == "sif" and not hasattr(self, "sif_component_"):
            raise ValueError("doc_vector='sif' on streamed files needs the SIF component "
                             "computed in fit: refit with doc_vector='sif'")
        return rule, document_weights(rule, self._counts, self.idf_)

    def estimate_memory(self, vocab_size=None, corpus_words=None):
        """Approximate bytes needed to train, by component.

        Parameters
        ----------
        vocab_size : int, optional
            Defaults to the fitted vocabulary size.
        corpus_words : int, optional
            Tokens of an in-memory corpus (0 when streaming files with
            ``input="filename"``); defaults to the last fit's count.

        Returns
        -------
        dict
            ``vectors``: ``4 * V * vector_size`` (input vectors) ``+ 4 * V *
            vector_size`` if ``negative > 0`` ``+ 4 * (V - 1) * vector_size`` if
            ``hs``; ``vocabulary``: about 200 bytes per word (Python dict and
            strings, sampling tables, Huffman codes); ``corpus``: 4 bytes
            per token for the encoded ids (plus the caller's own documents),
            or a fixed ~0.5 GB chunk buffer when streaming; ``total``.
        """
        if vocab_size is None:
            check_is_fitted(self, "wv_")
            vocab_size = len(self.wv_)
        if corpus_words is None:
            corpus_words = getattr(self, "corpus_word_count_", 0)
        d, v = int(self.vector_size), int(vocab_size)
        vectors = 4 * v * d * (1 + (self.negative > 0)) + (4 * (v - 1) * d if self.hs else 0)
        vocabulary = 200 * v
        corpus = 500 * 2**20 if self.input == "filename" else 4 * int(corpus_words)
        return {"vectors": vectors, "vocabulary": vocabulary, "corpus": corpus,
                "total": vectors + vocabulary + corpus}

    # -- transforming ---------------------------------------------------------
    def _pool(self, ids, starts):
        rule, weights = self._pooling()
        with numba_threads(self.n_jobs):
            out = pool_vectors(ids, starts, weights, self.wv_.vectors, rule != "sif")
        return remove_component(out, self.sif_component_) if rule == "sif" else out

    def transform(self, X):
        """Document vectors: pooled vectors of the known words of each document.

        Parameters
        ----------
        X : iterable of str or of list of str
            Or, with ``input="filename"``, paths of text files (one document
            per file, streamed).

        Returns
        -------
        ndarray of float32, shape (n_documents, vector_size)
            Documents without any known word get a zero row.
        """
        check_is_fitted(self, "wv_")
        if self.input == "filename":
            rule, weights = self._pooling()
            corpus = TextFileCorpus(check_paths(X), self._tokenizer().text)
            try:
                corpus.encode(self.wv_.key_to_index)
                with numba_threads(self.n_jobs):
                    out = pool_pieces(corpus.pieces(), corpus.n_documents, weights,
                                      self.wv_.vectors, rule != "sif")
            finally:
                corpus.close()
            return remove_component(out, self.sif_component_) if rule == "sif" else out
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


def _check_string_keys(corpus):
    """A check_keys for the engine: every counted key must be a string (the
    documents are searched for the culprit only when one is not)."""

    def check(keys):
        if not all(isinstance(k, str) for k in keys):
            _check_tokens(corpus.sequences)

    return check


def _check_tokens(docs):
    for i, doc in enumerate(docs):
        for t in doc:
            if not isinstance(t, str):
                raise TypeError(
                    f"document {i} contains a token of type {type(t).__name__} "
                    f"({t!r}); tokens must be strings"
                )
