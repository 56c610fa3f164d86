"""KeyedVectors: a table of vectors addressed by key (word or item id)."""

import gzip
from pathlib import Path

import numpy as np

__all__ = ["KeyedVectors"]


def _open(path, mode):
    path = str(path)
    if path.endswith(".gz"):
        return gzip.open(path, mode)
    return open(path, mode)


class KeyedVectors:
    """Vectors addressed by key, with similarity queries and word2vec I/O.

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
    vectors : ndarray of float32, shape (n_keys, vector_size)
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
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
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
        self._norms = None

    # -- container protocol -------------------------------------------------
    @property
    def vector_size(self):
        return self.vectors.shape[1]

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        return key in self.key_to_index

    def __iter__(self):
        return iter(self.index_to_key)

    def __repr__(self):
        return f"KeyedVectors(n_keys={len(self)}, vector_size={self.vector_size})"

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_norms"] = None  # cheap to recompute, not worth pickling
        return state

    def get_index(self, key):
        """Row of ``key``; raises ``KeyError`` naming the key if absent."""
        try:
            return self.key_to_index[key]
        except (KeyError, TypeError):
            raise KeyError(f"key {key!r} not present in vocabulary") from None

    def __getitem__(self, key_or_keys):
        """Vector of a key, or a 2-D array for a list of keys."""
        if isinstance(key_or_keys, (list, tuple, np.ndarray)):
            return self.vectors[[self.get_index(k) for k in key_or_keys]]
        return self.vectors[self.get_index(key_or_keys)]

    def get_vector(self, key, norm=False):
        """Vector of ``key``, unit-normalised if ``norm``."""
        i = self.get_index(key)
        return self.get_normed_vectors()[i] if norm else self.vectors[i]

    def get_normed_vectors(self):
        """All vectors scaled to unit L2 norm (zero vectors stay zero)."""
        if self._norms is None or self._norms.shape[0] != len(self):
            norms = np.linalg.norm(self.vectors, axis=1)
            norms[norms == 0] = 1.0
            self._norms = norms.astype(np.float32)
        return self.vectors / self._norms[:, None]

    # -- similarity ---------------------------------------------------------
    def similarity(self, key1, key2):
        """Cosine similarity of two keys."""
        v1 = self.get_vector(key1, norm=True)
        v2 = self.get_vector(key2, norm=True)
        return float(np.dot(v1, v2))

    def _terms(self, positive, negative):
        def as_list(x):
            if x is None:
                return []
            if isinstance(x, (str, bytes)) or not isinstance(x, (list, tuple)):
                return [x]
            return list(x)

        positive, negative = as_list(positive), as_list(negative)
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative key")
        # a term may be a key or a raw vector
        pos = [(k, self._term_vector(k)) for k in positive]
        neg = [(k, self._term_vector(k)) for k in negative]
        exclude = {self.key_to_index[k] for k, _ in pos + neg if _is_key(k) and k in self}
        return pos, neg, exclude

    def _term_vector(self, term):
        if isinstance(term, np.ndarray) and term.ndim == 1:
            v = term.astype(np.float32)
            n = np.linalg.norm(v)
            return v / n if n > 0 else v
        return self.get_vector(term, norm=True)

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
        scores = normed @ mean
        return self._top(scores, topn, exclude)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Multiplicative combination (3CosMul, Levy & Goldberg 2014).

        Scores ``prod((1 + cos(x, p)) / 2) / (prod((1 + cos(x, n)) / 2) + 1e-6)``.
        """
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

    # -- word2vec format I/O ------------------------------------------------
    def save_word2vec_format(self, path, binary=False, write_header=True):
        """Write the C tool's format (readable by gensim and ``word2vec`` C).

        Text: a ``"n_keys vector_size"`` header, then one ``key v1 v2 ...`` line
        per key (9 significant digits: float32 values round-trip exactly).
        Binary: the same header, then ``key`` + space + little-endian float32
        bytes + newline per key.  A ``.gz`` path is compressed.  Keys are
        written with ``str(key)`` and must not contain whitespace.
        """
        keys = [str(k) for k in self.index_to_key]
        for k in keys:
            if not k or any(c.isspace() for c in k):
                raise ValueError(f"key {k!r} is empty or contains whitespace; "
                                 "the word2vec format cannot store it")
        vectors = self.vectors
        with _open(path, "wb") as f:
            if write_header:
                f.write(f"{len(keys)} {self.vector_size}\n".encode())
            if binary:
                data = vectors.astype("<f4")
                for k, row in zip(keys, data, strict=True):
                    f.write(k.encode("utf8") + b" " + row.tobytes() + b"\n")
            else:
                fmt = " ".join(["%.9g"] * self.vector_size)
                lines = [k + " " + fmt % tuple(row) for k, row in
                         zip(keys, vectors.astype(np.float64).tolist(), strict=True)]
                f.write(("\n".join(lines) + "\n").encode("utf8") if lines else b"")

    @classmethod
    def load_word2vec_format(cls, path, binary=False, encoding="utf8", limit=None):
        """Read a file written by the C tool, gensim or :meth:`save_word2vec_format`.

        Parameters
        ----------
        path : str or Path (``.gz`` is decompressed)
        binary : bool
        encoding : str, key encoding.
        limit : int, optional, read only the first ``limit`` vectors.
        """
        path = Path(path)
        with _open(path, "rb") as f:
            header = f.readline().decode(encoding).split()
            if len(header) != 2:
                raise ValueError(f"{path}: first line must be 'n_keys vector_size', "
                                 f"got {' '.join(header)!r}")
            n, dim = int(header[0]), int(header[1])
            if limit is not None:
                n = min(n, int(limit))
            keys = []
            vectors = np.empty((n, dim), dtype=np.float32)
            if binary:
                row_bytes = 4 * dim
                for i in range(n):
                    word = bytearray()
                    while True:
                        ch = f.read(1)
                        if ch == b"":
                            raise ValueError(f"{path}: unexpected end of file at vector {i}")
                        if ch == b" ":
                            break
                        if ch != b"\n":  # newline after the previous vector
                            word += ch
                    raw = f.read(row_bytes)
                    if len(raw) != row_bytes:
                        raise ValueError(f"{path}: unexpected end of file at vector {i}")
                    vectors[i] = np.frombuffer(raw, dtype="<f4")
                    keys.append(word.decode(encoding))
            else:
                for i in range(n):
                    line = f.readline()
                    if not line:
                        raise ValueError(f"{path}: expected {n} vectors, found {i}")
                    parts = line.decode(encoding).rstrip().split(" ")
                    if len(parts) != dim + 1:
                        raise ValueError(f"{path}: line {i + 2} has {len(parts) - 1} values, "
                                         f"expected {dim}")
                    keys.append(parts[0])
                    vectors[i] = np.asarray(parts[1:], dtype=np.float32)
        return cls(keys, vectors)


def _is_key(term):
    return not isinstance(term, np.ndarray)

