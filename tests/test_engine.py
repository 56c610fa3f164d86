"""The shared word2vec engine (trainer + kernels), without the estimators."""

import numpy as np
import pytest
from conftest import planted_topic_corpus
from numba import njit

from skembed import KeyedVectors
from skembed.word2vec import (
    Word2VecConfig,
    count_keys,
    encode_corpus,
    finalize_vocab,
    init_state,
    memory,
    train,
)
from skembed.word2vec.chunks import aligned_pieces, chunk_boundaries, stripe_order
from skembed.word2vec.memory import HOT_ROWS
from skembed.word2vec.vocab import EncodedCorpus

MODES = {
    "cbow-ns": dict(sg=False, hs=False, negative=5),
    "cbow-hs": dict(sg=False, hs=True, negative=0),
    "sg-ns": dict(sg=True, hs=False, negative=5),
    "sg-hs": dict(sg=True, hs=True, negative=0),
    "sg-hs+ns": dict(sg=True, hs=True, negative=3),
    "sg-ns-shared": dict(sg=True, hs=False, negative=5, shared_negatives=True),
    "cbow-sum": dict(sg=False, hs=False, negative=5, cbow_mean=False),
}


def fit_engine(docs, n_threads=1, seed=0, **params):
    counter, total, _ = count_keys(docs)
    vocab = finalize_vocab(counter, total, min_count=1)
    corpus = encode_corpus(docs, vocab.key_to_index)
    config = Word2VecConfig(**{"vector_size": 16, "sample": 0.0, **params})
    rng = np.random.RandomState(seed)
    state = init_state(len(vocab), config.vector_size, rng)
    train(corpus, vocab.counts, config, state, rng, n_threads=n_threads)
    return vocab, state


def purity(vocab, state, topn=5):
    from conftest import neighbour_purity

    return neighbour_purity(KeyedVectors(vocab.keys, state.syn0), topn)


@pytest.mark.parametrize("mode", list(MODES))
def test_every_mode_learns_planted_topics(topic_corpus, mode):
    docs, _ = topic_corpus
    vocab, state = fit_engine(docs, **MODES[mode])
    # chance is 19/99 ~ 0.19 for the 5 nearest of 100 words in 5 topics
    assert purity(vocab, state) > 0.9
    assert np.isfinite(state.loss_history).all()
    # training lowers the loss below that of the first epoch
    assert state.loss_history[-1] < state.loss_history[0]


def test_single_thread_is_bit_reproducible(topic_corpus):
    docs, _ = topic_corpus
    _, a = fit_engine(docs, sg=True, seed=3)
    _, b = fit_engine(docs, sg=True, seed=3)
    _, c = fit_engine(docs, sg=True, seed=4)
    assert np.array_equal(a.syn0, b.syn0) and np.array_equal(a.syn1neg, b.syn1neg)
    assert a.loss_history == b.loss_history
    assert not np.array_equal(a.syn0, c.syn0)


def test_two_threads_learn_as_well(topic_corpus):
    docs, _ = topic_corpus
    # many short sentences so that both threads get chunks
    docs = docs * 20
    vocab, state = fit_engine(docs, n_threads=2, sg=True, epochs=1)
    assert purity(vocab, state) > 0.9


@pytest.mark.parametrize("mode", ["cbow-hs", "sg-hs", "sg-hs+ns"])
def test_two_threads_hierarchical_softmax(mode):
    # 600 words: 599 inner nodes, of which the HOT_ROWS nearest the root are
    # trained in per-thread copies and merged; the rest in the shared table
    docs, _ = planted_topic_corpus(n_topics=20, words_per_topic=30, n_docs=4000)
    vocab, state = fit_engine(docs, n_threads=2, epochs=2, **MODES[mode])
    assert state.syn1.shape[0] > HOT_ROWS
    assert purity(vocab, state) > 0.9
    # the merged copies reached the shared table: no inner node is left untrained
    assert np.all(np.abs(state.syn1).sum(axis=1) > 0)
    assert np.isfinite(state.syn1).all() and np.isfinite(state.syn0).all()


# (the hot-row helpers have no Python entry point: called through compiled shims)
_load_hot, _sync_hot = memory.load_hot, memory.sync_hot


@njit
def load_hot(shared, lo, hot, base):
    _load_hot(shared, lo, hot, base)


@njit
def sync_hot(shared, lo, hot, base):
    _sync_hot(shared, lo, hot, base)


def test_hot_row_merges_add_every_threads_change():
    # two threads' private copies of the last 3 rows of a 5-row table, each
    # changed differently: after both merge, the table holds both changes
    rng = np.random.default_rng(0)
    shared = rng.normal(size=(5, 4)).astype(np.float32)
    start = shared.copy()
    copies = [(np.empty((3, 4), np.float32), np.empty((3, 4), np.float32)) for _ in range(2)]
    for hot, base in copies:
        load_hot(shared, 2, hot, base)
    deltas = [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(2)]
    for (hot, _), delta in zip(copies, deltas, strict=True):
        hot += delta
    for hot, base in copies:
        sync_hot(shared, 2, hot, base)
    np.testing.assert_allclose(shared[2:], start[2:] + deltas[0] + deltas[1], rtol=1e-5)
    np.testing.assert_array_equal(shared[:2], start[:2])
    # a merge reloads the copy: the first thread now sees the second's change
    sync_hot(shared, 2, *copies[0])
    np.testing.assert_allclose(copies[0][0], shared[2:], rtol=1e-6)


def test_subsampling_keeps_the_expected_share_of_words():
    from skembed.word2vec import keep_probabilities

    docs, _ = planted_topic_corpus(n_docs=400)
    docs = [d + ["the"] * 30 for d in docs]  # a very frequent word
    vocab, state = fit_engine(docs, sample=1e-3, epochs=3)
    expected = float(np.sum(vocab.counts * keep_probabilities(vocab.counts, 1e-3)))
    assert expected < 0.5 * sum(map(len, docs))  # the formula drops most words here
    for kept in state.effective_words:
        assert abs(kept - expected) < 0.02 * expected
    _, full = fit_engine(docs, sample=0.0, epochs=1)
    assert full.effective_words == [sum(map(len, docs))]


@pytest.mark.parametrize("mode", ["cbow-ns", "sg-hs+ns"])
def test_huge_learning_rate_keeps_weights_finite(topic_corpus, mode):
    docs, _ = topic_corpus
    vocab, state = fit_engine(docs, alpha=1.0, min_alpha=1.0, **MODES[mode])
    for table in (state.syn0, state.syn1, state.syn1neg):
        assert np.isfinite(table).all()
    assert np.isfinite(state.loss_history).all()


def test_window_limits_context():
    # each sentence holds one pair (a_k, b_k) exactly 3 apart; with window=1
    # they never share a context, with window=5 they always do
    rng = np.random.RandomState(0)
    filler = [f"f{i}" for i in range(30)]
    docs = []
    for _ in range(1000):
        k = rng.randint(10)
        docs.append([*rng.choice(filler, 2), f"a{k}", *rng.choice(filler, 2), f"b{k}",
                     *rng.choice(filler, 2)])

    def pair_score(window):
        vocab, state = fit_engine(docs, sg=True, window=window, shrink_windows=False,
                                  epochs=10)
        # skip-gram with negative sampling scores p(a | b) by syn0[b] . syn1neg[a]
        # (which approximates the shifted PMI of the pair)
        idx = vocab.key_to_index
        return np.mean([state.syn0[idx[f"b{k}"]] @ state.syn1neg[idx[f"a{k}"]]
                        for k in range(10)])

    assert pair_score(5) > 0.5
    assert pair_score(1) < -0.5


class _CutCorpus:
    """An encoded corpus served as pieces cut at the given sentences."""

    def __init__(self, whole, cuts):
        self.whole, self.cuts = whole, cuts

    def pieces(self, epoch=0):
        for a, b in zip(self.cuts[:-1], self.cuts[1:], strict=True):
            s = self.whole.starts
            yield EncodedCorpus(self.whole.ids[s[a]:s[b]], s[a:b + 1] - s[a],
                                np.zeros(b - a, np.int64), b - a, int(s[b] - s[a]))


def _random_corpus(seed=0):
    rng = np.random.RandomState(seed)
    # sentence lengths from 1 to 10,000 (the longest a sentence gets) around the
    # 10,000-token chunk marks
    lengths = np.concatenate([rng.randint(1, 60, 400), [10_000, 9_999, 1, 10_000],
                              rng.randint(1, 3000, 20)])
    docs = [[f"w{k}" for k in rng.randint(0, 50, n)] for n in lengths]
    counter, total, _ = count_keys(docs)
    vocab = finalize_vocab(counter, total, min_count=1)
    return vocab, encode_corpus(docs, vocab.key_to_index)


@pytest.mark.parametrize("seed", range(4))
def test_aligned_pieces_recut_any_split_at_the_chunks_of_the_whole(seed):
    _, whole = _random_corpus()
    rng = np.random.RandomState(seed)
    n = whole.n_rows
    # cuts anywhere, including empty and one-sentence pieces
    cuts = np.unique(np.concatenate([[0, n], rng.randint(0, n + 1, 12), [5, 5, 6]]))
    cuts = np.insert(cuts, 3, cuts[2])  # an empty piece
    pieces = list(aligned_pieces(_CutCorpus(whole, cuts).pieces()))
    # the same token stream, each piece starting where the whole has a chunk
    np.testing.assert_array_equal(np.concatenate([p.ids for p, _ in pieces]), whole.ids)
    chunk_starts = chunk_boundaries(whole.starts)
    boundaries = set(whole.starts[chunk_starts].tolist())
    position = 0
    for piece, offset in pieces:
        assert offset == position and offset in boundaries
        local = chunk_boundaries(piece.starts, token_offset=offset)
        assert set((piece.starts[local] + offset).tolist()) <= boundaries
        position += int(piece.starts[-1])
    assert position == whole.starts[-1]


@pytest.mark.parametrize("mode", ["cbow-ns", "sg-hs+ns"])
def test_training_does_not_depend_on_how_the_corpus_is_cut(mode):
    """One thread: the pieces a streamed corpus yields (files, Dask
    partitions) give bit-identical vectors to the whole corpus at once."""
    vocab, whole = _random_corpus()
    config = Word2VecConfig(vector_size=8, epochs=2, sample=1e-3, **MODES[mode])
    n = whole.n_rows
    results = []
    for cuts in ([0, n], [0, 1, 2, 50, 51, 300, 402, 403, n],
                 np.linspace(0, n, 9).astype(int)):
        rng = np.random.RandomState(0)
        state = init_state(len(vocab), 8, rng)
        corpus = _CutCorpus(whole, np.asarray(cuts))
        train(corpus, vocab.counts, config, state, rng, words_per_epoch=int(whole.starts[-1]))
        results.append(state)
    for other in results[1:]:
        np.testing.assert_array_equal(other.syn0, results[0].syn0)
        np.testing.assert_array_equal(other.syn1neg, results[0].syn1neg)
        np.testing.assert_array_equal(other.syn1, results[0].syn1)
        assert other.loss_history == results[0].loss_history


def test_chunk_boundaries_cover_all_sentences():
    starts = np.array([0, 4000, 9000, 15000, 15001, 40000], dtype=np.int64)
    bounds = chunk_boundaries(starts, chunk_words=10_000)
    assert bounds[0] == 0 and bounds[-1] == len(starts) - 1
    assert np.all(np.diff(bounds) > 0)


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_stripe_order_gives_each_thread_a_contiguous_stripe(n_threads):
    rng = np.random.RandomState(0)
    starts = np.concatenate(([0], np.cumsum(rng.randint(1, 5000, 50)))).astype(np.int64)
    chunk_starts = chunk_boundaries(starts, chunk_words=10_000)
    n_chunks = len(chunk_starts) - 1
    order, offsets = stripe_order(starts, chunk_starts, n_threads)
    assert len(order) % n_threads == 0
    assert sorted(order[order >= 0]) == list(range(n_chunks))  # each chunk once
    for t in range(n_threads):  # thread t's slots: consecutive chunks
        mine = order[t::n_threads]
        mine = mine[mine >= 0]
        assert np.all(np.diff(mine) == 1)
    # offsets: tokens of the chunks in earlier slots
    words = starts[chunk_starts[1:]] - starts[chunk_starts[:-1]]
    real = order[order >= 0]
    assert np.array_equal(offsets[real], np.cumsum(words[real]) - words[real])
    if n_threads == 1:
        assert np.array_equal(order, np.arange(n_chunks))
        assert np.array_equal(offsets, starts[chunk_starts[:-1]])


def test_kernel_caches_are_stamped_by_every_module_of_the_package(tmp_path):
    """The chunk kernel compiles helpers of several word2vec modules into
    itself (the entity training steps those of entity/kernels.py); Numba only
    re-validates a cache against the function's own file, so the stamp of
    those packages' kernels covers all their modules."""
    import numba

    from skembed import _variants
    from skembed.word2vec import kernels

    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 1\n")
    before = _variants.package_stamp(str(tmp_path))
    (tmp_path / "b.py").write_text("y = 2\n")  # a helper module changes
    assert _variants.package_stamp(str(tmp_path)) != before
    if _variants.PackageCacheLocator is not None and not numba.config.CACHE_DIR:
        chunk = kernels.chunk_kernel(False, False, 5, False)
        assert isinstance(chunk._cache._impl.locator, _variants.PackageCacheLocator)
        # the entity training steps compile entity/kernels.py's sparse kernels in
        from skembed.entity.step_kernels import train_steps

        assert isinstance(train_steps._cache._impl.locator, _variants.PackageCacheLocator)
