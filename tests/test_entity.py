"""Entity-embedding regressor and classifier: planted structure, training, API, bad input."""

import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, planted
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor

from skembed import EntityEmbeddingClassifier, EntityEmbeddingEncoder, EntityEmbeddingRegressor
from skembed.entity.network import auto_embedding_dim
from skembed.entity.step_kernels import step_size


@pytest.fixture(scope="module")
def planted_fit():
    X, y, group = planted()
    reg = EntityEmbeddingRegressor(random_state=0, **FAST).fit(X, y)
    return reg, X, y, group


# -- planted structure ----------------------------------------------------------------
def test_regressor_beats_mean_and_embeddings_cluster_by_group(planted_fit):
    reg, X, y, group = planted_fit
    Xt, yt, _ = planted(n=600, seed=1)
    assert reg.score(Xt, yt) > 0.95  # the mean baseline scores 0
    for shop in reg.categories_[0]:
        near = reg.most_similar("shop", shop, topn=3)
        assert len(near) == 3
        assert all(group[s] == group[shop] for s, _ in near)
        assert all(-1 - 1e-9 <= score <= 1 + 1e-9 for _, score in near)


def test_classifier_binary_and_multiclass():
    X, y, _ = planted(n=900)
    yb = (y > 0).astype(int)
    clf = EntityEmbeddingClassifier(random_state=0, **FAST).fit(X, yb)
    assert clf.score(X, yb) > 0.95
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    labels = np.array(["low", "mid", "high"])[np.digitize(y, [-1.5, 1.5])]
    clf3 = EntityEmbeddingClassifier(random_state=0, **FAST).fit(X, labels)
    assert set(clf3.classes_) == {"low", "mid", "high"}
    assert clf3.predict_proba(X).shape == (len(X), 3)
    assert clf3.score(X, labels) > 0.8


# -- categories -----------------------------------------------------------------------
def test_unseen_categories_infrequent_and_error(planted_fit):
    reg, X, y, group = planted_fit
    Xn = pd.DataFrame({"shop": ["never-seen"], "num": [0.0]})
    pred = reg.predict(Xn)
    assert np.isfinite(pred).all()
    # the shared row is the frequency-weighted mean embedding: between the groups
    assert -1.5 < pred[0] < 1.5
    strict = clone(reg).set_params(handle_unknown="error").fit(X, y)
    with pytest.raises(ValueError, match="unknown categories.*never-seen"):
        strict.predict(Xn)
    with pytest.raises(ValueError, match="unknown categories"):
        strict.encoder_.transform(Xn[["shop"]])


def test_min_frequency_groups_rare_categories():
    rng = np.random.RandomState(0)
    shop = np.array(["a"] * 200 + ["b"] * 200 + ["r1", "r2", "r3"], dtype=object)
    y = np.where(shop == "a", 1.0, -1.0) + rng.normal(0, 0.1, len(shop))
    enc = EntityEmbeddingEncoder(min_frequency=5, **FAST, random_state=0)
    Z = enc.fit(shop.reshape(-1, 1), y).transform(shop.reshape(-1, 1))
    assert list(enc.infrequent_categories_[0]) == ["r1", "r2", "r3"]
    emb = enc.embeddings_[0]
    np.testing.assert_array_equal(emb[2], emb[3])  # r1, r2 share the row
    assert not np.allclose(emb[0], emb[2])
    unseen = enc.transform(np.array([["zzz"]], dtype=object))
    np.testing.assert_array_equal(unseen[0], Z[-1])  # unseen -> the shared row
    with pytest.raises(ValueError, match="infrequent"):
        enc.most_similar("x0", "r1")
    assert enc.most_similar("x0", "a") == [("b", pytest.approx(enc.most_similar(
        "x0", "b")[0][1]))]
    # a fractional min_frequency is a share of the samples
    enc2 = EntityEmbeddingEncoder(min_frequency=0.1, **dict(FAST, max_iter=1)).fit(
        shop.reshape(-1, 1), y)
    assert len(enc2.infrequent_categories_[0]) == 3


def test_missing_values_are_their_own_category():
    rng = np.random.RandomState(0)
    col = rng.choice(np.array(["a", "b", None], dtype=object), 600)
    col[:5] = np.nan  # NaN and None are the same missing category
    missing = pd.isna(col)
    y = np.where(missing, 3.0, 0.0) + rng.normal(0, 0.1, 600)
    reg = EntityEmbeddingRegressor(random_state=0, **FAST).fit(col.reshape(-1, 1), y)
    cats = reg.categories_[0]
    assert list(cats[:2]) == ["a", "b"] and pd.isna(cats[2]) and len(cats) == 3
    pred = reg.predict(np.array([[None], [np.nan], ["a"]], dtype=object))
    assert pred[0] == pred[1] and pred[0] > 2.0 and pred[2] < 1.0


def test_integer_codes_are_categories_not_magnitudes():
    rng = np.random.RandomState(0)
    code = rng.randint(0, 6, 900)
    effect = np.array([3.0, -3.0, 3.0, -3.0, 3.0, -3.0])  # not monotone in the code
    y = effect[code] + rng.normal(0, 0.1, 900)
    X = pd.DataFrame({"code": code, "num": rng.normal(size=900)})
    reg = EntityEmbeddingRegressor(categorical_features=["code"], random_state=0,
                                   **FAST).fit(X, y)
    assert list(reg.is_categorical_) == [True, False]
    assert list(reg.categories_[0]) == list(range(6))
    assert reg.score(X, y) > 0.95
    # treating the code as a number cannot fit this with a linear readout of
    # one numeric input: the same network without the embedding is much worse
    num = EntityEmbeddingRegressor(categorical_features=None, random_state=0,
                                   **dict(FAST, hidden_layer_sizes=(2,))).fit(X, y)
    assert num.score(X, y) < 0.5
    # the encoder treats every column as categorical, ints included
    enc = EntityEmbeddingEncoder(**dict(FAST, max_iter=1)).fit(code.reshape(-1, 1), y)
    assert list(enc.categories_[0]) == list(range(6))


def test_pandas_category_dtype_order_and_auto_detection():
    rng = np.random.RandomState(0)
    n = 300
    X = pd.DataFrame({
        "size": pd.Categorical(rng.choice(["S", "M", "L"], n), categories=["S", "M", "L"]),
        "colour": rng.choice(["red", "blue"], n).astype(object),
        "name": pd.array(rng.choice(["x", "y"], n), dtype="string"),
        "num": rng.normal(size=n),
        "count": rng.randint(0, 5, n),
    })
    y = rng.normal(size=n)
    reg = EntityEmbeddingRegressor(**dict(FAST, max_iter=1)).fit(X, y)
    assert list(reg.is_categorical_) == [True, True, True, False, False]
    assert list(reg.categories_[0]) == ["S", "M", "L"]
    assert list(reg.categories_[1]) == ["blue", "red"]
    names = list(reg.encoder_.get_feature_names_out())
    assert names[0] == "size_emb0" and names[-1].startswith("name_emb")
    # categorical_features as indices and mask give the same split
    for spec in ([0, 1, 2], [True, True, True, False, False]):
        other = EntityEmbeddingRegressor(categorical_features=spec,
                                         **dict(FAST, max_iter=1)).fit(X, y)
        np.testing.assert_array_equal(other.is_categorical_, reg.is_categorical_)


def test_one_level_column_and_large_table():
    X = np.array([["only"]] * 50, dtype=object)
    y = np.linspace(0, 1, 50)
    enc = EntityEmbeddingEncoder(**dict(FAST, max_iter=2)).fit(X, y)
    assert enc.transform(X).shape == (50, auto_embedding_dim(1))
    assert list(enc.categories_[0]) == ["only"]

    rng = np.random.RandomState(0)
    n_levels = 50_000
    # every level twice (levels seen once, nearly all of a column, would
    # share the infrequent row)
    ids = rng.permutation(np.repeat(np.arange(n_levels), 2))
    y = rng.normal(size=len(ids))
    enc = EntityEmbeddingEncoder(embedding_dims=4, hidden_layer_sizes=(8,), max_iter=1,
                                 batch_size=1024, random_state=0)
    enc.fit(ids.reshape(-1, 1), y)
    net = enc._net
    # memory proportional to the table: (levels + shared row) x dim parameters,
    # plus equal-sized Adam moments; dense layers are tiny
    assert net.table.size == (n_levels + 1) * 4
    assert net.m_table.size == net.v_table.size == net.table.size
    assert sum(w.size for w in net.W) < 100
    assert enc.embeddings_[0].shape == (n_levels, 4)


# -- training behaviour -------------------------------------------------------------
def test_determinism_with_fixed_random_state():
    X, y, _ = planted(n=400)
    kw = dict(FAST, max_iter=3, dropout=0.2)
    a = EntityEmbeddingRegressor(random_state=3, **kw).fit(X, y).predict(X)
    b = EntityEmbeddingRegressor(random_state=3, **kw).fit(X, y).predict(X)
    c = EntityEmbeddingRegressor(random_state=4, **kw).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_threads_train_as_well_and_restore_blas():
    """n_jobs=2: Hogwild threads reach the single thread's fit on planted
    data; the caller's BLAS thread limits are unchanged afterwards."""
    from threadpoolctl import threadpool_info

    X, y, group = planted(n=3000)
    Xt, yt, _ = planted(n=600, seed=1)
    before = [p["num_threads"] for p in threadpool_info()]
    kw = dict(FAST, random_state=0, n_networks=1)
    one = EntityEmbeddingRegressor(n_jobs=1, **kw).fit(X, y)
    two = EntityEmbeddingRegressor(n_jobs=2, **kw).fit(X, y)
    assert [p["num_threads"] for p in threadpool_info()] == before
    assert two.score(Xt, yt) > 0.95 and abs(two.score(Xt, yt) - one.score(Xt, yt)) < 0.02
    assert len(two.loss_curve_) == FAST["max_iter"]
    assert two._net.t == one._net.t  # every minibatch made one Adam step
    for shop in two.categories_[0]:
        assert all(group[s] == group[shop] for s, _ in two.most_similar("shop", shop, topn=3))


def test_dropout_only_at_training_time():
    X, y, _ = planted(n=400)
    reg = EntityEmbeddingRegressor(dropout=0.5, random_state=0, **FAST).fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), reg.predict(X))
    assert reg.score(X, y) > 0.8


def test_early_stopping():
    X, y, _ = planted(n=600)
    reg = EntityEmbeddingRegressor(early_stopping=True, n_iter_no_change=2, tol=1e-3,
                                   validation_fraction=0.2, random_state=0,
                                   **dict(FAST, max_iter=300)).fit(X, y)
    assert reg.n_iter_ < 300
    assert len(reg.loss_curve_) == len(reg.validation_loss_curve_) == reg.n_iter_
    assert reg.best_validation_loss_ == min(reg.validation_loss_curve_)
    # stopped because the last n_iter_no_change epochs did not improve by tol
    assert min(reg.validation_loss_curve_[-2:]) > reg.best_validation_loss_ - 1e-3
    plain = EntityEmbeddingRegressor(**dict(FAST, max_iter=4)).fit(X, y)
    assert plain.n_iter_ == 4 and plain.validation_loss_curve_ == []
    assert plain.best_validation_loss_ is None
    with pytest.raises(ValueError, match="validation_fraction"):
        EntityEmbeddingRegressor(early_stopping=True, validation_fraction=0.01).fit(
            X[:10], y[:10])


def test_auto_patience_counts_minibatch_steps():
    """n_iter_no_change="auto": 3 epochs, or about 100 minibatch steps where
    epochs are shorter; training stops exactly when that many epochs pass
    without improvement."""
    from skembed.entity.training import auto_patience

    assert [auto_patience(b) for b in (1, 8, 9, 34, 35, 3000)] == [100, 13, 12, 3, 3, 3]
    X, y, _ = planted(n=600)
    y = y + np.random.RandomState(1).normal(0, 3.0, len(y))  # a noisy validation loss
    kw = dict(FAST, max_iter=200, early_stopping=True, validation_fraction=0.2,
              batch_size=64, random_state=0)
    auto = EntityEmbeddingRegressor(**kw).fit(X, y)  # 480 rows: 8 batches, patience 13
    assert EntityEmbeddingRegressor().n_iter_no_change == "auto"
    assert auto.n_iter_ < 200

    def first_stop(curve, patience, tol=1e-4):
        best, stall = np.inf, 0
        for epoch, loss in enumerate(curve, 1):
            stall = 0 if loss < best - tol else stall + 1
            best = min(best, loss)
            if stall >= patience:
                return epoch
        return None

    # it stopped at the first epoch that ended 13 epochs without improvement
    assert first_stop(auto.validation_loss_curve_, 13) == auto.n_iter_
    three = EntityEmbeddingRegressor(**dict(kw, n_iter_no_change=3)).fit(X, y)
    assert three.n_iter_ < auto.n_iter_


def test_sample_weight_changes_the_fit():
    rng = np.random.RandomState(0)
    shop = np.array(["a", "b"] * 300, dtype=object).reshape(-1, 1)
    # shop "a" has two kinds of rows: y = 0 and y = 10
    y = np.where(shop[:, 0] == "a", np.tile([0.0, 0.0, 10.0, 10.0], 150), 5.0)
    y = y + rng.normal(0, 0.01, len(y))
    w = np.where(y > 8, 0.0, 1.0)
    reg = EntityEmbeddingRegressor(random_state=0, **FAST)
    weighted = clone(reg).fit(shop, y, sample_weight=w).predict([["a"]])[0]
    unweighted = clone(reg).fit(shop, y).predict([["a"]])[0]
    assert abs(weighted - 0.0) < 1.0
    assert abs(unweighted - 5.0) < 1.0
    with pytest.raises(ValueError, match="non-zero"):
        clone(reg).fit(shop, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="(?i)negative"):
        clone(reg).fit(shop, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError):
        clone(reg).fit(shop, y, sample_weight=np.ones(3))


def test_early_stopping_auto_turns_on_above_10000_rows():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"c": rng.choice([f"c{i}" for i in range(20)], 10_001)})
    y = rng.normal(size=10_001)
    kw = dict(hidden_layer_sizes=(4,), batch_size=1024, max_iter=2, random_state=0)
    big = EntityEmbeddingRegressor(**kw).fit(X, y)
    assert len(big.validation_loss_curve_) == big.n_iter_ > 0
    small = EntityEmbeddingRegressor(**kw).fit(X.iloc[:10_000], y[:10_000])
    assert small.validation_loss_curve_ == [] and small.best_validation_loss_ is None


def test_validation_split_last_holds_out_the_latest_rows():
    """Rows in time order whose last tenth behaves differently: only the
    ordered split validates on them (and sees the shift in its loss)."""
    rng = np.random.RandomState(0)
    n = 2000
    X = pd.DataFrame({"c": rng.choice(list("abcd"), n)})
    y = X["c"].map(dict(a=1.0, b=2.0, c=3.0, d=4.0)).to_numpy() + rng.normal(0, 0.1, n)
    y[-200:] = -y[-200:]  # the latest rows: the relation has flipped
    kw = dict(FAST, early_stopping=True, max_iter=5, random_state=0)
    last = EntityEmbeddingRegressor(validation_split="last", **kw).fit(X, y)
    rand = EntityEmbeddingRegressor(validation_split="random", **kw).fit(X, y)
    assert last.best_validation_loss_ > 3 * rand.best_validation_loss_
    # the ordered split never trained on the flipped rows: it predicts the old relation
    assert last.predict(pd.DataFrame({"c": ["d"]}))[0] > 3.0


def test_weight_decay_shrinks_the_weights():
    X, y, _ = planted(n=600)
    kw = dict(FAST, random_state=0, n_networks=1)
    free = EntityEmbeddingRegressor(**dict(kw, weight_decay=0.0)).fit(X, y)
    decayed = EntityEmbeddingRegressor(**dict(kw, weight_decay=3.0)).fit(X, y)
    assert np.linalg.norm(decayed.embeddings_[0]) < 0.9 * np.linalg.norm(free.embeddings_[0])
    assert np.linalg.norm(decayed._net.W[0]) < np.linalg.norm(free._net.W[0])
    assert decayed.score(X, y) > 0.9  # still fits the planted effects


@pytest.mark.parametrize("model, rate", [("regressor", 3e-3), ("classifier", 1e-3)])
def test_learning_rate_auto_is_the_task_step(model, rate):
    """learning_rate="auto" trains exactly as the task's step size given as a
    number (3e-3 for a regression, 1e-3 for a classification), and the
    model's encoder_ carries the number (so that it refits on its own)."""
    X, y, _ = planted(n=400)
    if model == "classifier":
        y = (y > np.median(y)).astype(int)
    cls = EntityEmbeddingRegressor if model == "regressor" else EntityEmbeddingClassifier
    kw = {k: v for k, v in FAST.items() if k != "learning_rate"}
    kw.update(max_iter=3, n_networks=1, n_jobs=1, random_state=0)
    auto = cls(**kw).fit(X, y)
    given = cls(learning_rate=rate, **kw).fit(X, y)
    other = cls(learning_rate=rate * 2, **kw).fit(X, y)
    np.testing.assert_array_equal(auto.embeddings_[0], given.embeddings_[0])
    assert not np.array_equal(auto.embeddings_[0], other.embeddings_[0])
    assert auto.encoder_.learning_rate == rate
    clone(auto.encoder_).fit(X.select_dtypes(exclude="number"), y)


@pytest.mark.parametrize("schedule", ["cosine", "constant"])
def test_learning_rate_schedule(schedule):
    """Cosine: the step size falls from learning_rate to ~0 over max_iter
    epochs (half way at the middle); constant: it stays."""
    steps = [step_size(0.01, schedule == "cosine", s, 40) for s in range(40)]
    assert steps[0] == pytest.approx(0.01)
    if schedule == "constant":
        assert steps == pytest.approx([0.01] * 40)
    else:
        assert np.all(np.diff(steps) < 0) and steps[-1] < 1e-4
        assert steps[20] == pytest.approx(0.005)


def test_warm_start_continues_training():
    X, y, _ = planted(n=600)
    kw = dict(FAST, max_iter=2)
    reg = EntityEmbeddingRegressor(warm_start=True, random_state=0, **kw).fit(X, y)
    first = list(reg.loss_curve_)
    table = reg._net.table
    reg.fit(X, y)
    assert reg._net.table is table  # same network, trained further
    assert reg.loss_curve_[0] < first[0]
    cold = EntityEmbeddingRegressor(random_state=0, **kw).fit(X, y)
    assert cold.loss_curve_ == pytest.approx(first)
    with pytest.raises(ValueError, match="warm_start"):
        reg.set_params(hidden_layer_sizes=(7,)).fit(X, y)
    clf = EntityEmbeddingClassifier(warm_start=True, **kw).fit(X, y > 0)
    with pytest.raises(ValueError, match="new classes"):
        clf.fit(X, np.where(y > 0, 2, 1))


def test_verbose_reports_epochs(capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    X, y, _ = planted(n=200)
    EntityEmbeddingRegressor(verbose=1, **dict(FAST, max_iter=2)).fit(X, y)
    out = capsys.readouterr().out
    assert "epoch 1: loss" in out and "epoch 2: loss" in out


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_diverging_training_raises_clear_error(n_jobs):
    X, y, _ = planted(n=200)
    reg = EntityEmbeddingRegressor(random_state=0, n_jobs=n_jobs,
                                   **dict(FAST, learning_rate=1e12, max_iter=20))
    with pytest.raises(FloatingPointError, match="diverged"):
        reg.fit(X, y * 1e30)
    assert not hasattr(reg, "_net")  # left unfitted


# -- sklearn integration ----------------------------------------------------------------
def test_pickle_clone_and_encoder_sharing(planted_fit):
    reg, X, y, _ = planted_fit
    again = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(again.predict(X), reg.predict(X))
    fresh = clone(reg)
    assert not hasattr(fresh, "embeddings_") and fresh.get_params() == reg.get_params()
    enc = reg.encoder_
    Z = enc.transform(X[["shop"]])
    rows = np.searchsorted(reg.categories_[0], X["shop"])
    np.testing.assert_array_equal(Z, reg.embeddings_[0][rows])
    assert enc.most_similar("shop", "s00") == reg.most_similar("shop", "s00")
    assert list(enc.feature_names_in_) == ["shop"] and enc.n_features_in_ == 1


def test_transformed_target_regressor():
    X, y, _ = planted(n=500)
    ttr = TransformedTargetRegressor(EntityEmbeddingRegressor(random_state=0, **FAST),
                                     func=np.log, inverse_func=np.exp)
    y_pos = np.exp(y / 4)
    pred = ttr.fit(X, y_pos).predict(X)
    assert np.all(pred > 0)
    assert np.mean(np.abs(pred - y_pos) / y_pos) < 0.1


def test_cold_start_uses_other_attributes():
    """A new shop of a known type is predicted near its type's level when
    embedding dropout taught the shared unknown row what an unseen shop is."""
    rng = np.random.RandomState(0)
    shops = [f"s{i}" for i in range(40)]
    kind = {s: "hi" if i % 2 else "lo" for i, s in enumerate(shops)}
    n = 2000
    shop = rng.choice(shops[:36], n)
    X = pd.DataFrame({"shop": shop, "kind": [kind[s] for s in shop]})
    level = {"hi": 3.0, "lo": -3.0}
    y = np.array([level[k] for k in X["kind"]]) + rng.normal(0, 0.5, n)
    reg = EntityEmbeddingRegressor(random_state=0, embedding_dropout=0.1, **FAST).fit(X, y)
    new = pd.DataFrame({"shop": shops[36:], "kind": [kind[s] for s in shops[36:]]})
    pred = reg.predict(new)
    truth = np.array([level[k] for k in new["kind"]])
    # far closer than the global mean (error 3), and the types stay apart
    assert np.abs(pred - truth).max() < 1.5
    assert pred[truth > 0].min() - pred[truth < 0].max() > 3.0


# -- bad input ------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_regression_target(bad):
    X, y, _ = planted(n=50)
    y[3] = bad
    for est in (EntityEmbeddingRegressor(), EntityEmbeddingEncoder(task="regression")):
        with pytest.raises(ValueError, match="y"):
            est.fit(X if isinstance(est, EntityEmbeddingRegressor) else X[["shop"]], y)


def test_single_class_and_length_mismatch():
    X, y, _ = planted(n=50)
    with pytest.raises(ValueError, match="one class"):
        EntityEmbeddingClassifier().fit(X, np.ones(50))
    with pytest.raises(ValueError, match="one class"):
        EntityEmbeddingEncoder(task="binary").fit(X[["shop"]], np.ones(50))
    for est, XX in ((EntityEmbeddingRegressor(), X), (EntityEmbeddingClassifier(), X),
                    (EntityEmbeddingEncoder(), X[["shop"]])):
        with pytest.raises(ValueError, match="inconsistent numbers of samples"):
            est.fit(XX, y[:40])
    with pytest.raises(ValueError, match="requires y"):
        EntityEmbeddingEncoder().fit(X[["shop"]], None)


def test_bad_columns():
    X, y, _ = planted(n=60)
    kw = dict(FAST, max_iter=1)
    with pytest.raises(ValueError, match="not numeric"):
        EntityEmbeddingRegressor(categorical_features=None, **kw).fit(X, y)
    Xn = X.copy()
    Xn.loc[0, "num"] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        EntityEmbeddingRegressor(**kw).fit(Xn, y)
    with pytest.raises(ValueError, match="not columns"):
        EntityEmbeddingRegressor(categorical_features=["nope"], **kw).fit(X, y)
    with pytest.raises(ValueError, match="names need X"):
        EntityEmbeddingRegressor(categorical_features=["shop"], **kw).fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match="out of range"):
        EntityEmbeddingRegressor(categorical_features=[5], **kw).fit(X, y)
    with pytest.raises(ValueError, match="mask"):
        EntityEmbeddingRegressor(categorical_features=[True], **kw).fit(X, y)
    with pytest.raises(ValueError, match="categorical_features"):
        EntityEmbeddingRegressor(categorical_features="all", **kw).fit(X, y)
    reg = EntityEmbeddingRegressor(**kw).fit(X, y)
    with pytest.raises(ValueError, match="feature names"):
        reg.predict(X[["shop"]])
    with pytest.raises(ValueError, match="2 features"):
        EntityEmbeddingRegressor(**kw).fit(X.to_numpy(), y).predict(X[["shop"]].to_numpy())
    with pytest.raises(ValueError, match="0 feature"):
        EntityEmbeddingEncoder().fit(pd.DataFrame(index=range(5)), y[:5])
    with pytest.raises(ValueError, match="0 sample"):
        EntityEmbeddingRegressor().fit(X.iloc[:0], y[:0])
    with pytest.raises(ValueError, match="not a categorical feature"):
        reg.most_similar("num", 0.5)
    with pytest.raises(KeyError, match="not seen"):
        reg.most_similar("shop", "zzz")


@pytest.mark.parametrize("params,match", [
    ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
    ({"hidden_layer_sizes": "big"}, "hidden_layer_sizes"),
    ({"dropout": 1.0}, "dropout"),
    ({"batch_size": 0}, "batch_size"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"max_iter": 0}, "max_iter"),
    ({"validation_fraction": 1.0}, "validation_fraction"),
    ({"n_iter_no_change": 0}, "n_iter_no_change"),
    ({"tol": -1.0}, "tol"),
    ({"handle_unknown": "ignore"}, "handle_unknown"),
    ({"min_frequency": 0}, "min_frequency"),
    ({"min_frequency": 1.5}, "min_frequency"),
    ({"embedding_dims": 0}, "embedding_dims"),
    ({"embedding_dims": "wide"}, "embedding_dims"),
    ({"embedding_dims": {"nope": 3}}, "embedding_dims"),
    ({"embedding_dims": {"shop": 0}}, "embedding_dims"),
    ({"early_stopping": "yes"}, "early_stopping"),
])
def test_bad_parameters(params, match):
    X, y, _ = planted(n=60)
    with pytest.raises(ValueError, match=match):
        EntityEmbeddingRegressor(**params).fit(X, y)
    with pytest.raises(ValueError, match=match):
        EntityEmbeddingEncoder(**params).fit(X[["shop"]], y)


def test_bad_task():
    X, y, _ = planted(n=60)
    with pytest.raises(ValueError, match="task"):
        EntityEmbeddingEncoder(task="ranking").fit(X[["shop"]], y)


def test_early_stopping_restores_the_optimizer_with_the_weights():
    rng = np.random.RandomState(0)
    X = rng.choice([f"c{i}" for i in range(200)], size=(1000, 1)).astype(object)
    y = rng.normal(size=1000)  # noise: the validation loss soon rises
    reg = EntityEmbeddingRegressor(hidden_layer_sizes=(32,), batch_size=100, max_iter=40,
                                   learning_rate=1e-2, early_stopping=True,
                                   n_iter_no_change=3, random_state=0).fit(X, y)
    best_epoch = int(np.argmin(reg.validation_loss_curve_)) + 1
    assert best_epoch < reg.n_iter_
    steps_per_epoch = int(np.ceil(900 / 100))  # 10 % held out for validation
    # Adam's step count (and moments) are those of the best epoch, not the last
    assert reg._net.t == best_epoch * steps_per_epoch


def test_task_auto_integer_targets_and_constants():
    rng = np.random.RandomState(0)
    X = rng.choice(list("abcdef"), size=(400, 1))
    sales = rng.randint(1000, 9000, 400)  # integer, many values: regression
    enc = EntityEmbeddingEncoder(embedding_dims=2, hidden_layer_sizes=(4,), max_iter=2,
                                 random_state=0).fit(X, sales)
    assert enc.task_ == "regression" and not hasattr(enc, "classes_")
    stars = rng.randint(1, 6, 400)  # few integer values: classes
    assert EntityEmbeddingEncoder(embedding_dims=2, max_iter=1, random_state=0).fit(
        X, stars).task_ == "multiclass"
    # a constant number is a (trivial) regression, not "one class"
    enc = EntityEmbeddingEncoder(embedding_dims=2, max_iter=1, random_state=0).fit(
        X, np.full(400, 3.0))
    assert enc.task_ == "regression" and np.isfinite(enc.transform(X)).all()
    with pytest.raises(ValueError, match="one class"):
        EntityEmbeddingEncoder(max_iter=1).fit(X, ["same"] * 400)
    forced = EntityEmbeddingEncoder(task="multiclass", embedding_dims=2, max_iter=1,
                                    random_state=0).fit(X, rng.randint(0, 30, 400))
    assert forced.task_ == "multiclass" and len(forced.classes_) == 30


def test_numeric_column_problems_name_the_column():
    X = pd.DataFrame({"shop": list("abcd") * 25, "dist": np.arange(100.0)})
    y = np.arange(100.0)
    X.loc[3, "dist"] = np.inf
    with pytest.raises(ValueError, match="column dist holds infinite"):
        EntityEmbeddingRegressor(max_iter=1).fit(X, y)
    X["dist"] = pd.to_timedelta(np.arange(100), unit="h")
    with pytest.raises(ValueError, match="column dist holds time spans"):
        EntityEmbeddingRegressor(max_iter=1).fit(X, y)


def test_auto_width_of_a_feature_without_ngrams_follows_its_rows():
    """A feature without n-grams learns each category's vector from its own
    rows alone: its "auto" width is at most the rows a category has on
    average (at least 16), where fastai's rule grows with the number of
    categories alone; names with n-grams share their rows' width and keep it."""
    rng = np.random.RandomState(0)
    n = 3000
    codes = rng.randint(0, 600, n)  # 600 integer codes, 5 rows each
    X = pd.DataFrame({"code": codes, "name": [f"{'odd' if c % 2 else 'even'} shop {c}"
                                              for c in codes],
                      "kind": rng.choice(list("ab"), n)})
    # the names' words say something: their n-grams pass "auto"'s test
    y = (codes % 7) + 2.0 * (codes % 2) + rng.normal(0, 0.1, n)
    reg = EntityEmbeddingRegressor(categorical_features=["code", "name", "kind"], max_iter=1,
                                   n_networks=1, random_state=0).fit(X, y)
    assert [c.n_ngrams > 0 for c in reg._categories] == [False, True, False]
    assert reg.embedding_dims_ == [16, auto_embedding_dim(len(reg.categories_[1])), 2]
    many = EntityEmbeddingRegressor(categorical_features=["code"], max_iter=1, n_networks=1,
                                    random_state=0).fit(X[["code"]].iloc[:2000].assign(
                                        code=np.arange(2000) % 40), y[:2000])
    assert many.embedding_dims_ == [auto_embedding_dim(40)]  # 50 rows each: fastai's 13


def test_date_columns_go_in_as_days_and_reach_later_days():
    """A date column (datetimes, or strings that read as dates) goes in as its
    number of days whatever its rows per day, so that the network follows a
    trend into days it never saw, where an embedding of each day would give
    every later day the shared row.  Datetimes and their ISO strings fit
    alike; a datetime column left out of ``categorical_features`` is a
    numeric feature of days."""
    rng = np.random.RandomState(0)
    days = np.repeat(np.arange(120), 25)  # 25 rows per day
    n = len(days)
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")
    shop = rng.choice(list("abcd"), n)
    y = 0.05 * days + (shop == "a") + rng.normal(0, 0.2, n)
    X = pd.DataFrame({"day": stamps, "shop": shop})
    train = days < 90
    kw = dict(hidden_layer_sizes=(32,), n_networks=1, random_state=0, n_jobs=1)
    reg = EntityEmbeddingRegressor(**kw).fit(X[train], y[train])
    assert reg.is_categorical_.tolist() == [True, True]
    assert reg.numeric_values_.tolist() == [True, False]
    # a date's own vector is narrow (its number says where it lies in time):
    # fastai's rule would give its 90 days 19 columns
    assert reg.embedding_dims_ == [2, 3]
    later = reg.predict(X[~train])

    def rise(pred):  # the last 15 unseen days over the first 15 (truly +0.75)
        late = days[~train] >= 105
        return pred[late].mean() - pred[~late].mean()

    # the trend carries on into the unseen month (an embedding of each day alone:
    # the shared row for all of them, the training mean, no rise, R^2 about -20)
    assert later.mean() > y[train].mean() + 1.5 and rise(later) > 0.2
    as_text = X.assign(day=stamps.strftime("%Y-%m-%d"))
    text = EntityEmbeddingRegressor(**kw).fit(as_text[train], y[train])
    assert text.numeric_values_.tolist() == [True, False]
    np.testing.assert_allclose(text.predict(as_text[~train]), later, rtol=1e-4, atol=1e-4)
    numeric = EntityEmbeddingRegressor(categorical_features=["shop"], **kw).fit(
        X[train], y[train])
    assert numeric.is_categorical_.tolist() == [False, True]
    assert rise(numeric.predict(X[~train])) > 0.2


def test_missing_numbers_are_imputed_and_flagged():
    """A NaN of a numeric column becomes the column's mean plus a flag input,
    so that a planted "missing means high" effect is learned."""
    rng = np.random.RandomState(0)
    n = 1500
    X = pd.DataFrame({"shop": rng.choice(list("abc"), n), "dist": rng.normal(size=n),
                      "other": rng.normal(size=n)})
    gone = rng.rand(n) < 0.3
    y = X["dist"].to_numpy() + 3.0 * gone + rng.normal(0, 0.1, n)
    X.loc[gone, "dist"] = np.nan
    reg = EntityEmbeddingRegressor(hidden_layer_sizes=(32,), random_state=0).fit(X, y)
    assert reg._net.n_numeric == 3  # two columns, one flag
    pred = reg.predict(X)
    # R^2 can reach about 0.90: the missing rows' own distance is lost
    assert np.isfinite(pred).all() and reg.score(X, y) > 0.85
    assert pred[gone].mean() > pred[~gone].mean() + 2
    # unseen missing values in a column without them in training: the mean
    X2 = X.copy()
    X2.loc[:9, "other"] = np.nan
    assert np.isfinite(reg.predict(X2)).all()
    assert reg.embed(X.iloc[:5], representation="hidden").shape == (5, 32)


def test_numbers_also_go_in_piecewise_linear():
    """numeric_bins: a number also enters as one input per quantile bin (0
    below, 1 above, linear across), so that two hidden units fit a response
    with three turns, which they cannot from the number alone."""
    from skembed.entity.pieces import piecewise_linear, quantile_edges

    values = np.column_stack([np.arange(101.0), np.arange(101) % 2])
    edges = quantile_edges(values, 4)
    assert [c for c, _ in edges] == [0]  # a flag goes in as it is
    np.testing.assert_allclose(edges[0][1], [0, 25, 50, 75, 100])
    # a count that is mostly 0: its coinciding quantiles merge into fewer bins
    mostly_zero = np.r_[np.zeros(70), np.arange(1.0, 31.0)][:, None]
    np.testing.assert_allclose(quantile_edges(mostly_zero, 4)[0][1], [0, 5.25, 30])
    x = np.array([[-5.0], [10.0], [60.0], [100.0], [np.nan]])
    np.testing.assert_allclose(piecewise_linear(x, [(0, edges[0][1])]),
                               [[0, 0, 0, 0], [0.4, 0, 0, 0], [1, 1, 0.4, 0],
                                [1, 1, 1, 1], [0, 0, 0, 0]], atol=1e-7)
    rng = np.random.RandomState(0)
    n = 3000
    X = pd.DataFrame({"shop": rng.choice(list("ab"), n), "x": rng.uniform(-2, 2, n)})
    y = np.sin(3 * X["x"].to_numpy()) + rng.normal(0, 0.1, n)
    kw = dict(hidden_layer_sizes=(2,), n_networks=1, random_state=0, n_jobs=1)
    flat = EntityEmbeddingRegressor(numeric_bins=0, **kw).fit(X, y)
    bent = EntityEmbeddingRegressor(numeric_bins=8, **kw).fit(X, y)
    assert flat._net.n_numeric == 1 and bent._net.n_numeric == 9
    assert flat.score(X, y) < 0.5 < 0.8 < bent.score(X, y)
    # the hidden representation of embed() gets the same inputs as predict()
    codes, entities, xnum, _ = bent._prepare(X.iloc[:50])
    want = bent._net.hidden(codes, xnum, bent._composition(entities))
    np.testing.assert_allclose(bent.embed(X.iloc[:50], representation="hidden"), want,
                               rtol=1e-5, atol=1e-5)


def test_auto_bins_are_chosen_by_validation_loss():
    """numeric_bins="auto": a network with pieces and one on numbers only
    see the same validation rows; the ensemble takes the kind that fits them
    better (pieces where the response turns).  Without validation rows, and
    for streaming chunks, numbers only: the networks then read the first
    inputs of what _prepare builds, in predict and embed alike."""
    rng = np.random.RandomState(0)
    n = 3000
    X = pd.DataFrame({"shop": rng.choice(list("ab"), n), "x": rng.uniform(-2, 2, n)})
    y = np.sin(3 * X["x"].to_numpy()) + rng.normal(0, 0.1, n)
    kw = dict(hidden_layer_sizes=(4,), n_networks=2, random_state=0, n_jobs=1)
    bent = EntityEmbeddingRegressor(**kw).fit(X, y)
    assert bent.numeric_bins_ == 4 and bent.n_networks_ == 2
    assert bent._net_weights is None  # numbers alone miss the sine: no share for them
    assert all(net.n_numeric == 5 for net in bent._networks())
    assert bent.score(X, y) > 0.8
    flat = EntityEmbeddingRegressor(early_stopping=False, **kw).fit(X, y)
    assert flat.numeric_bins_ == 0
    assert all(net.n_numeric == 1 for net in flat._networks())
    assert flat._prepare(X.iloc[:5])[2].shape[1] == 1  # unread pieces are dropped
    assert flat.score(X, y) < bent.score(X, y) - 0.1
    hidden = flat.embed(X.iloc[:50], representation="hidden")
    codes, entities, xnum, _ = flat._prepare(X.iloc[:50])
    np.testing.assert_allclose(hidden, flat._net.hidden(codes, xnum,
                                                        flat._composition(entities)),
                               rtol=1e-5, atol=1e-5)
    again = EntityEmbeddingRegressor(**kw).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), bent.predict(X))
    assert EntityEmbeddingRegressor(**kw).partial_fit(X, y).numeric_bins_ == 0


def test_mix_weight_fits_the_other_kinds_share_on_held_out_rows():
    from skembed.entity.ensemble import mix_weight

    rng = np.random.RandomState(0)
    y = rng.normal(0, 1, 5000)
    w = np.ones_like(y)
    a = (y + rng.normal(0, 0.5, len(y)))[:, None]
    b = (y + rng.normal(0, 0.5, len(y)))[:, None]  # as good, errs elsewhere
    assert mix_weight(a, b, y, w, "regression") == 0.5
    assert mix_weight(a, a, y, w, "regression") == 0.0  # nothing to cancel: ties
    assert mix_weight(a, rng.normal(0, 10, (len(y), 1)), y, w, "regression") == 0.0
    c = (y + rng.normal(0, 1.0, len(y)))[:, None]  # weaker, independent: a share
    assert 0.1 <= mix_weight(a, c, y, w, "regression") <= 0.3
    # probabilities: binary (one column) and multiclass (one per class)
    labels = (y > 0).astype(int)
    pa = 1 / (1 + np.exp(-4 * a))
    pb = 1 / (1 + np.exp(-4 * b))
    assert mix_weight(pa, pb, labels, w, "binary") >= 0.4
    two = np.hstack([1 - pa, pa])
    assert mix_weight(two, np.hstack([1 - pb, pb]), labels, w, "multiclass") >= 0.4
    assert mix_weight(two, two[:, ::-1], labels, w, "multiclass") == 0.0  # wrong way round
    # the loss of activated outputs is the network's loss of their pre-activations
    from skembed.entity.losses import loss_and_output_grad, output_activation, output_loss

    out = rng.normal(0, 2, (len(y), 3))
    classes = rng.randint(0, 3, len(y))
    for task, target, raw in (("regression", y, out[:, :1]), ("binary", labels, out[:, :1]),
                              ("multiclass", classes, out)):
        expect = loss_and_output_grad(raw, target, w, task)[0] * len(y)
        got = output_loss(output_activation(raw.copy(), task), target, w, task)
        np.testing.assert_allclose(got, expect, rtol=1e-6)


def test_auto_bins_other_kind_joins_the_ensemble_with_its_share():
    """numeric_bins="auto" where numbers alone fit about as well as pieces:
    the losing kind's network stays in the ensemble, weighted by the share
    that fits the shared validation rows (at most one member's), and the
    prediction is the weighted mean of the members'."""
    rng = np.random.RandomState(0)
    n = 3000
    X = pd.DataFrame({"shop": rng.choice(list("abcdefgh"), n), "x": rng.normal(0, 1, n)})
    y = X["x"].to_numpy() + (X["shop"] < "e") + rng.normal(0, 1.0, n)
    # (patience pinned: the planted fit where the other kind earns a share)
    reg = EntityEmbeddingRegressor(hidden_layer_sizes=(8,), n_networks=3, random_state=0,
                                   n_iter_no_change=3, n_jobs=1).fit(X, y)
    wts = reg._net_weights
    assert reg.n_networks_ == 4 and len(wts) == 4
    assert 0 < wts[-1] <= 0.25 and np.allclose(wts[:3], (1 - wts[-1]) / 3)
    nets = reg._networks()
    assert {net.n_numeric for net in nets[:3]} == {nets[0].n_numeric} != {nets[3].n_numeric}
    codes, entities, xnum, _ = reg._prepare(X.iloc[:200])
    comp = reg._composition(entities)
    outs = [net.predict_raw(codes, xnum, comp)[:, 0] * reg._y_scale + reg._y_mean
            for net in nets]
    np.testing.assert_allclose(reg.predict(X.iloc[:200]), wts @ np.array(outs), rtol=1e-5)
    again = EntityEmbeddingRegressor(**reg.get_params()).fit(X, y)
    np.testing.assert_array_equal(again._net_weights, wts)
    # warm start keeps the members and their weights
    warm = clone(reg).set_params(warm_start=True).fit(X, y)
    before = warm._net_weights.copy()
    warm.set_params(max_iter=2).fit(X, y)
    assert warm.n_networks_ == 4 and np.array_equal(warm._net_weights, before)


def test_numeric_tails_are_compressed_not_clipped():
    from skembed.entity.estimators import squash_tails

    z = np.array([-1e6, -4.0, -3.0, -1.0, 0.0, 2.9999, 3.0, 3.0001, 4.0, 1e6, np.nan])
    out = squash_tails(z, 3.0)
    np.testing.assert_array_equal(out[2:7], z[2:7])  # unchanged within the band
    np.testing.assert_allclose(out[[1, 8]], [-3 - np.log(2), 3 + np.log(2)])
    assert np.isnan(out[-1]) and np.all(np.diff(out[:-1]) > 0)  # order kept
    assert out[-2] < 20  # a million standard deviations: about 16


def test_heavy_tailed_number_is_learned_and_does_not_explode():
    """A price-like column (log-normal): the network learns its effect, and a
    value far beyond the training range gets a bounded prediction (a ReLU
    network extrapolates linearly in its input, here the compressed one)."""
    rng = np.random.RandomState(0)
    n = 2000
    x = rng.lognormal(0.0, 1.0, n)
    X = pd.DataFrame({"shop": rng.choice(list("abc"), n), "price": x})
    y = np.log(x) + (X["shop"] == "a") + rng.normal(0, 0.1, n)
    reg = EntityEmbeddingRegressor(hidden_layer_sizes=(32,), random_state=0,
                                   n_networks=1).fit(X, y)
    Xt = pd.DataFrame({"shop": rng.choice(list("abc"), n), "price": rng.lognormal(0, 1, n)})
    yt = np.log(Xt["price"]) + (Xt["shop"] == "a")
    assert reg.score(Xt, yt) > 0.85
    far = reg.predict(pd.DataFrame({"shop": ["a", "a"], "price": [1e6, 1e9]}))
    assert np.all(np.abs(far) < 3 * np.abs(y).max()), far


def test_predictions_stay_within_the_training_targets_range():
    """A trend learned on x in [0, 1] reaches x = 50 only as far as the
    largest target seen (as a tree ensemble's prediction would); every chunk
    of partial_fit widens the range, per output column."""
    rng = np.random.RandomState(0)
    x = rng.uniform(0, 1, 1000)
    X = pd.DataFrame({"shop": rng.choice(list("ab"), 1000), "x": x})
    y = 10 * x
    kw = dict(hidden_layer_sizes=(16,), max_iter=30, n_networks=1, random_state=0)
    reg = EntityEmbeddingRegressor(**kw).fit(X, y)
    far = pd.DataFrame({"shop": ["a", "b"], "x": [50.0, -50.0]})
    np.testing.assert_array_equal(reg.predict(far), [y.max(), y.min()])
    assert reg.score(X, y) > 0.95  # inside the range: unchanged
    later = X.assign(x=X["x"] + 1)  # targets 10 .. 20
    reg = EntityEmbeddingRegressor(**kw)
    for _ in range(15):
        reg.partial_fit(X, y).partial_fit(later, 10 * later["x"])
    assert reg.predict(far)[0] == 10 * later["x"].max()
    two = EntityEmbeddingRegressor(**kw).fit(X, np.column_stack([y, -y]))
    np.testing.assert_array_equal(two.predict(far[:1])[0], [y.max(), -y.max()])


def test_polars_frames_like_pandas():
    pl = pytest.importorskip("polars")
    rng = np.random.RandomState(0)
    pdf = pd.DataFrame({"shop": rng.choice(list("abc"), 300),
                        "dist": rng.normal(size=300)})
    y = (pdf["shop"] == "a") * 2.0 + pdf["dist"]
    plf = pl.DataFrame({"shop": pdf["shop"].tolist(), "dist": pdf["dist"].tolist()})
    kw = dict(hidden_layer_sizes=(8,), max_iter=3, batch_size=32, random_state=0)
    a = EntityEmbeddingRegressor(**kw).fit(pdf, y)
    b = EntityEmbeddingRegressor(**kw).fit(plf, y)
    # the float column stays numeric (not 300 categories)
    assert b.is_categorical_.tolist() == [True, False]
    np.testing.assert_allclose(b.predict(plf), a.predict(pdf), rtol=1e-5)


def test_encoder_of_a_model_is_a_snapshot_under_warm_start():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"shop": rng.choice(list("abcd"), 300)})
    y = (X["shop"] == "a") * 3.0 + rng.normal(0, 0.1, 300)
    reg = EntityEmbeddingRegressor(hidden_layer_sizes=(8,), max_iter=3, warm_start=True,
                                   random_state=0).fit(X, y)
    enc = reg.encoder_
    before = enc.transform(X).copy()
    reg.fit(X, y)  # continues training the same network
    np.testing.assert_array_equal(enc.transform(X), before)  # the old encoder_ is unchanged
    assert not np.array_equal(reg.encoder_.transform(X), before)


def test_several_targets():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"shop": rng.choice(list("abcd"), 600), "x": rng.normal(size=600)})
    effect = X["shop"].map(dict(a=0.0, b=1.0, c=2.0, d=3.0)).to_numpy()
    Y = np.column_stack([effect + X["x"], -2 * effect + 10]) + rng.normal(0, 0.05, (600, 2))
    kw = dict(hidden_layer_sizes=(16,), batch_size=32, max_iter=40, learning_rate=1e-2,
              random_state=0)
    reg = EntityEmbeddingRegressor(**kw).fit(X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (600, 2)
    assert reg.score(X, Y) > 0.95  # both outputs learned (uniform R^2)
    assert EntityEmbeddingRegressor(**kw).fit(X, Y[:, 0]).predict(X).shape == (600,)
    # multilabel: two independent labels
    L = np.column_stack([effect >= 2, X["x"] > 0]).astype(int)
    clf = EntityEmbeddingClassifier(**kw).fit(X, L)
    assert clf.classes_.tolist() == [0, 1] and clf.n_outputs_ == 2
    assert clf.predict(X).shape == (600, 2) and clf.predict_proba(X).shape == (600, 2)
    assert clf.score(X, L) > 0.9  # subset accuracy
    enc = EntityEmbeddingEncoder(embedding_dims=2, max_iter=5, random_state=0).fit(
        X[["shop"]], Y)
    assert enc.task_ == "regression" and enc.transform(X[["shop"]]).shape == (600, 2)
    with pytest.raises(ValueError, match="outputs"):
        EntityEmbeddingRegressor(warm_start=True, **kw).fit(X, Y).fit(X, Y[:, :1].repeat(3, 1))


def test_partial_fit_learns_over_chunks_with_declared_categories():
    X, y, group = planted(n=4000)
    shops = sorted(X["shop"].unique())
    X = X.assign(shop=X["shop"].astype(pd.CategoricalDtype(shops)))
    late = shops[-1]  # first seen in the second half only
    first_half = (X["shop"] != late).to_numpy() & (np.arange(len(X)) < 2000)
    chunks = [(X[first_half], y[first_half]), (X[2000:], y[2000:])]
    reg = EntityEmbeddingRegressor(random_state=0, **dict(FAST, max_iter=1))
    for _ in range(8):
        for Xc, yc in chunks:
            reg.partial_fit(Xc, yc)
    assert reg.n_iter_ == 16 and len(reg.loss_curve_) == 16
    Xt, yt, _ = planted(n=600, seed=1)
    assert reg.score(Xt.assign(shop=Xt["shop"].astype(X["shop"].dtype)), yt) > 0.9
    # the declared category has its own trained row, grouped with its kind
    assert late in list(reg.categories_[0])
    near = [s for s, _ in reg.most_similar("shop", late, topn=2)]
    assert all(group[s] == group[late] for s in near)
    # an undeclared (object) column: categories of the first chunk only
    plain = EntityEmbeddingRegressor(random_state=0, **FAST)
    plain.partial_fit(X[first_half].astype({"shop": object}), y[first_half])
    assert late not in list(plain.categories_[0])
    plain.partial_fit(X[2000:].astype({"shop": object}), y[2000:])  # unknown row, no error
    strict = clone(plain).set_params(handle_unknown="error")
    strict.partial_fit(X[first_half].astype({"shop": object}), y[first_half])
    with pytest.raises(ValueError, match="unknown|unseen|not seen"):
        strict.partial_fit(X[2000:].astype({"shop": object}), y[2000:])


def test_partial_fit_keeps_the_auto_widths_of_its_first_chunk():
    """The "auto" width of a feature without n-grams reads its rows per
    category, which every chunk of partial_fit raises: later chunks keep the
    network's widths instead of finding its shape changed."""
    rng = np.random.RandomState(0)
    codes = pd.CategoricalDtype(list(range(200)))
    reg = EntityEmbeddingRegressor(max_iter=1, n_networks=1, random_state=0)
    for _ in range(6):  # 5 rows per code and chunk: 5, 10, ... 30 rows each
        c = rng.randint(0, 200, 1000)
        reg.partial_fit(pd.DataFrame({"code": pd.Series(c, dtype=codes)}), c % 7 * 1.0)
    assert reg.embedding_dims_ == [16] and reg.n_iter_ == 6


def test_partial_fit_classifier_classes_and_determinism():
    X, y, _ = planted(n=1200)
    labels = np.where(y > 0, "hi", "lo")
    clf = EntityEmbeddingClassifier(random_state=0, **FAST)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[:600], labels[:600])
    assert set(vars(clf)) == set(clf.get_params())  # the failed first call left it unfitted
    # a first chunk may miss a class that classes declares
    only_hi = labels == "hi"
    one = clone(clf).partial_fit(X[only_hi], labels[only_hi], classes=["lo", "hi"])
    assert list(one.classes_) == ["hi", "lo"]
    assert one.predict_proba(X[:5]).shape == (5, 2)
    clf.partial_fit(X[:600], labels[:600], classes=["lo", "hi"])
    for _ in range(5):
        clf.partial_fit(X, labels)
    assert clf.score(X, labels) > 0.85
    with pytest.raises(ValueError, match="new classes"):
        clf.partial_fit(X[:10], np.array(["mid"] * 10))
    with pytest.raises(ValueError, match="differs"):
        clf.partial_fit(X[:10], labels[:10], classes=["a", "b"])
    # same chunks, same seed: same model
    again = EntityEmbeddingClassifier(random_state=0, **FAST)
    again.partial_fit(X[:600], labels[:600], classes=["lo", "hi"])
    for _ in range(5):
        again.partial_fit(X, labels)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_partial_fit_over_dask_partitions():
    dd = pytest.importorskip("dask.dataframe")
    X, y, group = planted(n=3000)
    frame = X.assign(y=y)
    ddf = dd.from_pandas(frame, npartitions=4).categorize(columns=["shop"])
    reg = EntityEmbeddingRegressor(random_state=0, **FAST)
    for _ in range(4):  # epochs over the partitions, one partition in memory at a time
        for part in ddf.partitions:
            chunk = part.compute()
            reg.partial_fit(chunk.drop(columns="y"), chunk["y"])
    assert reg.n_iter_ == 16
    assert reg.score(X, y) > 0.9


def test_threads_follow_scikit_learns_n_jobs_rule(monkeypatch):
    """n_jobs=None is one thread (unless a joblib context says otherwise),
    -1 every available one, 0 is refused; training gets the count."""
    import joblib

    import skembed.entity.training as ebase

    assert EntityEmbeddingRegressor()._training_threads() == 1
    assert EntityEmbeddingRegressor(n_jobs=2)._training_threads() == 2
    with joblib.parallel_config(n_jobs=2):
        assert EntityEmbeddingRegressor()._training_threads() == 2
    with pytest.raises(ValueError, match="n_jobs"):
        EntityEmbeddingRegressor(n_jobs=0).fit(*planted(n=60)[:2])
    seen = []
    real = ebase.train_network

    def spy(*args, **kwargs):
        seen.append(kwargs["n_threads"])
        return real(*args, **kwargs)

    monkeypatch.setattr(ebase, "train_network", spy)
    X, y, _ = planted(n=300)
    kw = dict(FAST, max_iter=2, n_networks=1)
    EntityEmbeddingRegressor(**kw).fit(X, y)
    EntityEmbeddingRegressor(n_jobs=2, **kw).fit(X, y)
    assert seen == [1, 2]
    # several networks on two threads: side by side, one thread each; the one left
    # over on both
    seen.clear()
    EntityEmbeddingRegressor(n_jobs=2, **dict(kw, n_networks=3)).fit(X, y)
    assert seen == [1, 1, 2]
    seen.clear()
    EntityEmbeddingRegressor(n_jobs=2, **dict(kw, n_networks=4)).fit(X, y)
    assert seen == [1, 1, 1, 1]
    # BLAS's limit is process-wide: set once by the calling thread, never by the
    # training threads (whose enter/exit pairs would interleave and restore the
    # wrong count)
    import threading
    from contextlib import contextmanager

    callers = []
    real_limit = ebase.blas_threads

    @contextmanager
    def limit(n):
        callers.append(threading.get_ident())
        with real_limit(n):
            yield

    monkeypatch.setattr(ebase, "blas_threads", limit)
    EntityEmbeddingClassifier(n_jobs=2, **dict(kw, n_networks=3)).fit(X, y > 0)
    assert callers == [threading.get_ident()]


@pytest.mark.parametrize("labels", [[0] * 19 + [1], [0] * 12 + [1] * 6 + [2] * 2])
def test_untrained_network_predicts_the_class_prior(labels):
    """The output biases start at the (weighted) class prior: with a step size
    too small to learn anything, the predicted probabilities are near the
    class frequencies (the random hidden layer adds a little), not uniform."""
    rng = np.random.RandomState(0)
    y = np.array(labels * 20)
    X = rng.choice(list("abcde"), (len(y), 2))  # categories: embeddings start near 0
    clf = EntityEmbeddingClassifier(hidden_layer_sizes=(8,), max_iter=1, learning_rate=1e-12,
                                    early_stopping=False, random_state=0)
    for w in (None, np.where(y == y.max(), 3.0, 1.0)):  # weights count as repeated rows
        clf.fit(X, y, sample_weight=w)
        freq = np.bincount(y, weights=w) / (len(y) if w is None else w.sum())
        np.testing.assert_allclose(clf.predict_proba(X).mean(axis=0), freq, atol=0.02)


def test_several_networks_average_and_train_alike_on_threads():
    """n_networks: members with their own initialisation and validation split,
    predictions averaged (lower error than the members' on noisy data); the
    members train side by side on n_jobs threads with the same result."""
    X, y, _ = planted(n=800, n_cats=40)
    y = y + np.random.RandomState(3).normal(0, 1.0, len(y))
    Xt, yt, _ = planted(n=2000, n_cats=40, seed=1)
    kw = dict(FAST, max_iter=30, early_stopping=True, random_state=0)
    ens = EntityEmbeddingRegressor(n_networks=3, numeric_bins=0, **kw).fit(X, y)
    assert ens.n_networks_ == 3 and len(ens._networks()) == 3
    # the members differ, and the prediction is their mean
    outs = []
    for net in ens._networks():
        codes, entities, xnum, _ = ens._prepare(Xt)
        outs.append(net.predict_raw(codes, xnum, ens._composition(entities))[:, 0]
                    * ens._y_scale + ens._y_mean)
    assert np.ptp([o.mean() for o in outs]) > 0 and not np.allclose(outs[0], outs[1])
    np.testing.assert_allclose(ens.predict(Xt), np.mean(outs, axis=0), rtol=1e-5)
    mse = [np.mean((o - yt) ** 2) for o in outs]
    assert np.mean((ens.predict(Xt) - yt) ** 2) < np.mean(mse) - 0.005
    # the embeddings are the first network's
    np.testing.assert_array_equal(
        ens.embeddings_[0], ens._net.entity_vectors(0, ens._categories[0].known_entities)[1:])
    # two networks on two threads: side by side, bit-identical to one thread
    pair = EntityEmbeddingRegressor(n_networks=2, numeric_bins=0, **kw).fit(X, y)
    threaded = EntityEmbeddingRegressor(n_networks=2, numeric_bins=0, n_jobs=2, **kw)
    np.testing.assert_array_equal(threaded.fit(X, y).predict(Xt), pair.predict(Xt))
    # numeric_bins="auto": the two candidate networks side by side, then the
    # other two members of the ensemble (a network left over alone would take
    # both threads, Hogwild!, and differ)
    trio = EntityEmbeddingRegressor(n_networks=3, **kw).fit(X, y)
    threaded = EntityEmbeddingRegressor(n_networks=3, n_jobs=2, **kw).fit(X, y)
    np.testing.assert_array_equal(threaded.predict(Xt), trio.predict(Xt))
    proba = EntityEmbeddingClassifier(n_networks=2, **kw).fit(X, y > 0).predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_n_networks_auto_by_size_and_fixed_under_warm_start():
    reg = EntityEmbeddingRegressor()
    assert [reg._n_networks(n) for n in (2_000, 100_000, 120_000, 150_001, 10**6)] == [
        3, 3, 2, 1, 1]
    assert reg._n_networks(2_000, partial=True) == 1
    assert EntityEmbeddingRegressor(n_networks=4)._n_networks(10**6) == 4
    X, y, _ = planted(n=300)
    kw = dict(FAST, max_iter=2, random_state=0)
    warm = EntityEmbeddingRegressor(warm_start=True, **kw).fit(X, y)
    assert warm.n_networks_ == 3
    warm.fit(X, y)  # "auto" keeps the networks it has
    assert warm.n_networks_ == 3
    with pytest.raises(ValueError, match="n_networks"):
        warm.set_params(n_networks=2).fit(X, y)
    part = EntityEmbeddingRegressor(**kw).partial_fit(X, y)
    assert part.n_networks_ == 1
    assert EntityEmbeddingRegressor(n_networks=2, **kw).partial_fit(X, y).partial_fit(
        X, y).n_networks_ == 2


def test_instants_keep_their_width_dates_do_not():
    """embedding_dims="auto": a feature of calendar dates is at most 2 wide
    (its number says where it lies in time); one of instants (dates with a
    time of day) names events, whose rows share what happened there, and
    keeps the usual width in the predictors (not in the encoder, whose
    wider vectors a stacked booster splits as noise)."""
    rng = np.random.RandomState(0)
    n_events = 400
    start = pd.Timestamp("2016-01-01")
    instants = [(start + pd.Timedelta(minutes=int(m))).strftime("%Y/%m/%d %H:%M:%S")
                for m in rng.choice(500_000, n_events, replace=False)]
    days = [(start + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d")
            for d in rng.choice(3000, n_events, replace=False)]
    event = rng.randint(0, n_events, 2400)
    hurt = rng.rand(n_events) < 0.3
    X = pd.DataFrame({"when": np.array(instants, dtype=object)[event],
                      "day": np.array(days, dtype=object)[event],
                      "kind": rng.choice(list("abc"), len(event))})
    y = hurt[event].astype(int)
    kw = dict(random_state=0, n_networks=1, max_iter=2, n_jobs=1)
    clf = EntityEmbeddingClassifier(**kw).fit(X, y)
    widths = dict(zip(clf._cat_names, clf.embedding_dims_, strict=True))
    assert widths["day"] == 2 and widths["when"] > 2
    enc = EntityEmbeddingEncoder(cv=None, random_state=0, max_iter=2, n_jobs=1).fit(X, y)
    assert dict(zip(enc._cat_names, enc.embedding_dims_, strict=True))["when"] == 2


def test_instants_give_the_predictors_their_hour_and_weekday():
    """A feature of instants also goes in as its hour of the day and day of
    the week (as the encoder outputs them, with piecewise-linear pieces as
    the numeric features): each instant seen once, the
    target follows the hour, which the number of days holds only as its
    fraction (held-out R² 0.31 without).  The model's encoder_ reads the
    column as dates and gives the same parts, and embed's hidden
    representation gets the inputs predict gets."""
    rng = np.random.RandomState(0)
    n = 3000
    when = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.randint(0, 365 * 24 * 60, n),
                                                        unit="min")
    X = pd.DataFrame({"when": when.strftime("%Y-%m-%d %H:%M"), "x": rng.normal(size=n)})
    hour = when.hour.to_numpy() + when.minute.to_numpy() / 60
    y = 2 * np.sin(hour / 24 * 2 * np.pi) + X["x"].to_numpy() + rng.normal(0, 0.3, n)
    reg = EntityEmbeddingRegressor(random_state=0, n_jobs=1).fit(X[:2000], y[:2000])
    assert reg._time_parts.tolist() == [True]
    # inputs: x, the instant's days, its hour and weekday (these two with pieces)
    assert {c for c, _ in reg._x_edges} == {0, 2, 3}
    assert reg.score(X[2000:], y[2000:]) > 0.8
    enc = reg.encoder_
    names = list(enc.get_feature_names_out())
    assert names[-3:] == ["when_value", "when_hour", "when_weekday"]
    Z = enc.transform(X[["when"]].iloc[:200])
    # (standardised as the model's inputs)
    np.testing.assert_allclose(Z[:, -2] * enc._number_scale[1] + enc._number_mean[1],
                               hour[:200], atol=1e-3)
    weekday = when.day_of_week.to_numpy()[:200] + 1
    np.testing.assert_allclose(Z[:, -1] * enc._number_scale[2] + enc._number_mean[2],
                               weekday, atol=1e-3)
    codes, entities, xnum, _ = reg._prepare(X.iloc[:50])
    want = reg._net.hidden(codes, xnum, reg._composition(entities))
    np.testing.assert_allclose(reg.embed(X.iloc[:50], representation="hidden"), want,
                               rtol=1e-5, atol=1e-5)


def test_numeric_instants_give_their_hour_and_weekday_too():
    """A datetime column that categorical_features leaves numeric (its days,
    a trend) also gives its hour and weekday, with pieces, after every other
    input: the target follows the hour (held-out R² 0.55 without), a missing
    instant predicts, and embed's hidden representation gets predict's inputs.
    A column of midnights gives none."""
    rng = np.random.RandomState(0)
    n = 3000
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.randint(0, 365 * 24 * 60, n),
                                                        unit="min")
    X = pd.DataFrame({"a": rng.choice(list("abc"), n), "when": when,
                      "day": when.floor("D"), "x": rng.normal(size=n)})
    y = 2.0 * (when.hour >= 12) + (X["a"] == "a") + X["x"] + rng.normal(0, 0.1, n)
    reg = EntityEmbeddingRegressor(categorical_features=["a"], random_state=0,
                                   n_jobs=1).fit(X[:2000], y[:2000])
    assert reg._numeric_time_parts.tolist() == [0]  # "when", not the midnights of "day"
    # inputs: when, day, x, then when's hour and weekday (pieces for x and the parts)
    assert {c for c, _ in reg._x_edges} == {2, 3, 4}
    assert reg.score(X[2000:], y[2000:]) > 0.9
    new = X.iloc[2000:2010].copy()
    new.loc[new.index[:3], "when"] = pd.NaT
    assert np.isfinite(reg.predict(new)).all()
    codes, entities, xnum, _ = reg._prepare(X.iloc[:50])
    want = reg._net.hidden(codes, xnum, reg._composition(entities))
    np.testing.assert_allclose(reg.embed(X.iloc[:50], representation="hidden"), want,
                               rtol=1e-5, atol=1e-5)


def test_predictors_drop_ngrams_the_network_reads_worse_with(monkeypatch):
    """substrings="auto": the predictors train a network without the n-gram
    rows beside one with them, on the same validation rows, and keep the
    kind of lower validation loss.  Names of random letters, whose spelling
    test is made to pass, are noise to the network: most seeds drop their
    n-grams, and then an unseen name gets the shared row (every unseen name
    the same prediction); names whose words carry the target keep theirs
    (test_unseen_categories_are_placed_by_their_spelling)."""
    import skembed.entity.categories as categories

    monkeypatch.setattr(categories, "spelling_predicts", lambda *a, **k: True)
    dropped = []
    for seed in range(4):
        rng = np.random.RandomState(seed)
        names = ["".join(rng.choice(list("abcde"), 10)) for _ in range(2000)]
        group = rng.randint(0, 20, 2000)
        y = rng.normal(0, 1, 20)[group] + rng.normal(0, 1.0, 2000)
        X = pd.DataFrame({"name": names, "group": [f"g{g}" for g in group]})
        reg = EntityEmbeddingRegressor(hidden_layer_sizes=(32,), n_networks=1,
                                       random_state=0, n_jobs=1).fit(X, y)
        dropped.append(reg._categories[0].n_ngrams == 0)
        if dropped[-1]:
            new = pd.DataFrame({"name": ["abcdeabcde", "eeeeeddddd"], "group": ["g1", "g1"]})
            assert reg.predict(new)[0] == reg.predict(new)[1]
            Z = reg.encoder_.transform(new[["name", "group"]])
            np.testing.assert_array_equal(Z[0], Z[1])
    assert sum(dropped) >= 3, dropped
    # an explicit substrings=True keeps them
    forced = clone(reg).set_params(substrings=True).fit(X, y)
    assert forced._categories[0].n_ngrams > 0
