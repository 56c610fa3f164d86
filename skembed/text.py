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
from .pooling import document_frequency, pool_vectors
from .text_stream import EncodedFileCorpus, check_paths, iter_documents
from .word2vec import (
    count_keys,
    encode_corpus,
    finalize_vocab,
    grow_state,
    init_state,
    resolve_n_threads,
    train,
    update_vocab,
)
from .word2vec.vocab import TokenIndex, encode_ids

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
    shared_negatives : bool, default=True
        Skip-gram draws one set of negative samples per target word, shared
        by all its context words (as HogBatch, Ji et al. 2016), so the few
        output rows involved stay in cache: 1.7x faster skip-gram on the
        Wikipedia benchmark at equal analogy accuracy (docs/benchmarks.md).
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
        lowercase = check_bool(self.lowercase, "lowercase")
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
    def _validate_params(self):
        config = word2vec_config(self)
        check_scalar(self.min_count, "min_count", numbers.Integral, min_val=1)
        for name in ("max_vocab_size", "max_final_vocab"):
            value = getattr(self, name)
            if value is not None:
                check_scalar(value, name, numbers.Integral, min_val=1)
        check_option(self.doc_vector, "doc_vector", {"mean", "tfidf", "sif"})
        check_option(self.input, "input", {"content", "filename"})
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
        if corpus is None:  # streamed files: one document per file
            return self.transform(X)
        return self._pool(corpus.tokens, corpus.document_starts())

    def _fit(self, X, update=False):
        config = self._validate_params()
        if update:
            if config.vector_size != self._state.syn0.shape[1]:
                raise ValueError("vector_size changed since fit; refit instead")
            rng = self._rng
        else:
            rng = check_random_state(self.random_state)
        n_threads = resolve_n_threads(self.n_jobs)
        timings = {}
        t0 = time.perf_counter()
        tokenize = self._tokenizer()
        index = None
        if self.input == "filename":
            paths = check_paths(X)
            counter, total, n_docs = count_keys(
                (doc for _, docs in iter_documents(paths, tokenize.text) for doc in docs),
                self.max_vocab_size)
            n_docs = len(paths)
        else:
            docs = self._tokenize(X, check_tokens=False)
            if not docs:
                raise ValueError("X contains no documents: fit needs at least one "
                                 "document with words")
            timings["tokenize"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            try:
                if self.max_vocab_size is None:
                    index = TokenIndex(docs)
                    counter, total, n_docs = index.counter(), index.total_words, len(docs)
                else:  # prune while counting, as the C tool
                    counter, total, n_docs = count_keys(docs, self.max_vocab_size)
            except TypeError:  # an unhashable token: name the document
                _check_tokens(docs)
                raise
        if total == 0:
            raise ValueError(
                f"all {n_docs} documents are empty after tokenizing: check the "
                f"input or token_pattern={self.token_pattern!r}"
            )
        if not all(isinstance(k, str) for k in counter):
            _check_tokens(docs)
        if update:
            vocab, n_new = update_vocab(self._vocab, counter, total, self.min_count)
            state = grow_state(self._state, n_new, rng)
        else:
            vocab = finalize_vocab(counter, total, self.min_count, self.max_final_vocab)
            if len(vocab) == 0:
                raise ValueError(
                    f"empty vocabulary: no word occurs at least min_count={self.min_count} "
                    f"times in {total} tokens; lower min_count or give more text"
                )
            state = init_state(len(vocab), config.vector_size, rng)
        k2i = vocab.key_to_index
        known_words = sum(c for k, c in counter.items() if k in k2i)  # sets the schedule
        del counter
        corpus = None
        if self.input == "filename":
            source = EncodedFileCorpus(paths, tokenize.text, vocab.key_to_index, len(vocab))
        else:
            corpus = (index.encode(vocab.key_to_index) if index is not None
                      else encode_corpus(docs, vocab.key_to_index))
            del docs, index
        timings["vocab"] = time.perf_counter() - t0
        if self.verbose:
            print(f"[Word2VecTransformer] {total:,} tokens in {n_docs:,} documents, "
                  f"{len(vocab):,} words (min_count={vocab.min_count}); tokenize+vocabulary "
                  f"{sum(timings.values()):.1f}s", flush=True)
        if corpus is not None:
            train(corpus, vocab.counts, config, state, rng, n_threads=n_threads,
                  verbose=self.verbose)
        else:
            try:
                train(source, vocab.counts, config, state, rng, n_threads=n_threads,
                      verbose=self.verbose, words_per_epoch=known_words,
                      raw_words_per_epoch=total)
            except BaseException:
                source.close()
                raise
        timings["train"] = state.timings.pop("train")
        if self.verbose:
            print(f"[Word2VecTransformer] trained in {timings['train']:.1f}s "
                  f"({total * config.epochs / max(timings['train'], 1e-9):,.0f} raw "
                  "words/s)", flush=True)

        self._state = state
        self._vocab = vocab
        self._rng = rng
        self.wv_ = KeyedVectors(vocab.keys, state.syn0, vocab.counts)
        self.loss_history_ = (self.loss_history_ if update else []) + state.loss_history
        state.loss_history = []
        self.effective_min_count_ = vocab.min_count
        self.corpus_word_count_ = (self.corpus_word_count_ if update else 0) + total
        self.timings_ = timings
        # document statistics for every pooling rule, so that doc_vector can
        # be changed with set_params after fit (no retraining)
        if corpus is not None:
            n_documents = corpus.n_documents
            df = document_frequency(corpus.tokens, corpus.document_starts(), len(vocab))
        else:
            n_documents = len(paths)
            df = source.document_frequency
        if update:
            n_documents += self._n_documents
            df[: len(self._df)] += self._df
        self._df, self._n_documents, self._counts = df, n_documents, vocab.counts
        self.idf_ = (np.log((1.0 + n_documents) / (1.0 + df)) + 1.0).astype(np.float32)
        self.__dict__.pop("sif_component_", None)
        # streamed files would need one more pass: only when asked for
        if corpus is not None or self.doc_vector == "sif":
            weights = self._document_weights("sif")
            if corpus is not None:
                pooled = pool_vectors(corpus.tokens, corpus.document_starts(), weights,
                                      self.wv_.vectors, False)
            else:
                pooled = self._pool_pieces(source(), len(paths), "sif", weights)
            self.sif_component_ = _first_principal_axis(pooled)
        if corpus is None:
            source.close()
        return corpus

    def _document_weights(self, rule):
        """Per-word pooling weights of ``rule`` (``self._counts`` order)."""
        if rule == "tfidf":
            return self.idf_
        if rule == "sif":
            p = self._counts / max(self._counts.sum(), 1)
            return (_SIF_A / (_SIF_A + p)).astype(np.float32)
        return np.ones(len(self._counts), np.float32)

    def _pooling(self):
        """Validated ``doc_vector`` and its weights, at transform time."""
        rule = check_option(self.doc_vector, "doc_vector", {"mean", "tfidf", "sif"})
        if rule == "sif" and not hasattr(self, "sif_component_"):
            raise ValueError("doc_vector='sif' on streamed files needs the SIF component "
                             "computed in fit: refit with doc_vector='sif'")
        return rule, self._document_weights(rule)

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
        numba.set_num_threads(resolve_n_threads(self.n_jobs))
        rule, weights = self._pooling()
        out = pool_vectors(ids, starts, weights, self.wv_.vectors, rule != "sif")
        return self._remove_component(out, rule)

    def _remove_component(self, out, rule):
        if rule == "sif":
            u = self.sif_component_
            out -= np.outer(out @ u, u).astype(np.float32)
        return out

    def _pool_pieces(self, pieces, n_docs, rule=None, weights=None):
        """Document vectors from encoded pieces of files (one document per file),
        combining the per-piece weighted means by their weight totals.  With
        ``rule`` given, the SIF component is not removed (used to learn it)."""
        numba.set_num_threads(resolve_n_threads(self.n_jobs))
        learning = rule is not None
        if not learning:
            rule, weights = self._pooling()
        by_weight = rule != "sif"
        sums = np.zeros((n_docs, self.wv_.vector_size), np.float64)
        totals = np.zeros(n_docs)
        for piece in pieces:
            ids = piece.tokens
            if len(ids) == 0:
                continue
            mean = pool_vectors(ids, np.array([0, len(ids)], np.int64), weights,
                                self.wv_.vectors, by_weight)[0]
            w = float(weights[ids].sum()) if by_weight else float(len(ids))
            sums[piece.file_index] += w * mean
            totals[piece.file_index] += w
        out = np.zeros(sums.shape, np.float32)
        nz = totals > 0
        out[nz] = sums[nz] / totals[nz, None]
        return out if learning else self._remove_component(out, rule)

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
            paths = check_paths(X)
            tokenize = self._tokenizer().text
            k2i = self.wv_.key_to_index

            def pieces():
                for i, docs in iter_documents(paths, tokenize):
                    piece = encode_corpus(docs, k2i)
                    piece.file_index = i
                    yield piece

            return self._pool_pieces(pieces(), len(paths))
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


def _first_principal_axis(X):
    """First right singular vector of the uncentred rows of X (unit norm),
    from the small Gram matrix; zeros when X is all zero."""
    gram = X.T.astype(np.float64) @ X.astype(np.float64)
    if not np.any(gram):
        return np.zeros(X.shape[1], np.float32)
    _, vecs = np.linalg.eigh(gram)
    return vecs[:, -1].astype(np.float32)


def _check_tokens(docs):
    for i, doc in enumerate(docs):
        for t in doc:
            if not isinstance(t, str):
                raise TypeError(
                    f"document {i} contains a token of type {type(t).__name__} "
                    f"({t!r}); tokens must be strings"
                )
