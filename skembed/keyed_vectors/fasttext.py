"""FastTextKeyedVectors: word vectors with fastText subwords, a vector for any
string (the n-gram hashing is in :mod:`skembed.word2vec.subwords`)."""

import numpy as np

from .vectors import KeyedVectors, frozen

__all__ = ["FastTextKeyedVectors"]


class FastTextKeyedVectors(KeyedVectors):
    """Word vectors with fastText subwords: a vector for any string.

    The vocabulary's vectors (``vectors``) are the mean of each word's own
    row and its character n-gram rows, as fastText and gensim report them;
    a word outside the vocabulary gets the mean of its n-gram rows
    (``ngrams``), so misspellings, slang and product codes have vectors.
    ``key in kv`` and ``key_to_index`` speak of the vocabulary;
    :meth:`has_vector` is true for any string with at least one n-gram.

    Parameters
    ----------
    keys, vectors, counts
        As :class:`KeyedVectors` (``vectors``: full-word vectors).
    ngrams : array-like of shape (bucket, vector_size)
        The n-gram table.
    min_n, max_n : int
        Lengths, in characters, of the n-grams of ``"<" + word + ">"``.

    Examples
    --------
    >>> import numpy as np
    >>> from skembed.keyed_vectors import FastTextKeyedVectors
    >>> kv = FastTextKeyedVectors(["hello"], np.ones((1, 2)), ngrams=np.eye(4, 2),
    ...                           min_n=3, max_n=4)
    >>> kv["helo"].shape, "helo" in kv, kv.has_vector("helo")
    ((2,), False, True)
    """

    def __init__(self, keys, vectors, counts=None, *, ngrams, min_n, max_n):
        super().__init__(keys, vectors, counts)
        self.ngrams = frozen(ngrams)
        if self.ngrams.ndim != 2 or self.ngrams.shape[1] != self.vector_size:
            raise ValueError(f"ngrams must have shape (bucket, {self.vector_size}), got "
                             f"{self.ngrams.shape}")
        self.min_n, self.max_n = int(min_n), int(max_n)

    def __setstate__(self, state):
        super().__setstate__(state)
        self.ngrams = frozen(self.ngrams)  # unpickled arrays are writeable

    @property
    def bucket(self):
        return self.ngrams.shape[0]

    def _buckets(self, words):
        from ..word2vec.subwords import ngram_buckets

        return ngram_buckets([str(w) for w in words], self.min_n, self.max_n, self.bucket)

    def oov_vectors(self, words):
        """Vectors of words from their n-grams alone (zero rows for words
        without any n-gram), shape (len(words), vector_size)."""
        from ..word2vec.subwords import ngram_means

        indptr, ids = self._buckets(words)
        return ngram_means(self.ngrams, indptr, ids)

    def has_vector(self, key):
        """Whether a vector exists for ``key``: in the vocabulary, or a
        string with at least one n-gram."""
        if key in self:
            return True
        if not isinstance(key, str):
            return False
        indptr, _ = self._buckets([key])
        return bool(indptr[1] > 0)

    def get_vector(self, key, norm=False):
        """Vector of ``key``, from its n-grams when outside the vocabulary."""
        if key in self or not isinstance(key, str):
            return super().get_vector(key, norm)
        indptr, ids = self._buckets([key])
        if indptr[1] == 0:
            raise KeyError(f"key {key!r} is not in the vocabulary and has no n-gram of "
                           f"{self.min_n}-{self.max_n} characters")
        v = self.oov_vectors([key])[0]
        if norm:
            n = np.linalg.norm(v)
            v = v / n if n > 0 else v
        return v

    def save(self, path):
        """As :meth:`KeyedVectors.save`, plus ``ngrams.npy`` and the n-gram
        lengths (``subwords.json``), atomically as the rest."""
        from .directory import write_directory

        write_directory(path, self.index_to_key, self.vectors, self.counts,
                        ngrams=self.ngrams, subwords={"min_n": self.min_n, "max_n": self.max_n})
