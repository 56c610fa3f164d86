"""Parameter validation shared by the estimators."""

import numbers
import os
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_scalar
from sklearn.utils._param_validation import Interval, Options

from .keyed_vectors import KeyedVectors
from .word2vec.vocab import MAX_SENTENCE_LEN

# n_jobs as scikit-learn reads it: None (1, unless a joblib context sets
# n_jobs), a positive count, or -1, -2, ... (all cores, all but one, ...); 0 is
# an error (skembed._threads.resolve_n_threads turns it into threads)
N_JOBS = [Interval(Integral, None, -1, closed="right"),
          Interval(Integral, 1, None, closed="left"), None]

# a flag: True/False (numpy bools too) or, as gensim and the C tool write
# them, 0/1
FLAG = ["boolean", Options(Integral, {0, 1})]

# The word2vec hyper-parameters shared by Word2VecTransformer and
# ItemSequenceEmbedder.  Every integer is bounded so that no value can reach
# a kernel as an overflowing or absurd machine integer.
WORD2VEC_PARAMETERS = {
    "vector_size": [Interval(Integral, 1, 100_000, closed="both")],
    "window": [Interval(Integral, 1, MAX_SENTENCE_LEN, closed="both")],
    "sg": FLAG,
    "hs": FLAG,
    "negative": [Interval(Integral, 0, 1_000, closed="both")],
    "ns_exponent": [Interval(Real, -10, 10, closed="both")],
    "sample": [Interval(Real, 0, 1, closed="both")],
    "min_count": [Interval(Integral, 1, 2**40, closed="both")],
    "alpha": [Interval(Real, 0, 10, closed="right"), None],
    "min_alpha": [Interval(Real, 0, 10, closed="both")],
    "epochs": [Interval(Integral, 1, 1_000_000, closed="both")],
    "shrink_windows": FLAG,
    "shared_negatives": FLAG,
    "init_vectors": [KeyedVectors, str, os.PathLike, None],
    "lock_factor": [Interval(Real, 0, 1, closed="both")],
    "n_jobs": N_JOBS,
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def check_int_sequence(value, name, min_val=1, allow_empty=True):
    """Validate a sequence of ints (e.g. hidden layer sizes) into a tuple."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of ints, got {value!r}") from None
    for v in items:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < min_val:
            raise ValueError(f"{name} must contain ints >= {min_val}, got {value!r}")
    if not items and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    return tuple(int(v) for v in items)


def check_min_frequency(value, n_samples):
    """``min_frequency`` (None, int count or float fraction) as a count."""
    if value is None:
        return 1
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        check_scalar(value, "min_frequency", numbers.Integral, min_val=1)
        return int(value)
    if isinstance(value, numbers.Real):
        check_scalar(value, "min_frequency", numbers.Real, min_val=0.0, max_val=1.0,
                     include_boundaries="neither")
        return max(1, int(np.ceil(value * n_samples)))
    raise TypeError(f"min_frequency must be None, an int or a float, got {value!r}")
