"""Frozen pretrained vectors (EmbeddingVectorizer) and fine-tuning from them
(init_vectors + lock_factor)."""

import pickle

import numpy as np
import pytest
from conftest import planted_topic_corpus, topic_of
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skembed import EmbeddingVectorizer, ItemSequenceEmbedder, KeyedVectors, Word2VecTransformer


@pytest.fixture(scope="module")
def pretrained():
    docs, _ = planted_topic_corpus(n_docs=300)
    w2v = Word2VecTransformer(vector_size=16, min_count=1, epochs=5, sg=True, n_jobs=1,
                              random_state=0).fit(docs)
    return w2v.wv_, docs


def test_vectorizer_pools_given_vectors_like_the_transformer(pretrained):
    kv, docs = pretrained
    w2v = Word2VecTransformer(vector_size=16, min_count=1, epochs=5, sg=True, n_jobs=1,
                              random_state=0).fit(docs)
    for rule in ("mean", "tfidf", "sif"):
        vec = EmbeddingVectorizer(kv, doc_vector=rule).fit(docs)
        w2v.set_params(doc_vector=rule)
        # same vectors, same documents: the same statistics and the same output
        np.testing.assert_allclose(vec.transform(docs[:20]), w2v.transform(docs[:20]),
                                   rtol=1e-5, atol=1e-6)
    assert vec.vectors_ is kv  # never copied, never changed
    unknown = vec.transform([["never", "seen"]])
    assert np.all(unknown == 0)


def test_vectorizer_in_a_pipeline_grid_and_pickle(pretrained, tmp_path):
    kv, docs = pretrained
    y = [topic_of(d[0]) == "t0" for d in docs]
    pipe = make_pipeline(EmbeddingVectorizer(kv), LogisticRegression(max_iter=500))
    grid = GridSearchCV(pipe, {"embeddingvectorizer__doc_vector": ["mean", "sif"]}, cv=3)
    grid.fit(docs, y)
    assert grid.best_score_ > 0.9
    assert clone(pipe).steps[0][1].vectors is kv  # clone shares the table
    kv.save(tmp_path / "kv")
    by_path = EmbeddingVectorizer(str(tmp_path / "kv")).fit(docs)
    assert isinstance(by_path.vectors_.vectors, np.memmap)
    data = pickle.dumps(by_path)
    assert len(data) < kv.vectors.nbytes  # the path is pickled, not the vectors
    back = pickle.loads(data)
    np.testing.assert_array_equal(back.transform(docs[:5]), by_path.transform(docs[:5]))
    with pytest.raises(ValueError, match="vectors"):
        EmbeddingVectorizer(42).fit(docs)


def test_word2vec_file_as_vectors(pretrained, tmp_path):
    kv, docs = pretrained
    kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    vec = EmbeddingVectorizer(str(tmp_path / "v.bin")).fit(docs)
    np.testing.assert_array_equal(vec.vectors_.vectors, kv.vectors)


def test_frozen_rows_stay_bit_identical(pretrained):
    kv, docs = pretrained
    new_docs = [d + ["brand", "new"] for d in docs[:100]]
    frozen = Word2VecTransformer(vector_size=16, min_count=1, epochs=3, init_vectors=kv,
                                 lock_factor=0.0, n_jobs=2, random_state=1).fit(new_docs)
    wv = frozen.wv_
    rows = [wv.get_index(k) for k in kv.index_to_key]
    np.testing.assert_array_equal(wv.vectors[rows], kv.vectors)
    assert "brand" in wv  # new words train from random starts
    free = Word2VecTransformer(vector_size=16, min_count=1, epochs=3, init_vectors=kv,
                               lock_factor=1.0, n_jobs=1, random_state=1).fit(new_docs)
    moved = np.abs(free.wv_.vectors[rows] - kv.vectors).max(axis=1)
    assert np.all(moved > 0)
    half = Word2VecTransformer(vector_size=16, min_count=1, epochs=3, init_vectors=kv,
                               lock_factor=0.5, n_jobs=1, random_state=1).fit(new_docs)
    assert 0 < np.abs(half.wv_.vectors[rows] - kv.vectors).mean() < moved.mean()


def test_union_vocabulary_and_dimension_check():
    kv = KeyedVectors(["only_pretrained", "shared"], np.full((2, 4), 0.5))
    docs = [["shared", "corpus", "words"]] * 20
    w2v = Word2VecTransformer(vector_size=4, min_count=1, init_vectors=kv, lock_factor=0.0,
                              random_state=0).fit(docs)
    wv = w2v.wv_
    # corpus words first by frequency, then the pretrained keys the corpus lacks
    assert wv.index_to_key[-1] == "only_pretrained"
    assert wv.counts[-1] == 0 and set(wv.index_to_key) == {"shared", "corpus", "words",
                                                           "only_pretrained"}
    np.testing.assert_array_equal(wv["only_pretrained"], kv["only_pretrained"])
    np.testing.assert_array_equal(wv["shared"], kv["shared"])
    with pytest.raises(ValueError, match="4 dimensions but vector_size=8"):
        Word2VecTransformer(vector_size=8, min_count=1, init_vectors=kv).fit(docs)
    with pytest.raises(ValueError, match="lock_factor"):
        Word2VecTransformer(lock_factor=1.5, init_vectors=kv).fit(docs)


def test_item_embedder_from_pretrained_items(tmp_path):
    base = ItemSequenceEmbedder(vector_size=8, random_state=0).fit([[1, 2, 3], [3, 4]] * 30)
    base.wv_.save(tmp_path / "items")
    tuned = ItemSequenceEmbedder(vector_size=8, init_vectors=str(tmp_path / "items"),
                                 lock_factor=0.0, random_state=1).fit([[1, 2, 9]] * 30)
    np.testing.assert_array_equal(tuned.wv_[3], base.wv_[3])
    np.testing.assert_array_equal(tuned.wv_[1], base.wv_[1])
    assert 9 in tuned.wv_


def test_sif_refuses_documents_without_a_common_direction_of_their_own():
    # SIF removes the first principal direction of the training documents: of one
    # document (or of documents all along one direction) that is the documents
    # themselves, and every vector came out zero, silently
    kv = KeyedVectors(["aa", "bb", "cc"], np.random.RandomState(0).randn(3, 4))
    for docs in (["aa bb cc"], ["aa bb", "aa bb"], ["aa", "unknown words"]):
        with pytest.raises(ValueError, match="removes the common direction.*fewer than two"):
            EmbeddingVectorizer(kv, doc_vector="sif").fit_transform(docs)
    # fitted with another rule, switching to SIF says why it cannot
    mean = EmbeddingVectorizer(kv).fit(["aa bb cc"])
    assert mean.transform(["aa bb cc"]).any()
    with pytest.raises(ValueError, match="fewer than two documents"):
        mean.set_params(doc_vector="sif").transform(["aa"])
    # two documents in two directions: each keeps the part SIF does not remove
    X = EmbeddingVectorizer(kv, doc_vector="sif").fit_transform(["aa bb", "cc"])
    assert np.all(np.linalg.norm(X, axis=1) > 0)
