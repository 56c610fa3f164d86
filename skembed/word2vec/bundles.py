"""The chunk kernel's bundles (:data:`~skembed.word2vec.kernels.Tables`,
:data:`~skembed.word2vec.kernels.Options`,
:data:`~skembed.word2vec.kernels.Weights`) built from the engine's config
and state, for training (:func:`~skembed.word2vec.trainer.train`) and
inference (:func:`~skembed.word2vec.inference.infer_documents`)."""

import numpy as np

from . import kernels
from .sampling import huffman_tree, negative_sampling_table
from .vocab import keep_probabilities


def kernel_tables(counts, config):
    """Subsampling, negative-sampling and Huffman tables of the vocabulary
    ``counts`` (a one-entry placeholder tree without hierarchical
    softmax)."""
    keep = keep_probabilities(counts, config.sample)
    threshold, alias = negative_sampling_table(counts, config.ns_exponent)
    if config.hs:
        codes, points, code_lens = huffman_tree(np.asarray(counts, dtype=np.int64))
    else:
        codes = np.zeros((1, 1), np.uint8)
        points = np.zeros((1, 1), np.int32)
        code_lens = np.zeros(1, np.int32)
    return kernels.Tables(keep, threshold, alias, codes, points, code_lens)


def kernel_options(config, state, alpha_start, alpha_end, schedule_words=1.0, infer_epochs=0):
    """The training options of ``config`` for ``state``, the learning rate
    falling from ``alpha_start`` to ``alpha_end`` over ``schedule_words``
    words (``infer_epochs`` > 0: inference, each document trained that many
    times in a row)."""
    return kernels.Options(
        sg=bool(config.sg), hs=bool(config.hs), negative=int(config.negative),
        cbow_mean=bool(config.cbow_mean), window=int(config.window),
        shrink_windows=bool(config.shrink_windows),
        shared_negatives=bool(config.shared_negatives), alpha_start=float(alpha_start),
        alpha_end=float(alpha_end), schedule_words=float(schedule_words),
        locked=bool(np.any(state.lockf != 1.0)), subwords=bool(len(state.sub_ids)),
        infer_epochs=int(infer_epochs))


def kernel_weights(state, docvecs=None):
    """The tables of ``state`` the kernel reads and trains; ``docvecs``
    (inference: the new documents' vectors) instead of the state's own."""
    if docvecs is None:
        docvecs = state.docvecs
    if docvecs is None:
        docvecs = np.zeros((0, state.syn0.shape[1]), np.float32)
    return kernels.Weights(state.syn0, state.syn1, state.syn1neg, state.lockf, state.ngrams,
                           state.sub_indptr, state.sub_ids, docvecs)
