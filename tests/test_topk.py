import numpy as np
import pytest

from skembed.topk import exact_top_k


@pytest.mark.parametrize("k", [1, 5, 37])
def test_exact_top_k_matches_full_sort(k):
    rng = np.random.RandomState(0)
    items = rng.randn(500, 16).astype(np.float32)
    queries = rng.randn(70, 16).astype(np.float32)
    idx, scores = exact_top_k(queries, items, k)
    full = queries @ items.T
    expected = np.argsort(-full, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(full, expected, 1), rtol=1e-5)


def test_exclusions_are_never_returned():
    rng = np.random.RandomState(1)
    items = rng.randn(50, 8).astype(np.float32)
    items /= np.linalg.norm(items, axis=1, keepdims=True)  # cosine: self is the best
    queries = items[:3].copy()
    excl = [[0], [1, 2, 3], []]
    indptr = np.array([0, 1, 4, 4])
    indices = np.array([0, 1, 2, 3])
    idx, _ = exact_top_k(queries, items, 5, (indptr, indices))
    for row, banned in zip(idx, excl, strict=True):
        assert not set(row) & set(banned)
    assert idx[2, 0] == 2  # the query item itself when not excluded


def test_fewer_candidates_than_k_pad_with_minus_one():
    items = np.eye(3, dtype=np.float32)
    idx, scores = exact_top_k(items[:1], items, 3, (np.array([0, 2]), np.array([0, 1])))
    assert idx[0].tolist() == [2, -1, -1]
    assert np.isneginf(scores[0, 1:]).all()


def test_many_queries_span_several_blocks():
    rng = np.random.RandomState(2)
    items = rng.randn(20_000, 8).astype(np.float32)
    queries = rng.randn(300, 8).astype(np.float32)
    idx, _ = exact_top_k(queries, items, 3)
    expected = np.argsort(-(queries @ items.T), axis=1)[:, :3]
    np.testing.assert_array_equal(idx, expected)



def test_read_only_and_writable_tables_share_one_compiled_kernel(monkeypatch):
    # KeyedVectors.most_similar searches a read-only table, the recommenders and
    # the entity search writable ones: the kernel must see one type (each
    # signature is another compilation, about 1.2 s on a cold cache)
    from numba import typeof

    from skembed import topk

    real, seen = topk._top_k_queries, []

    def spy(queries, items, *args):
        seen.append((typeof(queries), typeof(items)))
        return real(queries, items, *args)

    monkeypatch.setattr(topk, "_top_k_queries", spy)
    rng = np.random.RandomState(0)
    items = rng.randn(50, 4).astype(np.float32)
    frozen = items.copy()
    frozen.setflags(write=False)
    queries = rng.randn(3, 4).astype(np.float32)
    expected = exact_top_k(queries, frozen, 5)
    got = exact_top_k(queries, items, 5)
    assert len(seen) == 2 and seen[0] == seen[1]
    np.testing.assert_array_equal(got[0], expected[0])
    assert items.flags.writeable  # the caller's array is left as it was


def test_ties_keep_the_lower_indices():
    """Equal scores rank by index, also when a higher score arrives after the
    heap is full of ties (the evicted tie is the one of highest index): the
    order of a stable sort of the negated scores."""
    rng = np.random.RandomState(0)
    items = rng.randint(0, 3, (5000, 4)).astype(np.float32)  # many exact ties
    queries = rng.randint(0, 3, (40, 4)).astype(np.float32)
    # ties first, higher scores after them: each evicts a tie
    items[:3000] = 0.0
    items[3000:3005] = 1.0
    for k in (1, 7, 50):
        idx, val = exact_top_k(queries, items, k, n_threads=2)
        ref = np.argsort(-(queries @ items.T), axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(idx, ref)
