import numpy as np
import pandas as pd
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


# -- entity embeddings ----------------------------------------------------------------
FAST = dict(hidden_layer_sizes=(16,), batch_size=32, learning_rate=1e-2, max_iter=15,
            weight_decay=0.1)


def planted(n=1200, n_cats=12, seed=0):
    """Shops whose effects fall in two groups (+2 / -2), plus a numeric feature."""
    rng = np.random.RandomState(seed)
    shops = np.array([f"s{i:02d}" for i in range(n_cats)], dtype=object)
    group = {s: i % 2 for i, s in enumerate(shops)}
    shop = rng.choice(shops, n)
    num = rng.normal(size=n)
    effect = np.where([group[s] for s in shop], 2.0, -2.0)
    y = effect + 0.5 * num + rng.normal(0, 0.1, n)
    X = pd.DataFrame({"shop": shop, "num": num})
    return X, y, group
