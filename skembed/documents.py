"""Documents to vectors: the tokenizer and the pooling shared by every
estimator that turns text into vectors with a table of word vectors
(:class:`~skembed.Word2VecTransformer`, which learns the table, and
:class:`~skembed.EmbeddingVectorizer`, which is given one).

The pooling statistics (idf, SIF weights and component) are learned from the
training documents by :meth:`DocumentVectorsMixin._learn_pooling`; the
kernels are in :mod:`skembed.pooling`.
"""

import functools
import re

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted

from ._dask import dask_aware
from ._ragged import Ragged
from ._threads import resolve_n_threads
from .pooling import (
    document_weights,
    first_principal_axis,
    pieces_principal_axis,
    pool_pieces,
    pool_vectors,
    remove_component,
    smooth_idf,
)
from .word2vec import DaskCorpus, TextFileCorpus
from .word2vec.corpus import check_paths

__all__ = ["SIF_NEEDS_DOCUMENTS", "DocumentVectorsMixin", "as_documents", "make_tokenizer",
           "check_string_tokens"]

SIF_NEEDS_DOCUMENTS = (
    "doc_vector='sif' removes the common direction of the training documents, and these "
    "have none apart from themselves: fewer than two documents with known words, or all "
    "along one direction (every document vector would be zero). Fit on more documents, "
    "or use doc_vector='mean' or 'tfidf'")


def as_documents(X):
    """Return X as a list of documents, rejecting the common mistakes."""
    if sp.issparse(X):
        raise TypeError("X is a sparse matrix: sparse input is not supported; give "
                        "documents (strings or lists of tokens)")
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


def make_tokenizer(token_pattern, lowercase):
    """``tokenize(doc, i)``: a string document's tokens (``token_pattern``,
    after lowercasing if ``lowercase``), a token list as a list, anything
    else a TypeError naming document ``i``; ``tokenize.text(text)``
    tokenizes a text (a line of a file)."""
    try:
        pattern = re.compile(token_pattern)
    except (re.error, TypeError) as exc:
        raise ValueError(f"token_pattern {token_pattern!r} is not a valid "
                         f"regular expression: {exc}") from None
    lowercase = bool(lowercase)
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


def tokenize_partition(partition, tokenize):
    """The documents of one partition of a Dask collection as token lists
    (runs on the workers; ``tokenize`` from ``_tokenizer()``)."""
    return [tokenize(doc, i) for i, doc in enumerate(as_documents(partition))]


@dask_aware(methods=("transform", "fit_transform"))
class DocumentVectorsMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """Tokenizing (``lowercase``, ``token_pattern``, ``input``) and pooling
    (``doc_vector``) for estimators whose word vectors are ``self._table()``
    (a :class:`~skembed.KeyedVectors`); ``transform``, feature names and
    ``set_output`` come with it, and ``transform`` takes Dask collections
    (:mod:`skembed._dask`)."""

    def _tokenizer(self):
        return make_tokenizer(self.token_pattern, self.lowercase)

    def _partition_reader(self):
        """The documents of a partition of a Dask collection as token lists
        (picklable: runs on the workers)."""
        return functools.partial(tokenize_partition, tokenize=self._tokenizer())

    def _line_tokenizer(self):
        return self._tokenizer().text

    def _dask_corpus(self, X):
        """A Dask Bag or Series of documents as a corpus tokenized, counted
        and encoded on the workers (with document frequencies)."""
        if self.input == "filename":
            raise ValueError("input='filename' takes a list of paths; give a Dask collection "
                             "of documents with input='content' (e.g. dask.bag.read_text)")
        return DaskCorpus.from_collection(X, self._partition_reader(),
                                          what="documents (strings or token lists)",
                                          track_documents=True)

    def _tokenize(self, X, check_tokens):
        docs = as_documents(X)
        tokenize = self._tokenizer()
        tokenized = [tokenize(doc, i) for i, doc in enumerate(docs)]
        if check_tokens:
            check_string_tokens(tokenized)
        return tokenized

    # -- the checks of an estimator that learns its table (Word2VecEstimator) --
    def _sequences(self, X):
        return self._tokenize(X, check_tokens=False)

    def _empty_error(self, n_sequences):
        if n_sequences == 0:
            return ValueError("X contains no documents: fit needs at least one document with "
                              "words")
        return ValueError(f"all {n_sequences} documents are empty after tokenizing: check "
                          f"the input or token_pattern={self.token_pattern!r}")

    def _key_check(self, corpus):
        """Every counted key must be a string (the documents are searched for
        the culprit only when one is not)."""

        def check(keys):
            if not all(isinstance(k, str) for k in keys):
                if getattr(corpus, "sequences", None) is not None:
                    check_string_tokens(corpus.sequences)  # names the document
                bad = next(k for k in keys if not isinstance(k, str))
                raise TypeError(f"a document contains a token of type {type(bad).__name__} "
                                f"({bad!r}); tokens must be strings")

        return check

    def _key_type_error(self, corpus, exc):
        """An unhashable token: name its document (in memory)."""
        if getattr(corpus, "sequences", None) is not None:
            check_string_tokens(corpus.sequences)
        return None

    # -- fitting ------------------------------------------------------------
    def _learn_pooling(self, corpus, counts, update=False):
        """Document statistics for every pooling rule, so that doc_vector can
        be changed with set_params after fit (no retraining).

        ``corpus`` is an encoded corpus over the table's keys (in memory or
        streamed files); ``counts`` the frequency of each key for the SIF
        weights.  With ``update`` the new documents add to the old counts.
        """
        n_keys = len(self._table())
        df = corpus.document_frequency(n_keys)
        n_documents = corpus.n_documents
        if update:
            n_documents += self._n_documents
            df[: len(self._df)] += self._df
        self._df, self._n_documents, self._counts = df, n_documents, counts
        self.idf_ = smooth_idf(df, n_documents)
        previous = self.__dict__.pop("sif_component_", None) if update else None
        self.__dict__.pop("sif_component_", None)
        # streamed files would need one more pass: only when asked for
        streamed = isinstance(corpus, TextFileCorpus)
        self._sif_missing = ("doc_vector='sif' on streamed files needs the SIF component "
                             "computed in fit: refit with doc_vector='sif'")
        if not streamed or self.doc_vector == "sif":
            weights = document_weights("sif", self._counts)
            vectors = self._table().vectors
            n_threads = resolve_n_threads(self.n_jobs)
            if isinstance(corpus, DaskCorpus):  # one more pass over the spilled ids
                component = pieces_principal_axis(corpus.pieces(), weights, vectors, n_threads)
            elif streamed:
                component = first_principal_axis(pool_pieces(
                    corpus.pieces(), n_documents, weights, vectors, False, n_threads))
            else:
                documents = corpus.encoded.documents()
                component = first_principal_axis(pool_vectors(
                    documents.ids, documents.starts, weights, vectors, False,
                    n_threads=n_threads))
            if not np.any(component) and previous is not None:
                component = previous  # the new documents have no direction of their own
            if np.any(component):
                self.sif_component_, self._sif_missing = component, None
            else:  # one document (or all along one direction): SIF would zero them all
                self._sif_missing = SIF_NEEDS_DOCUMENTS
                if self.doc_vector == "sif":
                    raise ValueError(self._sif_missing)

    def _pooling(self):
        """Validated ``doc_vector`` and its weights, at transform time."""
        validate_parameter_constraints(
            {"doc_vector": self._parameter_constraints["doc_vector"]},
            {"doc_vector": self.doc_vector}, caller_name=type(self).__name__)
        rule = self.doc_vector
        if rule == "sif" and not hasattr(self, "sif_component_"):
            raise ValueError(getattr(self, "_sif_missing", None)  # (older pickles)
                             or "doc_vector='sif' on streamed files needs the SIF component "
                             "computed in fit: refit with doc_vector='sif'")
        return rule, document_weights(rule, self._counts, self.idf_)

    def _pool(self, ids, starts, extra=None):
        """Pooled vectors of encoded documents (``ids``, ``starts``); ids from
        ``len(vectors)`` on index ``extra`` (words outside the vocabulary,
        weighted as a word the training documents never contain)."""
        rule, weights = self._pooling()
        unseen = {"mean": 1.0, "sif": 1.0,
                  "tfidf": float(smooth_idf(0, self._n_documents))}[rule]
        out = pool_vectors(ids, starts, weights, self._table().vectors, rule != "sif",
                           extra=extra, extra_weight=unseen,
                           n_threads=resolve_n_threads(self.n_jobs))
        return remove_component(out, self.sif_component_) if rule == "sif" else out

    def _encode_documents(self, docs):
        """Token ids of ``docs`` and, with subwords, the vectors of their
        words outside the vocabulary (ids from ``len(vectors)`` on)."""
        table = self._table()
        encoded = Ragged.from_lists(docs, table.key_to_index)
        ids, starts = encoded.ids, encoded.starts
        extra = None
        unknown = np.flatnonzero(ids < 0)
        if len(unknown) and hasattr(table, "oov_vectors"):
            flat = [t for doc in docs for t in doc]
            words, inverse = np.unique(np.array([flat[p] for p in unknown], dtype=object),
                                       return_inverse=True)
            extra = table.oov_vectors(words.tolist())
            has_ngrams = np.any(extra != 0, axis=1)
            ids[unknown] = np.where(has_ngrams[inverse], len(table) + inverse, -1)
        return ids, starts, extra

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
            Documents without any known word get a zero row.  With subword
            vectors, words outside the vocabulary count through their
            n-grams (not when streaming files).
        """
        check_is_fitted(self, "idf_")
        if self.input == "filename":
            rule, weights = self._pooling()
            corpus = TextFileCorpus(check_paths(X), self._tokenizer().text)
            try:
                corpus.encode(self._table().key_to_index)
                out = pool_pieces(corpus.pieces(), corpus.n_documents, weights,
                                  self._table().vectors, rule != "sif",
                                  resolve_n_threads(self.n_jobs))
            finally:
                corpus.close()
            return remove_component(out, self.sif_component_) if rule == "sif" else out
        docs = self._tokenize(X, check_tokens=True)
        return self._pool(*self._encode_documents(docs))

    @property
    def _n_features_out(self):
        return self._table().vector_size


def check_string_tokens(docs):
    for i, doc in enumerate(docs):
        for t in doc:
            if not isinstance(t, str):
                raise TypeError(
                    f"document {i} contains a token of type {type(t).__name__} "
                    f"({t!r}); tokens must be strings"
                )
