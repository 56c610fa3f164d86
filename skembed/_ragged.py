"""Ragged sequences: one flat array of ids plus row boundaries.

Every list of variable-length sequences that skembed hands to a kernel has
this one shape: a word2vec corpus (sentences of vocabulary indices), the
histories a recommender scores (catalogue indices), the sessions of an
event log (row positions).  :class:`Ragged` holds it; row ``i`` is
``ids[starts[i]:starts[i + 1]]``, ``starts`` is int64 with one more entry
than rows and ``starts[0] == 0``.  Negative ids mark keys outside the
vocabulary or catalogue (kernels skip them).

Constructors: :meth:`Ragged.from_lengths` (ids and row lengths),
:meth:`Ragged.from_lists` (Python sequences of keys through a dict),
:meth:`Ragged.from_arrays` (a list of 1-D arrays), :meth:`Ragged.from_csr`
(a scipy CSR matrix's rows) and :meth:`Ragged.concatenate` (consecutive
pieces, e.g. the partitions of a Dask collection).

:class:`IndexedSequences` is the hashing step: sequences of hashable keys
(words, item ids) factorized once into their distinct keys (first-seen
order) and a Ragged of key indices.  Everything after it (counting,
encoding against a vocabulary or catalogue, splitting) is integer work.
"""

import itertools

import numpy as np
import pandas as pd

__all__ = ["IndexedSequences", "Ragged", "offsets"]

# older pandas (2.0) hashes object strings up to their first NUL character, so
# that factorize makes "" and "\x00" one key: there the keys go through a dict
_FACTORIZE_KEEPS_NUL = len(pd.factorize(np.array(["", "\x00"], dtype=object))[1]) == 2


def offsets(lengths):
    """Row boundaries (int64, ``len(lengths) + 1``, from 0) of rows of
    ``lengths`` elements."""
    out = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


class Ragged:
    """Rows of ids: ``ids[starts[i]:starts[i + 1]]`` is row ``i``.

    Attributes
    ----------
    ids : ndarray of int (int32 for corpora and histories)
    starts : ndarray of int64, shape (n_rows + 1,), ``starts[0] == 0``
    """

    __slots__ = ("ids", "starts")

    def __init__(self, ids, starts):
        self.ids = ids
        self.starts = starts

    # -- constructors -------------------------------------------------------
    @classmethod
    def from_lengths(cls, ids, lengths):
        """Rows of ``lengths`` consecutive ids."""
        return cls(ids, offsets(lengths))

    @classmethod
    def from_lists(cls, sequences, key_to_index):
        """Python sequences of keys as indices of ``key_to_index`` (int32;
        -1 for a key it lacks).  Raises ``TypeError`` for an unhashable key."""
        sequences = sequences if isinstance(sequences, list) else list(sequences)
        lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
        get = key_to_index.get
        ids = np.fromiter((get(t, -1) for s in sequences for t in s), dtype=np.int32,
                          count=int(lengths.sum()))
        return cls.from_lengths(ids, lengths)

    @classmethod
    def from_arrays(cls, arrays, dtype=np.int64):
        """One row per 1-D array of ``arrays``."""
        lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
        ids = np.concatenate(arrays).astype(dtype, copy=False) if len(arrays) else \
            np.zeros(0, dtype)
        return cls.from_lengths(ids, lengths)

    @classmethod
    def from_csr(cls, matrix):
        """The column indices of each row of a scipy CSR matrix."""
        return cls(matrix.indices, matrix.indptr.astype(np.int64, copy=False))

    @classmethod
    def concatenate(cls, parts):
        """Consecutive Ragged pieces as one (rows in order)."""
        parts = list(parts)
        if not parts:
            return cls(np.zeros(0, np.int32), np.zeros(1, np.int64))
        ids = np.concatenate([p.ids for p in parts])
        shift = np.cumsum([0] + [int(p.starts[-1]) for p in parts[:-1]])
        starts = np.concatenate([parts[0].starts[:1]]
                                + [p.starts[1:] + s for p, s in zip(parts, shift, strict=True)])
        return cls(ids, starts)

    # -- views ----------------------------------------------------------------
    @property
    def n_rows(self):
        return len(self.starts) - 1

    @property
    def lengths(self):
        return np.diff(self.starts)

    def row(self, i):
        return self.ids[self.starts[i]:self.starts[i + 1]]

    def rows(self, a, b):
        """Rows ``a .. b - 1`` (ids a view, boundaries rebased)."""
        lo = self.starts[a]
        return Ragged(self.ids[lo:self.starts[b]], self.starts[a:b + 1] - lo)

    def row_index(self):
        """The row of every id (int64)."""
        return np.repeat(np.arange(self.n_rows, dtype=np.int64), self.lengths)

    def take(self, rows):
        """The given rows, in that order, as a new Ragged."""
        rows = np.asarray(rows, np.int64)
        lengths = self.starts[rows + 1] - self.starts[rows]
        out = offsets(lengths)
        position = (np.arange(int(out[-1]), dtype=np.int64)
                    - np.repeat(out[:-1] - self.starts[rows], lengths))
        return Ragged(self.ids[position], out)

    def last(self, rows):
        """The last id of each of ``rows`` (non-empty rows)."""
        return self.ids[self.starts[np.asarray(rows) + 1] - 1]

    def without_last(self, rows):
        """A copy whose ``rows`` (non-empty, ascending) lost their last id."""
        rows = np.asarray(rows, np.int64)
        keep = np.ones(len(self.ids), bool)
        keep[self.starts[rows + 1] - 1] = False
        lengths = self.lengths
        lengths[rows] -= 1
        return Ragged.from_lengths(self.ids[keep], lengths)

    def known(self):
        """The same rows without their negative (unknown) ids."""
        keep = self.ids >= 0
        kept = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))[self.starts]
        return Ragged(self.ids[keep], kept)

    def to_csr(self, n_cols, data=None, dtype=np.float32):
        """Rows as a scipy CSR matrix of ``n_cols`` columns (``data``: the
        value of each id, ones by default; ids must be valid columns)."""
        import scipy.sparse as sp

        if data is None:
            data = np.ones(len(self.ids), dtype)
        return sp.csr_matrix((data, self.ids, self.starts), shape=(self.n_rows, n_cols))

    def to_lists(self, keys):
        """Rows as Python lists of ``keys[id]`` (``keys`` an object array)."""
        return self.split_list(keys[self.ids].tolist())

    def split_list(self, values):
        """A Python list aligned with ``ids`` (one value per id) cut into
        the rows, as lists."""
        bounds = self.starts.tolist()
        return [values[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def __repr__(self):
        return f"{type(self).__name__}({self.n_rows} rows, {len(self.ids)} ids)"


class IndexedSequences:
    """Sequences of hashable keys, hashed once: their distinct ``keys``
    (object array, first-seen order), the ``counts`` of each and the
    sequences as ``codes``, a :class:`Ragged` of int32 key indices.

    Counting is then a ``bincount`` and encoding against any vocabulary an
    array lookup over the distinct keys (:meth:`encode`).
    """

    __slots__ = ("keys", "counts", "codes")

    def __init__(self, keys, codes):
        self.keys = keys
        self.codes = codes
        self.counts = np.bincount(codes.ids, minlength=len(keys)).astype(np.int64)

    @classmethod
    def from_sequences(cls, sequences, chunk_size=1 << 22):
        """The one hashing pass over ``sequences`` (``pandas.factorize`` of
        bounded slices of the flattened keys, merged into one dict: the
        object array of all tokens never exists).  Keys follow Python's dict
        semantics (``1``, ``1.0`` and ``True`` are one key; None and NaN
        stay apart).  Raises ``TypeError`` for an unhashable key."""
        sequences = sequences if isinstance(sequences, list) else list(sequences)
        lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
        total = int(lengths.sum())
        codes = np.empty(total, dtype=np.int32)
        index = {}
        setdefault = index.setdefault
        tokens = itertools.chain.from_iterable(sequences)
        pos = 0
        while pos < total:
            n = min(chunk_size, total - pos)
            flat = np.fromiter(itertools.islice(tokens, n), dtype=object, count=n)
            local, uniques = pd.factorize(flat, use_na_sentinel=False)
            if (len(uniques) and pd.isna(uniques).any()) or not _FACTORIZE_KEEPS_NUL:
                # pandas merges None and NaN into one key (and, before 2.1, "a"
                # and "a\x00"); keep dict semantics
                codes[pos:pos + n] = np.fromiter(
                    (setdefault(t, len(index)) for t in flat), dtype=np.int32, count=n)
            else:
                remap = np.fromiter((setdefault(k, len(index)) for k in uniques.tolist()),
                                    dtype=np.int32, count=len(uniques))
                codes[pos:pos + n] = remap[local]
            pos += n
        keys = np.fromiter(index, dtype=object, count=len(index))
        return cls(keys, Ragged.from_lengths(codes, lengths))

    @classmethod
    def from_codes(cls, keys, codes):
        """Sequences already coded as indices of the distinct ``keys`` (any
        order; e.g. a recommender's catalogue): the keys are renumbered in
        first-seen order, as :meth:`from_sequences` of the decoded
        sequences would number them, without hashing anything."""
        ids = codes.ids
        used, first = np.unique(ids, return_index=True)
        order = used[np.argsort(first, kind="stable")]  # codes in first-seen order
        remap = np.empty(len(keys), np.int32)
        remap[order] = np.arange(len(order), dtype=np.int32)
        return cls(keys[order], Ragged(remap[ids], codes.starts))

    @property
    def total(self):
        """Number of keys over all sequences."""
        return len(self.codes.ids)

    @property
    def n_sequences(self):
        return self.codes.n_rows

    def counter(self):
        """Key counts as a dict in first-seen order."""
        return dict(zip(self.keys.tolist(), self.counts.tolist(), strict=True))

    def encode(self, key_to_index):
        """The sequences as indices of ``key_to_index`` (int32, -1 for a key
        it lacks): one lookup per distinct key."""
        get = key_to_index.get
        remap = np.fromiter((get(k, -1) for k in self.keys.tolist()), dtype=np.int32,
                            count=len(self.keys))
        return Ragged(remap[self.codes.ids], self.codes.starts)
