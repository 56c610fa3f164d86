"""The word2vec engine shared by the word and item estimators."""

from .trainer import (
    Word2VecConfig,
    Word2VecState,
    fit_sequences,
    grow_state,
    init_state,
    resolve_n_threads,
    train,
)
from .vocab import (
    EncodedCorpus,
    TokenIndex,
    Vocabulary,
    count_keys,
    encode_corpus,
    finalize_vocab,
    keep_probabilities,
    update_vocab,
)

__all__ = [
    "EncodedCorpus",
    "TokenIndex",
    "Vocabulary",
    "Word2VecConfig",
    "Word2VecState",
    "count_keys",
    "encode_corpus",
    "finalize_vocab",
    "fit_sequences",
    "grow_state",
    "init_state",
    "keep_probabilities",
    "resolve_n_threads",
    "train",
    "update_vocab",
]
