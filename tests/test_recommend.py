"""Recommenders on planted data: each scorer finds the structure it is built for,
the blend picks the scorer that fits the data, and the serving API keeps its
promises (scores, allow/deny lists, fallbacks, masked padding)."""

import pickle

import numba
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skembed import (
    ItemSequenceEmbedder,
    NearestNeighborRecommender,
    PopularityRecommender,
    SequentialRulesRecommender,
    SessionKNNRecommender,
)
from skembed.metrics import hit_rate_at_k

EMB = ItemSequenceEmbedder(vector_size=16, epochs=5, random_state=0)


def chain_sessions(n_sessions=600, n_chains=8, chain_len=12, seed=0):
    """Sessions that walk forward along one of several chains: the item after
    ``k * 100 + i`` is always ``k * 100 + i + 1`` (a sequential rule)."""
    rng = np.random.RandomState(seed)
    X, y = [], []
    for _ in range(n_sessions):
        k = rng.randint(n_chains)
        length = rng.randint(3, 6)
        start = rng.randint(chain_len - length + 1)
        items = [k * 100 + start + i for i in range(length)]
        X.append(items[:-1])
        y.append(items[-1])
    return X, y


def group_sessions(n_sessions=600, n_groups=5, group_size=12, length=5, seed=0):
    """Sessions of distinct items drawn from one group, in random order (no
    sequential structure; items of a group co-occur)."""
    rng = np.random.RandomState(seed)
    X, y = [], []
    for _ in range(n_sessions):
        g = rng.randint(n_groups)
        items = (g * 100 + rng.choice(group_size, length, replace=False)).tolist()
        X.append(items[:-1])
        y.append(items[-1])
    return X, y


def group(item):
    return item // 100


# -- the components ------------------------------------------------------------
def test_sequential_rules_follow_the_planted_successor():
    X, y = chain_sessions()
    rec = SequentialRulesRecommender(n_recommendations=1).fit(X, y)
    assert rec.predict([[203, 204]]).tolist() == [[205]]
    assert rec.score(X, y) > 0.99
    # rules point forward only: the item before is not recommended ...
    ids, scores = rec.recommend([[205]], n=3, return_scores=True)
    assert ids[0, 0] == 206 and 204 not in ids[0, :2]
    assert scores[0, 0] == pytest.approx(rec.rules_[rec._catalogue.key_to_index[205],
                                                    rec._catalogue.key_to_index[206]])
    # ... unless the rules are symmetric (co-occurrence)
    sym = SequentialRulesRecommender(symmetric=True, n_recommendations=2).fit(X, y)
    assert set(sym.predict([[205]])[0]) == {204, 206}


def test_rule_weights_by_gap():
    rec = SequentialRulesRecommender(window=3, exclude_seen=False).fit([["a", "b", "c", "d"]])
    k = rec._catalogue.key_to_index
    r = rec.rules_.toarray()
    assert r[k["a"], k["b"]] == 1.0 and r[k["a"], k["c"]] == 0.5
    assert r[k["a"], k["d"]] == pytest.approx(1 / 3) and r[k["b"], k["a"]] == 0.0
    linear = SequentialRulesRecommender(window=3, weighting="linear").fit([["a", "b", "c", "d"]])
    assert linear.rules_.toarray()[k["a"], k["d"]] == pytest.approx(1 / 3)
    assert linear.rules_.toarray()[k["a"], k["c"]] == pytest.approx(2 / 3)


def test_rules_recent_items_weigh_more():
    # b -> x and c -> y equally often; the most recent history item decides
    X = [["b", "x"], ["c", "y"]] * 10
    rec = SequentialRulesRecommender(n_recommendations=1, exclude_seen=False).fit(X)
    assert rec.predict([["b", "c"], ["c", "b"]]).tolist() == [["y"], ["x"]]
    flat = SequentialRulesRecommender(n_recommendations=2, half_life=0).fit(X)
    _, s = flat.recommend([["b", "c"]], return_scores=True)
    assert s[0, 0] == s[0, 1]  # equal weights: a tie


def test_session_knn_recommends_from_similar_sessions():
    X, y = group_sessions()
    rec = SessionKNNRecommender(n_recommendations=5).fit(X, y)
    pred = rec.predict(X[:100])
    assert all(group(p) == group(h[0]) for row, h in zip(pred, X[:100], strict=True)
               for p in row)
    assert not any(set(row) & set(h) for row, h in zip(pred, X[:100], strict=True))
    # a unique neighbour: the only session with "q" also holds "z"
    rec = SessionKNNRecommender(n_recommendations=1, k=1).fit(
        [["q", "z"], ["a", "b"], ["a", "c"]] * 1 + [["a", "d"]] * 5)
    assert rec.predict([["q"]]).tolist() == [["z"]]


def test_session_knn_samples_the_most_recent_sessions():
    # "a" occurs in old sessions with "old" and in recent ones with "new"
    X = [["a", "old"]] * 20 + [["a", "new"]] * 5
    assert SessionKNNRecommender(sample_size=5, n_recommendations=1).fit(X).predict(
        [["a"]]).tolist() == [["new"]]
    assert SessionKNNRecommender(sample_size=100, n_recommendations=1).fit(X).predict(
        [["a"]]).tolist() == [["old"]]


def test_session_knn_scratch_kept_between_calls_and_models():
    # a thread keeps session-kNN's scratch between calls: its item marks must
    # be reset (marks are row indices: the same rows again would find their
    # items marked), and it must hold nothing of the model that used it last
    train = [[i, i + 1, (i + 7) % 60] for i in range(0, 60, 2)] * 5
    hist = [[i, i + 1] for i in range(0, 60, 2)]  # each item in one row only
    rec_a = SessionKNNRecommender(k=10, sample_size=50).fit(train)
    rec_b = SessionKNNRecommender(k=10, sample_size=50).fit(train[::-1])
    b_first = rec_b.recommend(hist, return_scores=True)
    a_first = rec_a.recommend(hist, return_scores=True)
    a_again = rec_a.recommend(hist, return_scores=True)
    b_again = rec_b.recommend(hist, return_scores=True)
    assert (a_first[1][:, 0] > 0).all()  # every row found neighbours
    for first, again in ((a_first, a_again), (b_first, b_again)):
        np.testing.assert_array_equal(again[0], first[0])
        np.testing.assert_array_equal(again[1], first[1])


def test_popularity_order_exclusion_and_auto_exclude():
    X = [["a", "b"], ["b", "c"], ["b", "a"], ["d"]]
    rec = PopularityRecommender(n_recommendations=3).fit(X)
    assert rec.items_.tolist() == ["b", "a", "c", "d"]
    assert rec.item_counts_.tolist() == [3, 2, 1, 1]
    assert rec.exclude_seen_ and rec.repeat_share_ == 0.0
    assert rec.predict([["b"]]).tolist() == [["a", "c", "d"]]
    # repeats in the training data keep seen items recommendable
    repeats = PopularityRecommender(n_recommendations=1).fit([["a", "b", "a"], ["a", "a"]])
    assert repeats.repeat_share_ == pytest.approx(2 / 3) and not repeats.exclude_seen_
    assert repeats.predict([["a"]]).tolist() == [["a"]]


# -- the blend ------------------------------------------------------------------
def test_blend_chooses_rules_for_sequential_data():
    X, y = chain_sessions()
    rec = NearestNeighborRecommender(clone(EMB), n_recommendations=1, random_state=0).fit(X, y)
    w = rec.weights_
    assert w["rules"] > 0 and w["rules"] >= max(w["session_knn"], w["popularity"])
    # every training session lost its last item for validation: some rules
    # near the chain ends are missing there, not in the final fit
    assert rec.validation_score_ > 0.9
    X_test, y_test = chain_sessions(n_sessions=200, seed=1)
    assert rec.score(X_test, y_test) > 0.95


def test_blend_on_unordered_groups_beats_popularity():
    X, y = group_sessions()
    rec = NearestNeighborRecommender(clone(EMB), n_recommendations=5,
                                     random_state=0).fit(X, y)
    X_test, y_test = group_sessions(n_sessions=300, seed=1)
    pop = PopularityRecommender(n_recommendations=5).fit(X, y)
    # a right-group unseen item: 5 of 8 candidates; popularity ignores the group
    assert rec.score(X_test, y_test) > 0.55 > pop.score(X_test, y_test) + 0.2
    pred = rec.predict(X_test[:100])
    assert np.mean([[group(p) == group(h[0]) for p in row]
                    for row, h in zip(pred, X_test[:100], strict=True)]) > 0.95


def test_fixed_weights_skip_validation_and_match_the_component():
    X, y = chain_sessions()
    fixed = dict(rules_weight=1.0, session_knn_weight=0, cosine_weight=0, output_weight=0,
                 popularity_weight=0, repeat_weight=0)
    rec = NearestNeighborRecommender(**fixed, exclude_seen=True).fit(X, y)
    assert rec.validation_score_ is None and rec.embedder_ is None
    assert rec.session_knn_ is None and rec.rules_ is not None
    rules = SequentialRulesRecommender(exclude_seen=True).fit(X, y)
    ref = rules.predict(X[:50])
    # dense and two-stage: the rules' own lists (unscored slots filled with the
    # most popular items, in catalogue order, by all three)
    np.testing.assert_array_equal(rec.set_params(scoring="exact").predict(X[:50]), ref)
    np.testing.assert_array_equal(rec.set_params(scoring="candidates").predict(X[:50]), ref)
    with pytest.raises(ValueError, match="all blend weights are 0"):
        NearestNeighborRecommender(**{**fixed, "rules_weight": 0}).fit(X, y)


def test_grid_search_over_blend_weights():
    X, y = chain_sessions(n_sessions=300)
    # at one recommendation, only the rules know the successor from the
    # predecessor (a neighbour session holds both)
    base = NearestNeighborRecommender(clone(EMB), n_recommendations=1, cosine_weight=0,
                                      output_weight=0, popularity_weight=0, repeat_weight=0)
    grid = GridSearchCV(base, {"rules_weight": [0.0, 1.0], "session_knn_weight": [0.0, 1.0]},
                        cv=3, error_score="raise")
    # the all-zero point raises inside fit: drop it from the grid
    grid.param_grid = [{"rules_weight": [1.0], "session_knn_weight": [0.0, 1.0]},
                       {"rules_weight": [0.0], "session_knn_weight": [1.0]}]
    grid.fit(X, y)
    assert grid.best_params_["rules_weight"] == 1.0
    assert grid.best_score_ > 0.9
    results = dict(zip(map(str, grid.cv_results_["params"]),
                       grid.cv_results_["mean_test_score"], strict=True))
    assert results[str({"rules_weight": 0.0, "session_knn_weight": 1.0})] < 0.8


def test_grid_search_on_default_embedder():
    X, y = chain_sessions(n_sessions=300)
    grid = GridSearchCV(NearestNeighborRecommender(rules_weight=1.0, session_knn_weight=0,
                                                   popularity_weight=0, repeat_weight=0,
                                                   cosine_weight=0.5, output_weight=0),
                        {"embedder__window": [1, 3]}, cv=2, error_score="raise")
    grid.fit(X, y)
    assert grid.best_estimator_.embedder.window in (1, 3)


def test_embedder_contract_errors():
    X, y = chain_sessions(n_sessions=100)

    class NoVectors(ItemSequenceEmbedder):
        def fit(self, X, y=None):
            return self

    with pytest.raises(TypeError, match="must set wv_"):
        NearestNeighborRecommender(NoVectors(), rules_weight=1.0, session_knn_weight=0,
                                   cosine_weight=1.0, output_weight=0, popularity_weight=0,
                                   repeat_weight=0).fit(X, y)
    with pytest.raises(ValueError, match="output_vectors_"):
        NearestNeighborRecommender(ItemSequenceEmbedder(hs=True, negative=0, vector_size=8),
                                   output_weight=1.0).fit(X, y)


def test_item_vectors_of_items_the_embedder_dropped():
    X = [["a", "b", "c"], ["a", "b", "d"]] * 20 + [["rare", "a"]]
    rec = NearestNeighborRecommender(ItemSequenceEmbedder(vector_size=8, min_count=2,
                                                          random_state=0),
                                     n_recommendations=2, random_state=0).fit(X)
    assert "rare" in rec.items_.tolist()
    with pytest.raises(KeyError, match="no vector"):
        rec.similar_items(["rare"])
    ids, _ = rec.similar_items(["a"], n=2)
    assert "rare" not in ids[0].tolist()
    # the rules still know what follows it
    assert rec.predict([["rare"]])[0, 0] == "a"


# -- serving API ---------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted():
    X, y = chain_sessions()
    return NearestNeighborRecommender(clone(EMB), random_state=0).fit(X, y), X, y


def test_recommend_scores_allow_deny(fitted):
    rec, X, _ = fitted
    ids, scores = rec.recommend(X[:20], n=5, return_scores=True)
    assert ids.shape == scores.shape == (20, 5)
    assert np.all(np.diff(scores, axis=1) <= 0) and np.isfinite(scores).all()
    np.testing.assert_array_equal(ids, rec.predict(X[:20])[:, :5])
    top = ids[:, 0].tolist()
    denied = rec.recommend(X[:20], n=5, deny=top)
    assert not set(top) & set(np.ravel(denied).tolist())
    allowed = [i for i in rec.items_.tolist() if group(i) == 3] + ["not an item"]
    only = rec.recommend(X[:20], n=5, allow=allowed)
    assert all(group(i) == 3 for i in np.ravel(only))
    with pytest.raises(TypeError, match="string"):
        rec.recommend(X[:2], allow="abc")


def test_padding_is_masked_never_an_item_id():
    rec = SequentialRulesRecommender(n_recommendations=3, exclude_seen=True).fit(
        [[-1, 0, 1], [0, 1, -1]])
    ids = rec.predict([[-1, 0]])
    assert isinstance(ids, np.ma.MaskedArray)
    assert ids[0, 0] == 1 and ids.mask[0].tolist() == [False, True, True]
    assert hit_rate_at_k([-1], ids) == 0.0
    ids, scores = rec.recommend([[-1, 0, 1]], return_scores=True)
    assert ids.mask.all() and np.isnan(scores).all()
    full = rec.predict([[5]])  # unknown item: popularity fill, nothing masked
    assert not isinstance(full, np.ma.MaskedArray) and sorted(full[0]) == [-1, 0, 1]


def test_fallback_unknown_items_and_clipping(fitted):
    rec, X, _ = fitted
    popular = rec.items_[:4].tolist()
    pred = rec.recommend([[9999, "nope"], []], n=4)
    assert pred.tolist() == [popular, popular]
    assert rec.score([[3]], [9999]) == 0.0
    small = SequentialRulesRecommender(n_recommendations=50, exclude_seen=False).fit(
        [[1, 2, 3]] * 5)
    with pytest.warns(UserWarning, match="exceeds the 3 known items"):
        assert small.predict([[1]]).shape == (1, 3)


def test_tuple_and_string_ids():
    X = [[("a", 1), ("b", 2), ("c", 3)], [("x", 1), ("y", 2)]] * 20
    rec = SequentialRulesRecommender(n_recommendations=1).fit(X)
    assert rec.items_.dtype == object
    assert rec.predict([[("a", 1)]])[0, 0] == ("b", 2)
    with pytest.raises(TypeError, match="hashable"):
        SequentialRulesRecommender().fit([[["unhashable"]]])


def test_similar_items_returns_n(fitted):
    rec, _, _ = fitted
    ids, scores = rec.similar_items([203, 305], n=4)
    assert ids.shape == scores.shape == (2, 4)
    assert 203 not in ids[0] and np.all(np.diff(scores, axis=1) <= 1e-6)
    assert scores[0, 0] == pytest.approx(rec.embedder_.wv_.similarity(203, ids[0, 0]),
                                         rel=1e-4)
    with pytest.raises(KeyError, match="12345"):
        rec.similar_items([12345])
    tiny = NearestNeighborRecommender(clone(EMB), random_state=0).fit([["a", "b", "c"]] * 5)
    with pytest.warns(UserWarning, match="n=5 exceeds the 2 other items"):
        ids, _ = tiny.similar_items(["a"], n=5)
    assert ids.shape == (1, 2)


def test_bad_input_errors():
    X, y = chain_sessions(n_sessions=60)
    with pytest.raises(ValueError, match="y has"):
        SequentialRulesRecommender().fit(X, y[:-1])
    with pytest.raises(ValueError, match="no item"):
        SequentialRulesRecommender().fit([[], []])
    with pytest.raises(ValueError, match="n_recommendations"):
        PopularityRecommender(n_recommendations=0).fit(X)
    with pytest.raises(ValueError, match="window"):
        SequentialRulesRecommender(window=2**64).fit(X)
    with pytest.raises(ValueError, match="rules_weight"):
        NearestNeighborRecommender(rules_weight=-1).fit(X)
    with pytest.raises(TypeError, match="sequence of item sequences"):
        SequentialRulesRecommender().fit("abc")
    rec = SequentialRulesRecommender().fit(X)
    with pytest.raises(ValueError, match="n must be"):
        rec.recommend(X[:2], n=2.5)
    with pytest.raises(ValueError, match="exclude_seen"):
        rec.recommend(X[:2], exclude_seen="yes")
    assert rec.recommend([], n=3).shape == (0, 3)


def test_numpy_bool_and_integer_params():
    X, y = chain_sessions(n_sessions=60)
    rec = SequentialRulesRecommender(symmetric=np.bool_(True), window=np.int64(3),
                                     exclude_seen=np.bool_(False)).fit(X)
    assert rec.exclude_seen_ is False


def test_thread_count_unchanged():
    X, y = chain_sessions(n_sessions=100)
    before = numba.get_num_threads()
    for est in (SessionKNNRecommender(n_jobs=2), SequentialRulesRecommender(n_jobs=-1),
                NearestNeighborRecommender(clone(EMB).set_params(n_jobs=2), n_jobs=2,
                                           random_state=0)):
        est.fit(X, y).predict(X[:5])
        assert numba.get_num_threads() == before


def test_deterministic_with_seed_and_pickle():
    X, y = chain_sessions(n_sessions=200)
    a = NearestNeighborRecommender(random_state=3).fit(X, y)
    b = NearestNeighborRecommender(random_state=3).fit(X, y)
    assert a.weights_ == b.weights_
    np.testing.assert_array_equal(a.predict(X[:30]), b.predict(X[:30]))
    back = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(back.predict(X[:30]), a.predict(X[:30]))
    assert isinstance(a.embedder_, ItemSequenceEmbedder) and a.embedder is None


def test_nndescent_similar_items_match_exact():
    pytest.importorskip("pynndescent")
    X, y = group_sessions()
    kwargs = dict(embedder=clone(EMB), random_state=0)
    exact = NearestNeighborRecommender(algorithm="brute", **kwargs).fit(X, y)
    ann = NearestNeighborRecommender(algorithm="nndescent", epsilon=0.3,
                                     nndescent_kwargs={"n_neighbors": 7}, **kwargs).fit(X, y)
    assert ann.algorithm_ == "nndescent" and ann._items.ann.n_neighbors == 7
    items = exact.items_[:20].tolist()
    a, _ = exact.similar_items(items, n=5)
    b, _ = ann.similar_items(items, n=5)
    assert np.mean([len(set(r1) & set(r2)) / 5 for r1, r2 in zip(a, b, strict=True)]) > 0.9
    with pytest.raises(ValueError, match="metric"):
        NearestNeighborRecommender(nndescent_kwargs={"metric": "euclidean"}).fit(X)


def test_sparse_blend_equals_dense_minmax_blend():
    """The blend adds sparse components through their non-zero scores only;
    it must equal the sum of every component's dense row scaled to [0, 1]."""
    X, y = group_sessions(n_sessions=300)
    X = [h + h[:1] for h in X]  # repeats, so that the repeat component is active
    rec = NearestNeighborRecommender(clone(EMB), exclude_seen=False, rules_weight=0.7,
                                     session_knn_weight=1.3, cosine_weight=0.4,
                                     output_weight=0.9, popularity_weight=0.2,
                                     repeat_weight=0.6).fit(X, y)
    data = rec._encode(X[:40] + [[], [123456]])
    n_items = len(rec.items_)
    blended = np.zeros((data.n_rows, n_items), np.float32)
    rec._add_scores(data, 0, blended, 1)
    expected = np.zeros_like(blended)
    for name, weight in rec.weights_.items():
        raw = np.zeros_like(blended)
        rec._component_scores(name, data, 0, raw, 1)
        lo, hi = raw.min(axis=1, keepdims=True), raw.max(axis=1, keepdims=True)
        scaled = np.divide(raw - lo, hi - lo, out=np.zeros_like(raw), where=hi > lo)
        expected += weight * scaled
    np.testing.assert_allclose(blended, expected, rtol=1e-5, atol=1e-6)


def test_serial_and_parallel_kernels_agree(monkeypatch):
    """Scores of one thread and of rows split over several threads are the
    same lists and the same floats (every block split, however light)."""
    from skembed.recommend import kernels

    monkeypatch.setattr(kernels, "_SPLIT_WORK", 0)
    X, y = chain_sessions(n_sessions=150)
    for est in (SessionKNNRecommender(), SequentialRulesRecommender(),
                NearestNeighborRecommender(random_state=0)):
        ids1, s1 = est.fit(X, y).recommend(X[:40], return_scores=True)
        ids2, s2 = est.set_params(n_jobs=2).recommend(X[:40], return_scores=True)
        np.testing.assert_array_equal(ids1, ids2)
        np.testing.assert_array_equal(s1, s2)


def test_set_params_on_the_default_embedder_keeps_seed_and_threads():
    X, y = chain_sessions(n_sessions=200)
    a = NearestNeighborRecommender(random_state=0, n_jobs=2).set_params(embedder__window=3)
    b = NearestNeighborRecommender(random_state=0, n_jobs=2).set_params(embedder__window=3)
    a.fit(X, y)
    b.fit(X, y)
    assert a.embedder_.window == 3 and a.embedder_.n_jobs == 2
    assert a.embedder_.random_state is not None
    assert a.embedder.random_state is None  # the parameter itself is not changed
    assert a.embedder_.random_state == b.embedder_.random_state
    one = [NearestNeighborRecommender(random_state=0).set_params(embedder__window=3).fit(X, y)
           for _ in range(2)]
    np.testing.assert_array_equal(one[0].embedder_.wv_.vectors, one[1].embedder_.wv_.vectors)
    # an embedder's own seed and n_jobs win
    own = NearestNeighborRecommender(ItemSequenceEmbedder(random_state=5, n_jobs=1),
                                     random_state=0, n_jobs=2).fit(X, y)
    assert own.embedder_.random_state == 5 and own.embedder_.n_jobs == 1


def test_blend_falls_back_to_popularity_when_components_add_nothing():
    """Baskets of independent items drawn by popularity: co-occurrence and
    neighbours only fit noise, so the weight search keeps popularity alone
    and the blend recommends exactly what PopularityRecommender does."""
    rng = np.random.RandomState(0)
    p = 1.0 / np.arange(1, 301)
    baskets = [rng.choice(300, 4, replace=False, p=p / p.sum()).tolist() for _ in range(3000)]
    rec = NearestNeighborRecommender(clone(EMB), random_state=0).fit(baskets)
    assert {n for n, w in rec.weights_.items() if w} == {"popularity"}
    pop = PopularityRecommender().fit(baskets)
    np.testing.assert_array_equal(rec.predict(baskets[:50]), pop.predict(baskets[:50]))


def test_weight_search_needs_a_significant_gain():
    from skembed.recommend.blend import better, tune_weights

    rng = np.random.RandomState(0)
    noise = rng.rand(400)
    assert not better(noise + rng.normal(0, 0.5, 400) * 0.01, noise)
    assert better(noise + 0.2, noise)
    # two components, the second a noisy copy of the first plus nothing: the
    # first alone is kept
    n, width = 300, 20
    cand = np.tile(np.arange(width), (n, 1))
    first = rng.rand(n, width).astype(np.float32)
    first[:, 0] += 0.5  # the target (first candidate) tends to score high
    vals = np.stack([first, rng.rand(n, width).astype(np.float32)], axis=2)
    weights, _ = tune_weights(cand, vals, np.zeros((n, width), bool), np.array([1.0, 1.0]),
                              np.array([True, True]), 5, False)
    assert weights[1] == 0 and weights[0] > 0


def test_session_knn_refinements_of_the_literature():
    def top(X, query, **kw):
        rec = SessionKNNRecommender(n_recommendations=1, exclude_seen=True, **kw).fit(X)
        return rec.predict([query])[0, 0]

    # match weighting: a neighbour holding only an older history item votes less
    X = [["a", "x"]] * 3 + [["b", "y"]] * 2
    assert top(X, ["a", "b"], position_weighting="same", match_weighting="same") == "x"
    assert top(X, ["a", "b"], position_weighting="same", match_weighting="quadratic") == "y"
    assert top(X, ["a", "b"], position_weighting="same", match_weighting="div") == "y"
    # idf: equal votes, the rarer item wins (ties otherwise go to the popular one)
    X = [["a", "p"]] * 2 + [["a", "r"]] * 2 + [["p", "z"]] * 20
    assert top(X, ["a"]) == "p" and top(X, ["a"], idf_weight=1.0) == "r"
    # recency of neighbours: the last sequences weigh more
    X = [["a", "old"]] * 5 + [["a", "new"]] * 3
    assert top(X, ["a"]) == "old" and top(X, ["a"], recency_half_life=1.0) == "new"
    # "vec": long neighbours are not penalised as by the cosine
    X = [["a", "x"]] * 2 + [["a", "y"] + [f"q{i}" for i in range(7)]] * 3
    assert top(X, ["a"]) == "x" and top(X, ["a"], similarity="vec") == "y"
    # STAN's distance to the shared item: the far item x has more votes, the
    # item y next to the shared one wins once votes decay with distance
    X = [["h", "y", "f1", "f2", "f3", "f4", "f5", "x"]] * 6 \
        + [["h", "g1", "g2", "g3", "g4", "g5", "g6", "x"]] * 4
    assert top(X, ["h"]) == "x" and top(X, ["h"], shared_item_decay=1.0) == "y"
    # the shared item is the most recent history item a neighbour holds, at
    # its last occurrence: "h" repeated late in the second kind makes x near
    X = [["h", "y", "f1", "f2", "f3", "f4", "f5", "x"]] * 4 \
        + [["h", "g1", "g2", "g3", "g4", "g5", "h", "x"]] * 6
    assert top(X, ["h"], shared_item_decay=1.0) == "x"
    with pytest.raises(ValueError, match="match_weighting"):
        SessionKNNRecommender(match_weighting="bogus").fit(X)
    with pytest.raises(ValueError, match="shared_item_decay"):
        SessionKNNRecommender(shared_item_decay=0.0).fit(X)


def test_shared_item_decay_scales_each_vote_by_at_most_one():
    """Each neighbour's vote is multiplied by exp(-|d| / decay) <= 1: a decay
    so slow that every factor is 1 gives session-kNN's plain scores; a fast
    one changes them and never raises them.  IDF weights scale each item's
    votes and nothing else, with or without the decay (the positions stay
    aligned with the weighted votes)."""
    rng = np.random.RandomState(0)
    X = [[f"i{v}" for v in rng.randint(0, 12, rng.randint(2, 9))] for _ in range(60)]
    base = SessionKNNRecommender().fit(X)
    data = base._encode([X[0][:3], X[5][1:], ["i3"]])

    def scores(decay, idf_weight=0.0):
        rec = SessionKNNRecommender(k=5, match_weighting="same", shared_item_decay=decay,
                                    idf_weight=idf_weight)
        return rec.fit(X).candidate_scores(data).toarray()

    plain = scores(None)
    np.testing.assert_allclose(scores(1e12), plain, rtol=1e-6)
    decayed = scores(2.0)
    assert not np.allclose(decayed, plain) and (decayed <= plain + 1e-6).all()
    holding = np.array([sum(item in set(seq) for seq in X) for item in base.items_])
    factor = 1.0 + np.log(len(X) / holding)
    np.testing.assert_allclose(scores(None, 1.0), plain * factor, rtol=1e-5)
    np.testing.assert_allclose(scores(2.0, 1.0), decayed * factor, rtol=1e-5)


def test_shared_item_decay_auto_follows_the_order_in_the_data():
    """"auto" picks a decay where the next item sits next to the shared one
    (a pair a_i -> b_i amid popular noise) and keeps plain votes where order
    is noise (the same items shuffled inside each sequence)."""
    rng = np.random.RandomState(0)

    def log(ordered):
        seqs = []
        for _ in range(3000):
            i = rng.randint(150)
            noise = [f"n{v}" for v in rng.randint(0, 30, rng.randint(6, 12))]
            pos = rng.randint(len(noise) + 1)
            seq = noise[:pos] + [f"a{i}", f"b{i}"] + noise[pos:]
            seqs.append(seq if ordered else list(rng.permutation(seq)))
        return seqs

    assert SessionKNNRecommender().fit(log(True)).shared_item_decay_ is not None
    assert SessionKNNRecommender().fit(log(False)).shared_item_decay_ is None
    plain = SessionKNNRecommender(shared_item_decay=None).fit(log(True))
    assert plain.shared_item_decay_ is None


def test_decay_validation_sample_is_the_sample_of_its_partitions():
    """The "auto" validation sample of a log equals the sample merged from
    its partitions' samples (as the Dask fit builds it), rows made global."""
    from skembed._ragged import Ragged
    from skembed.recommend.session_knn import _merge_samples, _validation_sample

    rng = np.random.RandomState(1)
    seqs = [rng.randint(0, 30, rng.randint(0, 6)) for _ in range(9000)]
    seqs += seqs[:50]  # repeated sequences: equal hashes, ties by row
    whole = Ragged.from_arrays(seqs)
    cut = [0, 2500, 2501, 7000, len(seqs)]
    parts = []
    for a, b in zip(cut[:-1], cut[1:], strict=True):
        rows, hist, targets, hashes = _validation_sample(Ragged.from_arrays(seqs[a:b]))
        parts.append((rows + a, hist, targets, hashes))
    merged = _merge_samples(parts)
    direct = _validation_sample(whole)
    assert len(direct[0]) == 2000
    for x, y in zip(merged, direct, strict=True):
        if isinstance(x, Ragged):
            np.testing.assert_array_equal(x.ids, y.ids)
            np.testing.assert_array_equal(x.starts, y.starts)
        else:
            np.testing.assert_array_equal(x, y)


def test_serving_scratch_grows_only_when_a_block_needs_it():
    """The two-stage blend's per-thread scratch: recommenders of different
    catalogue sizes served in turn keep one candidate buffer (it once grew
    by doubling on every change of catalogue, to 32 GB after 22 changes)."""
    from skembed.recommend.candidates import serve_scratch

    first = serve_scratch(10, 5)
    for n_items in (20, 10, 30, 10) * 10:
        scratch = serve_scratch(n_items, 5)
        assert scratch.acc.shape == (n_items,) and scratch.cand is first.cand
    assert serve_scratch(10, 5000).cand.shape[0] >= 5000


@pytest.mark.parametrize("make", [
    lambda: PopularityRecommender(),
    lambda: SequentialRulesRecommender(),
    lambda: SequentialRulesRecommender(symmetric=True, half_life=2.0),
    lambda: SessionKNNRecommender(),
    lambda: SessionKNNRecommender(shared_item_decay=3.0, idf_weight=1.0, k=5),
])
def test_single_recommenders_rank_every_item_without_dense_rows(make):
    """Popularity, rules and session-kNN rank from their scored items and the
    most popular ones alone: the lists are every allowed item ranked by score
    (float32), ties and unscored items in catalogue order (most popular
    first), with exclusions, allow and deny lists, unknown items, empty
    histories and lists longer than the scored items."""
    rng = np.random.RandomState(0)
    items = [f"i{j}" for j in range(60)]
    p = 1.0 / np.arange(1, 61)
    train = [list(rng.choice(items, rng.randint(1, 7), p=p / p.sum())) for _ in range(300)]
    queries = [list(rng.choice(items + ["unknown"], rng.randint(0, 6))) for _ in range(70)]
    rec = make().set_params(n_jobs=2).fit(train)
    data = rec._catalogue.encode(queries)
    dense = np.zeros((len(queries), len(rec.items_)), np.float32)
    rec._add_scores(data, 0, dense, 1)
    position = {item: i for i, item in enumerate(rec.items_.tolist())}
    for kw in ({}, {"exclude_seen": True}, {"exclude_seen": False},
               {"allow": items[5:40]}, {"deny": items[:10], "exclude_seen": True},
               {"allow": items[:3], "exclude_seen": True}):
        exclude = kw.get("exclude_seen", rec.exclude_seen_)
        for n in (3, 25):
            ids, scores = rec.recommend(queries, n, return_scores=True, **kw)
            for r, history in enumerate(queries):
                allowed = [i for i in range(len(rec.items_))
                           if ("allow" not in kw or rec.items_[i] in kw["allow"])
                           and rec.items_[i] not in kw.get("deny", ())
                           and not (exclude and rec.items_[i] in history)]
                want = sorted(allowed, key=lambda i: (-dense[r, i], i))[:n]
                got = [position[i] for i in np.ma.compressed(np.ma.masked_array(
                    ids[r], np.ma.getmaskarray(ids)[r]))]
                assert got == want
                np.testing.assert_array_equal(scores[r][:len(want)], dense[r, want])
                assert np.isnan(scores[r][len(want):]).all()
