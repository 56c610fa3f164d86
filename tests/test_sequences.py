import numpy as np
import pandas as pd
import pytest

from skembed import ItemSequenceEmbedder, sequences_from_events

FAST = dict(vector_size=16, random_state=0)


def planted_sessions(n_groups=4, items_per_group=10, n_sessions=800, length=8, seed=0):
    """Sessions that each stay inside one group of items (int ids)."""
    rng = np.random.RandomState(seed)
    sessions = []
    for _ in range(n_sessions):
        g = rng.randint(n_groups)
        sessions.append((g * items_per_group + rng.randint(items_per_group, size=length)).tolist())
    return sessions


def group_purity(kv, items_per_group=10, topn=5):
    hits = [np.mean([n // items_per_group == k // items_per_group
                     for n, _ in kv.most_similar(k, topn=topn)]) for k in kv.index_to_key]
    return float(np.mean(hits))


@pytest.mark.parametrize("window", [3, "all"])
@pytest.mark.parametrize("sg", [True, False])
def test_items_of_a_group_get_close_vectors(window, sg):
    emb = ItemSequenceEmbedder(window=window, sg=sg, **FAST).fit(planted_sessions())
    assert group_purity(emb.wv_) > 0.9  # chance: 9/39
    assert all(isinstance(k, int) for k in emb.wv_.index_to_key)


def test_negative_ns_exponent_and_string_ids():
    sessions = [[f"item{i}" for i in s] for s in planted_sessions()]
    emb = ItemSequenceEmbedder(ns_exponent=-0.5, **FAST).fit(pd.Series(sessions))
    near = emb.wv_.most_similar("item3", topn=5)
    assert all(int(k[4:]) // 10 == 0 for k, _ in near)


def test_profiles_mean_and_recency():
    sessions = planted_sessions()
    emb = ItemSequenceEmbedder(**FAST).fit(sessions)
    X = emb.transform([[1, 2, 999], [999], []])
    np.testing.assert_allclose(X[0], emb.wv_[[1, 2]].mean(axis=0), rtol=1e-5)
    assert np.all(X[1] == 0) and np.all(X[2] == 0)  # nothing known -> zero row
    rec = ItemSequenceEmbedder(profile="recency", half_life=1.0, **FAST).fit(sessions)
    v = rec.transform([[1, 2]])[0]
    expected = (0.5 * rec.wv_[1] + 1.0 * rec.wv_[2]) / 1.5
    np.testing.assert_allclose(v, expected, rtol=1e-5)
    # unknown items still age the known ones: position counts, not known rank
    v2 = rec.transform([[1, 2, 999]])[0]
    np.testing.assert_allclose(v2, (0.25 * rec.wv_[1] + 0.5 * rec.wv_[2]) / 0.75, rtol=1e-5)


def test_array_and_series_inputs_agree():
    sessions = planted_sessions(n_sessions=200)
    a = ItemSequenceEmbedder(**FAST).fit(sessions)
    b = ItemSequenceEmbedder(**FAST).fit(np.array(sessions))
    c = ItemSequenceEmbedder(**FAST).fit(pd.Series([np.array(s) for s in sessions]))
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
    np.testing.assert_array_equal(a.wv_.vectors, c.wv_.vectors)


def test_empty_sequences_skipped_and_errors():
    sessions = planted_sessions(n_sessions=100)
    a = ItemSequenceEmbedder(**FAST).fit(sessions)
    b = ItemSequenceEmbedder(**FAST).fit(sessions + [[], []])
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
    with pytest.raises(ValueError, match="no non-empty sequence"):
        ItemSequenceEmbedder().fit([[], []])
    with pytest.raises(ValueError, match="no non-empty sequence"):
        ItemSequenceEmbedder().fit([])
    with pytest.raises(TypeError, match="wrap a single history"):
        ItemSequenceEmbedder().fit([1, 2, 3])
    with pytest.raises(TypeError, match="hashable"):
        ItemSequenceEmbedder().fit([[[1], [2]]])
    with pytest.raises(ValueError, match="window"):
        ItemSequenceEmbedder(window="some").fit(sessions)
    with pytest.raises(ValueError, match="profile"):
        ItemSequenceEmbedder(profile="max").fit(sessions)


def test_mixed_id_types_are_hashables():
    sessions = [[1, "1", (1, 2), 2.5]] * 20
    emb = ItemSequenceEmbedder(vector_size=4, random_state=0).fit(sessions)
    assert set(emb.wv_.index_to_key) == {1, "1", (1, 2), 2.5}


def test_determinism():
    sessions = planted_sessions(n_sessions=200)
    a = ItemSequenceEmbedder(**FAST).fit(sessions)
    b = ItemSequenceEmbedder(**FAST).fit(sessions)
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)


def test_sequences_from_events_users_and_sessions():
    log = pd.DataFrame({
        "user": ["u2", "u1", "u1", "u2", "u1", "u1"],
        "item": [10, 1, 2, 11, 3, 4],
        "t": [5, 0, 10, 6, 5000, 20],
    })
    seqs, keys = sequences_from_events(log, "user", "item", "t")
    assert keys == ["u1", "u2"]
    assert seqs == [[1, 2, 4, 3], [10, 11]]
    seqs, keys = sequences_from_events(log, "user", "item", "t", session_gap=600)
    assert keys == [("u1", 0), ("u1", 1), ("u2", 0)]
    assert seqs == [[1, 2, 4], [3], [10, 11]]
    log["t"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(log["t"], unit="s")
    seqs2, keys2 = sequences_from_events(log, "user", "item", "t",
                                         session_gap=pd.Timedelta(minutes=10))
    assert (seqs2, keys2) == (seqs, keys)
    seqs3, _ = sequences_from_events(log, "user", "item")  # row order
    assert seqs3 == [[1, 2, 3, 4], [10, 11]]
    with pytest.raises(ValueError, match="time_col"):
        sequences_from_events(log, "user", "item", session_gap=10)
    with pytest.raises(KeyError, match="nope"):
        sequences_from_events(log, "user", "nope")


def test_partial_fit_adds_items_and_keeps_rows():
    first = [["a", "b", "c"], ["b", "c", "a"]] * 30
    emb = ItemSequenceEmbedder(vector_size=8, random_state=0).fit(first)
    before = emb.wv_.vectors.copy()
    keys = list(emb.wv_.index_to_key)
    emb.partial_fit([["x", "y", "a"]] * 20)
    assert emb.wv_.index_to_key[:3] == keys and {"x", "y"} <= set(emb.wv_.index_to_key)
    assert emb.wv_.counts[emb.wv_.get_index("a")] == 60 + 20
    assert not np.allclose(emb.wv_["a"], before[keys.index("a")])
    assert len(emb.loss_history_) == 2 * emb.epochs
    # on an unfitted estimator partial_fit is fit
    fresh = ItemSequenceEmbedder(vector_size=8, random_state=0).partial_fit(first)
    np.testing.assert_array_equal(fresh.wv_.vectors, before)


def test_parameters_checked_where_used():
    emb = ItemSequenceEmbedder(vector_size=4, random_state=0).fit([[1, 2, 3]] * 10)
    emb.set_params(profile="bogus")
    with pytest.raises(ValueError, match="profile"):
        emb.transform([[1, 2]])
    with pytest.raises(ValueError, match="window"):
        ItemSequenceEmbedder(window=2**64).fit([[1, 2, 3]])
    with pytest.raises(ValueError, match="window"):
        ItemSequenceEmbedder(window=2**63).fit([[1, 2, 3]])
    with pytest.raises(ValueError, match="no output layer"):
        ItemSequenceEmbedder(negative=0).fit([[1, 2, 3]])
    # numpy scalars, as a parameter grid produces them
    grid_value = np.array([True, False])[0]
    emb = ItemSequenceEmbedder(vector_size=np.int64(4), sg=grid_value, window=np.int32(2),
                               random_state=0).fit([[1, 2, 3]] * 10)
    assert emb.wv_.vector_size == 4


def test_thread_count_unchanged_by_fit_and_transform():
    import numba

    before = numba.get_num_threads()
    emb = ItemSequenceEmbedder(vector_size=4, n_jobs=2, random_state=0).fit([[1, 2, 3]] * 50)
    assert numba.get_num_threads() == before
    emb.transform([[1, 2]])
    assert numba.get_num_threads() == before


def test_published_vectors_are_snapshots():
    emb = ItemSequenceEmbedder(vector_size=4, random_state=0).fit([[1, 2, 3]] * 30)
    wv, out = emb.wv_, emb.output_vectors_
    before, out_before = wv.vectors.copy(), out.copy()
    cos = wv.similarity(1, 2)
    emb.partial_fit([[1, 2, 3]] * 30)  # adds no item: trains the same rows
    np.testing.assert_array_equal(wv.vectors, before)
    np.testing.assert_array_equal(out, out_before)
    assert wv.similarity(1, 2) == cos
    assert not np.array_equal(emb.wv_.vectors, before)
    with pytest.raises(ValueError):
        emb.wv_.vectors[0, 0] = 0.0
    with pytest.raises(ValueError):
        emb.output_vectors_[0, 0] = 0.0


def test_single_item_sequences_warn():
    with pytest.warns(UserWarning, match="nothing was trained"):
        emb = ItemSequenceEmbedder(vector_size=4, random_state=0).fit([[1], [2], [3]] * 5)
    assert emb.loss_history_[-1] == 0.0


def test_event_log_edge_cases():
    log = pd.DataFrame({"user": [1, 1, 1, 2], "item": list("abcd"),
                        "t": [0.0, np.nan, 5.0, 1.0]})
    with pytest.raises(ValueError, match="1 missing times"):
        sequences_from_events(log, "user", "item", "t")
    log = pd.DataFrame({"user": [1, 1], "item": ["a", "b"], "t": ["10/02/2024", "09/03/2024"]})
    with pytest.raises(TypeError, match="sort as text"):
        sequences_from_events(log, "user", "item", "t")
    log = pd.DataFrame({"user": [1, 1, 1], "item": list("abc"), "t": [0, 100, 5000]})
    with pytest.raises(ValueError, match="negative"):
        sequences_from_events(log, "user", "item", "t", session_gap=-1)
    # a duration with numeric times: seconds
    seqs, keys = sequences_from_events(log, "user", "item", "t", session_gap="30min")
    assert seqs == [["a", "b"], ["c"]] and keys == [(1, 0), (1, 1)]
    with pytest.raises(ValueError, match="not a duration"):
        sequences_from_events(log, "user", "item", "t", session_gap="soon")
    dated = log.assign(t=pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01",
                                         "2024-01-01 12:00"]))
    assert sequences_from_events(dated, "user", "item", "t", session_gap="30min")[0] == [
        ["a", "b"], ["c"]]


def test_polars_event_log():
    pl = pytest.importorskip("polars")
    log = pl.DataFrame({"user": [1, 1, 2, 1], "item": ["a", "b", "c", "d"],
                        "t": [0, 10, 5, 5000]})
    assert sequences_from_events(log, "user", "item", "t", session_gap=600) == (
        [["a", "b"], ["d"], ["c"]], [(1, 0), (1, 1), (2, 0)])
    with pytest.raises(TypeError, match="pandas"):
        sequences_from_events([[1, "a"]], "user", "item")


def test_score_is_the_next_item_hit_rate_of_the_vectors():
    sessions = planted_sessions(n_groups=6, items_per_group=8, n_sessions=600)
    emb = ItemSequenceEmbedder(vector_size=16, epochs=5, random_state=0).fit(sessions)
    # the held-out item is in the history's group of 8: among the 10 nearest
    assert emb.score(sessions[:200]) > 0.95
    X, y = [s[:-1] for s in sessions[:50]], [s[-1] for s in sessions[:50]]
    assert emb.score(X, y) == emb.score(sessions[:50])
    # a next item from another group, or unknown, is a miss
    other = [(t + 8) % 48 for t in y]
    assert emb.score(X, other) < 0.3
    assert emb.score(X, ["nope"] * 50) == 0.0
    with pytest.raises(ValueError, match="at least one"):
        emb.score([["g0_1"]])
    with pytest.raises(ValueError, match="histories"):
        emb.score(X, y[:3])


def test_embedder_alone_in_grid_search():
    from sklearn.model_selection import GridSearchCV

    sessions = planted_sessions(n_groups=4, n_sessions=300)
    grid = GridSearchCV(ItemSequenceEmbedder(vector_size=8, epochs=3, random_state=0),
                        {"window": [1, 5]}, cv=2).fit(sessions)
    assert set(grid.cv_results_["mean_test_score"]) and grid.best_score_ > 0.5
