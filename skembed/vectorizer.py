"""EmbeddingVectorizer: documents to vectors with given, frozen word vectors."""

import os

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import StrOptions

from ._dask import dask_kind
from ._fitting import unfitted_on_error
from ._validation import FLAG, N_JOBS
from .documents import DocumentVectorsMixin
from .keyed_vectors import KeyedVectors, as_keyed_vectors
from .word2vec import SequenceCorpus, TextFileCorpus
from .word2vec.corpus import check_paths

__all__ = ["EmbeddingVectorizer"]


class EmbeddingVectorizer(DocumentVectorsMixin, BaseEstimator):
    """Turn documents into vectors with pretrained word vectors, kept frozen.

    The transfer-learning step of a text pipeline: word vectors learned once
    on a large corpus (a published GloVe or fastText file, or a
    :class:`Word2VecTransformer` fitted on Wikipedia) become the features of
    a model trained on another task.  ``fit`` learns only what the pooling
    needs from the training documents (idf, word frequencies for SIF and the
    SIF component) and never changes the vectors; the tokenizer and the
    pooling are those of :class:`Word2VecTransformer`.

    Parameters
    ----------
    vectors : KeyedVectors, str or path
        The word vectors: a :class:`KeyedVectors`, a directory written by
        :meth:`KeyedVectors.save` (memory-mapped with ``mmap_mode``), or a
        word2vec file (binary if its name ends in ``.bin`` or ``.bin.gz``;
        read GloVe files with ``KeyedVectors.load_word2vec_format(path,
        no_header=True)`` first).
    doc_vector : {"mean", "tfidf", "sif"}, default="mean"
        Pooling of the word vectors of a document, as in
        :class:`Word2VecTransformer`; changeable after fit.
    lowercase : bool, default=True
        Lowercase string documents before tokenizing.
    token_pattern : str, default=``r"(?u)\\b\\w\\w+\\b"``
        Regular expression of a token in string documents.
    input : {"content", "filename"}, default="content"
        Documents in X, or paths of text files (one document per file).
    mmap_mode : {"r"} or None, default="r"
        How a ``vectors`` directory is opened: memory-mapped read-only, so
        that every process using it shares one copy, or read into memory.
    n_jobs : int or None, default=None
        Threads for pooling; ``None`` means 1, ``-1`` all cores the
        process may use (``OMP_NUM_THREADS`` caps it: one in a Dask worker).

    Attributes
    ----------
    vectors_ : KeyedVectors
        The vectors in use.
    idf_ : ndarray of shape (n_words,)
        Smooth inverse document frequency of each word in the training
        documents (words they never contain get the largest value).
    sif_component_ : ndarray of shape (vector_size,)
        The SIF component of the training documents (absent when they have
        none of their own: fewer than two with known words, or all along one
        direction; ``doc_vector="sif"`` then refuses to fit).

    Notes
    -----
    Cloning shares the vectors (a :class:`KeyedVectors` is immutable), so a
    ``GridSearchCV`` over ``doc_vector`` or the model behind it does not copy
    them.  Pickling an instance whose ``vectors`` is a path stores the path,
    not the vectors: unpickling opens the directory again (memory-mapped),
    so a pickled pipeline stays small and its workers share the file.

    Examples
    --------
    >>> import numpy as np
    >>> from skembed import EmbeddingVectorizer, KeyedVectors
    >>> kv = KeyedVectors(["good", "great", "bad"],
    ...                   np.array([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0]]))
    >>> vec = EmbeddingVectorizer(kv).fit(["good movie", "bad movie"])
    >>> vec.transform(["great", "bad bad"]).astype(float).round(2).tolist()
    [[0.9, 0.1], [-1.0, 0.0]]
    """

    _parameter_constraints = {
        "vectors": [KeyedVectors, str, os.PathLike],
        "doc_vector": [StrOptions({"mean", "tfidf", "sif"})],
        "lowercase": FLAG,
        "token_pattern": [str],
        "input": [StrOptions({"content", "filename"})],
        "mmap_mode": [StrOptions({"r"}), None],
        "n_jobs": N_JOBS,
    }

    def __init__(self, vectors, doc_vector="mean", lowercase=True,
                 token_pattern=r"(?u)\b\w\w+\b", input="content", mmap_mode="r",
                 n_jobs=None):
        self.vectors = vectors
        self.doc_vector = doc_vector
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.input = input
        self.mmap_mode = mmap_mode
        self.n_jobs = n_jobs

    def _table(self):
        return self.vectors_

    @unfitted_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the pooling statistics of the documents in X.

        Parameters
        ----------
        X : iterable of str or of list of str, or dask Bag or Series
            Documents (or paths with ``input="filename"``).  A Dask Bag or
            Series is tokenized and encoded on the workers.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self.vectors_ = as_keyed_vectors(self.vectors, mmap_mode=self.mmap_mode)
        n_keys = len(self.vectors_)
        if dask_kind(X) is not None:  # tokenized and encoded on the workers
            corpus = self._dask_corpus(X)
        elif self.input == "filename":
            corpus = TextFileCorpus(check_paths(X), self._tokenizer().text)
        else:
            docs = self._tokenize(X, check_tokens=True)
            if not docs:
                raise ValueError("X contains no documents")
            corpus = SequenceCorpus(docs)
        try:
            corpus.encode(self.vectors_.key_to_index)
            corpus.document_frequency(n_keys)  # streamed files, Dask: the encoding pass
            if corpus.n_documents == 0:
                raise ValueError("X contains no documents")
            counts = np.zeros(n_keys, np.int64)
            for piece in corpus.pieces():
                counts += np.bincount(piece.tokens, minlength=n_keys)
            self._learn_pooling(corpus, counts)
        finally:
            corpus.close()
        return self

    def __getstate__(self):
        state = self.__dict__.copy()
        if isinstance(self.vectors, (str, os.PathLike)):
            state.pop("vectors_", None)  # opened again on unpickling
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "idf_" in state and "vectors_" not in state:
            self.vectors_ = as_keyed_vectors(self.vectors, mmap_mode=self.mmap_mode)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags
