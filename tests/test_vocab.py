import numpy as np
import pytest

from skembed._ragged import IndexedSequences
from skembed.word2vec.vocab import (
    MAX_SENTENCE_LEN,
    EncodedCorpus,
    count_keys,
    encode_corpus,
    finalize_vocab,
    keep_probabilities,
)


def test_counts_sorted_by_frequency_ties_by_first_occurrence():
    docs = [["b", "a", "c", "a"], ["c", "d", "a"]]
    counter, total, n_docs = count_keys(docs)
    vocab = finalize_vocab(counter, total, min_count=1)
    assert vocab.keys == ["a", "c", "b", "d"]  # a:3, c:2, then b before d (first seen)
    assert vocab.counts.tolist() == [3, 2, 1, 1]
    assert vocab.key_to_index == {"a": 0, "c": 1, "b": 2, "d": 3}
    assert (total, n_docs) == (7, 2)


def test_min_count_drops_rare_keys():
    counter, total, _ = count_keys([["x"] * 5 + ["y"] * 4 + ["z"]])
    vocab = finalize_vocab(counter, total, min_count=4)
    assert vocab.keys == ["x", "y"]
    assert vocab.total_words == 10


def test_max_final_vocab_raises_min_count():
    counts = {"a": 10, "b": 8, "c": 8, "d": 3, "e": 1}
    counter, total, _ = count_keys([[k] * c for k, c in counts.items()])
    vocab = finalize_vocab(counter, total, min_count=1, max_final_vocab=2)
    # b and c tie at 8: keeping at most 2 words means dropping both
    assert vocab.keys == ["a"]
    assert vocab.min_count == 9
    vocab = finalize_vocab(counter, total, min_count=1, max_final_vocab=3)
    assert vocab.keys == ["a", "b", "c"]


def test_max_vocab_size_prunes_while_counting():
    # 1000 singletons interleaved with a frequent word: pruning keeps the
    # counter bounded and never loses the frequent word
    docs = [["common", f"rare{i}"] for i in range(1000)]
    counter, _, _ = count_keys(docs, max_vocab_size=50)
    assert len(counter) <= 51
    assert counter["common"] >= 900
    full, _, _ = count_keys(docs)
    assert len(full) == 1001


def test_keep_probabilities_match_c_formula():
    counts = np.array([1000, 100, 10, 1])
    sample = 1e-2
    p = keep_probabilities(counts, sample)
    t = sample * counts.sum()
    expected = np.minimum((np.sqrt(counts / t) + 1) * t / counts, 1.0)
    np.testing.assert_allclose(p, expected, rtol=1e-6)
    assert p[0] < 1.0 and p[-1] == 1.0
    assert np.all(keep_probabilities(counts, 0) == 1.0)


def test_encode_corpus_drops_unknown_and_splits_long_documents():
    k2i = {"a": 0, "b": 1}
    long_doc = ["a"] * (MAX_SENTENCE_LEN + 5)
    docs = [["a", "zz", "b"], [], ["zz"], long_doc, ["b"]]
    corpus = encode_corpus(docs, k2i)
    assert corpus.raw_words == 3 + 1 + len(long_doc) + 1
    assert corpus.ids[:2].tolist() == [0, 1]
    lengths = np.diff(corpus.starts).tolist()
    assert lengths == [2, MAX_SENTENCE_LEN, 5, 1]
    assert corpus.doc_of_sentence.tolist() == [0, 3, 3, 4]
    # document boundaries recover the per-document token counts (OOV removed)
    assert corpus.documents().lengths.tolist() == [2, 0, 0, len(long_doc), 1]


@pytest.mark.parametrize("keys", [["x", 1, (2, 3)], [10, 20, 10]])
def test_vocabulary_accepts_any_hashable(keys):
    counter, total, _ = count_keys([keys])
    vocab = finalize_vocab(counter, total, min_count=1)
    assert set(vocab.keys) == set(keys)


@pytest.mark.parametrize("chunk_size", [7, 1 << 22])  # keys spread over many slices, one slice
def test_indexed_sequences_match_counter_and_dictionary_encoding(chunk_size):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    docs = [[words[j] for j in rng.zipf(1.5, size=n) % 40] for n in rng.integers(0, 30, 50)]
    docs.append(["x"] * (MAX_SENTENCE_LEN + 5))  # split into two sentences
    index = IndexedSequences.from_sequences(docs, chunk_size=chunk_size)
    counter, total, n_docs = count_keys(docs)
    assert index.counter() == dict(counter)
    assert list(index.counter()) == list(counter)  # same first-seen order (ties)
    assert (index.total, index.n_sequences) == (total, n_docs)
    vocab = finalize_vocab(counter, total, min_count=3)
    a = EncodedCorpus.from_ids(index.encode(vocab.key_to_index))
    b = encode_corpus(docs, vocab.key_to_index)
    np.testing.assert_array_equal(a.ids, b.ids)
    np.testing.assert_array_equal(a.starts, b.starts)
    np.testing.assert_array_equal(a.doc_of_sentence, b.doc_of_sentence)
    assert (a.n_documents, a.raw_words) == (b.n_documents, b.raw_words)


@pytest.mark.parametrize("chunk_size", [2, 3, 1 << 22])
def test_indexed_sequences_keep_mixed_and_missing_keys_distinct(chunk_size):
    # missing keys only in a later slice, or sharing a slice with other keys
    index = IndexedSequences.from_sequences([[1, "1", None, 2.5], [None, 1]],
                                            chunk_size=chunk_size)
    assert index.counter() == {1: 2, "1": 1, None: 2, 2.5: 1}
    assert index.codes.ids.tolist() == [0, 1, 2, 3, 2, 0]
