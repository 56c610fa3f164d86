"""Property-based tests: invariants that must hold for any input."""

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from numba import njit  # noqa: E402

from skembed import KeyedVectors, sequences_from_events  # noqa: E402
from skembed._ragged import IndexedSequences, Ragged  # noqa: E402
from skembed.entity.categories import ColumnCategories  # noqa: E402
from skembed.recommend.knn_kernels import _best_positions, _most_recent_sessions  # noqa: E402
from skembed.word2vec.vocab import count_keys  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# -- tokenizer and vocabulary ----------------------------------------------------
@SETTINGS
@given(st.lists(st.text(), max_size=8))
def test_tokenizer_is_countvectorizers(texts):
    from sklearn.feature_extraction.text import CountVectorizer

    from skembed import Word2VecTransformer

    ours = Word2VecTransformer()._tokenize(texts, check_tokens=True)
    theirs = [CountVectorizer().build_analyzer()(t) for t in texts]
    assert ours == theirs


def test_keys_that_differ_by_a_nul_character_stay_apart():
    """pandas 2.0's factorize hashes object strings up to their first NUL,
    merging "" and "\x00" (found by the property test below on the oldest
    supported stack): such keys stay apart on every pandas."""
    from skembed._ragged import IndexedSequences

    index = IndexedSequences.from_sequences([["", "\x00", "a", "a\x00", "a"]])
    assert index.counter() == {"": 1, "\x00": 1, "a": 2, "a\x00": 1}


hashable_keys = st.one_of(st.text(max_size=5), st.integers(-5, 5),
                          st.tuples(st.integers(0, 2), st.text(max_size=2)))


@SETTINGS
@given(st.lists(st.lists(hashable_keys, max_size=6), max_size=8))
def test_indexed_sequences_count_and_encode_like_a_counter(docs):
    index = IndexedSequences.from_sequences(docs, chunk_size=4)
    counter, total, n_docs = count_keys(docs)
    assert index.counter() == dict(counter) and index.total == total
    assert list(index.counter()) == list(counter)  # first-seen order
    keys = list(counter)
    k2i = {k: i for i, k in enumerate(keys)}
    encoded = Ragged.from_lists(docs, k2i)
    decoded = [keys[i] for i in encoded.ids]
    assert decoded == [t for d in docs for t in d]
    assert encoded.lengths.tolist() == list(map(len, docs))
    assert encoded.to_lists(np.fromiter(keys, object, count=len(keys))) == [list(d)
                                                                           for d in docs]
    # already coded sequences (a catalogue in another order) index the same way
    shuffled = np.fromiter(keys[::-1], object, count=len(keys))
    recoded = IndexedSequences.from_codes(
        shuffled, Ragged(len(keys) - 1 - index.codes.ids, index.codes.starts))
    assert recoded.counter() == index.counter() and list(recoded.counter()) == list(counter)
    np.testing.assert_array_equal(recoded.codes.ids, index.codes.ids)


# -- word2vec files ----------------------------------------------------------------
# any key the format can hold: no whitespace (it separates fields) and no
# control character (hypothesis found that '\x1b' was written but not read back)
file_keys = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1,
                    max_size=8).filter(lambda k: not any(c.isspace() for c in k))
finite = st.floats(allow_nan=False, allow_infinity=False, width=32)


@SETTINGS
@given(st.lists(file_keys, min_size=1, max_size=6, unique=True),
       st.integers(1, 4), st.data())
def test_word2vec_files_round_trip_exactly(tmp_path_factory, keys, dim, data):
    rows = data.draw(st.lists(st.lists(finite, min_size=dim, max_size=dim),
                              min_size=len(keys), max_size=len(keys)))
    kv = KeyedVectors(keys, np.array(rows, dtype=np.float32).reshape(len(keys), dim))
    folder = tmp_path_factory.mktemp("w2v")
    for binary in (False, True):
        path = folder / ("v.bin" if binary else "v.txt")
        kv.save_word2vec_format(path, binary=binary)
        back = KeyedVectors.load_word2vec_format(path, binary=binary)
        assert back.index_to_key == keys
        np.testing.assert_array_equal(back.vectors, kv.vectors)


# -- event logs --------------------------------------------------------------------
events = st.lists(st.tuples(st.integers(0, 3), st.sampled_from("abcde"),
                            st.one_of(st.integers(0, 50), st.none())), max_size=25)


@SETTINGS
@given(events, st.one_of(st.none(), st.integers(0, 20)))
def test_sequences_from_events_invariants(rows, gap):
    df = pd.DataFrame(rows, columns=["user", "item", "t"])
    if df["t"].isna().any():
        with pytest.raises(ValueError, match="missing times"):
            sequences_from_events(df, "user", "item", "t")
        return
    df["t"] = df["t"].astype(float)
    seqs, keys = sequences_from_events(df, "user", "item", "t", session_gap=gap)
    # nothing lost, nothing duplicated
    assert Counter(i for s in seqs for i in s) == Counter(df["item"])
    assert all(len(s) > 0 for s in seqs)
    users = [k[0] if gap is not None else k for k in keys]
    for user in set(df["user"]):
        expected = df[df["user"] == user].sort_values("t", kind="stable")["item"].tolist()
        joined = [i for s, u in zip(seqs, users, strict=True) if u == user for i in s]
        assert joined == expected  # time order, ties in row order
    if gap is not None:  # sessions are numbered 0, 1, ... per user
        for user in set(users):
            numbers = [k[1] for k in keys if k[0] == user]
            assert numbers == list(range(len(numbers)))


# -- entity categories -------------------------------------------------------------
category = st.one_of(st.text(max_size=3), st.integers(-3, 3), st.none(),
                     st.just(float("nan")))


@SETTINGS
@given(st.lists(category, min_size=1, max_size=30), st.lists(category, max_size=10),
       st.integers(1, 3), st.booleans())
def test_categories_encode_consistently(train, new, min_count, substrings):
    col = pd.Series(train, dtype=object)
    cats = ColumnCategories(col, min_count, substrings=substrings)
    codes, (ptr, rows, weights) = cats.encode(col, "infrequent", "x")
    assert codes.min() >= 0 and codes.max() < len(ptr) - 1

    def same(a, b):
        missing_a = a is None or (isinstance(a, float) and math.isnan(a))
        missing_b = b is None or (isinstance(b, float) and math.isnan(b))
        return (missing_a and missing_b) or (not missing_a and not missing_b and a == b
                                             and type(a) is type(b))

    for i, a in enumerate(train):  # equal values share an entity
        for j, b in enumerate(train):
            if same(a, b):
                assert codes[i] == codes[j]
    new_codes, (ptr, rows, weights) = cats.encode(pd.Series(new, dtype=object),
                                                  "infrequent", "x")
    assert new_codes.min(initial=0) >= 0 and new_codes.max(initial=0) < len(ptr) - 1
    # every entity: its own row first, then n-gram rows whose weights sum to 1
    assert rows.min(initial=0) >= 0 and rows.max(initial=0) < cats.n_rows
    assert (rows[ptr[:-1]] < cats.n_own_rows).all() and (weights[ptr[:-1]] == 1).all()
    for e in range(len(ptr) - 1):
        grams = weights[ptr[e] + 1:ptr[e + 1]]
        assert len(grams) == 0 or grams.sum() == pytest.approx(1, rel=1e-5)


@SETTINGS
@given(st.lists(st.lists(st.sampled_from([True, 1, 1.0, 2, "1", (1,)]), min_size=1,
                         max_size=5), min_size=1, max_size=6))
def test_item_ids_follow_dict_semantics(sequences):
    from skembed import SequentialRulesRecommender

    rec = SequentialRulesRecommender(exclude_seen=False).fit(sequences)
    expected = Counter(i for s in sequences for i in s)  # a dict: True == 1 == 1.0
    assert dict(zip(rec.items_.tolist(), rec.item_counts_.tolist(), strict=True)) == dict(
        expected)


def test_missing_item_ids_are_rejected():
    from skembed import ItemSequenceEmbedder, SequentialRulesRecommender

    for bad in (None, float("nan")):
        with pytest.raises(ValueError, match="must not be missing"):
            SequentialRulesRecommender().fit([[1, bad, 2]])
        with pytest.raises(ValueError, match="must not be missing"):
            ItemSequenceEmbedder(vector_size=4).fit([[1, bad, 2]])


def test_keys_the_format_cannot_hold_are_refused(tmp_path):
    for key in ("two words", "esc\x1b", "", "tab\t"):
        with pytest.raises(ValueError, match="cannot store"):
            KeyedVectors([key], np.zeros((1, 2))).save_word2vec_format(tmp_path / "v.bin",
                                                                     binary=True)


# -- hand-written selection in the recommender kernels ---------------------------
# (compiled without a Python entry point: called through compiled shims)
@njit
def _call_best_positions(vals, k):
    heap = np.empty(k, np.int64)
    _best_positions(vals, heap)
    return heap


@njit
def _call_most_recent_sessions(*args):
    return _most_recent_sessions(*args)


@SETTINGS
@given(st.lists(st.integers(0, 4), max_size=40), st.data())
def test_best_positions_is_a_stable_argsort_cut(values, data):
    vals = np.array(values, np.float32)  # few distinct values: many ties
    k = data.draw(st.integers(0, len(vals)))
    expected = np.argsort(-vals, kind="mergesort")[:k]
    np.testing.assert_array_equal(_call_best_positions(vals, k), expected)


@SETTINGS
@given(st.lists(st.sets(st.integers(0, 30), max_size=12), min_size=1, max_size=6),
       st.integers(1, 8), st.integers(-1, 30))
def test_most_recent_sessions_merges_like_a_sorted_union(postings, sample_size, self_row):
    lists = [np.array(sorted(p), np.int64) for p in postings]
    indptr = np.concatenate(([0], np.cumsum([len(x) for x in lists]))).astype(np.int64)
    sessions = np.concatenate(lists + [np.zeros(0, np.int64)])
    q_items = np.arange(len(lists), dtype=np.int64)
    # the reference: the union of each list's last sample_size entries, self
    # left out, its sample_size highest, ascending
    union = np.unique(np.concatenate([x[-sample_size:] for x in lists]))
    expected = union[union != self_row][-sample_size:]
    out = np.empty(sample_size, np.int64)
    m = _call_most_recent_sessions(q_items, len(lists), indptr, sessions, sample_size,
                                   self_row, np.empty(len(lists), np.int64), out)
    np.testing.assert_array_equal(out[:m], expected)


# -- rule and repeat scores as sparse products ------------------------------------
@SETTINGS
@given(st.lists(st.lists(st.integers(-1, 6), max_size=8), min_size=1, max_size=6),
       st.integers(1, 5), st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_recent_items_are_the_last_known_items_newest_first(histories, max_history,
                                                            half_life):
    from skembed.recommend.kernels import recent_items

    data = Ragged.from_arrays([np.array(h, np.int32) for h in histories], np.int32)
    indptr, items, weights = recent_items(data, 0, len(histories), max_history, half_life)
    for r, h in enumerate(histories):
        expected = [i for i in reversed(h) if i >= 0][:max_history]
        got = slice(indptr[r], indptr[r + 1])
        assert items[got].tolist() == expected
        ages = np.arange(len(expected))
        w = 0.5 ** (ages / half_life) if half_life > 0 else np.ones(len(expected))
        np.testing.assert_array_equal(weights[got], w.astype(np.float32))


def test_minmax_scaling_of_a_subnormal_spread():
    # found by the property test below: weight / spread overflowed float32
    # for a subnormal spread and the scaled score came out inf
    import scipy.sparse as sp

    from skembed.recommend.kernels import add_minmax_scaled, add_sparse_scores, minmax_scale_rows

    tiny = np.float32(2.3196688e-39)
    rows = np.array([[0.0, 0.0, tiny, 0.0], [tiny, tiny, 2 * tiny, 3 * tiny],
                     [0.0, 1.0, 2.0, 4.0]], np.float32)
    lo, hi = rows.min(axis=1, keepdims=True), rows.max(axis=1, keepdims=True)
    expected = 0.25 + 2.0 * ((rows.astype(float) - lo) / (hi.astype(float) - lo))
    for stored in (rows != 0, np.ones(rows.shape, bool)):  # sparse rows, full rows
        r, c = np.nonzero(stored)
        out = np.full(rows.shape, 0.25, np.float32)
        add_sparse_scores(sp.csr_matrix((rows[r, c], (r, c)), shape=rows.shape), out,
                          np.float32(2.0), True)
        np.testing.assert_allclose(out, expected, rtol=1e-5)
    out = np.full(rows.shape, 0.25, np.float32)
    add_minmax_scaled(out, rows, np.float32(2.0))
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    scaled = rows.copy()
    minmax_scale_rows(scaled)
    np.testing.assert_allclose(scaled, (expected - 0.25) / 2.0, rtol=1e-5)


@SETTINGS
@given(st.lists(st.lists(st.floats(0.0, 10.0, width=32), min_size=4, max_size=4),
                min_size=1, max_size=5),
       st.data())
def test_scaled_sparse_scores_equal_dense_minmax(rows, data):
    import scipy.sparse as sp

    from skembed.recommend.kernels import add_sparse_scores

    dense = np.array(rows, np.float32)
    # store a random subset of each row (full rows included); the rest is 0
    stored = np.array(data.draw(st.lists(st.lists(st.booleans(), min_size=4, max_size=4),
                                         min_size=len(rows), max_size=len(rows))))
    dense[~stored] = 0.0
    r, c = np.nonzero(stored)
    scores = sp.csr_matrix((dense[r, c], (r, c)), shape=dense.shape)
    out = np.full(dense.shape, 0.25, np.float32)
    add_sparse_scores(scores, out, np.float32(2.0), True)
    lo, hi = dense.min(axis=1, keepdims=True), dense.max(axis=1, keepdims=True)
    expected = 0.25 + 2.0 * np.divide(dense - lo, hi - lo, out=np.zeros_like(dense),
                                      where=hi > lo)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(st.lists(st.lists(st.floats(0.0, 10.0, width=32), min_size=4, max_size=4),
                min_size=1, max_size=5))
def test_dense_minmax_scaling_follows_its_formula(rows):
    from skembed.recommend.kernels import add_minmax_scaled, minmax_scale_rows

    rows = np.array(rows, np.float32)
    lo = rows.min(axis=1, keepdims=True).astype(float)
    hi = rows.max(axis=1, keepdims=True).astype(float)
    unit = np.divide(rows - lo, hi - lo, out=np.zeros(rows.shape), where=hi > lo)
    out = np.full(rows.shape, 0.25, np.float32)
    add_minmax_scaled(out, rows, np.float32(2.0))
    np.testing.assert_allclose(out, 0.25 + 2.0 * unit, rtol=1e-5, atol=1e-6)
    minmax_scale_rows(rows)
    np.testing.assert_allclose(rows, unit, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 9), st.integers(1, 5), st.data())
def test_neighbour_votes_are_the_sparse_product(n_rows, n_items, n_seq, data):
    """Session-kNN's plain votes equal scipy's product of the neighbours'
    similarities with the votes matrix: the same entries, the same float32
    sums (zero sums left out)."""
    import scipy.sparse as sp

    from skembed.recommend.knn_kernels import _NO_POSITIONS, _neighbour_votes

    dense = np.array(data.draw(st.lists(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.5]),
                                                 min_size=n_items, max_size=n_items),
                                        min_size=n_seq, max_size=n_seq)), np.float32)
    votes = sp.csr_matrix(dense)
    width = 3
    nb_sess = np.array(data.draw(st.lists(st.lists(st.integers(0, n_seq - 1), min_size=width,
                                                   max_size=width), min_size=n_rows,
                                          max_size=n_rows)), np.int64)
    nb_sim = np.array(data.draw(st.lists(st.lists(st.sampled_from([0.125, 0.3, 1.0, 1.7]),
                                                  min_size=width, max_size=width),
                                         min_size=n_rows, max_size=n_rows)), np.float32)
    nb_count = np.array(data.draw(st.lists(st.integers(0, width), min_size=n_rows,
                                           max_size=n_rows)), np.int64)
    bound = int(np.diff(votes.indptr)[nb_sess].sum())
    indptr, indices = np.empty(n_rows + 1, np.int64), np.empty(bound, np.int64)
    values = np.empty(bound, np.float32)
    _neighbour_votes(nb_sess, nb_sim, np.zeros_like(nb_sess), nb_count, votes.indptr,
                     votes.indices, votes.data, _NO_POSITIONS, 0.0,
                     np.zeros(n_items, np.float32), np.zeros(n_items, np.bool_), indptr,
                     indices, values)
    ours = sp.csr_matrix((values[:indptr[-1]], indices[:indptr[-1]], indptr),
                         shape=(n_rows, n_items))
    found = np.arange(width) < nb_count[:, None]
    neighbours = sp.csr_matrix((nb_sim[found], nb_sess[found],
                                np.concatenate(([0], np.cumsum(nb_count)))),
                               shape=(n_rows, n_seq))
    theirs = neighbours @ votes
    theirs.sort_indices()
    ours.sort_indices()
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)


def _serve_reference(n_items, sparse, vectors, near, neighbours, popular, seen, mask,
                     popularity, pop_weight, k):
    """The two-stage blend's second stage for one history, written plainly."""
    acc = {}
    for indices, data, weight in sparse:
        if weight == 0 or not len(indices):
            continue
        lo, hi = float(min(data)), float(max(data))
        lo = 0.0 if len(indices) < n_items else lo
        scale = 1.0 / (hi - lo) if hi - lo > 0 else 0.0
        for item, v in zip(indices, data, strict=True):
            acc[item] = np.float32(acc.get(item, np.float32(0))
                                   + np.float32((float(v) - lo) * scale) * np.float32(weight))
    cands = list(acc) + [i for j in near for i in neighbours[j] if i >= 0] + list(popular)
    cands = [c for c in dict.fromkeys(cands)
             if c not in set(seen) and (mask is None or mask[c])]
    values = [float(acc.get(c, 0.0)) + float(np.float32(pop_weight * popularity[c]))
              for c in cands]
    for query, table, low, high, weight in vectors:
        if weight == 0 or not cands:
            continue
        raw = [np.float32(query @ table[c]) for c in cands]
        lo, hi = min([low] + [float(r) for r in raw]), max([high] + [float(r) for r in raw])
        scale = float(weight) / (hi - lo) if hi - lo > 0 else 0.0
        values = [v + (float(r) - lo) * scale for v, r in zip(values, raw, strict=True)]
    ranked = sorted(zip(cands, values, strict=True),
                    key=lambda cv: (-np.float32(max(cv[1], 0.0)), cv[0]))[:k]
    return [c for c, _ in ranked], [np.float32(max(v, 0.0)) for _, v in ranked]


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 12), st.integers(1, 4), st.booleans(), st.data())
def test_serve_block_is_the_plain_blend(n_rows, n_items, k, use_mask, data):
    """serve_block's candidates, exclusions, scaling and top k (ties to the
    lower item) equal a plain per-history implementation (exact inputs:
    dyadic scores and integer vectors, so sums do not depend on order)."""
    from skembed.recommend.serve_kernels import Extra, Scratch, Sparse, Vectors, serve_block

    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    items = st.lists(st.integers(0, n_items - 1), max_size=5, unique=True)

    def csr(rows):
        indptr = np.concatenate(([0], np.cumsum([len(r) for r in rows]))).astype(np.int64)
        flat = np.array([i for r in rows for i in r], np.int64)
        return indptr, flat

    sparse, plain = [], [[] for _ in range(n_rows)]
    for _ in range(3):
        rows = [data.draw(items) for _ in range(n_rows)]
        indptr, flat = csr(rows)
        vals = rng.integers(0, 8, len(flat)).astype(np.float32) / 4
        weight = np.float32(data.draw(st.sampled_from([0.0, 0.5, 1.0])))
        sparse.append(Sparse(indptr, flat, vals, weight, np.bool_(True)))
        for r in range(n_rows):
            plain[r].append((flat[indptr[r]:indptr[r + 1]], vals[indptr[r]:indptr[r + 1]],
                             weight))
    neighbours = rng.integers(-1, n_items, (n_items, 2)).astype(np.int64)
    near_rows = [data.draw(items) for _ in range(n_rows)]
    seen_rows = [data.draw(items) for _ in range(n_rows)]
    popular = np.array(data.draw(items), np.int64)
    mask = rng.random(n_items) < 0.7 if use_mask else None
    popularity = (rng.integers(0, 4, n_items) / 4).astype(np.float32)
    vecs = []
    for _ in range(2):
        queries = rng.integers(-2, 3, (n_rows, 3)).astype(np.float32)
        table = rng.integers(-2, 3, (n_items, 3)).astype(np.float32)
        low = rng.integers(-3, 1, n_rows).astype(np.float64)
        vecs.append(Vectors(queries, table, low, low + 2.0,
                            np.float32(data.draw(st.sampled_from([0.0, 0.25])))))
    extra = Extra(*csr(near_rows), neighbours, popular, *csr(seen_rows),
                  np.zeros(0, np.bool_) if mask is None else mask, popularity,
                  np.float32(0.5))
    scratch = Scratch(np.zeros(n_items, np.float32), np.zeros(n_items, np.uint8),
                      np.empty(64, np.int64), np.empty(64, np.float32))
    idx = np.empty((n_rows, k), np.int64)
    val = np.empty((n_rows, k), np.float32)
    serve_block(n_rows, n_items, tuple(sparse), tuple(vecs), extra, scratch, k, idx, val)
    for r in range(n_rows):
        want, want_val = _serve_reference(
            n_items, plain[r], [(v.queries[r], v.table, v.low[r], v.high[r], v.weight)
                                for v in vecs],
            near_rows[r], neighbours, popular, seen_rows[r], mask, popularity,
            np.float32(0.5), k)
        got = idx[r][idx[r] >= 0]
        assert list(got) == want
        np.testing.assert_array_equal(val[r][:len(want)], want_val)
        assert np.isnan(val[r][len(want):]).all()
    assert not scratch.acc.any() and not scratch.mark.any()  # left clean
