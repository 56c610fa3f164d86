"""Evaluation of word vectors: analogy questions (``questions-words.txt``) and
correlation with human similarity judgements (WordSim-353, SimLex-999).

The methods :meth:`skembed.KeyedVectors.evaluate_word_analogies` and
:meth:`~skembed.KeyedVectors.evaluate_word_pairs` call these functions.
"""

import numpy as np

from .files import open_file

__all__ = ["evaluate_word_analogies", "evaluate_word_pairs"]


def evaluate_word_analogies(kv, path, restrict_vocab=30000, case_insensitive=True):
    """See :meth:`skembed.KeyedVectors.evaluate_word_analogies`."""
    restrict = len(kv) if restrict_vocab is None else min(restrict_vocab, len(kv))

    def norm(w):
        return w.lower() if case_insensitive else w

    vocab = {}
    for i, k in enumerate(kv.index_to_key[:restrict]):
        if isinstance(k, str):
            vocab.setdefault(norm(k), i)
    sections, current = [], None
    with open_file(path, "rt") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith(":"):
                current = {"section": line[1:].strip(), "questions": []}
                sections.append(current)
                continue
            if current is None:
                raise ValueError(f"{path}: question before the first ': section' line")
            words = line.split()
            if len(words) != 4:
                raise ValueError(f"{path}: expected 4 words per question, got {line!r}")
            current["questions"].append(tuple(norm(w) for w in words))

    normed = kv.get_normed_vectors()[:restrict]
    results, correct_all, incorrect_all = [], [], []
    for sec in sections:
        qs = [q for q in sec["questions"] if all(w in vocab for w in q)]
        correct, incorrect = [], []
        for start in range(0, len(qs), 1024):
            batch = qs[start:start + 1024]
            idx = np.array([[vocab[w] for w in q] for q in batch], dtype=np.int64)
            query = normed[idx[:, 1]] - normed[idx[:, 0]] + normed[idx[:, 2]]
            scores = query @ normed.T
            rows = np.arange(len(batch))
            for col in range(3):
                scores[rows, idx[:, col]] = -np.inf
            pred = np.argmax(scores, axis=1)
            for q, p, expected in zip(batch, pred, idx[:, 3], strict=True):
                (correct if p == expected else incorrect).append(q)
        results.append({"section": sec["section"], "correct": correct,
                        "incorrect": incorrect})
        correct_all += correct
        incorrect_all += incorrect
    results.append({"section": "Total accuracy", "correct": correct_all,
                    "incorrect": incorrect_all})
    answered = len(correct_all) + len(incorrect_all)
    accuracy = len(correct_all) / answered if answered else 0.0
    return accuracy, results


def evaluate_word_pairs(kv, path, delimiter="\t", restrict_vocab=300000,
                        case_insensitive=True):
    """See :meth:`skembed.KeyedVectors.evaluate_word_pairs`."""
    from scipy import stats

    restrict = len(kv) if restrict_vocab is None else min(restrict_vocab, len(kv))
    vocab = {}
    for i, k in enumerate(kv.index_to_key[:restrict]):
        if isinstance(k, str):
            vocab.setdefault(k.lower() if case_insensitive else k, i)
    normed = kv.get_normed_vectors()
    sim_model, sim_human, n_pairs, n_oov = [], [], 0, 0
    with open_file(path, "rt") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split(delimiter)
            if len(parts) < 3:
                raise ValueError(f"{path}: expected 'word1{delimiter}word2{delimiter}score'"
                                 f", got {line!r}")
            a, b = parts[0].strip(), parts[1].strip()
            if case_insensitive:
                a, b = a.lower(), b.lower()
            n_pairs += 1
            if a not in vocab or b not in vocab:
                n_oov += 1
                continue
            sim_model.append(float(normed[vocab[a]] @ normed[vocab[b]]))
            sim_human.append(float(parts[2]))
    if len(sim_model) < 2:
        raise ValueError(f"{path}: fewer than two pairs with both words in vocabulary")
    pearson = stats.pearsonr(sim_human, sim_model)
    spearman = stats.spearmanr(sim_human, sim_model)
    return pearson, spearman, 100.0 * n_oov / max(n_pairs, 1)
