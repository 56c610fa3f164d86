"""Dask: fitting from partitioned data, block-wise inference, model search and
fault tolerance, on a real ``distributed.LocalCluster`` (two worker processes
with one thread each).  Skipped when dask/distributed are not installed."""

import os
import signal
import time

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")

import joblib  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from skembed import (  # noqa: E402
    Doc2VecTransformer,
    EmbeddingVectorizer,
    ItemSequenceEmbedder,
    KeyedVectors,
    NearestNeighborRecommender,
    PhraseTransformer,
    PopularityRecommender,
    SequentialRulesRecommender,
    SessionKNNRecommender,
    Word2VecTransformer,
    sequences_from_events,
)
from skembed._dask import apply_blockwise, dask_aware, is_dask_collection  # noqa: E402
from skembed.datasets import load_wiki_sample  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _series(values, npartitions, index=None):
    """A Dask Series of Python objects (lists stay lists: Dask would turn an
    object column into strings by default)."""
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(pd.Series(values, index=index, name="x"),
                              npartitions=npartitions)


def _texts():
    docs = [" ".join(d[:150]) for d in load_wiki_sample()[:120]]
    docs[7] = ""  # an empty document
    docs[30] = "!!"  # no token at all
    return docs


TEXT_PARAMS = dict(vector_size=8, epochs=2, min_count=2, n_jobs=1, random_state=0)


def _item_sequences(n=400, seed=0):
    rng = np.random.RandomState(seed)
    return [[int(i) for i in rng.randint(0, 40, rng.randint(0, 12))] for _ in range(n)]


# -- fit from Dask collections ---------------------------------------------------
@pytest.mark.parametrize("kind", ["bag", "series"])
def test_word2vec_fit_from_dask_equals_in_memory(client, kind):
    docs = _texts()
    memory = Word2VecTransformer(**TEXT_PARAMS).fit(docs)
    X = db.from_sequence(docs, npartitions=7) if kind == "bag" else _series(docs, 5)
    fitted = Word2VecTransformer(**TEXT_PARAMS).fit(X)
    # vocabulary: keys, order (frequency, ties by first occurrence) and counts
    assert fitted.wv_.index_to_key == memory.wv_.index_to_key
    np.testing.assert_array_equal(fitted.wv_.counts, memory.wv_.counts)
    # n_jobs=1 and a seed: the same vectors, bit for bit
    np.testing.assert_array_equal(fitted.wv_.vectors, memory.wv_.vectors)
    assert fitted.loss_history_ == memory.loss_history_
    assert fitted.corpus_word_count_ == memory.corpus_word_count_
    np.testing.assert_array_equal(fitted.idf_, memory.idf_)
    np.testing.assert_allclose(fitted.sif_component_, memory.sif_component_, atol=1e-6)


def test_word2vec_fit_on_a_local_scheduler_and_partial_fit(client):
    """Without the distributed client (each partition read and tokenized
    again for encoding), and online training from a second collection."""
    docs = _texts()
    memory = Word2VecTransformer(**TEXT_PARAMS).fit(docs[:60]).partial_fit(docs[60:])
    with dask.config.set(scheduler="threads"):
        fitted = Word2VecTransformer(**TEXT_PARAMS).fit(db.from_sequence(docs[:60], 4))
    fitted.partial_fit(db.from_sequence(docs[60:], npartitions=3))
    assert fitted.wv_.index_to_key == memory.wv_.index_to_key
    np.testing.assert_array_equal(fitted.wv_.vectors, memory.wv_.vectors)


def test_item_embedder_fit_from_dask_equals_in_memory(client):
    sequences = _item_sequences()
    params = dict(vector_size=8, epochs=2, window="all", n_jobs=1, random_state=0)
    memory = ItemSequenceEmbedder(**params).fit(sequences)
    for X in (db.from_sequence(sequences, npartitions=6), _series(sequences, 3)):
        fitted = ItemSequenceEmbedder(**params).fit(X)
        assert fitted.wv_.index_to_key == memory.wv_.index_to_key
        np.testing.assert_array_equal(fitted.wv_.vectors, memory.wv_.vectors)
        np.testing.assert_array_equal(fitted.output_vectors_, memory.output_vectors_)


def test_doc2vec_from_dask_equals_in_memory(client):
    """Document vectors trained from a Bag (tags: the positions) and inferred
    block-wise from a Series: those of the in-memory documents."""
    docs = _texts()
    params = dict(vector_size=8, epochs=3, min_count=2, n_jobs=1, random_state=0)
    memory = Doc2VecTransformer(**params)
    expected = memory.fit_transform(docs)
    fitted = Doc2VecTransformer(**params)
    out = fitted.fit_transform(db.from_sequence(docs, npartitions=5))
    assert fitted.dv_.index_to_key == list(range(len(docs)))
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(fitted.wv_.vectors, memory.wv_.vectors)
    np.testing.assert_array_equal(out[[7, 30]], 0.0)  # no token: a zero vector
    inferred = fitted.transform(_series(docs, 4))
    np.testing.assert_array_equal(inferred.compute(), memory.transform(docs))


def test_phrases_counted_on_the_workers(client):
    """Each partition counted where it lives, merged here in partition order:
    the phrases of the in-memory fit (two levels); transform block-wise."""
    docs = _texts()
    params = dict(min_count=2, threshold=1.0, connector_words="english", passes=2)
    memory = PhraseTransformer(**params).fit(docs)
    fitted = PhraseTransformer(**params).fit(db.from_sequence(docs, npartitions=5))
    assert fitted.phrases_per_pass_ == memory.phrases_per_pass_ and memory.phrases_
    assert fitted.corpus_word_count_ == memory.corpus_word_count_
    out = fitted.transform(db.from_sequence(docs, npartitions=3))
    assert out.compute() == memory.transform(docs)


def test_fit_rejects_bad_dask_input(client):
    frame = dd.from_pandas(pd.DataFrame({"a": ["x y"] * 4, "b": ["z"] * 4}), npartitions=2)
    with pytest.raises(ValueError, match="2 columns.*one column"):
        Word2VecTransformer(min_count=1).fit(frame)
    with pytest.raises(TypeError, match="Dask Bag or Series"):
        Word2VecTransformer(min_count=1).fit(da.from_array(np.array(["x y"] * 4), chunks=2))
    # lists that Dask's from_pandas turned into strings
    stringified = dd.from_pandas(pd.Series([["a", "b"], ["c"]]), npartitions=1)
    with pytest.raises(TypeError, match="convert-string"):
        ItemSequenceEmbedder().fit(stringified)
    with pytest.raises(ValueError, match="empty after tokenizing"):
        Word2VecTransformer().fit(db.from_sequence(["!!", "?"], npartitions=2))
    with pytest.raises(TypeError, match="y is not supported"):
        PopularityRecommender().fit(_series(_item_sequences(20), 2), [1] * 20)


# -- inference --------------------------------------------------------------------
def test_document_vectors_from_dask(client):
    docs = _texts()
    w2v = Word2VecTransformer(**TEXT_PARAMS).fit(docs)
    expected = w2v.transform(docs)
    series = _series(docs, 4, index=pd.RangeIndex(100, 100 + len(docs)))
    out = w2v.transform(series)  # Array, rows of unknown chunk sizes
    assert isinstance(out, da.Array) and out.dtype == np.float32 and out.shape[1] == 8
    np.testing.assert_array_equal(out.compute(), expected)
    bag = w2v.transform(db.from_sequence(docs, npartitions=3))
    np.testing.assert_array_equal(np.vstack(bag.compute()), expected)
    array = w2v.transform(da.from_array(np.array(docs, dtype=object), chunks=50))
    assert array.chunks == ((50, 50, 20), (8,))
    np.testing.assert_array_equal(array.compute(), expected)
    # set_output: a Dask DataFrame with the input's index, as pandas would give
    w2v.set_output(transform="pandas")
    frame = w2v.transform(series)
    assert isinstance(frame, dd.DataFrame)
    pd.testing.assert_frame_equal(frame.compute(), w2v.transform(series.compute()))
    assert frame.divisions == series.divisions
    # fit_transform: fit on the collection, transform it lazily
    ft = Word2VecTransformer(**TEXT_PARAMS).set_output(transform="pandas").fit_transform(series)
    pd.testing.assert_frame_equal(ft.compute(), w2v.transform(series.compute()))
    # a vectorizer with given vectors, tfidf learnt from a Dask fit
    kv = KeyedVectors(w2v.wv_.index_to_key, w2v.wv_.vectors)
    memory = EmbeddingVectorizer(kv, doc_vector="tfidf").fit(docs)
    vec = EmbeddingVectorizer(kv, doc_vector="tfidf").fit(db.from_sequence(docs, 5))
    np.testing.assert_array_equal(vec.idf_, memory.idf_)
    np.testing.assert_array_equal(vec.transform(series).compute(), memory.transform(docs))


def test_item_profiles_from_dask(client):
    sequences = _item_sequences()
    emb = ItemSequenceEmbedder(vector_size=8, epochs=2, profile="recency",
                               random_state=0).fit(sequences)
    out = emb.transform(_series(sequences, 3))
    np.testing.assert_array_equal(out.compute(), emb.transform(sequences))


@pytest.mark.parametrize("make", [
    lambda: PopularityRecommender(n_recommendations=4),
    lambda: SequentialRulesRecommender(n_recommendations=4),
    lambda: SessionKNNRecommender(n_recommendations=4),
    lambda: NearestNeighborRecommender(ItemSequenceEmbedder(vector_size=8, epochs=2,
                                                            random_state=0),
                                       n_recommendations=4, random_state=0),
], ids=["popularity", "rules", "session_knn", "nearest_neighbor"])
def test_recommendations_from_dask(client, make):
    sequences = _item_sequences()
    rec = make().fit(sequences[:300])
    queries = sequences[300:]
    users = pd.Index([f"u{i:03d}" for i in range(len(queries))], name="user")
    series = _series(queries, 3, index=users)
    ids = rec.predict(queries)
    np.testing.assert_array_equal(rec.predict(series).compute(), ids)
    # recommend: a DataFrame indexed by user, a row of items (and scores) each
    frame = rec.recommend(series, return_scores=True)
    assert isinstance(frame, dd.DataFrame) and frame.divisions == series.divisions
    got = frame.compute()
    ids, scores = rec.recommend(queries, return_scores=True)
    assert got.index.equals(users)
    np.testing.assert_array_equal(got[[f"item_{j}" for j in range(4)]].to_numpy(np.int64), ids)
    # the item2vec scores are BLAS products, whose rounding depends on the
    # block's shape (in memory too: recommending for a subset of the
    # histories can move the last bit), so equal up to float32 rounding
    np.testing.assert_allclose(got[[f"score_{j}" for j in range(4)]].to_numpy(), scores,
                               rtol=1e-6, atol=1e-6)
    # fewer allowed items than n: masked in memory, <NA> in the frame
    allow = rec.items_[:2].tolist()
    masked = rec.recommend(queries, allow=allow, exclude_seen=False)
    got = rec.recommend(series, allow=allow, exclude_seen=False).compute()
    assert got["item_3"].isna().all() and np.ma.is_masked(masked)
    np.testing.assert_array_equal(got[["item_0", "item_1"]].to_numpy(np.int64),
                                  masked[:, :2].filled(-1))
    # a Bag: one (ids, scores) pair per history
    pairs = rec.recommend(db.from_sequence(queries, npartitions=4), return_scores=True)
    pairs = pairs.compute()
    np.testing.assert_array_equal(np.vstack([p[0] for p in pairs]), ids)


def test_string_items_recommend_frame(client):
    sequences = [[f"i{k}" for k in s] for s in _item_sequences(200)]
    rec = SequentialRulesRecommender(n_recommendations=3).fit(sequences)
    got = rec.recommend(_series(sequences, 2)).compute()
    np.testing.assert_array_equal(got.to_numpy(object), rec.recommend(sequences))


def test_sequences_from_events_equal(client):
    rng = np.random.RandomState(0)
    n = 2000
    log = pd.DataFrame({"user": rng.randint(0, 150, n),
                        "item": rng.choice(list("abcdefghij"), n),
                        # many ties in time: the row order must break them
                        "t": rng.randint(0, 15, n).astype(float)})
    ddf = dd.from_pandas(log, npartitions=5)
    for time_col, gap in ((None, None), ("t", None), ("t", 2)):
        sequences, keys = sequences_from_events(log, "user", "item", time_col, gap)
        lazy_sequences, lazy_keys = sequences_from_events(ddf, "user", "item", time_col, gap)
        got_sequences, got_keys = dask.compute(lazy_sequences, lazy_keys)
        assert got_sequences.tolist() == sequences
        assert got_keys.tolist() == keys
        assert lazy_sequences.known_divisions
    # missing times are found when the partitions are computed
    bad = dd.from_pandas(log.assign(t=log["t"].where(log.index != 5)), npartitions=2)
    with pytest.raises(ValueError, match="missing times"):
        dask.compute(sequences_from_events(bad, "user", "item", "t"))


# -- the mechanism itself -----------------------------------------------------------
@dask_aware
class _Doubler:
    """A toy estimator: predict doubles a numeric column (rejects empty input,
    as scikit-learn estimators do)."""

    def predict(self, X):
        if len(X) == 0:
            raise ValueError("Found array with 0 sample(s)")
        return 2.0 * np.asarray(X["a"], dtype=np.float64)


def test_inference_errors_are_raised_at_once(client):
    series = _series(_texts(), 2)
    with pytest.raises(NotFittedError):
        Word2VecTransformer().transform(series)
    w2v = Word2VecTransformer(**TEXT_PARAMS).fit(_texts())
    frame = dd.from_pandas(pd.DataFrame({"a": ["x y"] * 4, "b": ["z"] * 4}), npartitions=2)
    with pytest.raises(ValueError, match="2 columns"):
        w2v.transform(frame)
    with pytest.raises(ValueError, match="polars"):
        w2v.set_output(transform="polars").transform(series)


class _MethodDecorated(TransformerMixin, BaseEstimator):
    """dask_aware on single methods: right for predict, refused for the
    transform that scikit-learn's set_output wraps again."""

    def fit(self, X, y=None):
        return self

    @dask_aware
    def predict(self, X):
        return np.asarray(X, dtype=np.float64) + 1.0

    @dask_aware
    def transform(self, X):
        return np.asarray(X, dtype=np.float64)[:, None]

    def get_feature_names_out(self, input_features=None):
        return np.array(["x0"], dtype=object)


def test_dask_aware_on_methods(client):
    X = da.arange(10.0, chunks=4)
    est = _MethodDecorated()
    np.testing.assert_array_equal(est.predict(X).compute(), np.arange(10.0) + 1)
    with pytest.raises(TypeError, match="decorate the class"):
        est.transform(X)
    np.testing.assert_array_equal(est.transform(np.arange(3.0)), [[0.0], [1.0], [2.0]])


def test_dask_aware_infers_meta_from_a_fake_partition(client):
    frame = pd.DataFrame({"a": np.arange(10.0), "b": list("abcdefghij")})
    out = _Doubler().predict(dd.from_pandas(frame, npartitions=3))
    assert isinstance(out, da.Array) and out.dtype == np.float64
    np.testing.assert_array_equal(out.compute(), 2 * np.arange(10.0))
    assert is_dask_collection(out) and not is_dask_collection(frame)
    with pytest.raises(TypeError, match="Dask collection"):
        apply_blockwise(_Doubler(), "predict", frame)


# -- model search -------------------------------------------------------------------
def test_grid_search_on_the_cluster(client):
    texts = ["good movie great fun", "bad movie awful boring", "great acting good story",
             "boring awful plot bad"] * 10
    y = [1, 0, 1, 0] * 10
    pipe = make_pipeline(Word2VecTransformer(vector_size=8, min_count=1, epochs=3,
                                             random_state=0), LogisticRegression())
    grid = {"word2vectransformer__window": [2, 3], "word2vectransformer__sg": [False, True]}
    local = GridSearchCV(pipe, grid, cv=2, n_jobs=1).fit(texts, y)
    search = GridSearchCV(pipe, grid, cv=2, n_jobs=-1)
    with joblib.parallel_backend("dask"):
        search.fit(texts, y)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  local.cv_results_["mean_test_score"])
    sequences = _item_sequences(300)
    X, y = [s[:-1] for s in sequences if len(s) > 1], [s[-1] for s in sequences if len(s) > 1]
    rec = NearestNeighborRecommender(
        ItemSequenceEmbedder(vector_size=8, epochs=2, random_state=0), n_recommendations=3,
        rules_weight=1.0, session_knn_weight=1.0, cosine_weight=0.5, output_weight=0.5,
        repeat_weight=0.0, random_state=0)
    grid = {"popularity_weight": [0.0, 0.5], "rules__window": [1, 3]}
    search = GridSearchCV(rec, grid, cv=2, n_jobs=-1)
    with joblib.parallel_backend("dask"):
        search.fit(X, y)
    local = GridSearchCV(rec, grid, cv=2).fit(X, y)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  local.cv_results_["mean_test_score"])


def _entity_frame(n=600, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({"shop": rng.choice(list("abcdef"), n), "x": rng.normal(size=n)})
    y = 2 * X["x"].to_numpy() + X["shop"].map(dict(a=0, b=0, c=1, d=1, e=2, f=2)).to_numpy()
    return X, y


def test_entity_inference_from_dask(client):
    from skembed import (
        EntityEmbeddingClassifier,
        EntityEmbeddingEncoder,
        EntityEmbeddingRegressor,
    )

    X, y = _entity_frame()
    kw = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    ddf = dd.from_pandas(X, npartitions=3)
    reg = EntityEmbeddingRegressor(**kw).fit(X, y)
    out = reg.predict(ddf)
    assert is_dask_collection(out)
    np.testing.assert_allclose(out.compute(), reg.predict(X), rtol=1e-12)
    clf = EntityEmbeddingClassifier(**kw).fit(X, y > 1)
    np.testing.assert_array_equal(clf.predict(ddf).compute(), clf.predict(X))
    np.testing.assert_allclose(clf.predict_proba(ddf).compute(), clf.predict_proba(X))
    enc = EntityEmbeddingEncoder(cv=None, **kw).fit(X[["shop"]], y).set_output(
        transform="pandas")
    frame = enc.transform(ddf[["shop"]])
    pd.testing.assert_frame_equal(frame.compute(), enc.transform(X[["shop"]]))
    from skembed import EntityNeighborFeatures

    Xk = X.assign(kind=X["shop"].map(dict(a="p", b="p", c="q", d="q", e="r", f="r")))
    nf = EntityNeighborFeatures(EntityEmbeddingRegressor(**kw), entity="shop",
                                attributes=["kind"], n_neighbors=2).fit(Xk, y)
    np.testing.assert_allclose(nf.transform(dd.from_pandas(Xk, npartitions=3)).compute(),
                               nf.transform(Xk), rtol=1e-12)
    # an unfitted model fails at once, not at compute time
    with pytest.raises(NotFittedError):
        EntityEmbeddingRegressor(**kw).predict(ddf)


def test_entity_grid_search_on_the_cluster(client):
    from skembed import EntityEmbeddingRegressor

    X, y = _entity_frame(400)
    reg = EntityEmbeddingRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    grid = {"learning_rate": [1e-3, 1e-2], "weight_decay": [0.0, 1.0]}
    local = GridSearchCV(reg, grid, cv=2, n_jobs=1).fit(X, y)
    search = GridSearchCV(reg, grid, cv=2, n_jobs=-1)
    with joblib.parallel_backend("dask"):
        search.fit(X, y)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=1e-6)


def _threads_in_task():
    from skembed._threads import resolve_n_threads

    return resolve_n_threads(-1), resolve_n_threads(None)


def test_n_jobs_in_a_worker_does_not_oversubscribe(client):
    # Dask's nanny sets OMP_NUM_THREADS=1: n_jobs=-1 is one thread per task
    assert client.submit(_threads_in_task, pure=False).result() == (1, 1)


# -- fault tolerance --------------------------------------------------------------------
def _slow(part, log_dir, partition_info=None):
    """A deliberately slow step that logs each start and end of a partition."""
    path = os.path.join(log_dir, f"{partition_info['number']}.log")
    with open(path, "a") as f:
        f.write("start\n")
    time.sleep(1.0)
    with open(path, "a") as f:
        f.write("end\n")
    return part


def test_worker_killed_mid_transform_is_retried(client, tmp_path):
    docs = _texts()
    w2v = Word2VecTransformer(**TEXT_PARAMS).fit(docs)
    series = _series(docs, 6)
    slow = series.map_partitions(_slow, str(tmp_path), meta=series._meta)
    future = client.compute(w2v.transform(slow))
    # wait until a partition is half done, then kill the worker running it
    deadline = time.time() + 30
    while not any(p.read_text() == "start\n" for p in tmp_path.glob("*.log")):
        assert time.time() < deadline, "no partition started"
        time.sleep(0.05)
    busy = [addr for addr, keys in client.processing().items() if keys]
    pids = client.run(os.getpid)
    os.kill(pids[busy[0]], signal.SIGKILL)
    result = future.result(timeout=60)
    # complete and equal: every row once, in order
    np.testing.assert_array_equal(result, w2v.transform(docs))
    logs = {p.stem: p.read_text().split() for p in tmp_path.glob("*.log")}
    assert sorted(logs) == [str(i) for i in range(6)]
    assert any(log.count("start") > 1 for log in logs.values())  # one was run again
    client.wait_for_workers(2, timeout=30)
