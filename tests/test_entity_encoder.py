"""EntityEmbeddingEncoder: embeddings as features, cross-fitting, substrings, skrub."""

import numpy as np
import pandas as pd
import pytest
from conftest import FAST, planted
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skembed import EntityEmbeddingClassifier, EntityEmbeddingEncoder, EntityEmbeddingRegressor


def _leaky_data(n, seed):
    """An identifier with ~5 rows per category and no effect, beside a real
    effect: in-sample embeddings of the identifier memorise its noise."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({"id": rng.randint(0, n // 5, n).astype(str),
                      "kind": rng.choice(list("abcd"), n)})
    y = X["kind"].map(dict(a=0.0, b=1.0, c=2.0, d=3.0)).to_numpy() + rng.normal(0, 1, n)
    return X, y



def test_encoder_embeddings_separate_groups():
    X, y, group = planted()
    enc = EntityEmbeddingEncoder(embedding_dims=3, random_state=0, **FAST)
    Z = enc.fit(X[["shop"]], y).transform(X[["shop"]])
    assert Z.shape == (len(X), 3) and Z.dtype == np.float32
    emb = enc.embeddings_[0]
    labels = np.array([group[s] for s in enc.categories_[0]])
    centroids = np.array([emb[labels == g].mean(axis=0) for g in (0, 1)])
    within = np.mean([np.linalg.norm(e - centroids[g]) for e, g in zip(emb, labels,
                                                                        strict=True)])
    between = np.linalg.norm(centroids[0] - centroids[1])
    assert between > 3 * within
    # transform is the lookup of embeddings_
    rows = np.searchsorted(enc.categories_[0], X["shop"])
    np.testing.assert_allclose(Z, emb[rows])


def test_cross_fitted_encoding_does_not_leak_into_a_stacked_model():
    from sklearn.ensemble import HistGradientBoostingRegressor

    X, y = _leaky_data(3000, 0)
    X_new, y_new = _leaky_data(3000, 1)
    X_new["id"] = X["id"].to_numpy()  # same ids, fresh noise
    scores = {}
    for cv in (None, 5):
        enc = EntityEmbeddingEncoder(cv=cv, random_state=0, **FAST)
        head = HistGradientBoostingRegressor(max_iter=100, random_state=0)
        pipe = Pipeline([("enc", enc), ("hgb", head)]).fit(X, y)
        scores[cv] = pipe.score(X_new, y_new)
    # the true R^2 ceiling is ~0.55 (kind explains 1.25 of 2.25 variance)
    assert scores[5] > scores[None] + 0.05
    assert scores[5] > 0.45


def test_cross_fitted_encoding_shapes_and_transform():
    X, y = _leaky_data(600, 0)
    # ids (~5 rows each) with an effect, so that their embeddings carry it
    y = y + np.random.RandomState(1).normal(0, 1, 120)[X["id"].astype(int)]
    enc = EntityEmbeddingEncoder(cv=3, embedding_dims=3, random_state=0, **FAST)
    oof = enc.fit_transform(X, y)
    full = enc.transform(X)
    # two 3-wide embeddings; the ids' numbers stay out: rare ids whose effects
    # do not follow their order (numeric_values="auto", entity/order.py)
    assert oof.shape == full.shape == (600, 6)
    enc.set_params(numeric_values=True)
    oof = enc.fit_transform(X, y)
    full = enc.transform(X)
    # forced: the ids as numbers after the embeddings; the kinds, of which no
    # value reads as a number, get no column (it would be NaN only, which a
    # stacked HistGradientBoosting cannot bin)
    assert oof.shape == full.shape == (600, 7)
    assert enc.numeric_values_.tolist() == [True, False]
    assert not np.isnan(oof).any()
    ids = X["id"].astype(float).to_numpy()
    np.testing.assert_allclose(oof[:, 6], (ids - ids.mean()) / ids.std(), rtol=1e-5,
                               atol=1e-6)
    ident, kind = slice(0, 3), slice(3, 6)
    # rare ids: out of fold; kinds (~150 rows each, at least FULL_FIT_MIN_ROWS):
    # every training row gets the full-data embedding, as new rows do
    assert enc.smoothing_[0] < np.inf
    assert not np.allclose(oof[:, ident], full[:, ident])
    np.testing.assert_array_equal(oof[:, kind], full[:, kind])
    # one coordinate system (the frozen head's): each row's out-of-fold vector
    # is nearer its full-fit vector than the full-fit vectors are to their
    # mean (independently trained networks: ~1.4 times)
    dist = np.linalg.norm(oof[:, ident] - full[:, ident], axis=1).mean()
    spread = np.linalg.norm(full[:, ident] - full[:, ident].mean(axis=0), axis=1).mean()
    assert dist < 0.6 * spread, (dist, spread)
    # transform after fit equals transform after fit_transform (same refit)
    np.testing.assert_array_equal(clone(enc).fit(X, y).transform(X), full)
    none = clone(enc).set_params(cv=None)
    np.testing.assert_array_equal(none.fit_transform(X, y), none.transform(X))
    # a splitter or explicit folds work too; classification is stratified
    from sklearn.model_selection import KFold

    enc.set_params(cv=KFold(2)).fit_transform(X, y)
    folds = [(np.arange(300, 600), np.arange(300)), (np.arange(300), np.arange(300, 600))]
    enc.set_params(cv=folds).fit_transform(X, y)
    enc.set_params(cv=3).fit_transform(X, (y > 1.5).astype(int))


@pytest.mark.parametrize("smoothing, big", [(3.0, 97), (100.0, 30)])
def test_categories_of_many_rows_encode_their_training_rows_alike(smoothing, big):
    """A category with at least 30 training rows, each weighing at most 1 % of
    its fit (rows + smoothing >= 100), encodes them by its full-data
    embedding (fold-to-fold differences would be noise opposite to each
    fold's targets); a category one row short, out of fold."""
    from skembed.entity.crossfit import FULL_FIT_MAX_OWN_WEIGHT, FULL_FIT_MIN_ROWS

    assert big == max(FULL_FIT_MIN_ROWS, 1 / FULL_FIT_MAX_OWN_WEIGHT - smoothing)
    rng = np.random.RandomState(0)
    rest = np.char.add("k", rng.randint(0, 40, 600).astype(str))
    cat = np.concatenate([["big"] * big, ["small"] * (big - 1), rest])
    effect = dict(zip(np.unique(cat), rng.normal(0, 1, len(np.unique(cat))), strict=True))
    y = np.array([effect[c] for c in cat]) + rng.normal(0, 1, len(cat))
    X = pd.DataFrame({"c": cat})
    enc = EntityEmbeddingEncoder(embedding_dims=2, smoothing=smoothing, random_state=0,
                                 **FAST)
    oof = enc.fit_transform(X, y)
    full = enc.transform(X)
    is_big, is_small = cat == "big", cat == "small"
    np.testing.assert_array_equal(oof[is_big], full[is_big])
    # five folds: the small category's rows take five different vectors
    assert len(np.unique(oof[is_small], axis=0)) == 5
    assert not np.allclose(oof[is_small], full[is_small])


def test_encoder_task_auto():
    X, y, _ = planted(n=300)
    kw = dict(FAST, max_iter=1)
    assert EntityEmbeddingEncoder(**kw).fit(X[["shop"]], y).task_ == "regression"
    assert EntityEmbeddingEncoder(**kw).fit(X[["shop"]], y > 0).task_ == "binary"
    y3 = np.digitize(y, [-1, 1])
    enc = EntityEmbeddingEncoder(**kw).fit(X[["shop"]], y3)
    assert enc.task_ == "multiclass" and list(enc.classes_) == [0, 1, 2]
    with pytest.raises(ValueError, match="binary"):
        EntityEmbeddingEncoder(task="binary", **kw).fit(X[["shop"]], y3)


def test_set_output_pandas():
    X, y, _ = planted(n=300)
    enc = EntityEmbeddingEncoder(embedding_dims={"shop": 2}, **dict(FAST, max_iter=1))
    enc.set_output(transform="pandas")
    out = enc.fit(X[["shop"]], y).transform(X[["shop"]])
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["shop_emb0", "shop_emb1"]
    plain = EntityEmbeddingEncoder(embedding_dims=2, **dict(FAST, max_iter=1)).fit(
        X[["shop"]].to_numpy(), y)
    assert list(plain.get_feature_names_out()) == ["x0_emb0", "x0_emb1"]
    assert list(plain.get_feature_names_out(["store"])) == ["store_emb0", "store_emb1"]


def test_column_transformer_pipeline_grid_search():
    X, y, _ = planted(n=500)
    pipe = Pipeline([
        ("pre", ColumnTransformer([
            ("emb", EntityEmbeddingEncoder(random_state=0, **dict(FAST, max_iter=5)),
             ["shop"]),
            ("num", "passthrough", ["num"]),
        ])),
        ("ridge", Ridge()),
    ])
    grid = GridSearchCV(pipe, {"pre__emb__embedding_dims": [1, 3]}, cv=2).fit(X, y)
    assert grid.best_score_ > 0.9
    assert list(grid.best_estimator_[:-1].get_feature_names_out())[-1] == "num__num"




# -- substrings ---------------------------------------------------------------------
def _titles(n, seed, n_per_family=30):
    """Job titles of two families, one paid +2, one -2; most titles are rare,
    so only their spelling tells their family."""
    rng = np.random.RandomState(seed)
    titles = np.array([f"police officer {i}" for i in range(n_per_family)]
                      + [f"library aide {i}" for i in range(n_per_family)], dtype=object)
    title = rng.choice(titles, n)
    y = np.where(np.char.startswith(title.astype(str), "police"), 2.0, -2.0)
    return pd.DataFrame({"title": title}), y + rng.normal(0, 0.3, n)


def test_unseen_categories_are_placed_by_their_spelling():
    """A title never seen in training lands with its family through its
    character n-grams; without substrings it gets the shared row."""
    X, y = _titles(600, 0)
    new = pd.DataFrame({"title": ["police officer 77", "library aide 77"]})
    reg = EntityEmbeddingRegressor(hidden_layer_sizes=(16,), random_state=0).fit(X, y)
    assert reg._categories[0].n_ngrams > 0  # 60 titles > 40: "auto" turns them on
    pred = reg.predict(new)
    assert pred[0] > 1.0 and pred[1] < -1.0
    plain = EntityEmbeddingRegressor(hidden_layer_sizes=(16,), substrings=False,
                                     random_state=0).fit(X, y)
    assert plain._categories[0].n_ngrams == 0
    assert abs(plain.predict(new)[0] - plain.predict(new)[1]) < 1.0
    # the encoder's unseen values too: their embeddings differ by family
    enc = EntityEmbeddingEncoder(embedding_dims=2, random_state=0).fit(X, y)
    Z = enc.transform(new)
    fam = enc.transform(X.iloc[:200])
    police = np.char.startswith(X["title"].iloc[:200].to_numpy().astype(str), "police")
    d_police = np.linalg.norm(Z[0] - fam[police].mean(axis=0))
    d_library = np.linalg.norm(Z[0] - fam[~police].mean(axis=0))
    assert d_police < d_library


def test_substrings_only_for_strings_and_many_categories():
    """"auto": strings with more than 40 distinct values, not integers, and
    not numbers written as strings with 10 or more rows each (store numbers:
    their own rows know them) while rare ones (a survey's ZIP codes) keep
    their digits' n-grams; substrings=True adds the short column and the
    frequent codes."""
    rng = np.random.RandomState(0)
    item, zips = rng.randint(0, 100, 600), rng.randint(10_000, 10_500, 600)
    X = pd.DataFrame({"few": rng.choice([f"red car {i}" for i in range(20)], 600),
                      "codes": rng.randint(0, 100, 600),  # integers: no spelling
                      "many": [f"item {i}" for i in item],
                      "stores": [f"{z}" for z in rng.randint(1000, 1050, 600)],
                      "zips": [f"{z:05d}" for z in zips]})
    # the rare names' spelling says something (an item's last digit, a ZIP
    # code's prefix), which the held-out test of "auto" asks of them
    y = item % 2 + (zips // 100 - 100) + rng.normal(0, 0.1, 600)
    enc = EntityEmbeddingEncoder(embedding_dims=2, max_iter=1, random_state=0).fit(X, y)
    assert [c.n_ngrams > 0 for c in enc._categories] == [False, False, True, False, True]
    forced = clone(enc).set_params(substrings=True).fit(X, y)
    assert [c.n_ngrams > 0 for c in forced._categories] == [True, False, True, True, True]


def test_row_ids_lose_their_ngrams_where_spelling_says_nothing():
    """substrings="auto" keeps the n-grams of a column of rare names only
    where they predict the target of names held out of the n-grams' fit: row
    ids ("row123", "77012") learn nothing but their own rows' noise, while
    unique names whose words carry the target keep them; an explicit
    substrings=True keeps every column's."""
    from skembed.entity.spelling import spelling_predicts

    rng = np.random.RandomState(0)
    n = 3000
    word = rng.choice(["alpha", "omega"], n)
    X = pd.DataFrame({
        "row": [f"row{i}" for i in rng.permutation(n)],
        "digits": [f"{77000 + i}" for i in rng.permutation(n)],
        "name": [f"{w} {i}" for w, i in zip(word, rng.permutation(n), strict=True)]})
    y = (word == "alpha") * 2.0 + rng.normal(0, 0.5, n)
    enc = EntityEmbeddingEncoder(max_iter=1, random_state=0).fit(X, y)
    assert [c.n_ngrams > 0 for c in enc._categories] == [False, False, True]
    forced = clone(enc).set_params(substrings=True).fit(X, y)
    assert all(c.n_ngrams > 0 for c in forced._categories)
    clf = EntityEmbeddingClassifier(max_iter=1, random_state=0).fit(X, word)  # classes too
    assert [c.n_ngrams > 0 for c in clf._categories] == [False, False, True]
    # the test itself: one n-gram per category, carrying the target or not
    indptr, grams = np.arange(3001), np.arange(3000) % 300
    counts = np.ones(3000)
    signal = (grams % 2 == 0)[:, None] * 1.0 + rng.normal(0, 0.5, (3000, 1))
    assert spelling_predicts(indptr, grams, 300, counts, signal)
    for seed in range(3):
        noise = np.random.RandomState(seed).normal(size=(3000, 1))
        assert not spelling_predicts(indptr, grams, 300, counts, noise)
    # a faint signal (host ids whose digits tell a little): cutting the held-out
    # error by 0.7 % does not pay for n-gram rows, which carry every row's own
    # target into a stacked model a little; 2.2 % does
    indptr, grams, counts = np.arange(30_001), np.arange(30_000) % 2, np.ones(30_000)
    for half, kept in ((0.085, False), (0.15, True)):
        for seed in range(3):
            y = (np.where(grams == 0, half, -half)
                 + np.random.RandomState(seed).normal(size=30_000))[:, None]
            assert spelling_predicts(indptr, grams, 2, counts, y) is kept


def test_repeated_ids_lose_their_ngrams_where_spelling_says_nothing():
    """The held-out spelling test also runs on columns of frequent names: tail
    numbers seen 20 times each, whose effects have nothing to do with their
    spelling, lose their n-grams (rows that every row trained, which each
    tail's out-of-fold vector would lean on), while job titles seen 40 times
    each, whose words tell their family, keep theirs."""
    rng = np.random.RandomState(0)
    n = 4000
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    tails = pd.unique(np.array([f"N{rng.randint(100, 10000)}{''.join(rng.choice(letters, 2))}"
                                for _ in range(200)], dtype=object))
    tail = rng.randint(0, len(tails), n)
    family, k = rng.randint(0, 2, n), rng.randint(0, 50, n)
    title = np.where(family == 1, [f"police officer {i}" for i in k],
                     [f"library aide {i}" for i in k])
    y = rng.normal(0, 1, len(tails))[tail] + 2.0 * family + rng.normal(0, 0.5, n)
    X = pd.DataFrame({"tail": tails[tail], "title": title})
    enc = EntityEmbeddingEncoder(max_iter=1, random_state=0).fit(X, y)
    assert [len(c.categories) for c in enc._categories] == [200, 100]
    assert [c.n_ngrams > 0 for c in enc._categories] == [False, True]
    forced = clone(enc).set_params(substrings=True).fit(X, y)
    assert all(c.n_ngrams > 0 for c in forced._categories)


def test_a_category_seen_in_one_fold_only_gets_its_prior_out_of_fold():
    """Cross-fitting: rows of a category absent from the other folds are
    encoded by the category's prior (the shared row plus its n-grams), as a
    target encoding gives them the global mean."""
    X, y = _titles(800, 1)
    X.loc[:3, "title"] = "~~"  # 4 rows of one category, spelt like no other
    folds = [(np.arange(4, 800), np.arange(0, 400)), (np.arange(0, 400), np.arange(400, 800))]
    enc = EntityEmbeddingEncoder(embedding_dims=3, cv=folds, random_state=0)
    oof = enc.fit_transform(X, y)
    prior = enc.transform(pd.DataFrame({"title": ["~"]}))
    # "~~" shares no n-gram with other titles: its prior is the shared row, the
    # same as any other value without known n-grams
    np.testing.assert_allclose(oof[:4], np.repeat(prior, 4, axis=0), rtol=1e-5, atol=1e-6)
    full = enc.transform(X.iloc[:4])
    assert not np.allclose(full[0], prior[0])  # the full fit knows it


def test_unique_names_do_not_carry_their_own_targets_through_their_ngrams():
    """A name seen once gets its prior out of fold, the shared row plus the
    mean of its n-gram rows, which its own row trained with every other
    name containing them: unique names of three random words (street
    addresses, one per sale) with a target of pure noise correlate with their
    own targets out of fold along the axis the output follows (0.14-0.23)
    unless the n-gram rows are left out of the fold too, and would be pushed
    past zero (-0.58 to 0.52) if the converged fit's step were taken whole."""
    import skembed.entity.crossfit as crossfit

    rng = np.random.RandomState(0)
    words = [f"{a}{b}{c}" for a in "bcdfgklmnprstvz" for b in "aeiou" for c in "xqwj"][:400]
    names = pd.unique(np.array([" ".join(rng.choice(words, 3, replace=False))
                                for _ in range(1500)], dtype=object))
    X = pd.DataFrame({"name": names})
    y = rng.normal(size=len(names))

    def first_axis(seed):
        oof = EntityEmbeddingEncoder(substrings=True, random_state=seed,
                                     n_jobs=1).fit_transform(X, y)
        assert oof.shape == (len(X), 3)
        return abs(np.corrcoef(oof[:, 0], y)[0, 1])

    assert max(first_axis(seed) for seed in range(3)) < 0.05
    old = crossfit.NGRAM_LEAVE_FOLD_OUT
    try:  # the same names without the n-gram rows left out: the leak is there
        crossfit.NGRAM_LEAVE_FOLD_OUT = False
        assert first_axis(2) > 0.15
    finally:
        crossfit.NGRAM_LEAVE_FOLD_OUT = old


# -- skrub --------------------------------------------------------------------------
def test_skrub_table_vectorizer_high_cardinality():
    """The encoder as skrub's high-cardinality transformer: one column in,
    named columns out, missing and unseen values handled, pandas or polars."""
    skrub = pytest.importorskip("skrub")
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.pipeline import make_pipeline

    X, y = _titles(600, 2)
    X["title"] = X["title"].where(np.arange(600) % 50 != 0, None)
    X["dept"] = np.random.RandomState(0).choice(list("abc"), 600)
    X["x"] = np.random.RandomState(1).normal(size=600)
    tv = skrub.TableVectorizer(high_cardinality=EntityEmbeddingEncoder(
        embedding_dims=3, random_state=0))
    out = tv.fit_transform(X, y)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns[:3]) == ["title_emb0", "title_emb1", "title_emb2"]
    assert np.isfinite(out.to_numpy(dtype=float)).all()
    new = X.iloc[:3].assign(title=["police officer 99", None, "brand new"])
    assert np.isfinite(tv.transform(new).to_numpy(dtype=float)).all()
    pipe = make_pipeline(tv, HistGradientBoostingRegressor(max_iter=50)).fit(X, y)
    Xt, yt = _titles(300, 3)
    Xt["dept"], Xt["x"] = "a", 0.0
    assert pipe.score(Xt, yt) > 0.8
    pl = pytest.importorskip("polars")
    out_pl = tv.fit_transform(pl.from_pandas(X), y)
    assert isinstance(out_pl, pl.DataFrame) and out_pl.columns[:3] == list(out.columns[:3])


@pytest.mark.parametrize("y", [[1.5, 2.0, 3.0], ["a", "b", "c"]])
def test_fewer_rows_than_folds_names_cv(y):
    """Three rows and five folds: the error names the encoder's cv and the ways
    out, not scikit-learn's KFold."""
    X = pd.DataFrame({"c": ["x", "y", "x"]})
    with pytest.raises(ValueError, match=r"cv=5 .* only 3 samples.*cv=None"):
        EntityEmbeddingEncoder(**FAST).fit_transform(X, y)
    assert EntityEmbeddingEncoder(**FAST, cv=None).fit_transform(X, y).shape[0] == 3


def test_substring_rows_are_the_bottom_k_known_ngrams():
    """Each name keeps the rows of its known n-grams of smallest hash, at most
    ``max_per_category`` of them, in hash order: the merge of a name's
    ascending hashes with the vocabulary agrees with a per-hash lookup."""
    from skembed.entity.substrings import SubstringVocabulary, ngram_hashes

    rng = np.random.RandomState(0)
    words = ["".join(rng.choice(list("abcdef"), rng.randint(1, 9))) for _ in range(60)]
    names = [" ".join(rng.choice(words, rng.randint(1, 5))) for _ in range(300)]
    for k in (1, 4, 32):
        voc = SubstringVocabulary(max_per_category=k)
        fitted = voc.fit_matrix(names[:200])
        assert np.all(np.diff(voc.hashes) > 0)
        for part, (indptr, rows) in ((names[:200], fitted),  # fitted names, new ones
                                     (names[200:], voc.matrix(names[200:]))):
            ip, hashes = ngram_hashes(part)
            for i in range(len(part)):
                own = hashes[ip[i]:ip[i + 1]]
                known = np.flatnonzero(np.isin(voc.hashes, own))[:k]
                assert np.array_equal(rows[indptr[i]:indptr[i + 1]], known)


def test_long_strings_keep_most_of_their_ngrams():
    """A column of a few hundred texts keeps up to 256 n-grams per text (a
    column of 50,000 names 32 each), so a word planted in long texts is not
    lost from their sketch: here a word none of whose n-grams is among the
    32 smallest hashes of any text, which a sketch of 32 would never hold;
    its texts are told apart from the others on new texts."""
    import itertools

    from skembed.entity.categories import ngrams_per_category
    from skembed.entity.substrings import ngram_hashes

    assert [ngrams_per_category(n) for n in (1, 900, 2_000, 50_000)] == [256, 256, 125, 32]
    rng = np.random.RandomState(0)
    filler = ["".join(rng.choice(list("abcdefghijklmnop"), 6)) for _ in range(300)]
    ptr, hashes = ngram_hashes([" ".join(rng.choice(filler, 10)) for _ in range(300)])
    bound = max(np.sort(hashes[a:b])[31] for a, b in itertools.pairwise(ptr))
    word = next(w for w in map("".join, itertools.product("qrstuvwxyz", repeat=3))
                if ngram_hashes([w])[1].min() > bound)

    def texts(n):
        y = rng.rand(n) < 0.5
        docs = []
        for flag in y:
            words = list(rng.choice(filler, 10))
            if flag:
                words.insert(rng.randint(11), word)
            docs.append(" ".join(words))
        return pd.DataFrame({"text": docs}), y.astype(float)

    X, y = texts(400)
    enc = EntityEmbeddingEncoder(**{**FAST, "max_iter": 40}, cv=None).fit(X, y)
    X_new, y_new = texts(200)
    Z = enc.transform(X_new)
    auc = [np.mean(z[y_new == 1][:, None] > z[y_new == 0][None, :]) for z in Z.T]
    assert max(max(auc), 1 - min(auc)) > 0.9


def _coded(n, rng):
    """A code (1 to 4 digits, mostly seen once) whose magnitude drives the
    target, beside a two-valued category."""
    code = rng.randint(1, 5000, n)
    X = pd.DataFrame({"code": code.astype(str), "kind": rng.choice(list("ab"), n)})
    y = np.sqrt(code / 5000) * 4 + (X["kind"] == "a") + rng.normal(0, 0.3, n)
    return X, y


@pytest.mark.parametrize("model", ["encoder", "regressor"])
def test_numbers_written_as_categories_keep_their_order(model):
    """numeric_values="auto": a column of numbers written as strings also goes
    in as its number, so that new codes between known ones are placed by
    magnitude (planted: R^2 0.91 on new rows, 0.67 with embeddings alone)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.RandomState(0)
    X, y = _coded(1500, rng)
    X_new, y_new = _coded(1000, rng)
    scores = {}
    for flag in ("auto", False):
        if model == "encoder":
            est = Pipeline([("enc", EntityEmbeddingEncoder(numeric_values=flag,
                                                           random_state=0, **FAST)),
                            ("hgb", HistGradientBoostingRegressor(random_state=0))])
            fitted = est.fit(X, y)[0]
        else:
            est = fitted = EntityEmbeddingRegressor(numeric_values=flag, random_state=0,
                                                    max_iter=30).fit(X, y)
        assert fitted.numeric_values_.tolist() == [flag == "auto", False]
        scores[flag] = est.score(X_new, y_new)
    assert scores["auto"] > 0.85 and scores["auto"] > scores[False] + 0.1


@pytest.mark.parametrize("n_numbers, n_words", [(9000, 1000), (8999, 1001), (3, 0),
                                                 (2, 0), (0, 5000), (4000, 100)])
def test_reading_as_numbers_stops_early_but_exactly(n_numbers, n_words):
    """The detection reads a growing prefix of the distinct values and stops
    once more of them fail than 10 % allows: the same answer as reading all
    (here at the 90 % boundary, with the words first or last)."""
    from skembed.entity.values import value_kind

    values = [str(i) for i in range(n_numbers)] + [f"w{i}" for i in range(n_words)]
    share = n_numbers / max(n_numbers + n_words, 1)
    expected = n_numbers + n_words > 2 and share >= 0.9
    assert (value_kind(values) == "number") == expected
    assert (value_kind(values[::-1]) == "number") == expected
    assert (value_kind(values + [None, np.nan]) == "number") == expected


@pytest.mark.parametrize("values, kind", [
    (["2019-03-23 20:21:09", "2019-03-24 10:00:00", "2019-04-01"], "date"),
    (["2019-03-23T20:21:09Z", "2019-03-24T10:00:00+01:00", "2020-01-01"], "date"),
    (["09/22/1986", "01/02/2000", "12/31/1999", None], "date"),
    (pd.Series(pd.date_range("2020-01-01", periods=5, freq="D")), "date"),
    (["January", "February", "March", "May"], "month"),  # not dates: their place
    (["jan", "FEB", " Mar ", None], "month"),
    (["Monday", "Tuesday", "Friday"], "weekday"),
    (["mon", "tue", "sat", "sun"], "weekday"),
    (["May", "June", "Monday"], None),  # months and days mixed
    (["Mayday", "June", "July"], None),
    (["1", "2", "3"], "number"),
    (["20190323", "20190324", "20190325"], "number"),  # digits: a number first
    (["2019-03-23", "2019-03-24"], None),  # two values: a flag
    (["a1/2/3", "b", "c"], None),
    (["1.2.3", "1.10.2", "2.0.1"], None),  # versions: no four-digit year
    (["22.09.1986", "01.02.2000", "31.12.1999"], "date"),
])
def test_value_kind_reads_numbers_and_dates(values, kind):
    """Dates are read from strings in the usual layouts (ISO with or without
    time and zone, month/day/year) and datetime columns; month and weekday
    names (which a lenient date parser would also take) as their place in the
    year or week."""
    from skembed.entity.values import value_kind

    assert value_kind(values) == kind


def test_dates_written_as_strings_read_as_days_without_ngrams():
    """A column of timestamps written as strings (one per row, as a trip's
    pickup time) gets no n-gram rows: its digits spell an instant, whose
    number (days since 1970) goes out as `<feature>_value`, while its n-grams
    would learn the training rows' own targets.  Out of fold, every such row
    gets the shared row: the encoding of the column carries nothing of y,
    which its number carries (a trend over the month)."""
    rng = np.random.RandomState(0)
    n = 600
    hours = rng.permutation(n)
    stamps = pd.Timestamp("2019-03-01") + pd.to_timedelta(hours * 3_600, unit="s")
    X = pd.DataFrame({"pickup": stamps.strftime("%Y-%m-%d %H:%M:%S"),
                      "kind": rng.choice(list("abcd"), n)})
    y = rng.normal(size=n) + (X["kind"] == "a") + 2.0 * hours / n
    enc = EntityEmbeddingEncoder(random_state=0, **FAST)
    oof = enc.fit_transform(X, y)
    assert [c.n_ngrams for c in enc._categories] == [0, 0]
    assert enc.numeric_values_.tolist() == [True, False]
    names = list(enc.get_feature_names_out())
    assert names[-3:] == ["pickup_value", "pickup_hour", "pickup_weekday"]
    d = enc.embedding_dims_[0]
    assert np.ptp(oof[:, :d], axis=0).max() < 1e-6  # the shared row for every row
    days = ((stamps - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy()
    z = enc.transform(X)[:, -3]
    np.testing.assert_allclose(z, (days - days.mean()) / days.std(), rtol=1e-4, atol=1e-4)
    # a date never seen reads as its number too; a value that is no date: NaN
    new = enc.transform(pd.DataFrame({"pickup": ["2030-01-01 00:00:00", "soon"],
                                      "kind": ["a", "a"]}))[:, -3]
    assert new[0] > z.max() and np.isnan(new[1])
    # a datetime column reads alike
    dt = EntityEmbeddingEncoder(random_state=0, **FAST).fit(X.assign(pickup=stamps), y)
    np.testing.assert_allclose(dt.transform(X.assign(pickup=stamps))[:, -3:],
                               enc.transform(X)[:, -3:], rtol=1e-5, atol=1e-5)


def test_instants_give_their_hour_and_weekday_to_a_stacked_model():
    """A column of instants (dates with a time of day) goes out with its hour
    of the day and its day of the week (1-7 from Monday) beside its embedding
    and number: a target set by the time of day (searches at night) is out of
    reach of a tree splitting a timestamp spread over months, and within
    reach of one splitting the hour.  Dates without a time of day get
    neither; a missing or unreadable instant reads as missing in both."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score

    rng = np.random.RandomState(0)
    n = 2000
    minutes = rng.randint(0, 120 * 24 * 60, n)
    stamps = pd.Timestamp("2019-03-01") + pd.to_timedelta(minutes, unit="min")
    hour = stamps.hour + stamps.minute / 60
    X = pd.DataFrame({"stop": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "day": stamps.strftime("%Y-%m-%d"),
                      "area": rng.choice(list("abcd"), n)})
    y = np.where((hour < 5) ^ (rng.rand(n) < 0.1), "searched", "not")
    enc = EntityEmbeddingEncoder(random_state=0, **FAST).fit(X, y)
    names = list(enc.get_feature_names_out())
    assert "stop_hour" in names and "stop_weekday" in names
    assert not any(name.startswith("day_") and name.endswith(("hour", "weekday"))
                   for name in names)
    Z = enc.transform(X)
    h, wd = Z[:, names.index("stop_hour")], Z[:, names.index("stop_weekday")]
    assert np.corrcoef(h, hour)[0, 1] > 1 - 1e-6
    assert np.corrcoef(wd, stamps.day_of_week)[0, 1] > 1 - 1e-6
    new = enc.transform(X.iloc[:2].assign(stop=[None, "later"]))
    assert np.isnan(new[:, [names.index("stop_hour"), names.index("stop_weekday")]]).all()
    # HGB on the encoder reads the time of day; on the number alone it cannot
    pipe = Pipeline([("enc", EntityEmbeddingEncoder(random_state=0, **FAST)),
                     ("hgb", HistGradientBoostingClassifier(random_state=0))])
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.85
    days = ((stamps - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy()
    no_parts = cross_val_score(HistGradientBoostingClassifier(random_state=0),
                               days[:, None], y, cv=3).mean()
    assert no_parts < 0.8


def test_values_seen_once_share_the_infrequent_row_where_nearly_every_value_is_unique():
    """A column of numbers or dates of nearly one row per value, without
    n-grams (timestamps): values seen once share the infrequent row instead of
    learning their one row's target; repeated values keep their rows, and so
    do other columns and ids written as strings (a host seen once may list
    again)."""
    rng = np.random.RandomState(0)
    n = 800
    stamps = pd.Timestamp("2019-03-01") + pd.to_timedelta(rng.permutation(n) * 60, unit="s")
    stamp = stamps.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
    stamp[:20] = stamp[20:40]  # twenty values seen twice
    X = pd.DataFrame({"stamp": stamp, "kind": rng.choice(list("abcd"), n),
                      "row": [f"row{i}" for i in rng.permutation(n)],
                      "code": [str(i) for i in rng.permutation(n)]})
    y = rng.normal(size=n) + 2.0 * (X["kind"] == "a")
    enc = EntityEmbeddingEncoder(random_state=0, **FAST).fit(X, y)
    stamp_cats, kind_cats, row_cats, code_cats = enc._categories
    assert stamp_cats.n_ngrams == row_cats.n_ngrams == code_cats.n_ngrams == 0
    assert stamp_cats.infrequent[stamp_cats.counts == 1].all()
    assert not stamp_cats.infrequent[stamp_cats.counts == 2].any()
    assert stamp_cats.n_own_rows == 21 and code_cats.n_own_rows == 1
    assert len(enc.infrequent_categories_[0]) == n - 40
    assert not kind_cats.infrequent.any() and not row_cats.infrequent.any()
    # two rows per value: untouched
    twice = EntityEmbeddingEncoder(random_state=0, **FAST).fit(
        pd.DataFrame({"v": np.repeat(np.arange(n // 2), 2).astype(str)}), np.tile(y[:2], n // 2))
    assert not twice._categories[0].infrequent.any()


def test_day_first_dates_read_as_days():
    """Dates written day first ("13/05/2016", as in Europe and Australia) read
    as dates: the order whose reading parses more of the values, month first
    where both read all of them (pandas' default)."""
    from skembed.entity.values import _days, distinct_kind

    days = pd.date_range("2016-01-01", "2017-12-31", freq="5D")
    text = np.asarray([f"{d.day}/{d.month:02d}/{d.year}" for d in days], dtype=object)
    assert distinct_kind(text) == "date"
    expect = ((days - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy()
    np.testing.assert_array_equal(_days(text), expect)
    # both orders read every value: month first
    np.testing.assert_array_equal(_days(["4/02/2016", "5/03/2016"]),
                                  [16893.0, 16924.0])  # 2016-04-02, 2016-05-03
    # day first in a frame: the number goes out beside the embedding
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"date": rng.choice(text, 600)})
    y = rng.normal(size=600)
    enc = EntityEmbeddingEncoder(numeric_values=True, random_state=0, **FAST).fit(X, y)
    assert enc.get_feature_names_out()[-1] == "date_value"
    assert np.isfinite(enc.transform(X)[:, -1]).all()


def test_month_names_go_out_as_their_number_and_reach_unseen_months():
    """A column of month names (a time split: training on January to April)
    goes out as its month number beside its embedding, so that a model
    stacked on the encoder places May beside April, where the shared row of
    an unseen category would not; weekday names read as 1-7 from Monday."""
    rng = np.random.RandomState(0)
    months = np.array(["January", "February", "March", "April"])
    n = 800
    m = rng.randint(4, size=n)
    X = pd.DataFrame({"month": months[m], "day": rng.choice(
        ["Mon", "tue", "WED", "Thursday", "fri", "Sat", "sun"], n)})
    y = m + 0.1 * rng.normal(size=n)
    enc = EntityEmbeddingEncoder(random_state=0, **FAST).fit(X, y)
    assert enc.numeric_values_.tolist() == [True, True]
    names = list(enc.get_feature_names_out())
    assert names[-2:] == ["month_value", "day_value"]
    new = enc.transform(pd.DataFrame({"month": ["january", "April", "May", "Smarch"],
                                      "day": ["Mon", "Sunday", "mon", "Fri"]}))
    month = new[:, -2] * m.std() + (m + 1).mean()  # undo the standardisation
    np.testing.assert_allclose(month[:3], [1, 4, 5], atol=1e-4)
    assert np.isnan(month[3])
    day = new[:, -1]
    assert day[0] == day[2] < day[3] < day[1]  # Monday < Friday < Sunday
    # downstream, an unseen May sits with April, not with the unseen row
    from sklearn.tree import DecisionTreeRegressor

    tree = DecisionTreeRegressor(max_depth=3).fit(enc.transform(X)[:, -2:-1], y)
    assert tree.predict(new[2:3, -2:-1])[0] > 2.5


def test_unseen_values_take_the_nearest_known_value_where_order_carries_the_embedding():
    """A time split: hours 0-15 in training, 16-23 later.  Hour drives the
    target smoothly, so neighbours in value are neighbours in embedding and
    an unseen hour takes the embedding of the nearest known one (the last
    seen, 15; 7.0 between 6 and 8 in a float column takes the lower, 6),
    which a stacked model met on training rows; the shared row it had before
    is not one.  A column of codes whose order means nothing (a random
    effect per code) keeps the shared row for unseen codes, and so does the
    network as a predictor (it learned the shared row for unseen values)."""
    rng = np.random.RandomState(0)
    n = 3000
    hour = rng.randint(16, size=n)
    code = rng.randint(100, 140, size=n)
    effect = rng.normal(size=140)
    X = pd.DataFrame({"hour": hour.astype(str), "code": code,
                      "even": (2.0 * rng.randint(8, size=n))})
    y = np.sin(hour / 5.0) + effect[code] + 0.3 * X["even"] + 0.1 * rng.normal(size=n)
    enc = EntityEmbeddingEncoder(random_state=0, **FAST).fit(X, y)
    hours, codes, evens = enc._categories
    assert hours.anchors is not None and codes.anchors is None
    assert evens.anchors is not None  # 0, 2, ..., 14 read as numbers
    new = pd.DataFrame({"hour": ["15", "16", "23", "3", "x"], "code": [100, 140, 141, 100, 7],
                        "even": [14.0, 7.0, 6.0, 16.0, 2.0]})
    out = enc.transform(new)
    h = slice(0, enc.embedding_dims_[0])
    np.testing.assert_array_equal(out[1, h], out[0, h])  # 16 -> 15
    np.testing.assert_array_equal(out[2, h], out[0, h])  # 23 -> 15
    assert not np.allclose(out[3, h], out[0, h])
    shared = enc.transform(pd.DataFrame({"hour": ["x"], "code": [999], "even": [np.nan]}))
    np.testing.assert_array_equal(out[4, h], shared[0, h])  # not a number: shared row
    c = slice(enc.embedding_dims_[0], sum(enc.embedding_dims_[:2]))
    np.testing.assert_array_equal(out[1, c], shared[0, c])  # unseen code: shared row
    np.testing.assert_array_equal(out[2, c], shared[0, c])
    e = slice(sum(enc.embedding_dims_[:2]), sum(enc.embedding_dims_))
    np.testing.assert_array_equal(out[1, e], out[2, e])  # 7.0 between 6 and 8: 6
    np.testing.assert_array_equal(out[3, e], out[0, e])  # 16 -> 14
    # the regressor predicts unseen values from the shared row; its encoder_
    # (for stacking) places them by value
    reg = EntityEmbeddingRegressor(categorical_features=[0, 1, 2], random_state=0,
                                   n_networks=1, **FAST).fit(X, y)
    pred = reg.predict(pd.DataFrame({"hour": ["16", "17"], "code": [100, 100],
                                     "even": [2.0, 2.0]}))
    assert pred[0] == pred[1]  # both the shared row
    stacked = reg.encoder_.transform(new)
    np.testing.assert_array_equal(stacked[1, h], stacked[0, h])


def test_a_value_whose_order_predicts_nothing_stays_out():
    """numeric_values="auto" and rare categories (a timestamp per row): the
    value goes out only where held-out categories' targets follow it (a
    trend over the dates), not for instants that say nothing of the target,
    which a stacked tree would split as noise; categories with many rows
    keep it whatever it predicts (it names them, as an ordinal code)."""
    rng = np.random.RandomState(0)
    n = 1500
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.permutation(n) * 37, "min")
    noise = rng.normal(size=n)
    stores = rng.randint(1000, 1030, size=n)  # 50 rows each, effects unrelated to order
    X = pd.DataFrame({"when": days.astype(str), "store": stores.astype(str)})
    enc = EntityEmbeddingEncoder(random_state=0, **FAST).fit(X, noise)
    assert enc.numeric_values_.tolist() == [False, True]
    # the instants' hour and weekday go out whatever (as skrub's DatetimeEncoder)
    assert list(enc.get_feature_names_out())[-3:] == ["store_value", "when_hour",
                                                      "when_weekday"]
    trend = (days - days.min()).days.to_numpy() / 10.0 + 0.3 * noise
    enc = EntityEmbeddingEncoder(random_state=0, **FAST).fit(X, trend)
    assert enc.numeric_values_.tolist() == [True, True]
    assert enc.transform(X).shape[1] == sum(enc.embedding_dims_) + 2 + 2
    # numeric_values=True keeps every readable column
    enc = EntityEmbeddingEncoder(random_state=0, numeric_values=True, **FAST).fit(X, noise)
    assert enc.numeric_values_.tolist() == [True, True]


def test_numeric_values_detection_and_output():
    """Which columns read as numbers ("auto": more than two distinct values,
    at least 90 % of them numbers), the value columns' names and contents
    (NaN for a missing value or one that is not a number), and the switch."""
    rng = np.random.RandomState(0)
    n = 200
    zips = rng.choice([f"{z:05d}" for z in range(10_000, 10_030)] + ["unknown"], n)
    X = pd.DataFrame({"zip": zips, "ints": rng.randint(0, 5, n),
                      "two": rng.choice(["0", "1"], n),
                      "word": rng.choice(list("abcd"), n),
                      "half": rng.choice(["1", "2", "x", "y"], n)})
    X.loc[:4, "zip"] = None
    y = rng.normal(size=n)
    enc = EntityEmbeddingEncoder(random_state=0, **FAST).fit(X, y)
    assert enc.numeric_values_.tolist() == [True, True, False, False, False]
    names = enc.get_feature_names_out()
    assert names[-2:].tolist() == ["zip_value", "ints_value"]
    Z = enc.transform(X)
    assert Z.shape == (n, sum(enc.embedding_dims_) + 2)
    # standardised by the training mean and standard deviation; NaN where missing
    # or not a number
    for col, z in (("zip", Z[:, -2]), ("ints", Z[:, -1])):
        raw = pd.to_numeric(X[col], errors="coerce").to_numpy(float)
        expected = (raw - np.nanmean(raw)) / np.nanstd(raw)
        np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-6)
        assert np.array_equal(np.isnan(z), np.isnan(raw))
    out = EntityEmbeddingEncoder(random_state=0, **FAST).set_output(
        transform="pandas").fit_transform(X, y)
    assert list(out.columns) == list(names) and out["zip_value"].isna().sum() > 5
    assert not EntityEmbeddingEncoder(numeric_values=False, random_state=0,
                                      **FAST).fit(X, y).numeric_values_.any()
    # the network as a predictor takes the number only for rare categories (here
    # about 7 rows per ZIP code and 40 per integer code: "zip" only)
    reg = EntityEmbeddingRegressor(categorical_features=list(X.columns), max_iter=2,
                                   random_state=0).fit(X, y)
    assert reg.numeric_values_.tolist() == [True, False, False, False, False]
    # its encoder_ appends the same number, scaled as the network took it
    z = reg.encoder_.transform(X)[:, -1]
    assert reg.encoder_.get_feature_names_out()[-1] == "zip_value"
    raw = pd.to_numeric(X["zip"], errors="coerce").to_numpy(float)
    np.testing.assert_allclose(z, (raw - np.nanmean(raw)) / np.nanstd(raw), rtol=1e-5,
                               atol=1e-6)
    # True: every column of which some value reads as a number; the words get
    # none (a column of NaN only, which HistGradientBoosting cannot bin)
    forced = EntityEmbeddingEncoder(numeric_values=True, random_state=0, **FAST).fit(X, y)
    assert forced.numeric_values_.tolist() == [True, True, True, False, True]
    from sklearn.ensemble import HistGradientBoostingRegressor

    HistGradientBoostingRegressor(max_iter=5).fit(forced.transform(X), y)


def test_ngram_hashes_equal_a_python_reference():
    """The compiled n-gram hashes of each name (space-padded words, FNV-1a of
    the UTF-8 bytes mixed by fmix64, distinct, ascending) equal a plain Python cut, on names
    at the bound of the hash buffer: one-letter words, runs of whitespace,
    empty and blank names, multibyte letters, a long word."""
    from skembed.entity.substrings import ngram_hashes

    def fnv(data):
        h = 0xCBF29CE484222325
        for b in data:
            h = ((h ^ b) * 0x100000001B3) % 2 ** 64
        for mult in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 1):  # MurmurHash3's fmix64
            h = ((h ^ (h >> 33)) * mult) % 2 ** 64
        return h

    def reference(name, n_min=2, n_max=4):
        out = set()
        for word in name.lower().split():
            padded = b" " + word.encode("utf-8") + b" "
            for n in range(n_min, n_max + 1):
                out.update(fnv(padded[i:i + n]) for i in range(max(len(padded) - n, 0) + 1))
                if len(padded) <= n:
                    break
        return sorted(out)

    names = ["a b c d e f", "", "   ", "x", "\tx \n y\r\n", "Crème Brûlée", "日本 語",
             "a" * 300, " ".join("ab" for _ in range(50)), "Police Officer III"]
    indptr, hashes = ngram_hashes(names)
    assert hashes.dtype == np.uint64 and len(indptr) == len(names) + 1
    for i, name in enumerate(names):
        assert hashes[indptr[i]:indptr[i + 1]].tolist() == reference(name), name


def test_substrings_on_threads_equal_one_thread():
    """Names cut into n-grams on two threads (blocks of 2,000 names) give the
    hashes, vocabulary and rows of one thread, in the same order."""
    from skembed.entity.substrings import SubstringVocabulary, ngram_hashes

    rng = np.random.RandomState(0)
    words = ["".join(rng.choice(list("abcdefgh"), rng.randint(1, 9))) for _ in range(300)]
    names = [" ".join(rng.choice(words, rng.randint(1, 5))) for _ in range(5001)]
    one, two = ngram_hashes(names), ngram_hashes(names, n_threads=2)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
    a, b = SubstringVocabulary(), SubstringVocabulary()
    rows_a, rows_b = a.fit_matrix(names), b.fit_matrix(names, n_threads=2)
    assert np.array_equal(a.hashes, b.hashes)
    assert np.array_equal(rows_a[0], rows_b[0]) and np.array_equal(rows_a[1], rows_b[1])
    assert rows_a[0][-1] > 0


@pytest.mark.parametrize("declared", [False, True])
def test_fit_reuses_the_factorisation_of_its_column(declared):
    """The entities of the fitted column come from the fit's factorisation
    (once; not pickled) and equal those encode gives the same column:
    missing values, infrequent categories, mixed types, declared dtypes."""
    import pickle

    from skembed.entity.categories import ColumnCategories

    cols = [pd.Series(["b", "a", None, "a", "c"]), pd.Series([3, 1, 2, 3]),
            pd.Series([1.0, np.nan, 2.0]), pd.Series(["x", 1, "y", 1], dtype=object),
            pd.Series(pd.Categorical(["u", "v", None], categories=["v", "w", "u"])),
            pd.Series([f"foo bar {i % 70}" for i in range(200)] + [None])]
    for col in cols:
        for min_count in (0, 2):
            cats = ColumnCategories(col, min_count, declared, substrings=len(col) > 100)
            assert "_fit_codes" not in pickle.loads(pickle.dumps(cats)).__dict__
            codes, known = cats.take_fit_codes()
            again, entities = cats.encode(col, "infrequent", "x")
            assert np.array_equal(codes, again)
            assert all(np.array_equal(a, b) for a, b in zip(known, entities, strict=True))
            assert cats.take_fit_codes() is None


@pytest.mark.parametrize("kind, width", [("regression", 3), ("binary", 3),
                                         ("multiclass", 4), ("two targets", 4)])
def test_encoder_auto_width_follows_the_outputs(kind, width):
    """embedding_dims="auto": fastai's rule capped at 3 columns per feature for
    one output, 4 for several; a feature with few categories keeps its rule."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"many": rng.randint(0, 60, 300).astype(str),
                      "two": rng.choice(["a", "b"], 300)})
    y = {"regression": rng.normal(size=300), "binary": rng.randint(0, 2, 300),
         "multiclass": rng.randint(0, 3, 300),
         "two targets": rng.normal(size=(300, 2))}[kind]
    enc = EntityEmbeddingEncoder(random_state=0, **FAST).fit(X, y)
    assert enc.embedding_dims_ == [width, 2]
    # "many" (numbers written as strings, 5 rows each) would also go out as its
    # number, but its order predicts nothing here (numeric_values="auto")
    assert enc.transform(X).shape == (300, width + 2)


def test_value_columns_of_a_batch_without_values_are_missing():
    """transform on rows whose date, month or number column is all missing:
    NaN value columns (once an IndexError on an empty set of dates)."""
    from skembed.entity.values import category_numbers

    empty = pd.Series([None, None], dtype=object)
    for kind in ("date", "month", "weekday", "number"):
        assert np.isnan(category_numbers(empty, kind)).all()
    rng = np.random.RandomState(0)
    n = 300
    X = pd.DataFrame({"day": pd.Series(pd.date_range("2020-01-01", periods=n).astype(str),
                                       dtype=object),
                      "month": rng.choice(["jan", "feb", "mar"], n)})
    trend = np.arange(n) / n + 0.1 * rng.normal(size=n)  # the days' values go out
    enc = EntityEmbeddingEncoder(random_state=0, **FAST).fit(X, trend)
    assert enc.numeric_values_.tolist() == [True, True]
    out = enc.transform(pd.DataFrame({"day": [None, None], "month": [None, None]},
                                     dtype=object))
    assert np.isnan(out[:, -2:]).all() and np.isfinite(out[:, :-2]).all()
