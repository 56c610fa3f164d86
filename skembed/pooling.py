"""Pooling key vectors into one vector per sequence, and the document
statistics it needs (idf, SIF weights and component).

Used for document vectors (mean, tf-idf, SIF) and item-sequence profiles.
"""

import numpy as np
from numba import njit

from ._threads import in_row_blocks


@njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def _pool(ids, starts, key_weights, vectors, extra, extra_weight, by_weight_sum, half_life,
          out):
    n = starts.shape[0] - 1
    n_keys = vectors.shape[0]
    dim = vectors.shape[1]
    for s in range(n):
        total = 0.0
        count = 0
        row = out[s]
        for p in range(starts[s], starts[s + 1]):
            w = ids[p]
            if w < 0:
                continue
            a = key_weights[w] if w < n_keys else extra_weight
            if half_life > 0:
                a *= 0.5 ** ((starts[s + 1] - 1 - p) / half_life)
            total += a
            count += 1
            vec = vectors[w] if w < n_keys else extra[w - n_keys]
            for k in range(dim):
                row[k] += a * vec[k]
        denom = total if by_weight_sum else float(count)
        if count > 0 and denom > 0:
            inv = np.float32(1.0 / denom)
            for k in range(dim):
                row[k] *= inv


def pool_vectors(ids, starts, key_weights, vectors, by_weight_sum, half_life=0.0,
                 extra=None, extra_weight=1.0, n_threads=1):
    """Weighted average of ``vectors[ids]`` per sequence (a Numba kernel).

    Parameters
    ----------
    ids : int32 array, flat key indices; negative entries (unknown keys) are
        skipped; entries ``>= len(vectors)`` index ``extra``.
    starts : int64 array (n_sequences + 1), sequence boundaries in ``ids``.
    key_weights : float32 array (n_keys,), weight of each key.
    vectors : float32 array (n_keys, dim).
    by_weight_sum : bool
        Divide by the sum of weights (weighted mean) if True, by the number
        of known tokens otherwise (SIF's ``1/|s| sum a/(a+p(w)) v_w``).
    half_life : float
        If > 0, multiply weights by ``0.5 ** (age / half_life)`` where ``age``
        is the distance in positions from the last element (recency profile).
    extra : float32 array (n_extra, dim), optional
        More rows, e.g. vectors of words outside the vocabulary built from
        their subwords, each weighing ``extra_weight``.
    n_threads : int, default=1
        Sequences are split over this many threads.

    Returns
    -------
    out : float32 array (n_sequences, dim); rows of sequences without any
    known key are zero.
    """
    if extra is None:
        extra = np.zeros((0, vectors.shape[1]), np.float32)
    # Numba compiles once per writeable flag of each array: pass read-only
    # views always (the published vectors are read-only, the engine's not)
    ids, starts, key_weights, vectors, extra = [
        _read_only(a) for a in (ids, starts, key_weights, vectors,
                                np.ascontiguousarray(extra, np.float32))]
    out = np.zeros((len(starts) - 1, vectors.shape[1]), np.float32)
    in_row_blocks(len(out), lambda a, b: _pool(
        ids, starts[a:b + 1], key_weights, vectors, extra, np.float32(extra_weight),
        by_weight_sum, float(half_life), out[a:b]), n_threads)
    return out


def _read_only(a):
    if a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


@njit(nogil=True, cache=True)
def document_frequency(ids, starts, n_keys):
    """Number of sequences containing each key (negative ids skipped), in one
    pass with a last-seen marker per key (no sorting, no large temporaries)."""
    df = np.zeros(n_keys, np.int64)
    last = np.full(n_keys, -1, np.int64)
    for s in range(starts.shape[0] - 1):
        for p in range(starts[s], starts[s + 1]):
            w = ids[p]
            if w >= 0 and last[w] != s:
                last[w] = s
                df[w] += 1
    return df


# -- document statistics for pooling (idf, SIF) -------------------------------
# Arora et al.'s SIF weight a / (a + p(w))
SIF_A = 1e-3


def smooth_idf(df, n_documents):
    """``log((1 + n) / (1 + df)) + 1`` as float32 (scikit-learn's smooth idf)."""
    return (np.log((1.0 + n_documents) / (1.0 + np.asarray(df))) + 1.0).astype(np.float32)


def document_weights(rule, counts, idf=None):
    """Per-key pooling weights of ``rule``: "mean" (ones), "tfidf" (``idf``)
    or "sif" (``a / (a + p(w))`` with ``p`` the relative frequency)."""
    if rule == "tfidf":
        return idf
    if rule == "sif":
        p = counts / max(counts.sum(), 1)
        return (SIF_A / (SIF_A + p)).astype(np.float32)
    return np.ones(len(counts), np.float32)


def first_principal_axis(X):
    """First right singular vector of the uncentred rows of X (unit norm),
    from the small Gram matrix; zeros when the rows span fewer than two
    directions (see :func:`_gram_axis`)."""
    return _gram_axis(X.T.astype(np.float64) @ X.astype(np.float64))


def _gram_axis(gram):
    """Leading eigenvector of a Gram matrix, or zeros when its rank is below
    two: a single document, or documents all along one direction, have no
    common component distinct from themselves (removing it would leave
    every document vector zero)."""
    if not np.any(gram):
        return np.zeros(gram.shape[0], np.float32)
    values, vecs = np.linalg.eigh(gram)
    if len(values) < 2 or values[-2] <= 1e-10 * values[-1]:
        return np.zeros(gram.shape[0], np.float32)
    return vecs[:, -1].astype(np.float32)


def pieces_principal_axis(pieces, weights, vectors, n_threads=1):
    """:func:`first_principal_axis` of the SIF-pooled documents of encoded
    pieces (each holding whole documents), their Gram matrix summed piece by
    piece: memory holds one piece's documents, not all of them (the sum
    rounds differently from one product, by about 1e-16 relative)."""
    gram = np.zeros((vectors.shape[1], vectors.shape[1]))
    for piece in pieces:
        documents = piece.documents()
        pooled = pool_vectors(documents.ids, documents.starts, weights, vectors, False,
                              n_threads=n_threads).astype(np.float64)
        gram += pooled.T @ pooled
    return _gram_axis(gram)


def remove_component(out, component):
    """Subtract from each row its projection on ``component`` (in place)."""
    out -= np.outer(out @ component, component).astype(np.float32)
    return out


def pool_pieces(pieces, n_documents, weights, vectors, by_weight_sum, n_threads=1):
    """Document vectors from encoded pieces (each with ``file_index``, one
    document per file): the per-piece weighted sums are combined, so the
    result equals pooling each whole file at once."""
    sums = np.zeros((n_documents, vectors.shape[1]), np.float64)
    totals = np.zeros(n_documents)
    for piece in pieces:
        ids = piece.ids
        if len(ids) == 0:
            continue
        mean = pool_vectors(ids, np.array([0, len(ids)], np.int64), weights, vectors,
                            by_weight_sum, n_threads=n_threads)[0]
        w = float(weights[ids].sum()) if by_weight_sum else float(len(ids))
        sums[piece.file_index] += w * mean
        totals[piece.file_index] += w
    out = np.zeros(sums.shape, np.float32)
    nz = totals > 0
    out[nz] = sums[nz] / totals[nz, None]
    return out
