import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skembed import ItemSequenceEmbedder, NearestNeighborRecommender

EMB = ItemSequenceEmbedder(vector_size=16, random_state=0)


def next_item_data(seed=0, n=600, n_groups=4, group_size=20, length=7):
    """Histories of distinct items of one group (ids g * 100 + i, i < 20);
    the next item is another item of the same group."""
    rng = np.random.RandomState(seed)
    X, y = [], []
    for _ in range(n):
        g = rng.randint(n_groups)
        items = (g * 100 + rng.choice(group_size, length, replace=False)).tolist()
        X.append(items[:-1])
        y.append(items[-1])
    return X, y


def group(item):
    return item // 100


def test_recommends_items_of_the_history_group():
    X, y = next_item_data()
    rec = NearestNeighborRecommender(clone(EMB), n_recommendations=5).fit(X, y)
    pred = rec.predict(X[:50])
    assert pred.shape == (50, 5) and pred.dtype == np.int64
    same_group = np.mean([[group(p) == group(h[0]) for p in row]
                          for row, h in zip(pred, X[:50], strict=True)])
    assert same_group > 0.95
    # seen items are excluded
    assert not any(set(row) & set(h) for row, h in zip(pred, X[:50], strict=True))
    # a random guess over the catalogue hits 5/74; a random unseen item of the
    # right group 5/14 (items inside a group are interchangeable)
    assert rec.score(X[:200], y[:200]) > 0.25


def test_exclude_seen_false_and_query_last():
    X, y = next_item_data()
    rec = NearestNeighborRecommender(clone(EMB), n_recommendations=3, exclude_seen=False,
                                     query="last").fit(X)
    pred = rec.predict([[5, 203]])  # the last item is in group 2
    assert all(group(p) == 2 for p in pred[0])


def test_output_scoring_prefers_items_the_model_predicts():
    X, y = next_item_data()
    # one item of group 0 follows every group-0 history: three times as popular
    y = [3 if group(h[0]) == 0 else t for h, t in zip(X, y, strict=True)]
    X = [[i for i in h if i != 3] for h in X]
    rec = NearestNeighborRecommender(clone(EMB), n_recommendations=1, scoring="output").fit(X, y)
    emb = rec.embedder_
    assert emb.output_vectors_.shape == emb.wv_.vectors.shape
    pred = rec.predict([[1, 2, 4], [101, 102]])
    assert pred[0, 0] == 3 and group(pred[1, 0]) == 1
    with pytest.raises(ValueError, match="negative sampling"):
        NearestNeighborRecommender(ItemSequenceEmbedder(hs=True, negative=0),
                                   scoring="output").fit(X)


def test_similar_items_scores_sorted_and_self_excluded():
    X, _ = next_item_data()
    rec = NearestNeighborRecommender(clone(EMB)).fit(X)
    ids, scores = rec.similar_items([3, 117], n=4)
    assert ids.shape == (2, 4) and scores.shape == (2, 4)
    assert 3 not in ids[0] and 117 not in ids[1]
    assert np.all(np.diff(scores, axis=1) <= 1e-7)
    assert all(group(i) == 0 for i in ids[0]) and all(group(i) == 1 for i in ids[1])
    kv = rec.embedder_.wv_
    assert scores[0, 0] == pytest.approx(kv.similarity(3, ids[0, 0]), rel=1e-5)
    with pytest.raises(KeyError, match="12345"):
        rec.similar_items([12345])


def test_unknown_items_fallback_and_misses():
    X, y = next_item_data()
    rec = NearestNeighborRecommender(clone(EMB), n_recommendations=4).fit(X)
    pred = rec.predict([[9999, "nope"], [], [3, 9999]])
    popular = rec.items_[:4].tolist()
    assert pred[0].tolist() == popular and pred[1].tolist() == popular
    assert all(group(p) == 0 for p in pred[2])  # unknown items ignored
    assert rec.score([[3]], [9999]) == 0.0  # never-seen target is a miss


def test_n_recommendations_clipped_with_warning():
    rec = NearestNeighborRecommender(clone(EMB), n_recommendations=50,
                                     exclude_seen=False).fit([[1, 2, 3]] * 20)
    with pytest.warns(UserWarning, match="exceeds the 3 known items"):
        pred = rec.predict([[1]])
    assert pred.shape == (1, 3)


def test_grid_search_over_embedder_params_picks_by_hit_rate():
    X, y = next_item_data(n=450)
    grid = GridSearchCV(
        NearestNeighborRecommender(clone(EMB)),
        {"embedder__window": [3, 10], "embedder__ns_exponent": [-0.5, 0.75]}, cv=3)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"embedder__window", "embedder__ns_exponent"}
    assert 0.25 < grid.best_score_ <= 1.0
    assert grid.best_score_ == pytest.approx(np.max(grid.cv_results_["mean_test_score"]))


def test_default_embedder_and_pickle():
    X, _ = next_item_data(n=200)
    rec = NearestNeighborRecommender().fit(X)
    assert isinstance(rec.embedder_, ItemSequenceEmbedder) and rec.embedder is None
    back = pickle.loads(pickle.dumps(rec))
    np.testing.assert_array_equal(back.predict(X[:10]), rec.predict(X[:10]))


def test_string_ids_and_bad_params():
    sessions = [["a", "b", "c"], ["x", "y", "z"]] * 30
    rec = NearestNeighborRecommender(clone(EMB), n_recommendations=2).fit(sessions)
    assert rec.items_.dtype == object
    with pytest.raises(ValueError, match="y has"):
        NearestNeighborRecommender().fit(sessions, ["a"])
    with pytest.raises(ValueError, match="query"):
        NearestNeighborRecommender(query="first").fit(sessions)
    with pytest.raises(ValueError, match="n_recommendations"):
        NearestNeighborRecommender(n_recommendations=0).fit(sessions)


def test_nndescent_matches_exact_when_available():
    pytest.importorskip("pynndescent")
    X, _ = next_item_data()
    exact = NearestNeighborRecommender(clone(EMB), algorithm="brute").fit(X)
    ann = NearestNeighborRecommender(clone(EMB), algorithm="nndescent").fit(X)
    a, b = exact.predict(X[:50]), ann.predict(X[:50])
    recall = np.mean([len(set(r1) & set(r2)) / len(r1) for r1, r2 in zip(a, b, strict=True)])
    assert recall > 0.9


def test_nndescent_parameters_are_passed_through(monkeypatch):
    pynndescent = pytest.importorskip("pynndescent")
    X, _ = next_item_data()
    rec = NearestNeighborRecommender(clone(EMB), algorithm="nndescent", epsilon=0.35,
                                     nndescent_kwargs={"n_neighbors": 7, "random_state": 3})
    assert rec.get_params()["nndescent_kwargs"] == {"n_neighbors": 7, "random_state": 3}
    rec.fit(X)
    assert rec._ann.n_neighbors == 7 and rec._ann.random_state == 3
    seen = []
    query = pynndescent.NNDescent.query

    def spy(self, *args, **kwargs):
        seen.append(kwargs.get("epsilon"))
        return query(self, *args, **kwargs)

    monkeypatch.setattr(pynndescent.NNDescent, "query", spy)
    rec.predict(X[:5])
    rec.similar_items([X[0][0]], n=3)
    assert seen == [0.35, 0.35]
    # defaults: the recommender's n_jobs and the embedder's seed
    default = NearestNeighborRecommender(clone(EMB), algorithm="nndescent").fit(X)
    assert default._ann.n_neighbors == 30 and default._ann.random_state == 0
    assert default.epsilon == 0.2


def test_nndescent_parameter_validation():
    sessions = [["a", "b", "c"], ["x", "y", "z"]] * 30
    with pytest.raises(ValueError, match="epsilon"):
        NearestNeighborRecommender(clone(EMB), epsilon=-0.1).fit(sessions)
    with pytest.raises(TypeError, match="epsilon"):
        NearestNeighborRecommender(clone(EMB), epsilon="high").fit(sessions)
    with pytest.raises(TypeError, match="nndescent_kwargs"):
        NearestNeighborRecommender(clone(EMB), nndescent_kwargs=[("n_neighbors", 5)]).fit(sessions)
    with pytest.raises(ValueError, match="metric"):
        NearestNeighborRecommender(clone(EMB), nndescent_kwargs={"metric": "euclidean"}
                                   ).fit(sessions)
    # brute search ignores both, but they are still validated and kept by clone
    rec = NearestNeighborRecommender(clone(EMB), algorithm="brute", epsilon=0.0,
                                     nndescent_kwargs={"n_neighbors": 5}).fit(sessions)
    assert clone(rec).get_params()["nndescent_kwargs"] == {"n_neighbors": 5}
