"""Doc2VecTransformer: paragraph vectors (PV-DBOW, PV-DM) on the word2vec engine."""

import os
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.preprocessing import normalize
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._dask import dask_aware
from ._fitting import clear_fitted, unfitted_on_error
from ._ragged import Ragged
from ._threads import resolve_n_threads
from ._validation import FLAG, WORD2VEC_PARAMETERS
from ._word2vec_estimator import Word2VecEstimator
from .documents import DocumentVectorsMixin
from .keyed_vectors import KeyedVectors
from .word2vec import Word2VecConfig
from .word2vec.corpus import check_paths, iter_text_chunks
from .word2vec.inference import infer_documents

__all__ = ["Doc2VecTransformer"]

# documents read at a time when inferring the vectors of files
_FILE_BLOCK_TOKENS = 2_000_000


def _never(self):
    return False


@dask_aware(methods=("transform",))
class Doc2VecTransformer(DocumentVectorsMixin, Word2VecEstimator):
    """Learn paragraph vectors (doc2vec) from text and infer them for any document.

    Paragraph vectors (Le & Mikolov 2014, gensim's ``Doc2Vec``) learn one
    vector per document together with the word2vec word vectors, so that the
    document vector predicts the document's words.  Unlike averaged word
    vectors (:class:`Word2VecTransformer`'s ``doc_vector``), a document vector
    is fitted to the document itself.  Two models, both trained by skembed's
    one word2vec engine (the same Numba kernel, a compile-time switch for the
    document-vector input):

    - PV-DBOW (``dm=False``, the default): the document vector predicts each
      of its words, as skip-gram's input word would; with
      ``dbow_words=True`` skip-gram word pairs are trained in the same pass
      (interleaved), which learns word vectors too (Dai, Olah & Le 2015 found
      it gave better document vectors; for IMDB sentiment it does not).
    - PV-DM (``dm=True``): the document vector joins the context words of
      CBOW, averaged or summed with them (``dm_mean``) or concatenated
      (``dm_concat=True``: a much larger, slower model).

    ``fit`` learns the word and document vectors; ``fit_transform`` returns
    the trained vectors of the training documents; ``transform`` infers the
    vector of any document (new ones, or the training documents again) with
    words and output layer frozen, ``infer_epochs`` passes over it.  Both
    return rows of unit length by default (``norm="l2"``): the length of a
    trained vector and that of an inferred one follow different learning
    schedules, their directions are what compares.

    Parameters
    ----------
    vector_size : int, default=100
        Dimensionality of the word and document vectors.
    dm : bool, default=False
        PV-DM if True, PV-DBOW otherwise.
    dbow_words : bool, default=False
        PV-DBOW only: also train skip-gram word pairs within ``window``,
        interleaved with the document vectors (gensim's ``dbow_words``).
        Without it PV-DBOW ignores ``window`` and leaves the word vectors
        (``wv_``) at their random start.
    dm_mean : bool, default=True
        PV-DM only: average (True) or sum (False) the context word vectors
        and the document vector.
    dm_concat : bool, default=False
        PV-DM only: the input is the concatenation of the document vector
        and the ``2 * window`` word vectors around the target (padded at the
        ends of a document; no window shrinking), so the output layer is
        ``(1 + 2 * window) * vector_size`` wide.
    window : int, default=5
        Maximum distance between the target word and a context word.
    hs : bool, default=False
        Train a hierarchical-softmax output layer (Huffman tree).
    negative : int, default=5
        Number of negative samples per positive example; 0 disables
        negative sampling (then ``hs`` must be True).
    ns_exponent : float, default=0.75
        Negatives are drawn with probability ~ count ** ns_exponent.
    sample : float, default=1e-3
        Subsampling threshold for frequent words (0 disables).
    min_count : int, default=5
        Ignore words with a lower total count.
    max_vocab_size : int or None, default=None
        Bound on the number of distinct words held while counting (rarer
        words are pruned on the way, as gensim/C).
    max_final_vocab : int or None, default=None
        Keep at most this many words by raising ``min_count`` as needed.
    alpha : float or None, default=0.025
        Initial learning rate (``None``: 0.025 for PV-DBOW, 0.05 for PV-DM).
    min_alpha : float, default=1e-4
        Final learning rate; the rate decays linearly over all epochs (and,
        in inference, over each document's ``infer_epochs``).
    epochs : int, default=30
        Passes over the corpus.  Each document vector is updated by its own
        words only, so paragraph vectors need more passes than word vectors.
    infer_epochs : int or None, default=10
        Passes over each document in :meth:`transform` (``None``: ``epochs``,
        as gensim's ``infer_vector``).  Fewer passes than training stop the
        fit of a document's vector to its few words early, which
        generalises better.
    norm : {"l2"} or None, default="l2"
        Scale the rows returned by :meth:`fit_transform` and
        :meth:`transform` to unit Euclidean length (as
        ``TfidfVectorizer``'s ``norm``); zero rows stay zero.  ``None``
        returns the vectors as trained or inferred.  ``dv_`` always holds
        the trained vectors unscaled.
    shrink_windows : bool, default=True
        Sample the effective window uniformly in ``[1, window]`` per target
        word (not with ``dm_concat``).
    shared_negatives : bool, default=True
        With ``dbow_words``, skip-gram's word pairs of a target word share
        one set of negative samples (as :class:`Word2VecTransformer`);
        ``False`` draws them per pair, as gensim.
    lowercase : bool, default=True
        Lowercase string documents before tokenizing.
    token_pattern : str, default=``r"(?u)\\b\\w\\w+\\b"``
        Regular expression of a token in string documents.
    input : {"content", "filename"}, default="content"
        ``"content"``: X holds the documents.  ``"filename"``: X is a list of
        paths of text files (plain or ``.gz``), each file one document
        (tagged by its path) whose lines are its sentences, streamed from
        disk.
{pretrained}
    n_jobs : int or None, default=None
        Training and inference threads; ``None`` means 1 unless a joblib
        ``parallel_config`` context sets ``n_jobs``, ``-1`` all cores the
        process may use.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation and sampling.  With an int and ``n_jobs=1`` two
        fits give bit-identical vectors.  :meth:`transform` is deterministic
        for a fitted model whatever ``n_jobs``: a document's vector depends
        only on its words.
    verbose : int, default=0
        If > 0, print timings and per-epoch loss and speed.

    Attributes
    ----------
    dv_ : KeyedVectors
        The trained document vectors, keyed by tag (see :meth:`fit`), in
        order of first appearance; ``dv_.counts`` holds the number of
        documents of each tag.  Tags whose documents have no word of the
        vocabulary get a zero vector.
    wv_ : KeyedVectors
        The word vectors, most frequent word first (random, untrained, for
        PV-DBOW without ``dbow_words``).
    loss_history_ : list of float
        Mean loss per training example of each epoch (estimated on a sample).
    effective_min_count_ : int
        The count threshold applied (raised by ``max_final_vocab``).
    corpus_word_count_ : int
        Number of raw tokens seen in ``fit``.
    timings_ : dict
        Seconds spent in ``tokenize``, ``vocab``, ``train`` and ``compile``
        (Numba compiling the kernel on first use) during fit.

    See Also
    --------
    Word2VecTransformer : word vectors, documents as their pooled words.

    Notes
    -----
    Documents longer than 10,000 tokens are cut into several sentences for
    training (contexts never cross a cut); inference treats each document
    as one sequence.  Unlike gensim, a document has one tag, and inference
    starts from a zero vector and draws its random numbers from a stream
    seeded by the document's words, so repeated calls give the same vector.
    Figures against gensim: see docs/benchmarks.md.

    Examples
    --------
    >>> from skembed import Doc2VecTransformer
    >>> docs = ["the cat sat on the mat", "a dog sat on the log",
    ...         "stocks fell as markets slid", "markets rallied and stocks rose"] * 25
    >>> d2v = Doc2VecTransformer(vector_size=8, min_count=1, epochs=20, n_jobs=1,
    ...                          random_state=0)
    >>> d2v.fit_transform(docs).shape
    (100, 8)
    >>> d2v.transform(["the dog sat on the mat"]).shape
    (1, 8)
    >>> d2v.dv_.index_to_key[:3]
    [0, 1, 2]
    """

    _parameter_constraints = {
        **{k: v for k, v in WORD2VEC_PARAMETERS.items() if k != "sg"},  # (dm instead)
        "dm": FLAG,
        "dbow_words": FLAG,
        "dm_mean": FLAG,
        "dm_concat": FLAG,
        "infer_epochs": [Interval(Integral, 1, 1_000_000, closed="both"), None],
        "norm": [StrOptions({"l2"}), None],
        "max_vocab_size": [Interval(Integral, 1, 2**40, closed="both"), None],
        "max_final_vocab": [Interval(Integral, 1, 2**40, closed="both"), None],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "input": [StrOptions({"content", "filename"})],
    }

    def __init__(
        self,
        vector_size=100,
        dm=False,
        dbow_words=False,
        dm_mean=True,
        dm_concat=False,
        window=5,
        hs=False,
        negative=5,
        ns_exponent=0.75,
        sample=1e-3,
        min_count=5,
        max_vocab_size=None,
        max_final_vocab=None,
        alpha=0.025,
        min_alpha=1e-4,
        epochs=30,
        infer_epochs=10,
        norm="l2",
        shrink_windows=True,
        shared_negatives=True,
        lowercase=True,
        token_pattern=r"(?u)\b\w\w+\b",
        input="content",
        init_vectors=None,
        lock_factor=1.0,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.vector_size = vector_size
        self.dm = dm
        self.dbow_words = dbow_words
        self.dm_mean = dm_mean
        self.dm_concat = dm_concat
        self.window = window
        self.hs = hs
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.sample = sample
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.max_final_vocab = max_final_vocab
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.epochs = epochs
        self.infer_epochs = infer_epochs
        self.norm = norm
        self.shrink_windows = shrink_windows
        self.shared_negatives = shared_negatives
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.input = input
        self.init_vectors = init_vectors
        self.lock_factor = lock_factor
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting ----------------------------------------------------------------
    @unfitted_on_error
    def fit(self, X, y=None, tags=None):
        """Learn the vocabulary, the word vectors and a vector per document tag.

        Parameters
        ----------
        X : iterable of str or of list of str, pandas Series, or Dask Bag or Series
            Documents: raw strings (tokenized with ``token_pattern``) or lists
            of tokens; a single text column (1-column DataFrame or 2-D array)
            too.  With ``input="filename"``: a list of paths of text files.
            A Dask collection is tokenized, counted and encoded on the
            workers and streamed here for training.
        y : None
            Ignored.
        tags : sequence of hashable, optional
            The tag of each document, the keys of ``dv_``.  Default: the index
            of a pandas X, the paths with ``input="filename"``, else the
            positions ``0 .. n_documents - 1``.  Documents with the same tag
            share one vector, trained by all of them (as gensim).  A missing
            tag (None, NaN) is an error.

        Returns
        -------
        self
        """
        clear_fitted(self)
        self._fit(X, update=False, tags=tags)
        self.__dict__.pop("_doc_rows", None)
        return self

    @unfitted_on_error
    def fit_transform(self, X, y=None, tags=None):
        """Fit, then return the trained vector of each document of X (in the
        order of X; documents sharing a tag get the same row).

        Parameters
        ----------
        X, y, tags
            As for :meth:`fit`.

        Returns
        -------
        ndarray of float32, shape (n_documents, vector_size)
            The trained vectors (``dv_``, scaled to unit length with
            ``norm="l2"``), not inferred ones: :meth:`transform` of the same
            documents infers new vectors, close to these but not equal.
        """
        clear_fitted(self)
        self._fit(X, update=False, tags=tags)
        rows = self.__dict__.pop("_doc_rows")
        return _scaled(self.dv_.vectors[rows], self.norm)

    # partial_fit would need new documents' tags and rows; not supported
    @available_if(_never)
    def partial_fit(self, X, y=None):  # pragma: no cover - hidden
        raise NotImplementedError

    # inference needs the output layer: nothing to drop
    @available_if(_never)
    def drop_training_state(self):  # pragma: no cover - hidden
        raise NotImplementedError

    def _config_overrides(self, corpus):
        return {"sg": not self.dm, "cbow_mean": bool(self.dm_mean), "doc_vectors": True}

    def _fit_arguments(self, X, corpus, tags=None):
        """The document-vector row of every document, from the tags (or
        their default), once the corpus knows its number of documents."""
        if tags is None:
            if isinstance(X, (pd.Series, pd.DataFrame)):
                tags = X.index
            elif self.input == "filename":
                tags = [os.fspath(p) for p in X]
        elif isinstance(tags, (str, bytes)):
            raise TypeError("tags must be a sequence with one tag per document, not a "
                            "single string")
        def doc_rows(n_documents):
            if tags is None:
                self._tag_keys = list(range(n_documents))
                rows = np.arange(n_documents, dtype=np.int64)
            else:
                self._tag_keys, rows = _tag_rows(tags, n_documents)
            self._doc_rows = rows
            return rows

        return {"doc_rows": doc_rows}

    def _vectors(self, vocab, state, config):
        """Word vectors (read-only; without PV-DM-concat's padding row)."""
        state.syn0.setflags(write=False)
        return KeyedVectors(vocab.keys, state.syn0[: len(vocab)], vocab.counts)

    def _after_fit(self, corpus, vocab, state, update):
        vectors = state.docvecs
        vectors[~state.trained_docs] = 0.0  # tags without a known word
        vectors.setflags(write=False)
        counts = np.bincount(self._doc_rows, minlength=len(vectors))
        self.dv_ = KeyedVectors(self._tag_keys, vectors, counts)
        del self._tag_keys
        # what inference needs: the fit's engine settings, and its random
        # streams' seed, fixed per fitted model
        self._engine_config = Word2VecConfig.from_params(self.get_params(),
                                                         **self._config_overrides(corpus))
        self._infer_seed = int(self._rng.randint(0, 2**31 - 1))

    # -- inferring ----------------------------------------------------------------
    def transform(self, X):
        """Infer the vector of each document of X.

        Each document's vector starts from zero and is trained for
        ``infer_epochs`` passes over its words (skipping words outside the
        vocabulary) with the word vectors and the output layer frozen, as
        gensim's ``infer_vector``; all documents are inferred in one call of
        the training kernel, on ``n_jobs`` threads.

        Parameters
        ----------
        X : iterable of str or of list of str
            Or, with ``input="filename"``, paths of text files (one document
            per file).  A Dask Bag or Series gives a lazy result
            (block-wise).

        Returns
        -------
        ndarray of float32, shape (n_documents, vector_size)
            Rows of unit length with ``norm="l2"``; documents without any
            word of the vocabulary get a zero row.
        """
        check_is_fitted(self, "dv_")
        validate_parameter_constraints(
            {k: self._parameter_constraints[k] for k in ("infer_epochs", "norm")},
            {"infer_epochs": self.infer_epochs, "norm": self.norm},
            caller_name=type(self).__name__)
        if self.input == "filename":
            return _scaled(self._infer_files(check_paths(X)), self.norm)
        docs = self._tokenize(X, check_tokens=True)
        return _scaled(self._infer(Ragged.from_lists(docs, self.wv_.key_to_index)), self.norm)

    def _infer(self, encoded):
        config = self._engine_config
        epochs = self.epochs if self.infer_epochs is None else self.infer_epochs
        return infer_documents(encoded, self._vocab.counts, config, self._state,
                               self._infer_seed, int(epochs), config.alpha, config.min_alpha,
                               n_threads=resolve_n_threads(self.n_jobs))

    def _infer_files(self, paths):
        """One document per file, read in blocks of files (bounded memory)."""
        tokenize = self._tokenizer().text
        out, block, n_tokens = [], [], 0
        for path in paths:
            doc = [t for text in iter_text_chunks(path) for t in tokenize(text)]
            block.append(doc)
            n_tokens += len(doc)
            if n_tokens >= _FILE_BLOCK_TOKENS:
                out.append(self._infer(Ragged.from_lists(block, self.wv_.key_to_index)))
                block, n_tokens = [], 0
        out.append(self._infer(Ragged.from_lists(block, self.wv_.key_to_index)))
        return np.concatenate(out)

    def _table(self):
        return self.wv_

    @property
    def _n_features_out(self):
        return self.dv_.vector_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags


def _scaled(vectors, norm):
    """``vectors`` (a fresh float32 array, scaled in place) with rows of unit
    length for ``norm="l2"``; zero rows stay zero."""
    out = np.asarray(vectors, dtype=np.float32)
    if norm == "l2" and out.shape[0]:  # normalize refuses an empty array
        normalize(out, copy=False)
    return out


def _tag_rows(tags, n_documents):
    """Distinct tags (first-seen order) and the row of each document's tag."""
    if isinstance(tags, (pd.Index, pd.Series)):
        tags = tags.tolist()
    try:
        tags = list(tags)
    except TypeError:
        raise TypeError(f"tags must be a sequence with one tag per document, got "
                        f"{type(tags).__name__}") from None
    if len(tags) != n_documents:
        raise ValueError(f"tags has {len(tags)} entries for {n_documents} documents; give "
                         "one tag per document")
    index = {}
    rows = np.empty(n_documents, np.int64)
    for i, tag in enumerate(tags):
        if tag is None or (isinstance(tag, float) and tag != tag) or tag is pd.NA \
                or tag is pd.NaT:
            raise ValueError(f"the tag of document {i} is missing ({tag!r}); give every "
                             "document a tag")
        try:
            rows[i] = index.setdefault(tag, len(index))
        except TypeError:
            raise TypeError(f"the tag of document {i} ({tag!r}) is not hashable") from None
    return list(index), rows
