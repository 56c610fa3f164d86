"""KeyedVectors: a table of vectors addressed by key (word or item id).

Also the files vectors travel in: the word2vec text and binary formats (the C
tool, gensim, fastText ``.vec``, GloVe without header) and skembed's own
directory of ``.npy`` arrays, which several processes can memory-map.
"""

import gzip
import json
import os
import pickle
import unicodedata
import zlib
from numbers import Integral
from pathlib import Path

import numpy as np

__all__ = ["FastTextKeyedVectors", "KeyedVectors", "as_keyed_vectors"]


def _open(path, mode):
    path = str(path)
    if path.endswith(".gz"):
        return gzip.open(path, mode)
    return open(path, mode)


def _frozen(array):
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
        vectors = _frozen(vectors)
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
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.vectors = _frozen(self.vectors)

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
        from .topk import exact_top_k

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

    # -- evaluation ---------------------------------------------------------
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
        restrict = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))

        def norm(w):
            return w.lower() if case_insensitive else w

        vocab = {}
        for i, k in enumerate(self.index_to_key[:restrict]):
            if isinstance(k, str):
                vocab.setdefault(norm(k), i)
        sections, current = [], None
        with _open(path, "rt") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                if line.startswith(":"):
                    current = {"section": line[1:].strip(), "questions": []}
                    sections.append(current)
                    continue
                if current is None:
                    raise ValueError(f"{path}: question before the first ': section' line")
                words = line.split()
                if len(words) != 4:
                    raise ValueError(f"{path}: expected 4 words per question, got {line!r}")
                current["questions"].append(tuple(norm(w) for w in words))

        normed = self.get_normed_vectors()[:restrict]
        results, correct_all, incorrect_all = [], [], []
        for sec in sections:
            qs = [q for q in sec["questions"] if all(w in vocab for w in q)]
            correct, incorrect = [], []
            for start in range(0, len(qs), 1024):
                batch = qs[start:start + 1024]
                idx = np.array([[vocab[w] for w in q] for q in batch], dtype=np.int64)
                query = normed[idx[:, 1]] - normed[idx[:, 0]] + normed[idx[:, 2]]
                scores = query @ normed.T
                rows = np.arange(len(batch))
                for col in range(3):
                    scores[rows, idx[:, col]] = -np.inf
                pred = np.argmax(scores, axis=1)
                for q, p, expected in zip(batch, pred, idx[:, 3], strict=True):
                    (correct if p == expected else incorrect).append(q)
            results.append({"section": sec["section"], "correct": correct,
                            "incorrect": incorrect})
            correct_all += correct
            incorrect_all += incorrect
        results.append({"section": "Total accuracy", "correct": correct_all,
                        "incorrect": incorrect_all})
        answered = len(correct_all) + len(incorrect_all)
        accuracy = len(correct_all) / answered if answered else 0.0
        return accuracy, results

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
        from scipy import stats

        restrict = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        vocab = {}
        for i, k in enumerate(self.index_to_key[:restrict]):
            if isinstance(k, str):
                vocab.setdefault(k.lower() if case_insensitive else k, i)
        normed = self.get_normed_vectors()
        sim_model, sim_human, n_pairs, n_oov = [], [], 0, 0
        with _open(path, "rt") as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.rstrip("\n").split(delimiter)
                if len(parts) < 3:
                    raise ValueError(f"{path}: expected 'word1{delimiter}word2{delimiter}score'"
                                     f", got {line!r}")
                a, b = parts[0].strip(), parts[1].strip()
                if case_insensitive:
                    a, b = a.lower(), b.lower()
                n_pairs += 1
                if a not in vocab or b not in vocab:
                    n_oov += 1
                    continue
                sim_model.append(float(normed[vocab[a]] @ normed[vocab[b]]))
                sim_human.append(float(parts[2]))
        if len(sim_model) < 2:
            raise ValueError(f"{path}: fewer than two pairs with both words in vocabulary")
        pearson = stats.pearsonr(sim_human, sim_model)
        spearman = stats.spearmanr(sim_human, sim_model)
        return pearson, spearman, 100.0 * n_oov / max(n_pairs, 1)

    # -- skembed's own format: memory-mappable arrays -------------------------
    def save(self, path):
        """Write the vectors to the directory ``path`` (created if needed):
        ``vectors.npy`` and ``counts.npy`` (memory-mappable by
        :meth:`load`) and the keys (``keys.json`` for string or integer keys,
        ``keys.pkl`` for other hashable keys such as tuples).

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
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "vectors.npy", np.asarray(self.vectors))
        np.save(path / "counts.npy", self.counts)
        for name in ("keys.json", "keys.pkl"):
            (path / name).unlink(missing_ok=True)
        for name in ("ngrams.npy", "subwords.json"):
            (path / name).unlink(missing_ok=True)
        keys = self.index_to_key
        if all(isinstance(k, str) for k in keys):
            kind = "str"
        elif all(isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))
                 for k in keys):
            kind, keys = "int", [int(k) for k in keys]
        else:
            kind = None
        if kind is not None:
            with open(path / "keys.json", "w", encoding="utf-8") as f:
                json.dump({"type": kind, "keys": keys}, f, ensure_ascii=False)
        else:
            with open(path / "keys.pkl", "wb") as f:
                pickle.dump(list(keys), f)

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
        """
        if mmap_mode not in (None, "r", "c"):
            raise ValueError(f"mmap_mode must be None, 'r' or 'c', got {mmap_mode!r}")
        path = Path(path)
        if not (path / "vectors.npy").is_file():
            raise FileNotFoundError(f"{path} holds no vectors.npy: not a directory written "
                                    "by KeyedVectors.save")
        vectors = np.load(path / "vectors.npy", mmap_mode=mmap_mode, allow_pickle=False)
        counts = np.load(path / "counts.npy", allow_pickle=False)
        if (path / "keys.json").is_file():
            with open(path / "keys.json", encoding="utf-8") as f:
                keys = json.load(f)["keys"]
        else:
            with open(path / "keys.pkl", "rb") as f:
                keys = pickle.load(f)
        if vectors.ndim != 2 or len(keys) != vectors.shape[0] or len(counts) != len(keys):
            raise ValueError(f"{path}: {len(keys)} keys, {len(counts)} counts and vectors of "
                             f"shape {vectors.shape} do not match")
        if (path / "subwords.json").is_file():
            with open(path / "subwords.json", encoding="utf-8") as f:
                meta = json.load(f)
            ngrams = np.load(path / "ngrams.npy", mmap_mode=mmap_mode, allow_pickle=False)
            return FastTextKeyedVectors(keys, vectors, counts, ngrams=ngrams, **meta)
        return cls(keys, vectors, counts)

    # -- word2vec format I/O ------------------------------------------------
    def save_word2vec_format(self, path, binary=False, write_header=True):
        """Write the C tool's format (readable by gensim and ``word2vec`` C).

        Text: a ``"n_keys vector_size"`` header, then one ``key v1 v2 ...`` line
        per key (9 significant digits: float32 values round-trip exactly).
        Binary: the same header, then ``key`` + space + little-endian float32
        bytes + newline per key.  A ``.gz`` path is compressed.  Keys are
        written with ``str(key)`` and must not contain whitespace or control
        characters (``ValueError`` otherwise).
        """
        keys = [str(k) for k in self.index_to_key]
        for k in keys:
            if not k or any(c.isspace() or unicodedata.category(c) in ("Cc", "Cs") for c in k):
                raise ValueError(f"key {k!r} is empty or contains whitespace or a control "
                                 "character; the word2vec format cannot store it")
        vectors = self.vectors
        with _open(path, "wb") as f:
            if write_header:
                f.write(f"{len(keys)} {self.vector_size}\n".encode())
            if binary:
                data = np.asarray(vectors).astype("<f4")
                for k, row in zip(keys, data, strict=True):
                    f.write(k.encode("utf8") + b" " + row.tobytes() + b"\n")
            else:
                fmt = " ".join(["%.9g"] * self.vector_size)
                for start in range(0, len(keys), 10_000):
                    rows = np.asarray(vectors[start:start + 10_000], np.float64).tolist()
                    lines = [k + " " + fmt % tuple(row) for k, row in
                             zip(keys[start:start + 10_000], rows, strict=True)]
                    f.write(("\n".join(lines) + "\n").encode("utf8"))

    @classmethod
    def load_word2vec_format(cls, path, binary=False, no_header=False, limit=None,
                             encoding="utf8"):
        """Read word vectors in the word2vec format.

        Reads files of the C tool, gensim and :meth:`save_word2vec_format`
        (text or ``binary``), fastText's ``.vec`` (text) and GloVe's files
        (text without header: ``no_header=True``), plain or ``.gz``.  The
        file is streamed: memory holds the vectors kept, not the text.

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
            not a finite number, a key that is not valid text, a truncated
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
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, Integral)
                                  or limit < 0):
            raise ValueError(f"limit must be None or an int >= 0, got {limit!r}")
        if binary and no_header:
            raise ValueError("binary word2vec files always have a header")
        reader = _BinaryReader if binary else _TextReader
        try:
            with _open(path, "rb") as f:
                keys, vectors = reader(path, f, no_header, limit, encoding).read()
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: cannot read the file ({exc})") from None
        return cls(keys, vectors)


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
        self.ngrams = _frozen(ngrams)
        if self.ngrams.ndim != 2 or self.ngrams.shape[1] != self.vector_size:
            raise ValueError(f"ngrams must have shape (bucket, {self.vector_size}), got "
                             f"{self.ngrams.shape}")
        self.min_n, self.max_n = int(min_n), int(max_n)

    @property
    def bucket(self):
        return self.ngrams.shape[0]

    def _buckets(self, words):
        from .word2vec.subwords import ngram_buckets

        return ngram_buckets([str(w) for w in words], self.min_n, self.max_n, self.bucket)

    def oov_vectors(self, words):
        """Vectors of words from their n-grams alone (zero rows for words
        without any n-gram), shape (len(words), vector_size)."""
        from .word2vec.subwords import ngram_means

        indptr, ids = self._buckets(words)
        return ngram_means(self.ngrams, indptr, ids)

    def has_vector(self, key):
        """Whether a vector exists for ``key``: in the vocabulary, or a
        string with at least one n-gram."""
        if self._is_known(key):
            return True
        if not isinstance(key, str):
            return False
        indptr, _ = self._buckets([key])
        return bool(indptr[1] > 0)

    def get_vector(self, key, norm=False):
        """Vector of ``key``, from its n-grams when outside the vocabulary."""
        if self._is_known(key) or not isinstance(key, str):
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
        lengths (``subwords.json``)."""
        super().save(path)
        path = Path(path)
        np.save(path / "ngrams.npy", np.asarray(self.ngrams))
        with open(path / "subwords.json", "w", encoding="utf-8") as f:
            json.dump({"min_n": self.min_n, "max_n": self.max_n}, f)


def _is_key(term):
    return not isinstance(term, np.ndarray)


class _Rows:
    """A growing float32 table: exact size when the header is trusted, grown
    by halves otherwise (so a header claiming 1e12 rows costs nothing)."""

    def __init__(self, expected, dim, path):
        if dim < 1 or dim > 1_000_000:
            raise ValueError(f"{path}: vector size {dim} in the header is not plausible")
        self.dim = dim
        self.n = 0
        cap = expected if expected is not None else 1024
        self.data = np.empty((min(max(cap, 1), 1 << 16), dim), np.float32)
        self.expected = expected

    def add(self, row):
        if self.n == self.data.shape[0]:
            grow = max(self.n // 2, 1024)
            if self.expected is not None:
                grow = min(grow, max(self.expected - self.n, 1))
            self.data = np.concatenate([self.data, np.empty((grow, self.dim), np.float32)])
        self.data[self.n] = row
        self.n += 1

    def result(self):
        return self.data[:self.n]


def _header(path, line, encoding):
    try:
        parts = line.decode(encoding).split()
    except UnicodeDecodeError:
        raise ValueError(f"{path}: line 1 is not a 'n_keys vector_size' header") from None
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{path}: line 1 must be 'n_keys vector_size', got "
                         f"{' '.join(parts)[:80]!r}")
    return int(parts[0]), int(parts[1])


class _TextReader:
    def __init__(self, path, f, no_header, limit, encoding):
        self.path, self.f, self.no_header = path, f, no_header
        self.limit, self.encoding = limit, encoding

    def read(self):
        path, f = self.path, self.f
        n, dim, line_no = None, None, 0
        if not self.no_header:
            n, dim = _header(path, f.readline(), self.encoding)
            line_no = 1
        keep = n if self.limit is None else (self.limit if n is None else min(n, self.limit))
        rows, keys = None, []
        while keep is None or len(keys) < keep:
            raw = f.readline()
            line_no += 1
            if not raw:
                break
            try:
                parts = raw.decode(self.encoding).rstrip("\r\n").rstrip(" ").split(" ")
            except UnicodeDecodeError:
                raise ValueError(f"{path}: line {line_no} is not valid "
                                 f"{self.encoding} text") from None
            if dim is None:  # no header: the first row sets the dimension
                dim = len(parts) - 1
            if rows is None:
                rows = _Rows(keep, dim, path)
            if len(parts) != dim + 1:
                raise ValueError(f"{path}: line {line_no} has {len(parts) - 1} values, "
                                 f"expected {dim}")
            try:
                row = np.array(parts[1:], dtype=np.float32)
            except ValueError:
                raise ValueError(f"{path}: line {line_no} holds a value that is not a "
                                 "number") from None
            if not np.isfinite(row).all():
                raise ValueError(f"{path}: line {line_no} holds a NaN or infinite value")
            keys.append(parts[0])
            rows.add(row)
        if n is not None and len(keys) < keep:
            raise ValueError(f"{path}: the header announces {n} vectors but the file ends "
                             f"after {len(keys)} (line {line_no})")
        if n is not None and self.limit is None and f.readline().strip():
            raise ValueError(f"{path}: line {line_no + 1}: more vectors than the {n} the "
                             "header announces")
        if rows is None:
            rows = _Rows(0, max(dim or 1, 1), path)
        return keys, rows.result()


class _BinaryReader:
    def __init__(self, path, f, no_header, limit, encoding):
        self.path, self.f, self.limit, self.encoding = path, f, limit, encoding

    def read(self):
        path, f = self.path, self.f
        n, dim = _header(path, f.readline(), self.encoding)
        keep = n if self.limit is None else min(n, self.limit)
        rows, keys = _Rows(keep, dim, path), []
        row_bytes = 4 * dim
        for i in range(keep):
            word = bytearray()
            while True:
                ch = f.read(1)
                if ch == b"":
                    raise ValueError(f"{path}: the header announces {n} vectors but the file "
                                     f"ends in vector {i}")
                if ch == b" ":
                    break
                if ch != b"\n" or word:  # a newline may end the previous vector
                    word += ch
                if len(word) > 10_000:
                    raise ValueError(f"{path}: vector {i}: no key found (wrong vector size "
                                     "in the header, or not a binary word2vec file?)")
            raw = f.read(row_bytes)
            if len(raw) != row_bytes:
                raise ValueError(f"{path}: the file ends inside vector {i}")
            try:
                key = word.decode(self.encoding)
            except UnicodeDecodeError:
                raise ValueError(f"{path}: vector {i}: the key is not valid {self.encoding} "
                                 "text (wrong vector size in the header?)") from None
            if not key or any(c.isspace() or ord(c) < 32 for c in key):
                raise ValueError(f"{path}: vector {i}: malformed key {key!r} (wrong vector "
                                 "size in the header?)")
            row = np.frombuffer(raw, dtype="<f4")
            if not np.isfinite(row).all():
                raise ValueError(f"{path}: vector {i} holds a NaN or infinite value")
            keys.append(key)
            rows.add(row)
        if self.limit is None and f.read(64).strip():
            raise ValueError(f"{path}: more data after the {n} vectors the header announces "
                             "(wrong counts or vector size in the header?)")
        return keys, rows.result()


def as_keyed_vectors(vectors, mmap_mode=None):
    """``vectors`` as a :class:`KeyedVectors`: one already, a directory
    written by :meth:`KeyedVectors.save`, or a word2vec file (binary when
    its name ends in ``.bin`` or ``.bin.gz``, text otherwise)."""
    if isinstance(vectors, KeyedVectors):
        return vectors
    if isinstance(vectors, (str, os.PathLike)):
        path = Path(vectors)
        if path.is_dir():
            return KeyedVectors.load(path, mmap_mode=mmap_mode)
        if not path.is_file():
            raise FileNotFoundError(f"no such file or directory: {str(path)!r}")
        binary = path.name.endswith((".bin", ".bin.gz"))
        return KeyedVectors.load_word2vec_format(path, binary=binary)
    raise TypeError("vectors must be a KeyedVectors, a directory written by "
                    "KeyedVectors.save or a word2vec file, got "
                    f"{type(vectors).__name__}")
