"""The word2vec engine shared by the word and item estimators."""

from .config import Word2VecConfig
from .corpus import SequenceCorpus, TextFileCorpus
from .dask_corpus import DaskCorpus
from .state import Word2VecState, grow_state, init_state
from .trainer import fit_corpus, train
from .vocab import (
    EncodedCorpus,
    Vocabulary,
    count_keys,
    encode_corpus,
    finalize_vocab,
    keep_probabilities,
    update_vocab,
)

__all__ = [
    "DaskCorpus",
    "EncodedCorpus",
    "SequenceCorpus",
    "TextFileCorpus",
    "Vocabulary",
    "Word2VecConfig",
    "Word2VecState",
    "count_keys",
    "encode_corpus",
    "finalize_vocab",
    "fit_corpus",
    "grow_state",
    "init_state",
    "keep_probabilities",
    "train",
    "update_vocab",
]
