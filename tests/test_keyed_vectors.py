import numpy as np
import pytest

from skembed import KeyedVectors


@pytest.fixture
def analogy_kv():
    """Vectors with a planted gender direction and a royalty direction."""
    base = {
        "man": [1, 0, 0, 0], "woman": [1, 1, 0, 0], "king": [1, 0, 1, 0],
        "queen": [1, 1, 1, 0], "boy": [1, 0, 0, 1], "girl": [1, 1, 0, 1],
        "car": [0.2, 0, 0.1, -1], "apple": [0, -1, 0.3, 0],
    }
    keys = list(base)
    return KeyedVectors(keys, np.array([base[k] for k in keys], float), np.arange(8, 0, -1))


def test_container_protocol(analogy_kv):
    kv = analogy_kv
    assert len(kv) == 8 and "king" in kv and "prince" not in kv
    assert kv.index_to_key[kv.key_to_index["queen"]] == "queen"
    np.testing.assert_array_equal(kv["king"], [1, 0, 1, 0])
    assert kv[["man", "woman"]].shape == (2, 4)
    assert kv.vectors.dtype == np.float32 and kv.vector_size == 4


def test_unknown_key_raises_keyerror_naming_it(analogy_kv):
    with pytest.raises(KeyError, match="prince"):
        analogy_kv["prince"]
    with pytest.raises(KeyError, match="prince"):
        analogy_kv.most_similar("prince")
    with pytest.raises(KeyError, match="prince"):
        analogy_kv.most_similar(positive=["king"], negative=["prince"])


def test_most_similar_3cosadd_solves_planted_analogies(analogy_kv):
    kv = analogy_kv
    assert kv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"
    assert kv.most_similar(positive=["boy", "woman"], negative=["man"], topn=1)[0][0] == "girl"
    res = kv.most_similar("king", topn=3)
    assert "king" not in [k for k, _ in res]  # inputs are excluded
    scores = [s for _, s in res]
    assert scores == sorted(scores, reverse=True)
    # scores are cosine similarities
    expected = kv.similarity("king", res[0][0])
    assert res[0][1] == pytest.approx(expected, rel=1e-6)


def test_most_similar_cosmul_and_vectors_as_terms(analogy_kv):
    kv = analogy_kv
    top = kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=1)
    assert top[0][0] == "queen"
    # a raw vector can be a query term; it is not excluded from results
    assert kv.most_similar(positive=[kv["queen"]], topn=1)[0][0] == "queen"


def test_restrict_vocab_and_topn_none(analogy_kv):
    kv = analogy_kv
    res = kv.most_similar("man", topn=10, restrict_vocab=3)
    assert {k for k, _ in res} <= {"woman", "king"}
    all_scores = kv.most_similar("man", topn=None)
    assert all_scores.shape == (8,)


def test_similarity_symmetric_and_bounded(analogy_kv):
    s = analogy_kv.similarity("king", "queen")
    assert s == pytest.approx(analogy_kv.similarity("queen", "king"))
    assert -1 <= s <= 1
    assert analogy_kv.similarity("man", "man") == pytest.approx(1.0)


def test_evaluate_word_analogies(analogy_kv, tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(
        ": gender\nMan Woman King Queen\nman woman boy girl\nman woman king apple\n"
        ": other\nman king woman queen\nman woman prince princess\n"
    )
    acc, sections = analogy_kv.evaluate_word_analogies(path)
    assert [s["section"] for s in sections] == ["gender", "other", "Total accuracy"]
    gender = sections[0]
    assert len(gender["correct"]) == 2 and len(gender["incorrect"]) == 1
    assert len(sections[1]["correct"]) == 1  # the prince question is skipped (OOV)
    assert acc == pytest.approx(3 / 4)
    # restricting the vocabulary skips questions with rarer words
    acc, sections = analogy_kv.evaluate_word_analogies(path, restrict_vocab=4)
    total = sections[-1]
    assert len(total["correct"]) + len(total["incorrect"]) == 2


def test_evaluate_word_pairs(analogy_kv, tmp_path):
    path = tmp_path / "pairs.tsv"
    rows = [("king", "queen"), ("man", "woman"), ("man", "car"), ("king", "apple"),
            ("boy", "unknownword")]
    lines = ["# comment"]
    for a, b in rows:
        human = analogy_kv.similarity(a, b) * 10 if b in analogy_kv else 5.0
        lines.append(f"{a}\t{b}\t{human}")
    path.write_text("\n".join(lines) + "\n")
    pearson, spearman, oov = analogy_kv.evaluate_word_pairs(path)
    assert pearson[0] == pytest.approx(1.0) and spearman[0] == pytest.approx(1.0)
    assert oov == pytest.approx(20.0)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_word2vec_format_round_trip_is_exact(tmp_path, binary, suffix):
    rng = np.random.RandomState(0)
    keys = ["alpha", "béta", "gamma_3", "δ"]
    vectors = (rng.randn(4, 7) * 10.0 ** rng.randint(-8, 8, (4, 7))).astype(np.float32)
    kv = KeyedVectors(keys, vectors)
    path = tmp_path / f"vec.bin{suffix}"
    kv.save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == keys
    np.testing.assert_array_equal(back.vectors, vectors)  # bit-exact
    assert KeyedVectors.load_word2vec_format(path, binary=binary, limit=2).index_to_key == keys[:2]


def test_reads_c_tool_text_layout(tmp_path):
    # the C tool writes "%lf " per value: a trailing space before the newline
    path = tmp_path / "c.txt"
    path.write_text("2 3\n</s> 0.001 -0.002 0.003 \nword 1.000000 2.000000 3.000000 \n")
    kv = KeyedVectors.load_word2vec_format(path)
    assert kv.index_to_key == ["</s>", "word"]
    np.testing.assert_allclose(kv["word"], [1, 2, 3])


def test_bad_files_raise_clear_errors(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("2 3\nword 1 2\n")
    with pytest.raises(ValueError, match="2 values, expected 3"):
        KeyedVectors.load_word2vec_format(path)
    path.write_text("hello\n")
    with pytest.raises(ValueError, match="line 1"):
        KeyedVectors.load_word2vec_format(path)
    kv = KeyedVectors(["two words"], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="whitespace"):
        kv.save_word2vec_format(tmp_path / "x.txt")


@pytest.mark.parametrize("binary", [False, True])
def test_interchangeable_with_gensim(tmp_path, binary):
    gensim_models = pytest.importorskip("gensim.models")
    rng = np.random.RandomState(1)
    keys = [f"w{i}" for i in range(20)]
    vectors = rng.randn(20, 5).astype(np.float32)
    ours = tmp_path / "ours.w2v"
    KeyedVectors(keys, vectors).save_word2vec_format(ours, binary=binary)
    g = gensim_models.KeyedVectors.load_word2vec_format(str(ours), binary=binary)
    assert g.index_to_key == keys
    np.testing.assert_array_equal(g.vectors, vectors)
    theirs = tmp_path / "theirs.w2v"
    g.save_word2vec_format(str(theirs), binary=binary)
    back = KeyedVectors.load_word2vec_format(theirs, binary=binary)
    assert back.index_to_key == keys
    np.testing.assert_allclose(back.vectors, vectors, rtol=1e-6)
    # same neighbours, same scores
    ours_top = KeyedVectors(keys, vectors).most_similar("w3", topn=5)
    theirs_top = g.most_similar("w3", topn=5)
    assert [k for k, _ in ours_top] == [k for k, _ in theirs_top]
    np.testing.assert_allclose([s for _, s in ours_top], [s for _, s in theirs_top], rtol=1e-5)


def test_pickle_round_trip(analogy_kv):
    import pickle

    analogy_kv.most_similar("king")  # fills the norm cache
    back = pickle.loads(pickle.dumps(analogy_kv))
    assert back.most_similar("king") == analogy_kv.most_similar("king")


# -- files: every malformed one is a ValueError naming the file and the place -------
def _write(path, data):
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize("content, match", [
    ("2 3\nw 1 2 3\n", "announces 2 vectors but the file ends"),   # truncated
    ("1 3\nw 1 2 3\nx 4 5 6\n", "more vectors than the 1"),        # header lies about count
    ("2 4\nw 1 2 3\nx 4 5 6\n", "line 2 has 3 values, expected 4"),  # lies about dimension
    ("1 3\nw 1 nan 3\n", "line 2 holds a NaN"),
    ("1 3\nw 1 two 3\n", "line 2 holds a value that is not a number"),
    ("1000000000000 3\nw 1 2 3\n", "announces 1000000000000 vectors"),  # no 1 PiB allocation
    ("x y\n", "line 1 must be"),
    ("", "line 1 must be"),
])
def test_malformed_text_files(tmp_path, content, match):
    path = _write(tmp_path / "v.txt", content)
    with pytest.raises(ValueError, match=match) as info:
        KeyedVectors.load_word2vec_format(path)
    assert str(path) in str(info.value)


def test_malformed_binary_files(tmp_path):
    rows = np.arange(6, dtype="<f4").reshape(2, 3)
    good = b"2 3\n" + b"".join(k + b" " + r.tobytes() + b"\n"
                                for k, r in zip([b"a", b"ma"], rows, strict=True))
    kv = KeyedVectors.load_word2vec_format(_write(tmp_path / "ok.bin", good), binary=True)
    assert kv.index_to_key == ["a", "ma"]
    for data, match in [
        (good.replace(b"2 3\n", b"2 4\n", 1), "vector 1|ends"),   # dimension overstated
        (good.replace(b"2 3\n", b"1 3\n", 1), "more data after the 1 vectors"),
        (good[:-8], "ends inside vector 1"),
        (b"2 3\n\xff\xfe " + rows[0].tobytes() + good[20:], "not valid utf8"),
        (b"1 3\na " + np.array([1, np.nan, 2], "<f4").tobytes(), "NaN"),
    ]:
        with pytest.raises(ValueError, match=match) as info:
            KeyedVectors.load_word2vec_format(_write(tmp_path / "bad.bin", data), binary=True)
        assert "bad.bin" in str(info.value)


def test_corrupt_gzip_and_limit_and_glove(tmp_path):
    rng = np.random.RandomState(0)
    kv = KeyedVectors([f"w{i}" for i in range(50)], rng.randn(50, 4))
    kv.save_word2vec_format(tmp_path / "v.txt.gz")
    back = KeyedVectors.load_word2vec_format(tmp_path / "v.txt.gz", limit=7)
    assert back.index_to_key == kv.index_to_key[:7]
    np.testing.assert_array_equal(back.vectors, kv.vectors[:7])
    data = (tmp_path / "v.txt.gz").read_bytes()
    _write(tmp_path / "cut.txt.gz", data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.txt.gz"):
        KeyedVectors.load_word2vec_format(tmp_path / "cut.txt.gz")
    # GloVe: no header, the first row sets the dimension
    kv.save_word2vec_format(tmp_path / "glove.txt", write_header=False)
    glove = KeyedVectors.load_word2vec_format(tmp_path / "glove.txt", no_header=True)
    np.testing.assert_array_equal(glove.vectors, kv.vectors)
    assert KeyedVectors.load_word2vec_format(tmp_path / "glove.txt", no_header=True,
                                             limit=3).vectors.shape == (3, 4)


def test_files_written_by_gensim_fasttext_and_glove_style(tmp_path):
    models = pytest.importorskip("gensim.models")
    texts = [["alpha", "beta", "gamma", "delta"], ["beta", "gamma", "epsilon"]] * 20
    ft = models.FastText(texts, vector_size=6, min_count=1, epochs=2, seed=0, workers=1)
    ft.wv.save_word2vec_format(str(tmp_path / "ft.vec"))   # fastText-style .vec
    ours = KeyedVectors.load_word2vec_format(tmp_path / "ft.vec")
    assert ours.index_to_key == list(ft.wv.index_to_key)
    np.testing.assert_allclose(ours.vectors, ft.wv.vectors, rtol=1e-6)
    ft.wv.save_word2vec_format(str(tmp_path / "ft.bin.gz"), binary=True)
    ours = KeyedVectors.load_word2vec_format(tmp_path / "ft.bin.gz", binary=True)
    np.testing.assert_array_equal(ours.vectors, ft.wv.vectors)
    # gensim reads GloVe-style files (no header) written by skembed
    ours.save_word2vec_format(tmp_path / "g.txt", write_header=False)
    g = models.KeyedVectors.load_word2vec_format(str(tmp_path / "g.txt"), no_header=True)
    np.testing.assert_allclose(g.vectors, ours.vectors, rtol=1e-6)


def test_save_load_memory_mapped_and_shared(tmp_path):
    import copy
    import pickle

    kv = KeyedVectors([("a", 1), ("b", 2), "c"], np.arange(6.0).reshape(3, 2), [5, 3, 1])
    kv.save(tmp_path / "kv")
    back = KeyedVectors.load(tmp_path / "kv", mmap_mode="r")
    assert isinstance(back.vectors, np.memmap) and not back.vectors.flags.writeable
    assert back.index_to_key == kv.index_to_key and back.counts.tolist() == [5, 3, 1]
    np.testing.assert_array_equal(back[("a", 1)], [0.0, 1.0])
    ints = KeyedVectors([3, 1], np.eye(2))
    ints.save(tmp_path / "ints")
    assert KeyedVectors.load(tmp_path / "ints").index_to_key == [3, 1]
    # immutable: copies share the table, writes are refused
    assert copy.deepcopy(back) is back
    with pytest.raises(ValueError):
        back.vectors[0, 0] = 1.0
    assert pickle.loads(pickle.dumps(back)).index_to_key == kv.index_to_key
    with pytest.raises(FileNotFoundError, match="vectors.npy"):
        KeyedVectors.load(tmp_path)


def test_tuple_keys_win_over_key_lists():
    kv = KeyedVectors([(1, 2), 1, 2], np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]))
    np.testing.assert_array_equal(kv[(1, 2)], [1.0, 0.0])
    assert kv[[1, 2]].shape == (2, 2)
    assert kv.most_similar((1, 2), topn=1)[0][0] == 2
    with pytest.raises(ValueError, match="topn"):
        kv.most_similar(1, topn=2.5)
    with pytest.raises(ValueError, match="topn"):
        kv.most_similar(1, topn=-1)
    assert kv.most_similar(1, topn=0) == []


def test_normed_vectors_cached_and_most_similar_matches_brute_force():
    rng = np.random.RandomState(0)
    kv = KeyedVectors([f"k{i}" for i in range(300)], rng.randn(300, 8))
    assert kv.get_normed_vectors() is kv.get_normed_vectors()
    unit = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    scores = unit @ unit[5]
    scores[5] = -np.inf
    expected = [f"k{i}" for i in np.argsort(-scores)[:10]]
    assert [k for k, _ in kv.most_similar("k5")] == expected
    assert kv.similarity("k1", "k2") == pytest.approx(float(unit[1] @ unit[2]), rel=1e-5)
