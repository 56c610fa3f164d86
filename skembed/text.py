"""Word2VecTransformer: word2vec trained on raw text, documents to vectors."""

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._dask import dask_aware
from ._fitting import clear_fitted, unfitted_on_error
from ._validation import FLAG, WORD2VEC_PARAMETERS
from ._word2vec_estimator import Word2VecEstimator
from .documents import SIF_NEEDS_DOCUMENTS, DocumentVectorsMixin
from .keyed_vectors import FastTextKeyedVectors
from .word2vec import SequenceCorpus, TextFileCorpus
from .word2vec.subwords import subword_vectors

__all__ = ["Word2VecTransformer"]


@dask_aware(methods=("fit_transform",))
class Word2VecTransformer(DocumentVectorsMixin, Word2VecEstimator):
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
    alpha : float or None, default=None
        Initial learning rate.  ``None``: 0.05 for CBOW and 0.025 for
        skip-gram, the C tool's rates (gensim uses 0.025 for both, which
        leaves CBOW markedly worse on the Wikipedia benchmark: see
        docs/benchmarks.md).
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
    min_n : int, default=3
        Shortest character n-gram of the subwords (fastText's ``minn``).
    max_n : int, default=0
        Longest character n-gram of the subwords (fastText's ``maxn``); 0
        switches subwords off (plain word2vec).  With subwords (fastText,
        Bojanowski et al. 2017; fastText uses 3 and 6), a word's input vector
        is the mean of its own row and the rows of the character n-grams of
        ``"<word>"``, hashed with fastText's hash into ``bucket`` rows, all
        trained in the same kernels; ``wv_`` then gives a vector for any
        string (misspellings, slang, product codes) and :meth:`transform`
        uses them for words outside the vocabulary.
    bucket : int, default=2,000,000
        Rows of the n-gram table (fastText's default; ``bucket *
        vector_size * 4`` bytes, 800 MB at 100 dimensions, shared by the
        training state and ``wv_`` until a ``partial_fit`` copies it).
{pretrained}
    n_jobs : int or None, default=None
        Training threads (hogwild); ``None`` means 1 unless a joblib
        ``parallel_config`` context sets ``n_jobs``, ``-1`` all cores the
        process may use (``OMP_NUM_THREADS`` caps it: one in a Dask worker).
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
        ``doc_vector``, and when the training documents have no common
        direction of their own: fewer than two with known words).
    effective_min_count_ : int
        The count threshold applied (raised by ``max_final_vocab``).
    corpus_word_count_ : int
        Number of raw tokens seen in ``fit``.
    timings_ : dict
        Seconds spent in ``tokenize``, ``vocab`` and ``train`` during fit, and in
        ``compile``: Numba compiling the training kernel on its first use (0 once
        it is cached on disk), left out of ``train``.

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
        "min_n": [Interval(Integral, 1, 100, closed="both")],
        "max_n": [Interval(Integral, 0, 100, closed="both")],
        "bucket": [Interval(Integral, 1, 2**31 - 1, closed="both")],
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
        alpha=None,
        min_alpha=1e-4,
        epochs=5,
        shrink_windows=True,
        shared_negatives=True,
        lowercase=True,
        token_pattern=r"(?u)\b\w\w+\b",
        input="content",
        doc_vector="mean",
        min_n=3,
        max_n=0,
        bucket=2_000_000,
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
        self.min_n = min_n
        self.max_n = max_n
        self.bucket = bucket
        self.init_vectors = init_vectors
        self.lock_factor = lock_factor
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Learn the vocabulary and word vectors from the documents in X.

        Parameters
        ----------
        X : iterable of str or of list of str, or dask Bag or Series
            Documents: raw strings (tokenized with ``token_pattern``) or
            lists of tokens.  A single text column (1-column DataFrame or
            2-D array) is accepted too.  With ``input="filename"``: a list of
            paths to text files.  A Dask Bag or Series of documents is
            tokenized, counted and encoded on the workers and streamed here
            for training (:class:`~skembed.word2vec.DaskCorpus`): the same
            vocabulary, and with ``n_jobs=1`` the same vectors, as the
            in-memory fit of the computed documents.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        return super().fit(X, y)

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
        return super().partial_fit(X, y)

    @unfitted_on_error
    def fit_transform(self, X, y=None):
        """Fit, then return the document vectors of X (avoids re-tokenizing)."""
        clear_fitted(self)
        corpus = self._fit(X, update=False)
        if self.input == "filename":  # streamed files: one document per file
            return self.transform(X)
        documents = corpus.encoded.documents()
        return self._pool(documents.ids, documents.starts)

    # -- the word2vec estimator's part (Word2VecEstimator; the tokenizer and
    # the key checks come with DocumentVectorsMixin) ---------------------------
    def _corpus(self, X):
        corpus = super()._corpus(X)
        # SIF needs two documents: say so before training, not after
        n_documents = (len(corpus.paths) if isinstance(corpus, TextFileCorpus)
                       else len(corpus.sequences) if isinstance(corpus, SequenceCorpus)
                       else None)
        if (self.doc_vector == "sif" and n_documents == 1
                and not hasattr(self, "sif_component_")):
            corpus.close()
            raise ValueError(SIF_NEEDS_DOCUMENTS)
        return corpus

    def _after_fit(self, corpus, vocab, state, update):
        self._learn_pooling(corpus, vocab.counts, update)

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
            strings, sampling tables, Huffman codes); ``ngrams``: with
            subwords (``max_n > 0``), ``4 * bucket * vector_size`` (the
            n-gram table), else 0;
            ``corpus``: 4 bytes per token for the encoded ids (plus the
            caller's own documents), or a fixed ~0.5 GB chunk buffer when
            streaming; ``total``.
        """
        if vocab_size is None:
            check_is_fitted(self, "wv_")
            vocab_size = len(self.wv_)
        if corpus_words is None:
            corpus_words = getattr(self, "corpus_word_count_", 0)
        d, v = int(self.vector_size), int(vocab_size)
        vectors = 4 * v * d * (1 + (self.negative > 0)) + (4 * (v - 1) * d if self.hs else 0)
        vocabulary = 200 * v
        ngrams = 4 * int(self.bucket) * d if self.max_n > 0 else 0
        corpus = 500 * 2**20 if self.input == "filename" else 4 * int(corpus_words)
        return {"vectors": vectors, "vocabulary": vocabulary, "ngrams": ngrams,
                "corpus": corpus, "total": vectors + vocabulary + ngrams + corpus}

    # -- transforming ---------------------------------------------------------
    def _table(self):
        return self.wv_

    def _vectors(self, vocab, state, config):
        """The fitted vectors as a read-only snapshot (with subwords: full-word
        vectors, the mean of each word's row and n-gram rows, plus the n-gram
        table for words outside the vocabulary)."""
        if not config.subwords:
            return super()._vectors(vocab, state, config)
        vectors = subword_vectors(state.syn0, state.ngrams, state.sub_indptr, state.sub_ids)
        state.ngrams.setflags(write=False)
        return FastTextKeyedVectors(vocab.keys, vectors, vocab.counts, ngrams=state.ngrams,
                                    min_n=config.min_n, max_n=config.max_n)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags
