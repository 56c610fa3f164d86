"""KeyedVectors: a table of vectors addressed by key (word or item id), with
similarity and analogy queries.

Its files are in :mod:`.word2vec_format` (the C tool's text and binary
formats) and :mod:`.directory` (skembed's memory-mappable ``.npy``
directory); its evaluations in :mod:`.evaluation`.
"""

from numbers import Integral

import numpy as np

from . import evaluation, word2vec_format
from .directory import read_directory, write_directory

__all__ = ["KeyedVectors", "frozen"]


def frozen(array):
    """``array`` as a read-only float32 C array (a copy unless it already is one)."""
    if (isinstance(array, np.ndarray) and array.dtype == np.float32
            and array.flags.c_contiguous and not array.flags.writeable):
        return array
    out = np.array(array, dtype=np.float32, order="C", copy=True)
    out.setflags(write=False)
    return out


class KeyedVectors:
    """Vectors addressed by key, with similarity queries and file I/O.

    A KeyedVectors is immutable: its ``vectors`` are a read-only array (a
    copy of what it was given), so a published table never changes under
    its user and can be shared freely (``copy.deepcopy`` and scikit-learn's
    ``clone`` share it instead of copying it).

    Parameters
    ----------
    keys : sequence of hashable
        One key per row of ``vectors``, typically most frequent first.
    vectors : array-like of shape (n_keys, vector_size)
        The embedding table (stored as float32).
    counts : array-like of shape (n_keys,), default=None
        Corpus frequency of each key.  When unknown (e.g. a file loaded from
        disk), decreasing pseudo-counts ``n_keys - index`` are used so that
        the frequency order is the row order, as gensim does.

    Attributes
    ----------
    index_to_key : list
    key_to_index : dict
    vectors : ndarray of float32, shape (n_keys, vector_size), read-only
    counts : ndarray of int64, shape (n_keys,)
    vector_size : int

    Examples
    --------
    >>> import numpy as np
    >>> from skembed import KeyedVectors
    >>> kv = KeyedVectors(["cat", "dog", "car"],
    ...                   np.array([[1.0, 0.1], [0.9, 0.2], [-0.1, 1.0]]))
    >>> kv.most_similar("cat", topn=1)
    [('dog', 0.99...)]
    >>> "dog" in kv, len(kv)
    (True, 3)
    """

    def __init__(self, keys, vectors, counts=None):
        keys = list(keys)
        vectors = frozen(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise ValueError(
                f"vectors must have shape (n_keys, vector_size) = ({len(keys)}, d), "
                f"got {vectors.shape}"
            )
        self.index_to_key = keys
        self.key_to_index = {k: i for i, k in enumerate(keys)}
        if len(self.key_to_index) != len(keys):
            raise ValueError("keys must be unique")
        self.vectors = vectors
        if counts is None:
            counts = np.arange(len(keys), 0, -1)
        self.counts = np.asarray(counts, dtype=np.int64)
        self._unit = None

    # -- container protocol -------------------------------------------------
    @property
    def vector_size(self):
        return self.vectors.shape[1]

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        try:
            return key in self.key_to_index
        except TypeError:  # unhashable
            return False

    def __iter__(self):
        return iter(self.index_to_key)

    def __repr__(self):
        return f"{type(self).__name__}(n_keys={len(self)}, vector_size={self.vector_size})"

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_unit"] = None  # cheap to recompute, not worth pickling
        # rebuilt from index_to_key on loading: a dict keyed by tuples or
        # bytes is something skops cannot store (and the pickle is smaller)
        del state["key_to_index"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        self.vectors = frozen(self.vectors)

    def __deepcopy__(self, memo):
        # immutable: a copy shares the read-only arrays
        return self

    def get_index(self, key):
        """Row of ``key``; raises ``KeyError`` naming the key if absent."""
        try:
            return self.key_to_index[key]
        except (KeyError, TypeError):
            raise KeyError(f"key {key!r} not present in vocabulary") from None

    def _is_known(self, key):
        try:
            return key in self.key_to_index
        except TypeError:
            return False

    def __getitem__(self, key_or_keys):
        """Vector of a key, or a 2-D array for a list of keys.

        A key that is in the vocabulary wins: with tuple item ids,
        ``kv[(1, 2)]`` is the vector of the key ``(1, 2)`` when it exists,
        the vectors of ``1`` and ``2`` otherwise.
        """
        if not self._is_known(key_or_keys) and isinstance(key_or_keys,
                                                         (list, tuple, np.ndarray)):
            return np.stack([self.get_vector(k) for k in key_or_keys]) if len(
                key_or_keys) else np.zeros((0, self.vector_size), np.float32)
        return self.get_vector(key_or_keys)

    def get_vector(self, key, norm=False):
        """Vector of ``key``, unit-normalised if ``norm``."""
        i = self.get_index(key)
        return self.get_normed_vectors()[i] if norm else self.vectors[i]

    def get_normed_vectors(self):
        """All vectors scaled to unit L2 norm (zero vectors stay zero);
        computed once and cached (the table is immutable)."""
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1)
            norms[norms == 0] = 1.0
            unit = (self.vectors / norms[:, None]).astype(np.float32)
            unit.setflags(write=False)
            self._unit = unit
        return self._unit

    # -- similarity ---------------------------------------------------------
    def similarity(self, key1, key2):
        """Cosine similarity of two keys."""
        v1 = self.get_vector(key1, norm=True)
        v2 = self.get_vector(key2, norm=True)
        return float(np.dot(v1, v2))

    def _as_terms(self, x):
        if x is None:
            return []
        if self._is_known(x) or isinstance(x, np.ndarray) and x.ndim == 1:
            return [x]
        if isinstance(x, (list, tuple)):
            return list(x)
        return [x]

    def _terms(self, positive, negative):
        positive, negative = self._as_terms(positive), self._as_terms(negative)
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative key")
        # a term may be a key or a raw vector
        pos = [(k, self._term_vector(k)) for k in positive]
        neg = [(k, self._term_vector(k)) for k in negative]
        exclude = {self.key_to_index[k] for k, _ in pos + neg
                   if _is_key(k) and self._is_known(k)}
        return pos, neg, exclude

    def _term_vector(self, term):
        if isinstance(term, np.ndarray) and term.ndim == 1:
            if term.shape[0] != self.vector_size:
                raise ValueError(f"a vector term must have {self.vector_size} values, got "
                                 f"{term.shape[0]}")
            v = term.astype(np.float32)
            n = np.linalg.norm(v)
            return v / n if n > 0 else v
        return self.get_vector(term, norm=True)

    @staticmethod
    def _check_topn(topn):
        if topn is None:
            return None
        if isinstance(topn, bool) or not isinstance(topn, Integral) or topn < 0:
            raise ValueError(f"topn must be an int >= 0 or None, got {topn!r}")
        return int(topn)

    def _top(self, scores, topn, exclude):
        if topn is None:
            return scores
        n = len(scores)
        k = min(topn + len(exclude), n)
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
        best = best[np.argsort(-scores[best], kind="stable")]
        out = [(self.index_to_key[i], float(scores[i])) for i in best if i not in exclude]
        return out[:topn]

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Keys closest to the mean of ``positive`` minus ``negative`` (3CosAdd).

        Parameters
        ----------
        positive, negative : key, vector, or list of them
        topn : int or None
            Number of results; ``None`` returns the array of all scores.
        restrict_vocab : int, optional
            Only search the first (most frequent) ``restrict_vocab`` keys.

        Returns
        -------
        list of (key, cosine similarity), best first.  Input keys are excluded.
        """
        from ..topk import exact_top_k

        topn = self._check_topn(topn)
        pos, neg, exclude = self._terms(positive, negative)
        mean = np.sum([v for _, v in pos], axis=0) if pos else 0
        if neg:
            mean = mean - np.sum([v for _, v in neg], axis=0)
        mean = np.asarray(mean, dtype=np.float32)
        norm = np.linalg.norm(mean)
        if norm > 0:
            mean = mean / norm
        normed = self.get_normed_vectors()
        if restrict_vocab is not None:
            normed = normed[:restrict_vocab]
        if topn is None:
            return normed @ mean
        k = min(topn, max(len(normed) - len(exclude), 0))
        if k == 0:
            return []
        banned = np.array(sorted(i for i in exclude if i < len(normed)), dtype=np.int64)
        idx, val = exact_top_k(mean[None, :], normed, k,
                               (np.array([0, len(banned)], np.int64), banned))
        return [(self.index_to_key[i], float(v)) for i, v in zip(idx[0], val[0], strict=True)
                if i >= 0]

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Multiplicative combination (3CosMul, Levy & Goldberg 2014).

        Scores ``prod((1 + cos(x, p)) / 2) / (prod((1 + cos(x, n)) / 2) + 1e-6)``.
        """
        topn = self._check_topn(topn)
        pos, neg, exclude = self._terms(positive, negative)
        normed = self.get_normed_vectors()
        if restrict_vocab is not None:
            normed = normed[:restrict_vocab]
        num = np.ones(normed.shape[0], dtype=np.float32)
        for _, v in pos:
            num *= (1.0 + normed @ v) / 2.0
        den = np.ones(normed.shape[0], dtype=np.float32)
        for _, v in neg:
            den *= (1.0 + normed @ v) / 2.0
        scores = num / (den + 1e-6)
        return self._top(scores, topn, exclude)

    # -- evaluation (.evaluation) --------------------------------------------
    def evaluate_word_analogies(self, path, restrict_vocab=30000, case_insensitive=True):
        """Accuracy on an analogy file in the ``questions-words.txt`` format.

        Each question ``a b c d`` asks for ``d`` from ``b - a + c`` (3CosAdd)
        among the ``restrict_vocab`` most frequent keys, excluding ``a, b, c``.
        Questions with a word outside that vocabulary are skipped, as the C
        tool's ``compute-accuracy`` and gensim do.

        Returns
        -------
        accuracy : float
            Correct / answered over all sections.
        sections : list of dict
            ``{"section", "correct", "incorrect"}`` per section (lists of
            question tuples), with a final ``"Total accuracy"`` entry.
        """
        return evaluation.evaluate_word_analogies(self, path, restrict_vocab, case_insensitive)

    def evaluate_word_pairs(self, path, delimiter="\t", restrict_vocab=300000,
                            case_insensitive=True):
        """Correlation with human similarity judgements (e.g. WordSim-353).

        Lines are ``word1<delimiter>word2<delimiter>score``; ``#`` starts a
        comment.  Pairs with a word outside the ``restrict_vocab`` most
        frequent keys are skipped and counted in ``oov_ratio``.

        Returns
        -------
        pearson : scipy PearsonRResult (statistic, pvalue)
        spearman : scipy SignificanceResult (statistic, pvalue)
        oov_ratio : float, percentage of skipped pairs
        """
        return evaluation.evaluate_word_pairs(self, path, delimiter, restrict_vocab,
                                              case_insensitive)

    # -- skembed's own format: memory-mappable arrays (.directory) ------------
    def save(self, path):
        """Write the vectors to the directory ``path`` (created if needed):
        ``vectors.npy`` and ``counts.npy`` (memory-mappable by
        :meth:`load`) and the keys (``keys.json`` for string or integer keys,
        ``keys.pkl`` for other hashable keys such as tuples).  Any keys and
        vectors are stored and read back identically.

        Atomic file by file: every file is written to a temporary file first
        and renamed over the old one when all are written, so a failure
        while writing (an exception, a full disk, the process killed) leaves
        the old directory as it was, and saving over the directory a
        :meth:`load` memory-maps leaves the mapped vectors intact.  (A crash
        in the instant between the renames can leave new and old files
        side by side; :meth:`load` refuses a mix of different sizes.)

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> from skembed import KeyedVectors
        >>> kv = KeyedVectors(["a", "b"], np.eye(2))
        >>> with tempfile.TemporaryDirectory() as d:
        ...     kv.save(d)
        ...     back = KeyedVectors.load(d, mmap_mode="r")
        ...     bool((back["b"] == kv["b"]).all()), back.index_to_key
        (True, ['a', 'b'])
        """
        write_directory(path, self.index_to_key, self.vectors, self.counts)

    @classmethod
    def load(cls, path, mmap_mode=None):
        """Read a directory written by :meth:`save`.

        Parameters
        ----------
        path : str or Path
        mmap_mode : {None, "r", "c"}, default=None
            ``"r"`` memory-maps ``vectors.npy`` read-only: the operating
            system shares one copy between every process that maps the
            file (joblib workers, the workers of a web server) and reads
            only the pages used.  ``None`` reads the vectors into memory.
            (``keys.pkl``, written for keys that are neither strings nor
            ints, is a pickle: load only directories you trust.)

        Returns
        -------
        KeyedVectors, or FastTextKeyedVectors for a directory saved with
        subwords.
        """
        keys, vectors, counts, subwords = read_directory(path, mmap_mode)
        if subwords is not None:
            from .fasttext import FastTextKeyedVectors

            return FastTextKeyedVectors(keys, vectors, counts, **subwords)
        return cls(keys, vectors, counts)

    # -- word2vec format I/O (.word2vec_format) -------------------------------
    def save_word2vec_format(self, path, binary=False, write_header=True):
        """Write the C tool's format (readable by gensim and ``word2vec`` C).

        Text: a ``"n_keys vector_size"`` header, then one ``key v1 v2 ...`` line
        per key (9 significant digits: float32 values round-trip exactly).
        Binary: the same header, then ``key`` + space + little-endian float32
        bytes + newline per key.  A ``.gz`` path is compressed.  The file is
        written to a temporary file and renamed over ``path`` once complete
        (atomic: a failure leaves an existing file as it was).

        The format holds keys as text: keys are written with ``str(key)``
        (``load_word2vec_format`` then returns strings, so integer ids come
        back as ``"17"``), and what it could not read back identically is
        refused with a ``ValueError`` before anything is written: two keys
        with the same text (``1`` and ``"1"``), an empty key, whitespace or
        a control character in a key, a key over 10,000 UTF-8 bytes
        (binary), a NaN or infinite value, vectors of size 0.  Without the
        header, there must be at least one key and the first must not start
        with a byte-order mark.  :meth:`save` stores any keys.
        """
        word2vec_format.write(path, self.index_to_key, self.vectors, binary, write_header)

    @classmethod
    def load_word2vec_format(cls, path, binary=False, no_header=False, limit=None,
                             encoding="utf8"):
        """Read word vectors in the word2vec format.

        Reads files of the C tool, gensim and :meth:`save_word2vec_format`
        (text or ``binary``), fastText's ``.vec`` (text) and GloVe's files
        (text without header: ``no_header=True``), plain or ``.gz``.  The
        file is streamed: memory holds the vectors kept, not the text.  A
        UTF-8 byte-order mark at the start of the file is skipped.

        Parameters
        ----------
        path : str or Path
        binary : bool, default=False
        no_header : bool, default=False
            The file has no ``"n_keys vector_size"`` first line (GloVe); the
            dimension is taken from the first row.
        limit : int, optional
            Keep only the first ``limit`` vectors (the most frequent ones in
            word2vec and fastText files).
        encoding : str, default="utf8"

        Raises
        ------
        ValueError
            Naming the file and the line (text) or vector (binary), for a
            malformed header, a row of the wrong length, a value that is
            not a finite number, a key that is not valid text, a key
            repeated (with the place of its first occurrence), a truncated
            file, or a file holding more vectors than its header says.

        Examples
        --------
        >>> import tempfile, os, numpy as np
        >>> from skembed import KeyedVectors
        >>> kv = KeyedVectors(["a", "b"], np.array([[1.0, 2.0], [3.0, 4.5]]))
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = os.path.join(d, "vectors.txt")
        ...     kv.save_word2vec_format(path)
        ...     KeyedVectors.load_word2vec_format(path)["b"].tolist()
        [3.0, 4.5]
        """
        keys, vectors = word2vec_format.read(path, binary, no_header, limit, encoding)
        return cls(keys, vectors)


def _is_key(term):
    return not isinstance(term, np.ndarray)


# the class is published as skembed.keyed_vectors.KeyedVectors (its __module__),
# where doctest finds its own examples but not those of its methods: here
__test__ = {f"KeyedVectors.{name}": getattr(KeyedVectors, name) for name in vars(KeyedVectors)
            if ">>>" in (getattr(getattr(KeyedVectors, name), "__doc__", None) or "")
            and not name.startswith("__")}
