"""The one ragged-sequence type (ids + starts) and the hashing step."""

import numpy as np
import pytest
import scipy.sparse as sp

from skembed import NearestNeighborRecommender
from skembed._ragged import IndexedSequences, Ragged, offsets


def _rows(r):
    return [r.row(i).tolist() for i in range(r.n_rows)]


def test_constructors_agree():
    rows = [[3, 1], [], [2, 2, 0], [4]]
    a = Ragged.from_arrays([np.array(x) for x in rows])
    b = Ragged.from_lengths(np.array([3, 1, 2, 2, 0, 4]), [2, 0, 3, 1])
    k2i = {k: k for k in range(5)}
    c = Ragged.from_lists(rows, k2i)
    d = Ragged.from_csr(sp.csr_matrix((np.ones(6), [3, 1, 2, 2, 0, 4], [0, 2, 2, 5, 6]),
                                      shape=(4, 5)))
    e = Ragged.concatenate([a.rows(0, 1), a.rows(1, 3), a.rows(3, 4)])
    for r in (a, b, c, d, e):
        assert _rows(r) == rows and r.starts.dtype == np.int64 and r.starts[0] == 0
    assert c.ids.dtype == np.int32 and Ragged.from_lists([["x", 1]], k2i).ids.tolist() == [-1, 1]
    np.testing.assert_array_equal(offsets([2, 0, 3]), [0, 2, 2, 5])


def test_row_operations():
    r = Ragged.from_arrays([np.array(x) for x in [[1, 2, 3], [4], [5, 6], []]])
    assert _rows(r.rows(1, 3)) == [[4], [5, 6]]
    assert _rows(r.take([2, 0])) == [[5, 6], [1, 2, 3]]
    assert r.last([0, 2]).tolist() == [3, 6]
    assert _rows(r.without_last([0, 2])) == [[1, 2], [4], [5], []]
    assert _rows(r) == [[1, 2, 3], [4], [5, 6], []]  # unchanged
    assert r.row_index().tolist() == [0, 0, 0, 1, 2, 2]
    assert _rows(Ragged(np.array([1, -1, 2, -1]), np.array([0, 2, 4])).known()) == [[1], [2]]
    np.testing.assert_array_equal(r.to_csr(7).toarray()[2], [0, 0, 0, 0, 0, 1, 1])
    keys = np.array(list("abcdefg"), dtype=object)
    assert r.to_lists(keys) == [["b", "c", "d"], ["e"], ["f", "g"], []]


def test_indexed_sequences_from_codes_equals_hashing_the_decoded_sequences():
    rng = np.random.default_rng(0)
    catalogue = np.array([f"item{i}" for i in range(30)], dtype=object)
    codes = Ragged.from_lengths(rng.integers(0, 30, 200).astype(np.int32),
                                [5, 0, 20, 75, 100])
    a = IndexedSequences.from_codes(catalogue, codes)
    b = IndexedSequences.from_sequences(codes.to_lists(catalogue))
    assert a.keys.tolist() == b.keys.tolist()
    np.testing.assert_array_equal(a.codes.ids, b.codes.ids)
    np.testing.assert_array_equal(a.counts, b.counts)


def test_a_recommender_fit_hashes_item_ids_once(monkeypatch):
    """The catalogue hashes the training histories; the validation split, the
    embedder and its alignment work on catalogue indices."""
    calls = []
    real = IndexedSequences.from_sequences.__func__

    def counting(cls, sequences, *args, **kwargs):
        calls.append(len(sequences))
        return real(cls, sequences, *args, **kwargs)

    monkeypatch.setattr(IndexedSequences, "from_sequences", classmethod(counting))
    rng = np.random.default_rng(1)
    sessions = [[f"i{j}" for j in rng.integers(0, 40, rng.integers(2, 8))] for _ in range(300)]
    rec = NearestNeighborRecommender(n_recommendations=3, validation_size=60,
                                     random_state=0).fit(sessions)
    assert rec.validation_score_ is not None  # the weights were tuned on a split
    assert calls == [len(sessions)]


@pytest.mark.parametrize("window", [5, "all"])
def test_embedder_fit_on_indexed_sequences_equals_fit_on_lists(window):
    from skembed import ItemSequenceEmbedder

    rng = np.random.default_rng(2)
    sessions = [[int(j) for j in rng.integers(0, 25, rng.integers(1, 9))] for _ in range(150)]
    params = dict(vector_size=8, epochs=2, window=window, random_state=0)
    a = ItemSequenceEmbedder(**params).fit(sessions)
    index = IndexedSequences.from_sequences(sessions)
    b = ItemSequenceEmbedder(**params).fit(index)
    assert a.wv_.index_to_key == b.wv_.index_to_key
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
    np.testing.assert_array_equal(a.output_vectors_, b.output_vectors_)
