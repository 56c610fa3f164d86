import heapq

import numpy as np
import pytest
from numba import njit

from skembed.word2vec.rng import draw_negative, next_random
from skembed.word2vec.sampling import (
    _build_alias,
    alias_probabilities,
    huffman_tree,
    negative_sampling_table,
)


@njit
def _draws(n, threshold, alias):
    out = np.empty(n, np.int64)
    state = np.uint64(12345)
    for i in range(n):
        state, z = next_random(state)
        out[i] = draw_negative(z, threshold, alias)
    return out


@pytest.mark.parametrize("exponent", [0.75, 1.0, 0.0, -0.5, -2.0])
def test_alias_table_encodes_count_power_distribution(exponent):
    counts = np.array([1000, 300, 50, 7, 7, 1])
    threshold, alias = negative_sampling_table(counts, exponent)
    expected = counts.astype(float) ** exponent
    expected /= expected.sum()
    np.testing.assert_allclose(alias_probabilities(threshold, alias), expected, atol=1e-7)


def test_alias_draws_follow_distribution():
    counts = np.array([500, 100, 20, 4, 1])
    threshold, alias = negative_sampling_table(counts, 0.75)
    n = 200_000
    draws = _draws(n, threshold, alias)
    freq = np.bincount(draws, minlength=len(counts)) / n
    expected = counts ** 0.75 / np.sum(counts ** 0.75)
    np.testing.assert_allclose(freq, expected, atol=0.005)


def test_extreme_exponent_does_not_overflow():
    counts = np.array([10**9, 10**6, 1])
    for e in (-30.0, 30.0):
        threshold, alias = negative_sampling_table(counts, e)
        p = alias_probabilities(threshold, alias)
        assert np.all(np.isfinite(p)) and abs(p.sum() - 1) < 1e-9


def _sequential_vose(scaled):
    """Vose's method as usually written (stacks, one pairing at a time)."""
    prob = [float(p) for p in scaled]
    alias = list(range(len(prob)))
    small = [i for i, p in enumerate(prob) if p < 1.0]
    large = [i for i, p in enumerate(prob) if p >= 1.0]
    while small and large:
        s = small.pop()
        lg = large[-1]
        alias[s] = lg
        prob[lg] = prob[lg] + prob[s] - 1.0
        if prob[lg] < 1.0:
            small.append(large.pop())
    for i in small + large:
        prob[i] = 1.0
    return np.array(prob), np.array(alias)


@pytest.mark.parametrize("seed", range(6))
def test_alias_table_pairs_as_sequential_vose(seed):
    # the vectorised construction makes Vose's pairings exactly, and its
    # thresholds agree with the sequential sums up to rounding
    rng = np.random.default_rng(seed)
    n = [1, 2, 7, 50, 1000, 20000][seed]
    counts = rng.zipf(1.2 + 0.2 * seed, n).astype(float)
    counts[rng.random(n) < 0.05] = 0  # keys never drawn
    if not counts.any():
        counts[0] = 3
    w = np.zeros(n)
    w[counts > 0] = counts[counts > 0] ** (0.75 if seed % 2 else -0.5)
    scaled = w * (n / w.sum())
    threshold, alias = _build_alias(scaled)
    prob, ref_alias = _sequential_vose(scaled)
    np.testing.assert_array_equal(alias, ref_alias)
    np.testing.assert_allclose(threshold / 2.0**32, prob, atol=1e-6)


def _reference_code_lengths(counts):
    heap = [(c, i, [i]) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    depth = np.zeros(len(counts), int)
    uid = len(counts)
    while len(heap) > 1:
        c1, _, a = heapq.heappop(heap)
        c2, _, b = heapq.heappop(heap)
        for leaf in a + b:
            depth[leaf] += 1
        heapq.heappush(heap, (c1 + c2, uid, a + b))
        uid += 1
    return depth


def test_huffman_tree_is_an_optimal_prefix_code():
    rng = np.random.RandomState(0)
    counts = np.sort(rng.zipf(1.5, size=300).clip(max=10**6))[::-1].astype(np.int64)
    codes, points, lengths = huffman_tree(counts)
    n = len(counts)
    # optimal: same expected length as a reference Huffman construction
    ref = _reference_code_lengths(counts.tolist())
    assert np.dot(lengths, counts) == np.dot(ref, counts)
    # a full binary tree: Kraft equality
    assert abs(np.sum(0.5 ** lengths.astype(float)) - 1.0) < 1e-12
    words = {tuple(codes[i, : lengths[i]]) for i in range(n)}
    assert len(words) == n  # distinct codes
    for i in range(n):  # prefix-free, and every path starts at the root
        assert points[i, 0] == n - 2
        assert np.all(points[i, : lengths[i]] < n - 1)
        for j in range(1, lengths[i]):
            assert tuple(codes[i, :j]) not in words
    # frequent keys get codes no longer than rare ones
    assert lengths[0] <= lengths[-1]


def test_huffman_single_key():
    codes, points, lengths = huffman_tree(np.array([5], dtype=np.int64))
    assert lengths.tolist() == [1]
