import numpy as np
import pytest


def planted_topic_corpus(n_topics=5, words_per_topic=20, n_docs=400, doc_len=30, seed=0):
    """Documents that each draw words from one topic: words of a topic share
    contexts, words of different topics never co-occur."""
    rng = np.random.RandomState(seed)
    topics = [[f"t{k}w{i}" for i in range(words_per_topic)] for k in range(n_topics)]
    docs = [list(rng.choice(topics[rng.randint(n_topics)], doc_len)) for _ in range(n_docs)]
    return docs, topics


def topic_of(word):
    return word.split("w")[0]


def neighbour_purity(kv, topn=5):
    """Share of each word's nearest neighbours that belong to its topic."""
    hits = [
        np.mean([topic_of(n) == topic_of(k) for n, _ in kv.most_similar(k, topn=topn)])
        for k in kv.index_to_key
    ]
    return float(np.mean(hits))


@pytest.fixture(scope="session")
def topic_corpus():
    return planted_topic_corpus()
