"""The base class of the estimators that learn vectors with the word2vec
engine (:class:`~skembed.Word2VecTransformer`, :class:`~skembed.ItemSequenceEmbedder`).

It owns everything such an estimator does around the engine, once:
``fit`` and ``partial_fit`` (online training: a new vocabulary or the
fitted one grown), the choice of corpus (sequences in memory, text files
streamed with ``input="filename"``, the partitions of a Dask collection),
the empty-corpus errors, publishing the learned tables (read-only:
``wv_`` and, for subclasses that set ``_output_vectors``,
``output_vectors_``), the loss history, ``timings_`` and the release of
the training state (:meth:`drop_training_state`).

A subclass supplies its corpus and its key checks:

- ``_sequences(X)``: X in memory as a list of key sequences, or an
  :class:`~skembed._ragged.IndexedSequences`;
- ``_partition_reader()``: a picklable ``partition -> list of sequences``
  for Dask collections (``_dask_what`` names their elements in errors);
- ``_line_tokenizer()``: ``text -> tokens`` for ``input="filename"``
  (estimators with an ``input`` parameter);
- ``_key_check(corpus)``: a callable run on the counted keys before
  training, and ``_key_type_error(corpus, exc)`` for an unhashable key;
- ``_empty_error(n_sequences)``: the error of a corpus without any key;

and may override ``_config_overrides(corpus)`` (parameters resolved from
the data), ``_fit_arguments(X, corpus, **fit_params)`` (more arguments of
the engine's ``fit_corpus``: doc2vec's document rows, from a ``fit``
parameter such as ``tags``), ``_vectors(vocab, state, config)`` (the
published KeyedVectors) and ``_after_fit(corpus, vocab, state, update)``
(more fitted attributes).  Parameters: those of
:data:`~skembed._validation.WORD2VEC_PARAMETERS`, plus ``max_vocab_size``
and ``max_final_vocab`` when the subclass has them.
"""

import time

from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._dask import dask_kind
from ._fitting import clear_fitted, unfitted_on_error
from ._threads import resolve_n_threads
from .keyed_vectors import KeyedVectors, as_keyed_vectors
from .word2vec import DaskCorpus, SequenceCorpus, TextFileCorpus, Word2VecConfig, fit_corpus
from .word2vec.corpus import check_paths
from .word2vec.trainer import EmptyCorpusError

__all__ = ["PRETRAINED_DOC", "Word2VecEstimator"]

PRETRAINED_DOC = """    init_vectors : KeyedVectors, str or path, default=None
        Pretrained vectors to start from: a :class:`KeyedVectors` (e.g. an
        earlier model's ``wv_``), a directory written by
        :meth:`KeyedVectors.save`, or a word2vec / fastText ``.vec`` file
        (binary when named ``.bin``).  Each of its keys starts from its
        vector; the vocabulary is the union of the corpus vocabulary
        (``min_count`` applied) and its keys, so keys the corpus lacks keep
        their pretrained vectors (count 0, never drawn as negatives).  Its
        dimension must equal ``vector_size``.  Used by ``fit``;
        ``partial_fit`` continues from the fitted state.
    lock_factor : float in [0, 1], default=1.0
        Scale of every update of the pretrained rows: 0 keeps them frozen
        (bit-identical), 1 trains them as the others, in between fine-tunes
        them gently (gensim's ``vectors_lockf``).
"""


class Word2VecEstimator(BaseEstimator):
    """Base class of the word2vec-style estimators (see the module docstring).

    Not for direct use.  Subclass docstrings get :data:`PRETRAINED_DOC` at
    ``{pretrained}``.
    """

    # publish the negative-sampling output layer as ``output_vectors_``
    _output_vectors = False
    # with Dask input: what the partitions hold, and whether the corpus
    # counts the documents of each key (idf)
    _dask_what = "sequences"
    _track_documents = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__doc__ and "{pretrained}" in cls.__doc__:
            cls.__doc__ = cls.__doc__.replace("{pretrained}", PRETRAINED_DOC.rstrip("\n"))

    # -- the subclass's part ---------------------------------------------------
    def _sequences(self, X):
        raise NotImplementedError

    def _partition_reader(self):
        raise NotImplementedError

    def _line_tokenizer(self):
        raise NotImplementedError

    def _key_check(self, corpus):
        return None

    def _key_type_error(self, corpus, exc):
        """The error to raise for a TypeError while counting (an unhashable
        key), or None to raise ``exc`` itself."""
        return None

    def _empty_error(self, n_sequences):
        return ValueError("X contains no non-empty sequence: fit needs at least one "
                          "sequence with an item")

    def _config_overrides(self, corpus):
        return {}

    def _fit_arguments(self, X, corpus, **fit_params):
        """More keyword arguments of the engine's ``fit_corpus`` (from the
        ``fit_params`` a subclass's ``fit`` passes to ``_fit``)."""
        return {}

    def _vectors(self, vocab, state, config):
        """The published vectors: the training table itself, read-only (a
        ``partial_fit`` copies it before training on: copy on write)."""
        state.syn0.setflags(write=False)
        return KeyedVectors(vocab.keys, state.syn0, vocab.counts)

    def _after_fit(self, corpus, vocab, state, update):
        pass

    # -- fitting ---------------------------------------------------------------
    @unfitted_on_error
    def fit(self, X, y=None):
        """Learn the vocabulary and the vectors from X (see the class docstring
        for what X holds).

        Parameters
        ----------
        X : sequences, Dask Bag or Series
        y : None
            Ignored.

        Returns
        -------
        self
        """
        clear_fitted(self)
        self._fit(X, update=False)
        return self

    @unfitted_on_error
    def partial_fit(self, X, y=None):
        """Continue training on new data (online training).

        Keys of X seen at least ``min_count`` times in X join the vocabulary
        (appended: rows of known keys never move, as gensim's
        ``build_vocab(update=True)``); counts of known keys grow, and the
        sampling tables are rebuilt from the updated counts.  Each call makes
        ``epochs`` passes over X with the learning rate decaying linearly
        from ``alpha`` to ``min_alpha`` (like a new gensim ``train()`` call);
        lower ``alpha`` for gentle updates.  On an unfitted estimator this is
        ``fit``.

        Parameters
        ----------
        X : sequences (as for ``fit``)
        y : None
            Ignored.

        Returns
        -------
        self
        """
        if getattr(self, "_training_state_dropped", False):
            raise ValueError("drop_training_state() freed what partial_fit needs; fit again "
                             "instead")
        if not hasattr(self, "_state"):
            return self.fit(X)
        self._fit(X, update=True)
        return self

    def drop_training_state(self):
        """Free what only further training needs (the output layers, the
        training copy of the vocabulary): ``transform`` and ``wv_`` keep
        working, the pickle shrinks to about the vectors, and ``partial_fit``
        then refuses to continue.

        Returns
        -------
        self
        """
        check_is_fitted(self, "wv_")
        for name in ("_state", "_vocab", "_rng"):
            self.__dict__.pop(name, None)
        self._training_state_dropped = True
        return self

    def _corpus(self, X):
        """X as a corpus of the engine: the partitions of a Dask collection,
        streamed files (``input="filename"``) or sequences in memory."""
        if dask_kind(X) is not None:
            return self._dask_corpus(X)
        if getattr(self, "input", "content") == "filename":
            return TextFileCorpus(check_paths(X), self._line_tokenizer())
        return SequenceCorpus(self._sequences(X))

    def _dask_corpus(self, X):
        return DaskCorpus.from_collection(X, self._partition_reader(), what=self._dask_what,
                                          track_documents=self._track_documents)

    def _init_vectors(self):
        if self.init_vectors is None:
            return None
        return as_keyed_vectors(self.init_vectors)

    @_fit_context(prefer_skip_nested_validation=True)
    def _fit(self, X, update, **fit_params):
        t0 = time.perf_counter()
        corpus = self._corpus(X)
        timings = {"tokenize": time.perf_counter() - t0}
        try:
            config = Word2VecConfig.from_params(self.get_params(),
                                                **self._config_overrides(corpus))
            arguments = self._fit_arguments(X, corpus, **fit_params)
            rng = self._rng if update else check_random_state(self.random_state)
            try:
                vocab, state = fit_corpus(
                    corpus, config, rng, min_count=self.min_count,
                    max_vocab_size=getattr(self, "max_vocab_size", None),
                    max_final_vocab=getattr(self, "max_final_vocab", None),
                    init_vectors=None if update else self._init_vectors(),
                    lock_factor=float(self.lock_factor),
                    vocab=self._vocab if update else None,
                    state=self._state if update else None,
                    n_threads=resolve_n_threads(self.n_jobs), verbose=self.verbose,
                    name=type(self).__name__, check_keys=self._key_check(corpus),
                    **arguments)
            except EmptyCorpusError as exc:
                raise self._empty_error(exc.n_sequences) from None
            except TypeError as exc:
                error = self._key_type_error(corpus, exc)
                if error is None:
                    raise
                raise error from None
            self._vocab, self._state, self._rng = vocab, state, rng
            self.wv_ = self._vectors(vocab, state, config)
            if self._output_vectors:
                # a copy: the training layer goes on changing in partial_fit
                self.output_vectors_ = None
                if config.negative > 0:
                    self.output_vectors_ = state.syn1neg.copy()
                    self.output_vectors_.setflags(write=False)
            self.loss_history_ = (self.loss_history_ if update else []) + state.loss_history
            state.loss_history = []
            self.effective_min_count_ = vocab.min_count
            self.corpus_word_count_ = ((self.corpus_word_count_ if update else 0)
                                       + corpus.raw_words)
            timings["vocab"] = state.timings["vocab"]
            timings["train"] = state.timings["train"]
            timings["compile"] = state.timings["compile"]  # kernels, on first use
            self.timings_ = timings
            self._after_fit(corpus, vocab, state, update)
        finally:
            corpus.close()
        return corpus

    @property
    def _n_features_out(self):
        return self.wv_.vector_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = self.random_state is None
        return tags
