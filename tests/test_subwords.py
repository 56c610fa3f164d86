"""fastText subwords: hashing as fastText/gensim, vectors for unseen words,
training, persistence."""

import numpy as np
import pytest

from skembed import KeyedVectors, Word2VecTransformer
from skembed.keyed_vectors import FastTextKeyedVectors
from skembed.word2vec.subwords import ngram_buckets

STEMS = ["kitchen", "garden", "office", "harbor"]


def stem_corpus(n_docs=400, seed=0):
    """Documents of one topic each; the words of a topic share a stem."""
    rng = np.random.RandomState(seed)
    words = {s: [f"{s}{c}" for c in "abcdefghij"] for s in STEMS}
    return [list(rng.choice(words[STEMS[rng.randint(4)]], 20)) for _ in range(n_docs)]


@pytest.fixture(scope="module")
def model():
    return Word2VecTransformer(vector_size=16, min_count=1, max_n=5, bucket=5000, sg=True,
                               epochs=8, n_jobs=1, random_state=0).fit(stem_corpus())


def test_ngram_hashes_equal_gensims():
    ft = pytest.importorskip("gensim.models.fasttext")
    words = ["where", "naïve", "日本語", "a", "x" * 30, "Ünïcödé", ""]
    for min_n, max_n, bucket in [(3, 6, 2_000_000), (1, 2, 1000), (2, 5, 7)]:
        indptr, ids = ngram_buckets(words, min_n, max_n, bucket)
        for i, w in enumerate(words):
            assert ids[indptr[i]:indptr[i + 1]].tolist() == list(
                ft.ft_ngram_hashes(w, min_n, max_n, bucket))


def test_vectors_follow_fasttexts_formulas(model):
    ft = pytest.importorskip("gensim.models.fasttext")
    wv, state = model.wv_, model._state
    assert isinstance(wv, FastTextKeyedVectors)
    # a vocabulary word: the mean of its own row and its n-gram rows
    i = wv.get_index("kitchena")
    rows = ft.ft_ngram_hashes("kitchena", 3, 5, 5000)
    expected = (state.syn0[i] + state.ngrams[rows].sum(axis=0)) / (1 + len(rows))
    np.testing.assert_allclose(wv["kitchena"], expected, rtol=1e-5, atol=1e-7)
    # an unseen word: the mean of its n-gram rows
    rows = ft.ft_ngram_hashes("kitchenqq", 3, 5, 5000)
    np.testing.assert_allclose(wv["kitchenqq"], state.ngrams[rows].mean(axis=0), rtol=1e-5,
                               atol=1e-7)
    assert "kitchenqq" not in wv and wv.has_vector("kitchenqq")


def test_unseen_words_land_near_their_stem(model):
    wv = model.wv_
    for stem in STEMS:
        near = [w for w, _ in wv.most_similar(f"{stem}zz", topn=5)]
        assert all(w.startswith(stem) for w in near), (stem, near)
    # transform uses them: a document of unseen words is not a zero vector
    out = model.transform([["gardenzz", "gardenyy"], ["nothing_known_here_at_all"]])
    assert np.linalg.norm(out[0]) > 0
    unseen = (wv["gardenzz"] + wv["gardenyy"]) / 2
    np.testing.assert_allclose(out[0], unseen, rtol=1e-5, atol=1e-6)


def test_subwords_off_is_plain_word2vec():
    docs = stem_corpus(100)
    plain = Word2VecTransformer(vector_size=8, min_count=1, random_state=0).fit(docs)
    assert type(plain.wv_) is KeyedVectors
    with pytest.raises(KeyError):
        plain.wv_["kitchenqq"]
    with pytest.raises(ValueError, match="min_n"):
        Word2VecTransformer(min_n=5, max_n=3).fit(docs)


def test_partial_fit_streaming_and_persistence(model, tmp_path):
    docs = stem_corpus(100, seed=1)
    w2v = Word2VecTransformer(vector_size=8, min_count=1, max_n=4, bucket=1000, epochs=2,
                              random_state=0).fit(docs)
    w2v.partial_fit([["brandnewword", "kitchena"]] * 10)
    assert "brandnewword" in w2v.wv_ and w2v.wv_["brandnewwordx"].shape == (8,)
    path = tmp_path / "docs.txt"
    path.write_text("\n".join(" ".join(d) for d in docs))
    streamed = Word2VecTransformer(vector_size=8, min_count=1, max_n=4, bucket=1000,
                                   epochs=2, input="filename", random_state=0).fit([str(path)])
    assert streamed.wv_.has_vector("gardenzz")
    # the word2vec file holds the full-word vectors
    model.wv_.save_word2vec_format(tmp_path / "v.txt")
    back = KeyedVectors.load_word2vec_format(tmp_path / "v.txt")
    np.testing.assert_allclose(back.vectors, model.wv_.vectors, rtol=1e-6)
    model.wv_.save(tmp_path / "kv")
    loaded = KeyedVectors.load(tmp_path / "kv", mmap_mode="r")
    assert isinstance(loaded, FastTextKeyedVectors)
    np.testing.assert_array_equal(loaded["officezz"], model.wv_["officezz"])


def test_estimate_memory_counts_the_buckets():
    small = Word2VecTransformer(vector_size=10, max_n=0).estimate_memory(vocab_size=100,
                                                                        corpus_words=0)
    sub = Word2VecTransformer(vector_size=10, max_n=6, bucket=1000).estimate_memory(
        vocab_size=100, corpus_words=0)
    assert sub["ngrams"] == 4 * 1000 * 10 and small["ngrams"] == 0
    assert sub["total"] == small["total"] + sub["ngrams"]
