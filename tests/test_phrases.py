"""PhraseTransformer: planted collocations, gensim's phrases and scores, connector
words, several passes, bounded counting, bad input and pipelines."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

import skembed.phrases as phrases_module
from skembed import PhraseTransformer, Word2VecTransformer


def planted_phrases(n_docs=400, seed=0):
    """Random words with planted collocations: "new york" (and "new york
    times"), "bank of america", "machine learning"."""
    rng = np.random.RandomState(seed)
    words = [f"w{i}" for i in range(150)] + ["the", "of", "a", "and", "new", "times"]
    planted = [["new", "york"], ["new", "york", "times"], ["bank", "of", "america"],
               ["machine", "learning"], ["the", "bank", "of", "america"]]
    docs = []
    for _ in range(n_docs):
        doc = [str(w) for w in rng.choice(words, rng.randint(5, 30))]
        for _ in range(rng.randint(0, 3)):
            at = rng.randint(len(doc) + 1)
            doc[at:at] = planted[rng.randint(len(planted))]
        docs.append(doc)
    return docs


@pytest.fixture(scope="module")
def docs():
    return planted_phrases()


def test_planted_collocations_are_found_and_joined(docs):
    model = PhraseTransformer(min_count=5, threshold=10.0).fit(docs)
    assert {"new_york", "machine_learning"} <= set(model.phrases_)
    assert not any(p.startswith("w") and p.split("_")[1].startswith("w")
                   for p in model.phrases_)  # random pairs are not phrases
    out = model.transform([["i", "saw", "new", "york", "and", "machine", "learning"]])
    assert out == [["i", "saw", "new_york", "and", "machine_learning"]]
    assert model.corpus_word_count_ == sum(map(len, docs))
    # strings are tokenized as Word2VecTransformer tokenizes them
    assert model.transform(["New York, machine learning!"]) == [["new_york",
                                                                 "machine_learning"]]


def test_connector_words_sit_inside_phrases(docs):
    plain = PhraseTransformer(threshold=1.0).fit(docs)
    assert "bank_of_america" not in plain.phrases_
    joined = PhraseTransformer(threshold=1.0, connector_words="english").fit(docs)
    assert "bank_of_america" in joined.phrases_
    assert joined.transform([["the", "bank", "of", "america"]]) == [["the",
                                                                      "bank_of_america"]]
    own = PhraseTransformer(threshold=1.0, connector_words=["of"]).fit(docs)
    assert "bank_of_america" in own.phrases_


def test_several_passes_find_longer_phrases(docs):
    model = PhraseTransformer(min_count=3, threshold=1.0, passes=2).fit(docs)
    assert "new_york" in model.phrases_per_pass_[0]
    assert "new_york_times" in model.phrases_per_pass_[1]
    assert model.transform([["the", "new", "york", "times"]]) == [["the", "new_york_times"]]
    assert set(model.phrases_) == set(model.phrases_per_pass_[0]) | set(
        model.phrases_per_pass_[1])


def test_a_word_ending_a_phrase_does_not_start_the_next():
    docs = [["aa", "bb", "cc"]] * 20 + [["bb", "cc"]] * 20 + [["xx", "yy"]] * 5
    model = PhraseTransformer(min_count=1, threshold=1e-9).fit(docs)
    assert {"aa_bb", "bb_cc"} <= set(model.phrases_)
    assert model.transform([["aa", "bb", "cc"]]) == [["aa_bb", "cc"]]  # left to right
    assert model.transform([["zz", "bb", "cc"]]) == [["zz", "bb_cc"]]


@pytest.mark.parametrize("params", [
    dict(),
    dict(min_count=2, threshold=2.0, connector_words="english"),
    dict(scoring="npmi", threshold=0.3),
    dict(scoring="npmi", threshold=-0.5, min_count=1, connector_words=["of", "the"]),
    dict(threshold=1e-9, min_count=1),
], ids=["default", "connectors", "npmi", "npmi_negative", "tiny_threshold"])
def test_phrases_and_scores_equal_gensims(docs, params):
    gensim_phrases = pytest.importorskip("gensim.models.phrases")
    kwargs = dict(params)
    if kwargs.get("connector_words") == "english":
        kwargs["connector_words"] = gensim_phrases.ENGLISH_CONNECTOR_WORDS
    elif "connector_words" in kwargs:
        kwargs["connector_words"] = frozenset(kwargs["connector_words"])
    # a token holding the delimiter, counted together with the phrase it spells
    corpus = docs + [["new_york", "w1"]] * 3
    theirs = gensim_phrases.Phrases(corpus, **kwargs)
    ours = PhraseTransformer(**params).fit(corpus)
    assert ours.phrases_ == theirs.export_phrases()  # the same floats
    assert ours.transform(corpus) == [theirs[d] for d in corpus]


def test_counting_memory_is_bounded(docs, monkeypatch):
    """Pruned whenever the counts hold more than max_vocab_size entries (after
    each block: small blocks here); frequent phrases survive."""
    monkeypatch.setattr(phrases_module, "_BLOCK_TOKENS", 500)
    sizes = []
    real = phrases_module._Counts.add

    def add(self, *args):
        real(self, *args)
        sizes.append(len(self.table))

    monkeypatch.setattr(phrases_module._Counts, "add", add)
    model = PhraseTransformer(max_vocab_size=1000, threshold=1.0).fit(docs)
    assert len(sizes) > 10 and max(sizes) <= 1000
    assert {"new_york", "machine_learning"} <= set(model.phrases_)
    monkeypatch.undo()
    # unbounded: the same blocks give the phrases of one count
    full = PhraseTransformer(threshold=1.0).fit(docs)
    monkeypatch.setattr(phrases_module, "_BLOCK_TOKENS", 500)
    assert PhraseTransformer(threshold=1.0).fit(docs).phrases_ == full.phrases_


def test_pipeline_into_word2vec(docs):
    texts = [" ".join(d) for d in docs]
    pipe = make_pipeline(PhraseTransformer(threshold=1.0, connector_words="english"),
                         Word2VecTransformer(vector_size=8, min_count=2, random_state=0))
    vectors = pipe.fit_transform(texts)
    assert vectors.shape == (len(texts), 8)
    assert "new_york" in pipe[-1].wv_ and "bank_of_america" in pipe[-1].wv_
    back = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(back.transform(texts[:5]), pipe.transform(texts[:5]))
    assert clone(pipe[0]).get_params() == pipe[0].get_params()


def test_bad_input_is_rejected(docs):
    with pytest.raises(NotFittedError):
        PhraseTransformer().transform([["aa"]])
    with pytest.raises(ValueError, match="no documents"):
        PhraseTransformer().fit([])
    with pytest.raises(ValueError, match="empty after tokenizing"):
        PhraseTransformer().fit(["", "!!", []])
    with pytest.raises(ValueError, match="single string"):
        PhraseTransformer().fit("new york")
    with pytest.raises(TypeError, match="document 1 contains a token of type int"):
        PhraseTransformer().fit([["aa", "bb"], ["cc", 3]])
    with pytest.raises(TypeError, match="document 1 is a int"):
        PhraseTransformer().fit([["aa", "bb"], 3])
    with pytest.raises(TypeError, match="document 1 is a NoneType.*fillna"):
        PhraseTransformer().fit(["aa bb", None])  # a missing text
    with pytest.raises(ValueError, match="threshold"):
        PhraseTransformer(scoring="npmi", threshold=10.0).fit(docs)
    with pytest.raises(ValueError, match="threshold > 0"):
        PhraseTransformer(threshold=0.0).fit(docs)
    with pytest.raises(ValueError, match="delimiter"):
        PhraseTransformer(delimiter="").fit(docs)
    with pytest.raises(TypeError, match="connector_words"):
        PhraseTransformer(connector_words=[1, 2]).fit(docs)
    model = PhraseTransformer(threshold=1.0).fit(docs)
    assert model.transform([[], ["new"], ["york", "new"]]) == [[], ["new"], ["york", "new"]]
    assert model.transform([]) == []
    # unknown words pass through; empty documents count for nothing
    assert model.transform([["qq", "zz"], ["qq", "new", "york", ""]]) == [
        ["qq", "zz"], ["qq", "new_york", ""]]
    assert model.transform(["", "!!"]) == [[], []]
    padded = PhraseTransformer(threshold=1.0).fit([[], ""] + docs + ["!!", []])
    assert padded.phrases_ == model.phrases_
