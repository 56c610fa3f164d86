"""Entities: embed, similar_entities and EntityNeighborFeatures (cold start)."""

import numpy as np
import pandas as pd
import pytest
from conftest import FAST
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from skembed import EntityEmbeddingRegressor, EntityNeighborFeatures


def test_similar_entities_find_the_planted_kind():
    """Products of four kinds, each kind selling differently; a new product
    (unseen id) of a known kind and brand finds known products of its kind."""
    rng = np.random.RandomState(0)
    products = pd.DataFrame({"product": [f"p{i}" for i in range(40)],
                             "kind": [f"k{i % 4}" for i in range(40)],
                             "brand": [f"b{i % 5}" for i in range(40)]})
    rows = products.sample(3000, replace=True, random_state=0).reset_index(drop=True)
    rows["day"] = rng.choice(list("MTWRF"), 3000)
    y = rows["kind"].map(dict(k0=1.0, k1=4.0, k2=8.0, k3=12.0)) + rng.normal(0, 0.2, 3000)
    reg = EntityEmbeddingRegressor(hidden_layer_sizes=(16,), max_iter=20, batch_size=64,
                                   embedding_dims=3, learning_rate=1e-2,
                                   random_state=0).fit(rows, y)
    known = products.set_index("product")
    new = pd.DataFrame({"kind": ["k2", "k0"], "brand": ["b1", "b3"]})
    ids, sims = reg.similar_entities(new, known[["kind", "brand"]], n=5)
    assert ids.shape == sims.shape == (2, 5) and np.all(np.diff(sims, axis=1) <= 1e-6)
    assert all(known.loc[i, "kind"] == "k2" for i in ids[0])
    assert all(known.loc[i, "kind"] == "k0" for i in ids[1])
    vec = reg.embed(new)
    assert vec.shape == (2, 6)
    np.testing.assert_array_equal(vec[:, :3], reg.embeddings_[reg._cat_names.index("kind")][
        [list(reg.categories_[reg._cat_names.index("kind")]).index("k2"),
         list(reg.categories_[reg._cat_names.index("kind")]).index("k0")]])
    with pytest.raises(ValueError, match="not a categorical feature"):
        reg.embed(new, columns=["color"])


def _products(seed=0, n=3000):
    """Products of four kinds (kind sets the sales level), rows by day."""
    rng = np.random.RandomState(seed)
    products = pd.DataFrame({"product": [f"p{i}" for i in range(40)],
                             "kind": [f"k{i % 4}" for i in range(40)],
                             "brand": [f"b{i % 5}" for i in range(40)]})
    rows = products.sample(n, replace=True, random_state=seed).reset_index(drop=True)
    rows["day"] = rng.choice(list("MTWRF"), n)
    level = rows["kind"].map(dict(k0=1.0, k1=4.0, k2=8.0, k3=12.0))
    y = level + (rows["day"] == "F") + rng.normal(0, 0.2, n)
    return products, rows, y.to_numpy()


def test_hidden_representation_finds_the_planted_kind():
    products, rows, y = _products()
    reg = EntityEmbeddingRegressor(hidden_layer_sizes=(16,), max_iter=20, batch_size=64,
                                   embedding_dims=3, learning_rate=1e-2,
                                   random_state=0).fit(rows, y)
    known = products.set_index("product")[["kind", "brand"]]
    new = pd.DataFrame({"kind": ["k2", "k0"], "brand": ["b1", "b3"]})
    hidden = reg.embed(new, representation="hidden")
    assert hidden.shape == (2, 16)
    # the day column is absent: it is filled as "unknown" (row 0), same for every entity
    ids, _ = reg.similar_entities(new, known, n=5, representation="hidden")
    assert all(known.loc[i, "kind"] == "k2" for i in ids[0])
    assert all(known.loc[i, "kind"] == "k0" for i in ids[1])
    with pytest.raises(ValueError, match="representation"):
        reg.embed(new, representation="last")


def test_neighbor_features_forecast_new_entities_from_their_kind():

    products, rows, y = _products()
    model = EntityEmbeddingRegressor(hidden_layer_sizes=(16,), max_iter=20, batch_size=64,
                                     embedding_dims=3, learning_rate=1e-2, random_state=0)
    nf = EntityNeighborFeatures(model, entity="product", attributes=["kind", "brand"],
                                n_neighbors=4).fit(rows, y)
    assert list(nf.get_feature_names_out()) == ["neighbor_forecast", "neighbor_target_mean"]
    # known entities never count themselves among their neighbours
    assert not np.any(nf.neighbors_ == np.arange(len(nf.entities_))[:, None])
    known_nb = nf.neighbors(rows.iloc[:50])
    assert not np.any(known_nb == rows["product"].to_numpy()[:50, None])
    # a new product of kind k3 (level 12) sold on a Friday: neighbours of kind k3
    new = pd.DataFrame({"product": ["new1", "new2"], "kind": ["k3", "k0"],
                        "brand": ["b2", "b4"], "day": ["F", "M"]})
    nb = nf.neighbors(new)
    kinds = products.set_index("product")["kind"]
    assert all(kinds[p] == "k3" for p in nb[0]) and all(kinds[p] == "k0" for p in nb[1])
    feats = nf.transform(new)
    assert feats.shape == (2, 2)
    assert abs(feats[0, 0] - 13.0) < 1.0 and abs(feats[1, 0] - 1.0) < 1.0  # forecast, day-aware
    assert abs(feats[0, 1] - 12.2) < 0.5 and abs(feats[1, 1] - 1.2) < 0.5  # neighbours' mean
    # prefit reuses the model; the same neighbours come out
    prefit = EntityNeighborFeatures(nf.estimator_, entity="product",
                                    attributes=["kind", "brand"], n_neighbors=4,
                                    prefit=True).fit(rows, y)
    np.testing.assert_array_equal(prefit.neighbors(new), nb)
    # inside a pipeline a second model uses the features
    pipe = Pipeline([("nf", clone(nf)), ("ridge", Ridge())]).fit(rows, y)
    assert pipe.score(rows, y) > 0.9


def test_neighbor_features_bad_input():

    products, rows, y = _products(n=600)
    nf = EntityNeighborFeatures(EntityEmbeddingRegressor(**FAST, random_state=0),
                                entity="product", attributes=["kind"])
    with pytest.raises(ValueError, match=r"columns \['colour'\] are not in X"):
        clone(nf).set_params(attributes=["colour"]).fit(rows, y)
    with pytest.raises(TypeError, match="needs a DataFrame"):
        nf.fit(rows.to_numpy(), y)
    with pytest.raises(ValueError, match="one value per row"):
        nf.fit(rows, y[:10])
    with pytest.raises(TypeError, match="holds no entity-embedding model"):
        EntityNeighborFeatures(Ridge(), entity="product", attributes=["kind"]).fit(
            pd.get_dummies(rows, dtype=float).assign(product=rows["product"],
                                                     kind=rows["kind"]), y)
    with pytest.raises(ValueError, match="at least two known entities"):
        one = rows[rows["product"] == "p0"]
        nf.fit(one, y[one.index])
    fitted = nf.fit(rows, y)
    with pytest.raises(ValueError, match="not in X"):
        fitted.transform(rows.drop(columns="kind"))




def test_similarities_stay_within_one():
    """An entity matched against itself (and against its scaled copies) has a
    cosine of exactly 1 at most, not float32's 1.0000001; most_similar too."""
    rng = np.random.RandomState(1)
    X = pd.DataFrame({"store": rng.choice([f"s{i}" for i in range(30)], 2000),
                      "day": rng.choice(list("MTWRFSU"), 2000)})
    y = X["store"].str[1:].astype(float) + rng.normal(0, 0.1, 2000)
    reg = EntityEmbeddingRegressor(**FAST).fit(X, y)
    known = X.drop_duplicates().reset_index(drop=True)
    _, sims = reg.similar_entities(known, known, n=3)
    assert sims.max() <= 1.0 and sims[:, 0].min() > 0.999
    assert all(-1.0 <= s <= 1.0 for _, s in reg.most_similar("store", "s3", topn=29))
