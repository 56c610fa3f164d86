"""Parameter validation shared by the estimators."""

import numbers

import numpy as np
from sklearn.utils import check_scalar

from .word2vec import Word2VecConfig


def check_bool(value, name):
    if not isinstance(value, (bool, numbers.Integral)) or value not in (0, 1):
        raise ValueError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def check_option(value, name, options):
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}")
    return value


def check_n_jobs(n_jobs):
    if n_jobs is not None and (not isinstance(n_jobs, numbers.Integral) or n_jobs == 0):
        raise ValueError(f"n_jobs must be None or a non-zero int, got {n_jobs!r}")
    return n_jobs


def word2vec_config(est, window=None):
    """Validate the word2vec hyper-parameters of ``est`` into a config.

    ``window`` overrides ``est.window`` (e.g. a resolved ``"all"``).
    Raises ``ValueError`` naming the parameter (``TypeError`` for wrong types).
    """
    vector_size = check_scalar(est.vector_size, "vector_size", numbers.Integral, min_val=1)
    window = est.window if window is None else window
    window = check_scalar(window, "window", numbers.Integral, min_val=1)
    negative = check_scalar(est.negative, "negative", numbers.Integral, min_val=0)
    hs = check_bool(est.hs, "hs")
    if not hs and negative == 0:
        raise ValueError(
            "hs=False with negative=0 leaves no output layer to train: "
            "set negative > 0 (negative sampling) or hs=True (hierarchical softmax)"
        )
    ns_exponent = check_scalar(est.ns_exponent, "ns_exponent", numbers.Real)
    sample = check_scalar(est.sample, "sample", numbers.Real, min_val=0.0)
    alpha = check_scalar(est.alpha, "alpha", numbers.Real, min_val=0.0,
                         include_boundaries="neither")
    min_alpha = check_scalar(est.min_alpha, "min_alpha", numbers.Real, min_val=0.0,
                             max_val=alpha)
    epochs = check_scalar(est.epochs, "epochs", numbers.Integral, min_val=1)
    return Word2VecConfig(
        vector_size=int(vector_size),
        window=int(window),
        sg=check_bool(est.sg, "sg"),
        hs=hs,
        negative=int(negative),
        ns_exponent=float(ns_exponent),
        cbow_mean=check_bool(getattr(est, "cbow_mean", True), "cbow_mean"),
        sample=float(sample),
        alpha=float(alpha),
        min_alpha=float(min_alpha),
        epochs=int(epochs),
        shrink_windows=check_bool(est.shrink_windows, "shrink_windows"),
        shared_negatives=check_bool(getattr(est, "shared_negatives", False),
                                    "shared_negatives"),
    )


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
