"""Doc2VecTransformer: paragraph vectors learned on planted topics, inference,
determinism, tags, bad input and scikit-learn integration."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn import __version__ as sklearn_version_string
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.utils.fixes import parse_version

from skembed import Doc2VecTransformer, KeyedVectors

FAST = dict(vector_size=16, window=2, min_count=1, epochs=20, n_jobs=1, random_state=0)


def unit(vectors):
    """Rows scaled to unit length (zero rows stay zero)."""
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)


def diluted_topics(n_docs, seed, n_topics=4, doc_len=40, share=0.3):
    """Documents of one planted topic each, its words diluted by common
    words: a short window mostly sees common words, so the document vector
    carries the topic (PV-DM needs it).  Returns token lists and topics."""
    rng = np.random.RandomState(seed)
    common = [f"c{i}" for i in range(30)]
    docs, topics = [], rng.randint(n_topics, size=n_docs)
    for k in topics:
        docs.append([f"t{k}w{rng.randint(20)}" if rng.rand() < share
                     else common[rng.randint(30)] for _ in range(doc_len)])
    return docs, topics


@pytest.fixture(scope="module")
def corpus():
    train, y_train = diluted_topics(300, seed=0)
    new, y_new = diluted_topics(100, seed=1)
    return train, y_train, new, y_new


def _topic_accuracy(model, train, y_train, new, y_new):
    """A classifier on the trained vectors, scored on inferred new documents."""
    clf = LogisticRegression(max_iter=2000).fit(model.fit_transform(train), y_train)
    return clf.score(model.transform(new), y_new)


@pytest.mark.parametrize("params, expected", [
    (dict(), 0.95),                                   # PV-DBOW
    (dict(dbow_words=True), 0.95),
    (dict(dm=True), 0.95),                            # PV-DM, mean
    (dict(dm=True, dm_mean=False, alpha=0.01), 0.95),  # PV-DM, sum
    (dict(dm=True, dm_concat=True), 0.45),            # (weak, as gensim's: chance 0.25)
    (dict(hs=True, negative=0), 0.95),
], ids=["dbow", "dbow_words", "dm_mean", "dm_sum", "dm_concat", "dbow_hs"])
def test_document_vectors_carry_the_planted_topic(corpus, params, expected):
    model = Doc2VecTransformer(**FAST, **params)
    assert _topic_accuracy(model, *corpus) >= expected
    assert np.isfinite(model.dv_.vectors).all()


def test_trained_and_inferred_vectors_agree(corpus):
    train, y_train, _, _ = corpus
    model = Doc2VecTransformer(**FAST)
    trained = model.fit_transform(train)
    inferred = model.transform(train)
    # each training document's inferred vector finds trained vectors of its topic
    knn = KNeighborsClassifier(5, metric="cosine").fit(trained, y_train)
    assert knn.score(inferred, y_train) > 0.95
    np.testing.assert_allclose(trained, unit(model.dv_.vectors), rtol=1e-6)  # tags 0..n-1
    np.testing.assert_allclose(np.linalg.norm(inferred, axis=1), 1.0, rtol=1e-6)
    assert not np.allclose(trained, inferred)  # inferred afresh, not looked up
    # norm=None: the trained vectors as they are, the inferred ones unscaled
    raw = Doc2VecTransformer(**FAST, norm=None)
    np.testing.assert_array_equal(raw.fit_transform(train), model.dv_.vectors)
    np.testing.assert_allclose(unit(raw.transform(train)), inferred, rtol=1e-5, atol=1e-6)


def test_dbow_words_trains_the_word_vectors(corpus):
    train = corpus[0]
    pure = Doc2VecTransformer(**dict(FAST, epochs=1)).fit(train)
    longer = Doc2VecTransformer(**dict(FAST, epochs=3)).fit(train)
    # plain PV-DBOW never touches the word vectors: their random start
    np.testing.assert_array_equal(pure.wv_.vectors, longer.wv_.vectors)
    words = Doc2VecTransformer(**dict(FAST, dbow_words=True, window=5)).fit(train)
    same_topic = [np.mean([n[:2] == k[:2] for n, _ in words.wv_.most_similar(k, topn=5)])
                  for k in words.wv_.index_to_key if k.startswith("t")]
    assert np.mean(same_topic) > 0.9


def test_a_seed_and_one_thread_give_identical_fits(corpus):
    train, _, new, _ = corpus
    for params in (dict(), dict(dm=True, dm_concat=True), dict(dbow_words=True, hs=True)):
        a = Doc2VecTransformer(**FAST, **params).fit(train)
        b = Doc2VecTransformer(**FAST, **params).fit(train)
        np.testing.assert_array_equal(a.dv_.vectors, b.dv_.vectors)
        np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
        assert a.loss_history_ == b.loss_history_
        np.testing.assert_array_equal(a.transform(new), b.transform(new))


@pytest.mark.parametrize("params", [dict(), dict(dm=True, hs=True)], ids=["dbow", "dm_hs"])
def test_inference_depends_on_the_document_alone(corpus, params):
    """Each document is inferred on its own random stream: the same vector
    whatever the batch, its order, the thread count or the call."""
    train, _, new, _ = corpus
    model = Doc2VecTransformer(**FAST, **params).fit(train)
    out = model.transform(new)
    np.testing.assert_array_equal(model.transform(new[::-1]), out[::-1])
    np.testing.assert_array_equal(model.transform(new[5:6]), out[5:6])
    np.testing.assert_array_equal(model.transform(new), out)
    np.testing.assert_array_equal(model.set_params(n_jobs=2).transform(new), out)
    # several threads train, and the vectors still carry the topics
    threaded = Doc2VecTransformer(**dict(FAST, n_jobs=2), **params).fit(train)
    assert np.isfinite(threaded.dv_.vectors).all()
    more = model.set_params(infer_epochs=40).transform(new)
    assert not np.array_equal(more, out)


def test_dm_concat_layers(corpus):
    train = corpus[0]
    model = Doc2VecTransformer(**dict(FAST, epochs=2), dm=True, dm_concat=True).fit(train)
    n_words = len(model.wv_)
    assert n_words == len({t for d in train for t in d})  # the padding row is not a word
    assert model._state.syn1neg.shape == (n_words, (1 + 2 * 2) * 16)
    assert model._state.syn0.shape == (n_words + 1, 16)


# -- tags --------------------------------------------------------------------------
def test_tags_from_an_index_or_an_argument(corpus):
    train = [" ".join(d) for d in corpus[0][:40]]
    series = pd.Series(train, index=[f"review{i}" for i in range(40)])
    model = Doc2VecTransformer(**FAST).fit(series)
    assert model.dv_.index_to_key == list(series.index)
    np.testing.assert_array_equal(model.dv_["review3"], model.dv_.vectors[3])
    tagged = Doc2VecTransformer(**FAST).fit(train, tags=series.index)
    np.testing.assert_array_equal(tagged.dv_.vectors, model.dv_.vectors)
    own = Doc2VecTransformer(**FAST).fit(series, tags=range(100, 140))
    assert own.dv_.index_to_key == list(range(100, 140))
    # the index comes back with pandas output (scikit-learn >= 1.7 keeps a
    # Series' index; 1.6 only a DataFrame's)
    frame = Doc2VecTransformer(**FAST).set_output(transform="pandas").fit_transform(series)
    if parse_version(sklearn_version_string) >= parse_version("1.7"):
        assert list(frame.index) == list(series.index)
    assert list(frame.columns) == [f"doc2vectransformer{i}" for i in range(16)]


def test_documents_sharing_a_tag_share_a_vector(corpus):
    train = corpus[0][:40]
    tags = [i // 2 for i in range(40)]  # two documents per tag
    model = Doc2VecTransformer(**FAST)
    out = model.fit_transform(train, tags=tags)
    assert len(model.dv_) == 20
    np.testing.assert_array_equal(model.dv_.counts, np.full(20, 2))
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_allclose(out[::2], unit(model.dv_.vectors), rtol=1e-6)


def test_bad_tags_are_errors(corpus):
    train = corpus[0][:10]
    with pytest.raises(ValueError, match="document 3 is missing"):
        Doc2VecTransformer(**FAST).fit(train, tags=[0, 1, 2, None, 4, 5, 6, 7, 8, 9])
    with pytest.raises(ValueError, match="document 0 is missing"):
        Doc2VecTransformer(**FAST).fit(pd.Series(train, index=[np.nan] + list(range(9))))
    with pytest.raises(ValueError, match="9 entries for 10 documents"):
        Doc2VecTransformer(**FAST).fit(train, tags=range(9))
    with pytest.raises(TypeError, match="not a single string"):
        Doc2VecTransformer(**FAST).fit(train, tags="abcdefghij")
    with pytest.raises(TypeError, match="not hashable"):
        Doc2VecTransformer(**FAST).fit(train, tags=[[i] for i in range(10)])
    model = Doc2VecTransformer(**FAST)
    with pytest.raises(ValueError):
        model.fit(train, tags=[None] * 10)
    with pytest.raises(NotFittedError):  # a failed fit leaves it unfitted
        model.transform(train)


# -- bad input ----------------------------------------------------------------------
@pytest.mark.parametrize("params", [
    dict(), dict(dbow_words=True), dict(dm=True), dict(dm=True, dm_concat=True),
    dict(hs=True, negative=0),
], ids=["dbow", "dbow_words", "dm_mean", "dm_concat", "dbow_hs"])
def test_empty_and_unknown_documents_get_zero_vectors(corpus, params):
    train = [" ".join(d) for d in corpus[0][:60]] + ["", "!!", "zzzrare"]
    model = Doc2VecTransformer(**dict(FAST, min_count=2), **params)
    out = model.fit_transform(train)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[-3:], 0.0)  # no word of the vocabulary
    assert np.abs(out[:-3]).sum(axis=1).min() > 0
    inferred = model.transform(["", "qqq www", "zzzrare", train[0]])
    np.testing.assert_array_equal(inferred[:3], 0.0)
    assert np.abs(inferred[3]).sum() > 0
    assert model.transform([]).shape == (0, 16)
    # a tag of empty documents only is a zero row; shared with a document of
    # known words, that document trains it
    tags = list(range(60)) + [0, "none", "none"]
    shared = Doc2VecTransformer(**dict(FAST, min_count=2), **params).fit(train, tags=tags)
    np.testing.assert_array_equal(shared.dv_["none"], 0.0)
    assert shared.dv_.counts[shared.dv_.key_to_index["none"]] == 2
    assert np.abs(shared.dv_[0]).sum() > 0 and np.isfinite(shared.dv_.vectors).all()


def test_bad_input_is_rejected():
    model = Doc2VecTransformer(**FAST)
    with pytest.raises(NotFittedError):
        model.transform(["a b c"])
    with pytest.raises(ValueError, match="no documents"):
        model.fit([])
    with pytest.raises(ValueError, match="empty after tokenizing"):
        model.fit(["", "!!"])
    with pytest.raises(ValueError, match="single string"):
        model.fit("a b c")
    with pytest.raises(TypeError, match="document 1"):
        model.fit(["a b", 3])
    with pytest.raises(TypeError, match="document 1 is a NoneType.*fillna"):
        model.fit(["a b", None])  # a missing text
    with pytest.raises(ValueError, match="min_count"):
        Doc2VecTransformer(min_count=5).fit(["aa bb cc"])
    fitted = Doc2VecTransformer(**FAST).fit(["aa bb cc", "bb cc dd"])
    with pytest.raises(TypeError, match="document 1 is a float"):
        fitted.transform(["aa bb", float("nan")])
    with pytest.raises(ValueError, match="infer_epochs"):
        fitted.set_params(infer_epochs=0).transform(["aa bb"])
    with pytest.raises(ValueError, match="norm"):
        fitted.set_params(infer_epochs=None, norm="l1").transform(["aa bb"])
    assert not hasattr(fitted, "partial_fit")  # new documents are inferred instead


# -- files, scikit-learn --------------------------------------------------------------
def test_files_are_documents_tagged_by_path(corpus, tmp_path):
    train = [" ".join(d) for d in corpus[0][:30]]
    paths = []
    for i, text in enumerate(train):
        path = tmp_path / f"doc{i}.txt"
        path.write_text(text + "\n")
        paths.append(str(path))
    streamed = Doc2VecTransformer(**FAST, input="filename")
    out = streamed.fit_transform(paths)
    memory = Doc2VecTransformer(**FAST).fit(train)
    assert streamed.dv_.index_to_key == paths
    # the same sentences: the same training, bit for bit
    np.testing.assert_array_equal(streamed.dv_.vectors, memory.dv_.vectors)
    np.testing.assert_array_equal(out, memory.fit_transform(train))
    np.testing.assert_array_equal(streamed.transform(paths[:5]), memory.transform(train[:5]))


def test_pipeline_grid_search_clone_and_pickle(corpus):
    train, y_train, new, y_new = corpus
    texts = [" ".join(d) for d in train]
    pipe = make_pipeline(Doc2VecTransformer(**FAST),
                         LogisticRegression(max_iter=2000))
    search = GridSearchCV(pipe, {"doc2vectransformer__dm": [False, True]}, cv=2)
    search.fit(texts, y_train)
    assert search.score([" ".join(d) for d in new], y_new) > 0.9
    model = clone(search.best_estimator_[0]).fit(texts)
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.transform(texts[:20]), model.transform(texts[:20]))
    assert isinstance(back.dv_, KeyedVectors)
    assert back.dv_.most_similar(0, topn=1)[0][0] != 0
