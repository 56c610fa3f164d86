import gzip
import pickle
import re
import time

import numpy as np
import pytest
from conftest import neighbour_purity, planted_topic_corpus
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skembed import EmbeddingVectorizer, KeyedVectors, Word2VecTransformer

FAST = dict(vector_size=16, min_count=1, sample=0.0, random_state=0)


@pytest.fixture(scope="module")
def topic_texts():
    docs, topics = planted_topic_corpus(n_docs=600)
    texts = [" ".join(d) for d in docs]
    labels = np.array([int(d[0].split("w")[0][1:]) % 2 for d in docs])
    return texts, labels


def test_string_and_token_inputs_learn_the_same(topic_texts):
    texts, _ = topic_texts
    a = Word2VecTransformer(**FAST).fit(texts)
    b = Word2VecTransformer(**FAST).fit([t.split() for t in texts])
    assert a.wv_.index_to_key == b.wv_.index_to_key
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
    assert isinstance(a.wv_, KeyedVectors)
    assert neighbour_purity(a.wv_) > 0.9


def test_tokenizer_follows_countvectorizer_defaults():
    from sklearn.feature_extraction.text import CountVectorizer

    texts = ["Hello, World! A b-c d'e x", "world HELLO hello", "émigré naïve café"]
    w2v = Word2VecTransformer(min_count=1, vector_size=4, random_state=0).fit(texts)
    cv = CountVectorizer().fit(texts)
    assert set(w2v.wv_.index_to_key) == set(cv.vocabulary_)
    assert w2v.wv_.index_to_key[0] == "hello"  # most frequent first
    cased = Word2VecTransformer(min_count=1, vector_size=4, lowercase=False,
                                token_pattern=r"\S+").fit(texts)
    assert "HELLO" in cased.wv_ and "Hello," in cased.wv_


def test_transform_shape_dtype_and_mean_definition(topic_texts):
    texts, _ = topic_texts
    w2v = Word2VecTransformer(**FAST).fit(texts)
    X = w2v.transform(texts[:5] + ["t0w1 unknownword t0w2", "nothing known here"])
    assert X.shape == (7, 16) and X.dtype == np.float32
    np.testing.assert_allclose(X[5], w2v.wv_[["t0w1", "t0w2"]].mean(axis=0), rtol=1e-5)
    assert np.all(X[6] == 0)  # no known word -> zero row
    np.testing.assert_allclose(w2v.fit_transform(texts)[:5], X[:5], rtol=1e-5, atol=1e-7)


def test_tfidf_and_sif_document_vectors(topic_texts):
    texts, _ = topic_texts
    tf = Word2VecTransformer(doc_vector="tfidf", **FAST).fit(texts + ["t0w1 rareword"])
    n_docs = len(texts) + 1
    assert tf.idf_[tf.wv_.key_to_index["rareword"]] == pytest.approx(
        np.log((1 + n_docs) / 2) + 1)
    v = tf.transform(["t0w1 rareword"])[0]
    w = tf.idf_[[tf.wv_.key_to_index[k] for k in ("t0w1", "rareword")]]
    expected = (w[0] * tf.wv_["t0w1"] + w[1] * tf.wv_["rareword"]) / w.sum()
    np.testing.assert_allclose(v, expected, rtol=1e-5)

    sif = Word2VecTransformer(doc_vector="sif", **FAST).fit(texts)
    u = sif.sif_component_
    assert np.linalg.norm(u) == pytest.approx(1.0, rel=1e-5)
    Xs = sif.transform(texts)
    # the common component is removed from every document vector
    assert np.abs(Xs @ u).max() < 1e-5
    assert np.all(sif.transform(["nothing known"]) == 0)


def test_pipeline_grid_search_parallel(topic_texts):
    texts, labels = topic_texts
    pipe = Pipeline([("w2v", Word2VecTransformer(**FAST)),
                     ("clf", LogisticRegression(max_iter=500))])
    grid = GridSearchCV(pipe, {"w2v__window": [2, 5], "w2v__sg": [False, True]}, cv=3,
                        n_jobs=2)
    grid.fit(texts, labels)
    # topics 0/2/4 vs 1/3 are linearly separable from topic vectors
    assert grid.best_score_ > 0.9
    assert set(grid.best_params_) == {"w2v__window", "w2v__sg"}


def test_clone_pickle_and_pandas_output(topic_texts):
    texts, _ = topic_texts
    w2v = Word2VecTransformer(**FAST).fit(texts)
    c = clone(w2v)
    assert c.get_params() == w2v.get_params() and not hasattr(c, "wv_")
    back = pickle.loads(pickle.dumps(w2v))
    np.testing.assert_array_equal(back.transform(texts), w2v.transform(texts))
    names = w2v.get_feature_names_out()
    assert names.tolist() == [f"word2vectransformer{i}" for i in range(16)]
    df = w2v.set_output(transform="pandas").transform(texts[:3])
    assert list(df.columns) == names.tolist() and df.shape == (3, 16)


def test_determinism_with_seed_and_one_thread(topic_texts):
    texts, _ = topic_texts
    params = dict(FAST, sample=1e-3, sg=True)
    a = Word2VecTransformer(**params).fit(texts)
    b = Word2VecTransformer(**params).fit(texts)
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
    c = Word2VecTransformer(**dict(params, random_state=1)).fit(texts)
    assert not np.array_equal(a.wv_.vectors, c.wv_.vectors)


def test_n_jobs_all_cores_learns(topic_texts):
    texts, _ = topic_texts
    w2v = Word2VecTransformer(**dict(FAST, n_jobs=-1)).fit(texts * 10)
    assert neighbour_purity(w2v.wv_) > 0.9


def test_one_column_dataframe_and_series_input(topic_texts):
    pd = pytest.importorskip("pandas")
    texts, _ = topic_texts
    w2v = Word2VecTransformer(**FAST).fit(pd.Series(texts))
    X1 = w2v.transform(pd.DataFrame({"text": texts[:4]}))
    np.testing.assert_array_equal(X1, w2v.transform(texts[:4]))
    with pytest.raises(ValueError, match="2 columns"):
        w2v.transform(pd.DataFrame({"a": texts[:2], "b": texts[:2]}))


def test_verbose_reports_epochs(topic_texts, capsys):
    texts, _ = topic_texts
    w2v = Word2VecTransformer(**dict(FAST, epochs=2, verbose=1)).fit(texts)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "epoch 1/2" in text and "epoch 2/2" in text and "words/s" in text
    assert len(w2v.loss_history_) == 2
    assert set(w2v.timings_) == {"tokenize", "vocab", "train", "compile"}


def test_verbose_speed_leaves_out_kernel_compilation(topic_texts, capsys, monkeypatch):
    # a cold cache, played: the kernel "compiles" for 0.5 s on its first call, as
    # Numba reports it (its compile event); the first epoch's speed must be the
    # training's (it read 822 words/s, then 1,071,687, on a real first run)
    from numba.core import event

    from skembed.word2vec import passes

    real, calls = passes.train_chunks, []

    def compiling_first(*args):
        if not calls:
            with event.trigger_event("numba:compile", data={}):
                time.sleep(0.5)
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(passes, "train_chunks", compiling_first)
    texts, _ = topic_texts
    w2v = Word2VecTransformer(**dict(FAST, epochs=2, verbose=1)).fit(texts)
    out = capsys.readouterr()
    text = out.out + out.err
    assert w2v.timings_["compile"] >= 0.5
    rates = [float(r.replace(",", "")) for r in re.findall(r"([\d,]+) raw words/s", text)]
    first_epoch = w2v.corpus_word_count_ / rates[0]  # seconds, as reported
    assert first_epoch < 0.3, text  # not the 0.5 s of compilation
    assert re.search(r"epoch 1/2: .*of which 0\.[5-9]s compiling the training kernel", text)
    assert re.search(r"after 0\.[5-9]s compiling kernels on first use", text)


def test_max_final_vocab_and_max_vocab_size(topic_texts):
    texts, _ = topic_texts
    w2v = Word2VecTransformer(**dict(FAST, max_final_vocab=30)).fit(texts)
    assert len(w2v.wv_) <= 30 and w2v.effective_min_count_ > 1
    pruned = Word2VecTransformer(**dict(FAST, max_vocab_size=50)).fit(texts)
    full = Word2VecTransformer(**FAST).fit(texts)
    # pruning while counting drops words and turns counts into lower bounds
    assert len(pruned.wv_) < len(full.wv_) == 100
    assert pruned.wv_.counts.sum() < full.wv_.counts.sum()


# -- bad input ----------------------------------------------------------------

@pytest.mark.parametrize(
    "X, match",
    [
        ([], "no documents"),
        (["", "   ", "!!"], "empty after tokenizing"),
        ("just one string", "single string"),
    ],
)
def test_empty_or_malformed_corpus(X, match):
    with pytest.raises(ValueError, match=match):
        Word2VecTransformer().fit(X)


def test_empty_vocabulary_after_min_count():
    with pytest.raises(ValueError, match="min_count=5"):
        Word2VecTransformer(min_count=5).fit(["a few words only"])


def test_non_string_tokens_raise_typeerror():
    with pytest.raises(TypeError, match="int"):
        Word2VecTransformer(min_count=1).fit([["a", "b"], ["c", 3]])
    w2v = Word2VecTransformer(min_count=1, vector_size=4).fit([["a", "b"]])
    with pytest.raises(TypeError, match="tokens must be strings"):
        w2v.transform([["a", 1.5]])
    with pytest.raises(TypeError, match="fillna"):
        w2v.transform(["a", None])
    with pytest.raises(TypeError, match="iterable"):
        w2v.transform(5)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(vector_size=0), "vector_size"),
        (dict(window=0), "window"),
        (dict(negative=-1), "negative"),
        (dict(hs=False, negative=0), "no output layer"),
        (dict(sample=-0.1), "sample"),
        (dict(alpha=0.0), "alpha"),
        (dict(min_alpha=0.5), "min_alpha"),
        (dict(epochs=0), "epochs"),
        (dict(min_count=0), "min_count"),
        (dict(doc_vector="max"), "doc_vector"),
        (dict(token_pattern="("), "token_pattern"),
        (dict(n_jobs=0), "n_jobs"),
    ],
)
def test_invalid_parameters_raise_at_fit(params, match):
    est = Word2VecTransformer(**params)  # __init__ never validates
    with pytest.raises(ValueError, match=match):
        est.fit(["some words here", "and more words"])


def test_transform_before_fit():
    with pytest.raises(NotFittedError):
        Word2VecTransformer().transform(["text"])


def test_extreme_learning_rate_stays_finite(topic_texts):
    texts, _ = topic_texts
    w2v = Word2VecTransformer(**dict(FAST, alpha=1.0)).fit(texts)
    assert np.isfinite(w2v.wv_.vectors).all()
    assert np.isfinite(w2v.transform(texts)).all()


# -- streaming files and online training -----------------------------------------

def _write_corpus(tmp_path, docs, n_files=2):
    import gzip

    paths = []
    per_file = -(-len(docs) // n_files)
    for i in range(n_files):
        lines = "\n".join(" ".join(d) for d in docs[i * per_file:(i + 1) * per_file]) + "\n"
        path = tmp_path / (f"part{i}.txt" + (".gz" if i % 2 else ""))
        if i % 2:
            with gzip.open(path, "wt") as f:
                f.write(lines)
        else:
            path.write_text(lines)
        paths.append(str(path))
    return paths


def test_streamed_files_match_in_memory_vocabulary_and_learn(tmp_path, monkeypatch):
    import skembed.word2vec.corpus as ts

    docs, _ = planted_topic_corpus(n_docs=600)
    paths = _write_corpus(tmp_path, docs, n_files=3)
    # tiny chunks so that files are read in many pieces
    monkeypatch.setattr(ts, "CHUNK_CHARS", 5000)
    streamed = Word2VecTransformer(input="filename", **FAST).fit(paths)
    memory = Word2VecTransformer(**FAST).fit([" ".join(d) for d in docs])
    assert streamed.wv_.index_to_key == memory.wv_.index_to_key
    np.testing.assert_array_equal(streamed.wv_.counts, memory.wv_.counts)
    assert neighbour_purity(streamed.wv_) > 0.9
    # one document per file; equal to the in-memory vector of the file's text
    X = streamed.transform(paths)
    assert X.shape == (3, 16)
    per_file = -(-len(docs) // 3)
    first_file = " ".join(" ".join(d) for d in docs[:per_file])
    np.testing.assert_allclose(X[0], streamed.set_params(input="content").transform(
        [first_file])[0], rtol=1e-4, atol=1e-6)
    # reproducible with one thread
    again = Word2VecTransformer(input="filename", **FAST).fit(paths)
    np.testing.assert_array_equal(again.wv_.vectors, Word2VecTransformer(
        input="filename", **FAST).fit(paths).wv_.vectors)


def test_streamed_tfidf_and_sif(tmp_path):
    docs, _ = planted_topic_corpus(n_docs=300)
    paths = _write_corpus(tmp_path, docs, n_files=2)
    tf = Word2VecTransformer(input="filename", doc_vector="tfidf", **FAST).fit(paths)
    assert tf.idf_.min() == pytest.approx(1.0)  # words in both files
    sif = Word2VecTransformer(input="filename", doc_vector="sif", **FAST).fit(paths)
    assert np.isfinite(sif.transform(paths)).all()


def test_sif_on_one_document_is_refused_before_training(tmp_path, monkeypatch):
    import skembed._word2vec_estimator as estimator

    def no_training(*args, **kwargs):
        raise AssertionError("trained before refusing")

    monkeypatch.setattr(estimator, "fit_corpus", no_training)
    with pytest.raises(ValueError, match="doc_vector='sif'.*fewer than two documents"):
        Word2VecTransformer(doc_vector="sif", **FAST).fit(["one long document " * 100])
    path = tmp_path / "corpus.txt"  # with input="filename", a file is a document
    path.write_text("words of the corpus\n" * 100)
    with pytest.raises(ValueError, match="doc_vector='sif'.*fewer than two documents"):
        Word2VecTransformer(input="filename", doc_vector="sif", **FAST).fit([path])
    monkeypatch.undo()
    # a partial_fit on one document keeps the component learned before
    docs = ["alpha beta gamma delta", "gamma delta epsilon zeta"] * 10
    w2v = Word2VecTransformer(doc_vector="sif", **FAST).fit(docs)
    component = w2v.sif_component_.copy()
    w2v.partial_fit(["alpha beta gamma delta epsilon"])
    np.testing.assert_array_equal(w2v.sif_component_, component)
    assert np.all(np.linalg.norm(w2v.transform(docs[:2]), axis=1) > 0)


def test_filename_input_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        Word2VecTransformer(input="filename").fit([str(tmp_path / "nope.txt")])
    (tmp_path / "corpus").mkdir()  # a folder that exists is not "no such file"
    kv = KeyedVectors(["a"], np.ones((1, 2)))
    for est in (Word2VecTransformer(input="filename"), EmbeddingVectorizer(kv, input="filename")):
        with pytest.raises(ValueError, match=r"'.*corpus' is a directory.*glob\('\*\.txt'\)"):
            est.fit([str(tmp_path / "corpus")])
    with pytest.raises(ValueError, match="list of paths"):
        Word2VecTransformer(input="filename").fit(str(tmp_path / "x.txt"))
    with pytest.raises(ValueError, match="input"):
        Word2VecTransformer(input="file").fit(["a b"])


def test_partial_fit_grows_vocabulary_and_keeps_old_rows():
    docs, topics = planted_topic_corpus(n_docs=800)
    old_docs = [d for d in docs if d[0].startswith(("t0", "t1", "t2"))]
    new_docs = [d for d in docs if d[0].startswith(("t3", "t4"))]
    w2v = Word2VecTransformer(**FAST).partial_fit(old_docs)  # unfitted: same as fit
    old = w2v.wv_
    assert not any(w in old for w in topics[3])
    w2v.partial_fit(new_docs)
    new = w2v.wv_
    assert new.index_to_key[:len(old)] == old.index_to_key  # rows never move
    assert all(w in new for w in topics[3] + topics[4])
    # words absent from the new data keep their vectors exactly
    np.testing.assert_array_equal(new.vectors[:len(old)], old.vectors)
    assert len(w2v.loss_history_) == 2 * FAST.get("epochs", 5)
    # the new words are learned: neighbours of a new word are from its topic
    near = [w for w, _ in new.most_similar("t3w0", topn=5)]
    assert all(w.startswith("t3") for w in near)
    # counts of known words grow with new occurrences
    mixed = [topics[0][:5] + topics[3][:5]] * 3
    before = new.counts[new.key_to_index["t0w0"]]
    w2v.partial_fit(mixed)
    assert w2v.wv_.counts[w2v.wv_.key_to_index["t0w0"]] == before + 3


def test_estimate_memory():
    w2v = Word2VecTransformer(vector_size=10, negative=5, hs=True)
    est = w2v.estimate_memory(vocab_size=1000, corpus_words=10_000)
    assert est["vectors"] == 4 * 1000 * 10 * 2 + 4 * 999 * 10
    assert est["corpus"] == 40_000
    assert est["total"] == est["vectors"] + est["vocabulary"] + est["corpus"]


def test_doc_vector_can_change_after_fit_without_retraining(topic_texts):
    texts, _ = topic_texts
    base = Word2VecTransformer(**FAST).fit(texts)
    for rule in ("tfidf", "sif"):
        fresh = Word2VecTransformer(doc_vector=rule, **FAST).fit(texts)
        np.testing.assert_array_equal(base.wv_.vectors, fresh.wv_.vectors)
        base.set_params(doc_vector=rule)
        np.testing.assert_allclose(base.transform(texts), fresh.transform(texts),
                                   rtol=1e-5, atol=1e-6)
    base.set_params(doc_vector="max")
    with pytest.raises(ValueError, match="doc_vector"):
        base.transform(texts)


def test_streaming_bounds_runs_without_whitespace(tmp_path, monkeypatch):
    import skembed.word2vec.corpus as corpus

    monkeypatch.setattr(corpus, "CHUNK_CHARS", 1000)
    path = tmp_path / "blob.txt"
    path.write_text("word " * 50 + "x" * 20_000 + " tail tail\n" + "word more " * 50)
    chunks = list(corpus.iter_text_chunks(str(path)))
    assert max(map(len, chunks)) <= 1000 + corpus.MAX_TOKEN_CHARS
    tokens = " ".join(chunks).split()
    assert "x" * corpus.MAX_TOKEN_CHARS in tokens and max(map(len, tokens)) <= 100
    assert tokens[-1] == "more" and "tail" in tokens
    w2v = Word2VecTransformer(min_count=1, vector_size=4, input="filename").fit([str(path)])
    assert "tail" in w2v.wv_


def test_corrupt_gzip_names_the_file(tmp_path):
    path = tmp_path / "broken.txt.gz"
    path.write_bytes(gzip.compress(b"some words here and there\n" * 200)[:-40])
    with pytest.raises(ValueError, match="broken.txt.gz"):
        Word2VecTransformer(min_count=1, input="filename").fit([str(path)])


def test_numpy_scalar_params_and_thread_count():
    import numba

    before = numba.get_num_threads()
    w2v = Word2VecTransformer(vector_size=np.int64(4), min_count=1, sg=np.bool_(True),
                              lowercase=np.bool_(False), n_jobs=2, random_state=0)
    w2v.fit(["some words here", "and More words"])
    assert "More" in w2v.wv_ and numba.get_num_threads() == before
    w2v.transform(["more words"])
    assert numba.get_num_threads() == before


def test_gensim_style_integer_flags():
    w2v = Word2VecTransformer(sg=1, hs=0, cbow_mean=1, min_count=1, vector_size=4,
                              random_state=0).fit(["aa bb cc dd"] * 5)
    assert len(w2v.wv_) == 4
    with pytest.raises(ValueError, match="sg"):
        Word2VecTransformer(sg=2).fit(["aa bb cc dd"])


def test_default_learning_rate_by_mode():
    from skembed.word2vec import Word2VecConfig

    cbow = Word2VecConfig.from_params(Word2VecTransformer().get_params())
    sg = Word2VecConfig.from_params(Word2VecTransformer(sg=True).get_params())
    assert cbow.alpha == 0.05 and sg.alpha == 0.025
    assert Word2VecConfig.from_params(Word2VecTransformer(alpha=0.01).get_params()).alpha == 0.01
    with pytest.raises(ValueError, match="min_alpha"):
        Word2VecTransformer(sg=True, min_alpha=0.04).fit(["aa bb cc"] * 3)


def test_drop_training_state_shrinks_the_pickle(topic_texts):
    texts, _ = topic_texts
    w2v = Word2VecTransformer(vector_size=32, min_count=1, epochs=2, random_state=0).fit(texts)
    full = len(pickle.dumps(w2v))
    out = w2v.transform(texts[:5])
    w2v.drop_training_state()
    small = pickle.dumps(w2v)
    assert len(small) < 0.7 * full  # the output layer was as big as the vectors
    np.testing.assert_array_equal(pickle.loads(small).transform(texts[:5]), out)
    with pytest.raises(ValueError, match="drop_training_state"):
        w2v.partial_fit(texts[:5])
    assert w2v.fit(texts).partial_fit(texts[:5]) is w2v  # a new fit trains again


def test_failure_in_a_training_thread_stops_the_fit(monkeypatch):
    """A chunk that fails in one of two training threads (here a
    KeyboardInterrupt raised on the fourth chunk kernel call, in whichever
    thread makes it) reaches the caller, the other thread stops after its
    current chunk, the estimator is
    left unfitted and the next fit works."""
    import threading

    from skembed.word2vec import kernels

    rng = np.random.RandomState(0)
    words = np.array([f"w{i}" for i in range(300)])
    texts = [" ".join(rng.choice(words, 100)) for _ in range(3000)]  # 30 chunks an epoch
    real = kernels.chunk_kernel
    calls, threads, raised = [], set(), []

    def failing_kernel(*args, **kwargs):
        chunk = real(*args, **kwargs)

        def run(*a):
            calls.append(1)
            threads.add(threading.get_ident())
            # once both threads train (on a loaded machine the worker may
            # start late), the fourth call or the first after it fails
            if len(threads) == 2 and len(calls) >= 4 and not raised:
                raised.append(len(calls))
                raise KeyboardInterrupt
            return chunk(*a)
        return run

    monkeypatch.setattr(kernels, "chunk_kernel", failing_kernel)
    est = Word2VecTransformer(**dict(FAST, epochs=2), n_jobs=2)
    with pytest.raises(KeyboardInterrupt):
        est.fit(texts)
    assert len(threads) == 2  # the caller and a worker thread
    # of 60: the other thread stopped after its current chunk
    assert len(calls) <= raised[0] + 2
    with pytest.raises(NotFittedError):
        est.transform(texts[:2])
    monkeypatch.undo()
    assert est.fit(texts).transform(texts[:2]).shape == (2, FAST["vector_size"])
