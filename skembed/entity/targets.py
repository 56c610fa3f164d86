"""Targets of the entity estimators: regression scaling, class encoding and
the output biases of the class prior, one implementation for the encoder and
the predictors."""

import numpy as np
import pandas as pd
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d


def check_regression_target(y):
    """Finite float64 regression target (NaN/inf -> ValueError): 1-D, or 2-D
    with one column per output (a single column is made 1-D)."""
    y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    if y.ndim == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}")
    return y


def target_scaling(y):
    """Mean and standard deviation of ``y`` (1 when constant), per output
    column for a 2-D ``y``: the network learns the standardised target."""
    mean = np.mean(y, axis=0)
    scale = np.std(y, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    if np.ndim(y) == 1:
        return float(mean), float(scale)
    return mean, scale


def encode_classes(y, classes=None, task=None):
    """Class labels as the network's training target.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, 1)
    classes : ndarray, optional
        The classes of an earlier fit (``warm_start``): ``y`` may not hold
        others.
    task : {"binary", "multiclass", "multilabel"}, optional
        Required task; ``None`` infers it from the number of classes.

    Returns
    -------
    y_fit : ndarray
        Float 0/1 (binary, one sigmoid output; multilabel, one per label) or
        int class indices (multiclass, softmax).
    classes : ndarray
    n_outputs : int
    task : str
    """
    y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    if y.ndim == 2 and type_of_target(y) == "multilabel-indicator":
        return _encode_multilabel(y, classes, task)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D class labels or a 2-D 0/1 indicator of labels, "
                         f"got shape {y.shape}")
    check_classification_targets(y)
    if classes is not None:
        new = np.setdiff1d(np.unique(y), classes)
        if len(new):
            raise ValueError(f"y has new classes {new.tolist()}, not among the classes "
                             f"fixed by the first fit ({classes.tolist()}; warm_start or "
                             "partial_fit)")
        y_enc = np.searchsorted(classes, y)
    else:
        encoder = LabelEncoder()
        y_enc = encoder.fit_transform(y)
        classes = encoder.classes_
    n_classes = len(classes)
    if n_classes < 2:
        raise ValueError(f"y contains only one class ({classes[0]!r}); a classification "
                         "task needs at least 2 classes")
    inferred = "binary" if n_classes == 2 else "multiclass"
    if task is not None and task != inferred:
        raise ValueError(f"task={task!r} but y has {n_classes} classes")
    if inferred == "binary":
        return y_enc.astype(np.float64), classes, 1, inferred
    return y_enc.astype(np.int64), classes, n_classes, inferred


# task="auto": integer targets with more distinct values are regression
MAX_AUTO_CLASSES = 20


def resolve_task(y):
    """The task ``"auto"`` means for ``y`` (see the ``task`` parameter).

    Examples
    --------
    >>> from skembed.entity.targets import resolve_task
    >>> resolve_task(["a", "b", "c"]), resolve_task([0, 1, 1]), resolve_task(list(range(50)))
    ('multiclass', 'binary', 'regression')
    """
    values = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame)) else y)
    numeric = values.dtype.kind in "iuf"
    if numeric and values.size and np.unique(values[~np.isnan(values)]
                                             if values.dtype.kind == "f" else values).size == 1:
        return "regression"  # a constant number: nothing to classify
    kind = type_of_target(y, input_name="y", raise_unknown=True)
    if kind == "continuous-multioutput":
        return "regression"
    if kind == "multilabel-indicator":
        return "multilabel"
    if kind == "binary":
        return "binary"
    if kind == "multiclass":
        if numeric and np.unique(values).size > MAX_AUTO_CLASSES:
            return "regression"
        return "multiclass"
    if kind == "continuous":
        return "regression"
    raise ValueError(f"task='auto' cannot use a target of type {kind!r}; y must be "
                     "continuous (1-D or one column per output), binary, multiclass or a "
                     "multilabel indicator")


def _encode_multilabel(y, classes, task):
    """A 0/1 indicator matrix: one sigmoid output per label (classes are the
    label indices, as :class:`~sklearn.neural_network.MLPClassifier`)."""
    if task not in (None, "multilabel"):
        raise ValueError(f"task={task!r} but y is a multilabel indicator matrix")
    labels = np.arange(y.shape[1])
    if classes is not None and len(classes) != len(labels):
        raise ValueError(f"warm_start=True but y has {len(labels)} labels, not "
                         f"{len(classes)}")
    return y.astype(np.float64), labels, y.shape[1], "multilabel"


def normalised_weights(sample_weight, n):
    """Sample weights of mean 1 (the learning rate keeps its meaning)."""
    if sample_weight is None:
        return np.ones(n)
    w = np.asarray(sample_weight, np.float64)
    if w.sum() <= 0:
        raise ValueError("sample_weight has no non-zero weight: nothing to fit")
    return w * (n / w.sum())


def output_prior(y, sample_weight, task, n_outputs):
    """Output biases that predict the (weighted) prior before training: the
    log-odds of each label, the log class frequencies; 0 for the
    standardised regression target.  The first steps then learn effects
    rather than the base rate (a rare class starts near its rate, not 0.5)."""
    if task == "regression":
        return np.zeros(n_outputs)
    w = normalised_weights(sample_weight, y.shape[0])
    if task == "multiclass":
        freq = np.bincount(y, weights=w, minlength=n_outputs) / max(w.sum(), 1e-300)
        logp = np.log(np.clip(freq, 1e-6, None))
        return logp - logp.mean()
    rate = np.clip(np.average(y.reshape(y.shape[0], -1), axis=0, weights=w), 1e-6, 1 - 1e-6)
    return np.log(rate / (1 - rate))


def category_target_sums(y_fit, task, codes, n_categories):
    """Sum of the training target over each category's rows, (n_categories,
    k) floats: a regression's or a binary/multilabel target as they are, a
    multiclass one as counts of every class but the first (indicators never
    formed: n_samples x n_classes would dwarf the table)."""
    y = np.asarray(y_fit)
    codes = np.asarray(codes, dtype=np.int64)
    if task == "multiclass":
        k = int(y.max()) + 1 if len(y) else 1
        counts = np.bincount(codes * k + y.astype(np.int64), minlength=n_categories * k)
        return counts.reshape(n_categories, k)[:, 1:].astype(np.float64)
    y = y.reshape(len(y), -1).astype(np.float64)
    return np.stack([np.bincount(codes, weights=y[:, j], minlength=n_categories)
                     for j in range(y.shape[1])], axis=1)
