"""Crosses of two features in the entity networks (``crosses``): which pairs
the test finds, what the network gains from them, explicit pairs, bad input."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skembed import EntityEmbeddingClassifier, EntityEmbeddingRegressor
from skembed.entity.crosses import Cross, select_crosses, target_columns


def dated(n=12_000, seed=0, noise=0.5):
    """A target set by the date (month x day of month, a random effect per
    date) written as two integer columns, plus an additive shop effect and
    a column of noise."""
    rng = np.random.RandomState(seed)
    month, day = rng.randint(1, 13, n), rng.randint(1, 29, n)
    effect = np.random.RandomState(99).normal(size=(13, 29))
    shop = rng.choice(list("abcdef"), n)
    X = pd.DataFrame({"month": month, "day": day, "shop": shop,
                      "noise": rng.randint(0, 5, n)})
    y = effect[month, day] + (shop == "a") + rng.normal(scale=noise, size=n)
    return X, y


def test_the_test_finds_the_planted_pair_only():
    X, y = dated()
    cols = [X[c] for c in X.columns]
    crosses, gains = select_crosses(cols, list(X.columns), target_columns(
        (y - y.mean()) / y.std(), "regression"), np.random.RandomState(0))
    assert [c.name for c in crosses] == ["month & day"]
    assert gains[0] > 0.3  # most of the date's variance is in its cells
    # additive effects alone: no pair crosses
    rng = np.random.RandomState(1)
    additive = (X["month"] / 6 + X["day"] / 14 + (X["shop"] == "a")).to_numpy()
    additive = additive + rng.normal(size=len(X))
    crosses, _ = select_crosses(cols, list(X.columns), target_columns(
        additive, "regression"), np.random.RandomState(0))
    assert crosses == []


def test_dates_that_do_not_repeat_across_time_are_not_crossed():
    """Two years of rows in time order, each day with its own effect in
    each year: the cells of one year say nothing of the next, and the
    test's contiguous blocks (each a stretch of days) see it; the same rows
    shuffled share their dates between blocks and cross."""
    rng = np.random.RandomState(0)
    n = 24_000
    year, month, day = rng.randint(0, 2, n), rng.randint(1, 13, n), rng.randint(1, 29, n)
    order = np.lexsort((day, month, year))  # rows in time order
    year, month, day = year[order], month[order], day[order]
    effect = rng.normal(size=(2, 13, 29))
    X = pd.DataFrame({"month": month, "day": day})
    y = effect[year, month, day] + rng.normal(scale=0.5, size=n)
    target = target_columns((y - y.mean()) / y.std(), "regression")
    cols = [X[c] for c in X.columns]
    ordered, _ = select_crosses(cols, ["month", "day"], target, np.random.RandomState(0))
    assert ordered == []
    perm = rng.permutation(n)
    shuffled, _ = select_crosses([c.iloc[perm] for c in cols], ["month", "day"],
                                 target[perm], np.random.RandomState(0))
    assert [c.name for c in shuffled] == ["month & day"]


def test_a_cross_another_feature_determines_is_not_made():
    """The state and the type of a store, given the store: the store's own
    (categorical) codes hold every cell; a column of store numbers read as
    a number would not."""
    rng = np.random.RandomState(0)
    n_stores, n = 200, 20_000
    state, kind = rng.randint(0, 8, n_stores), rng.randint(0, 4, n_stores)
    store = rng.randint(0, n_stores, n)
    cell = np.random.RandomState(1).normal(size=(8, 4))
    X = pd.DataFrame({"store": store, "state": state[store], "kind": kind[store]})
    y = cell[state[store], kind[store]] + rng.normal(size=n_stores)[store] * 0.3 \
        + rng.normal(scale=0.3, size=n)
    target = target_columns((y - y.mean()) / y.std(), "regression")
    cols = [X[c] for c in X.columns]
    found, _ = select_crosses(cols, list(X.columns), target, np.random.RandomState(0),
                              categorical=np.array([True, False, False]))
    assert found == []
    found, _ = select_crosses(cols, list(X.columns), target, np.random.RandomState(0))
    assert [c.name for c in found] == ["state & kind"]


def test_network_reads_the_date_through_its_cross():
    X, y = dated()
    Xt, yt = dated(3000, seed=5)
    kw = dict(random_state=0, n_networks=1, n_jobs=1)
    plain = EntityEmbeddingRegressor(crosses=None, **kw).fit(X, y)
    crossed = EntityEmbeddingRegressor(**kw).fit(X, y)
    assert crossed.crosses_ == [("month", "day")]
    assert plain.crosses_ == []
    assert crossed.score(Xt, yt) > plain.score(Xt, yt) + 0.05
    # one more feature after the categorical ones; the encoder keeps the input's
    assert len(crossed.embeddings_) == 2 and len(plain.embeddings_) == 1
    assert crossed.categories_[1][0] == "1 & 1"
    assert crossed.encoder_.n_features_in_ == 1
    np.testing.assert_array_equal(crossed.encoder_.transform(X[["shop"]].iloc[:4]),
                                  crossed.embed(X[["shop"]].iloc[:4]))
    again = pickle.loads(pickle.dumps(crossed))
    np.testing.assert_array_equal(again.predict(Xt), crossed.predict(Xt))
    np.testing.assert_array_equal(clone(crossed).fit(X, y).predict(Xt), crossed.predict(Xt))


def test_classifier_crosses_and_unseen_values():
    X, y = dated(noise=0.3)
    labels = np.where(y > 0.5, "late", "on time")
    clf = EntityEmbeddingClassifier(random_state=0, n_networks=1, n_jobs=1).fit(X, labels)
    assert clf.crosses_ == [("month", "day")]
    Xu = X.iloc[:3].copy()
    Xu["day"] = [40, 41, np.nan]  # days never seen: their cells share the unknown row
    proba = clf.predict_proba(Xu)
    assert np.isfinite(proba).all()
    cross = clf._crosses[0]
    names = cross.column([Xu[c] for c in Xu.columns])
    assert [n.split(" & ")[0] for n in names] == [str(m) for m in Xu["month"]]
    assert all(n.endswith(" & ?") for n in names)


def test_explicit_pairs_and_bad_pairs():
    X, y = dated(3000)
    kw = dict(random_state=0, n_networks=1, max_iter=2, n_jobs=1)
    reg = EntityEmbeddingRegressor(crosses=[("shop", "noise"), (0, 1)], **kw).fit(X, y)
    assert reg.crosses_ == [("shop", "noise"), ("month", "day")]
    assert reg._cat_names == ["shop", "shop & noise", "month & day"]
    assert np.isfinite(reg.predict(X.iloc[:5])).all()
    for bad, match in [([("shop", "shop")], "two different"), ([("shop", "nope")], "nope"),
                       ([("shop",)], "pairs"), (["shop"], "pairs"), ([(0, 9)], "out of range")]:
        with pytest.raises(ValueError, match=match):
            EntityEmbeddingRegressor(crosses=bad, **kw).fit(X, y)
    Xc = X.assign(const=1)
    with pytest.raises(ValueError, match="fewer than 2"):
        EntityEmbeddingRegressor(crosses=[("const", "shop")], **kw).fit(Xc, y)


def test_no_crosses_for_partial_fit_and_thin_cells():
    X, y = dated(2000)  # 336 cells of 6 rows: too thin to cross
    reg = EntityEmbeddingRegressor(random_state=0, n_networks=1, max_iter=2).fit(X, y)
    assert reg.crosses_ == []
    X, y = dated()
    part = EntityEmbeddingRegressor(random_state=0).partial_fit(X, y)
    assert part.crosses_ == []


def test_cross_cells_are_named_by_both_values():
    cross = Cross(0, 1, np.array([1.0, 2.0, np.nan], dtype=object),
                  np.array(["x", "y"], dtype=object), ("m", "k"))
    assert cross.name == "m & k"
    got = cross.column([pd.Series([1.0, 2.0, np.nan, 7.0]), pd.Series(["x", "y", "y", "z"])])
    assert list(got) == ["1 & x", "2 & y", "nan & y", "? & ?"]
