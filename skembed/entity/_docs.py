"""One source for the parameter and attribute docs of the entity estimators
(the encoder, the regressor and the classifier share most of them)."""

PARAMETERS = {
    "categorical_features": (
        'categorical_features : "auto", None, or array-like of str, int or bool, '
        'default="auto"\n') + '''\
    Columns to embed.  ``"auto"``: columns of a DataFrame with object,
    string or ``category`` dtype, or every column of an object/string array;
    ``None``: none.  Otherwise names, positions or a boolean mask (as
    :class:`~sklearn.ensemble.HistGradientBoostingRegressor`).  Integer
    columns listed here are treated as categories, not magnitudes.  All other
    columns must be numeric; they are standardised and concatenated with the
    embeddings.  A missing value (NaN) of a numeric column becomes the
    column's training mean, and each column with missing values in training
    gets one more input that flags them (as
    :class:`~sklearn.impute.SimpleImputer` with ``add_indicator=True``).''',
    "embedding_dims": '''embedding_dims : "auto", int or dict, default="auto"
    Width of each categorical feature's embedding.  ``"auto"`` uses fastai's
    ``min(600, round(1.6 * n_categories ** 0.56))`` (the better of two rules
    on Rossmann, see docs/benchmarks.md); a dict maps feature names (or
    positions among the categorical features) to widths, other features use
    ``"auto"``.''',
    "hidden_layer_sizes": '''hidden_layer_sizes : tuple of int, default=(256, 128)
    Dense ReLU layers after the embeddings.''',
    "dropout": '''dropout : float, default=0.0
    Dropout rate after each hidden layer during training.''',
    "task": '''task : {"auto", "regression", "binary", "multiclass", "multilabel"}, \
default="auto"
    Loss of the network: squared error (summed over the columns of a 2-D
    ``y``), logistic (one per label of a 0/1 indicator ``y``) or softmax
    cross-entropy.
    ``"auto"``: classification for labels (strings, booleans, two values) and
    for integer targets with at most 20 distinct values; regression for other
    numbers, so integer counts or sales (Rossmann's ``Sales``: 13,662 values)
    and constant targets are regression.  Stricter than
    :func:`~sklearn.utils.multiclass.type_of_target`, which calls any integer
    target multiclass; pass ``task`` to decide.''',
    "batch_size": '''batch_size : int, default=256
    Minibatch size; the data are reshuffled every epoch.''',
    "learning_rate": '''learning_rate : float, default=1e-3
    Adam step size (the initial one under ``learning_rate_schedule="cosine"``).''',
    "learning_rate_schedule": '''learning_rate_schedule : {"cosine", "constant"}, \
default="cosine"
    ``"cosine"``: the step size falls along a half cosine from
    ``learning_rate`` to 0 over the ``max_iter`` epochs of each ``fit``
    (early stopping may end it sooner); ``"constant"``: it stays.''',
    "weight_decay": '''weight_decay : float, default=1.0
    Decoupled weight decay (AdamW): every step first shrinks the dense
    weights and the embedding rows of the batch by ``step size *
    weight_decay`` of themselves.  The product is what matters: the
    defaults shrink by 0.1% per step, PyTorch's ``AdamW`` defaults
    (``lr=1e-3, weight_decay=1e-2``) by 0.001%.  0 turns it off.''',
    "embedding_dropout": '''embedding_dropout : float, default=0.0
    Probability that a category of a training row is replaced by the
    shared unknown row, which then learns what an unseen category (a new
    store) should look like instead of the frequency-weighted mean.''',
    "validation_split": '''validation_split : {"random", "last"}, default="random"
    Which rows ``early_stopping`` holds out: a random (stratified for
    classes) ``validation_fraction``, or the last rows, for data in time
    order where the model will predict later rows.''',
    "max_iter": '''max_iter : int, default=10
    Number of epochs.''',
    "early_stopping": '''early_stopping : "auto" or bool, default="auto"
    Hold out ``validation_fraction`` of the data, stop once its loss has not
    improved by ``tol`` for ``n_iter_no_change`` epochs and keep the best
    weights.  ``"auto"``: on when there are more than 10,000 samples (as
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier`).''',
    "validation_fraction": '''validation_fraction : float, default=0.1
    Share of the data held out by ``early_stopping``.''',
    "n_iter_no_change": '''n_iter_no_change : int, default=3
    Epochs without improvement before ``early_stopping`` stops.''',
    "tol": '''tol : float, default=1e-4
    Smallest improvement of the validation loss that counts.''',
    "min_frequency": '''min_frequency : int, float or None, default=None
    Categories seen fewer times (a float is a fraction of the samples) share
    one embedding row with the categories unseen in training.''',
    "substrings": '''substrings : "auto" or bool, default="auto"
    Whether the categories of a column of strings share what their
    spelling shares: each character n-gram (2 to 4 characters within word
    boundaries, as fastText's subwords) that several categories contain gets
    an embedding row, and a category's embedding is its own row plus the
    mean of its n-grams' rows.  Rare categories then borrow from similar
    ones ("Police Officer III" from "Police Officer II"; ZIP codes from
    their prefix), and a category unseen in training is placed by its
    n-grams instead of getting the shared row alone.  ``"auto"``: columns of
    strings with more than 40 distinct values.''',
    "handle_unknown": '''handle_unknown : {"infrequent", "error"}, default="infrequent"
    Categories unseen in training (a new store) get the shared row, so the
    prediction rests on the other features; or raise a ``ValueError``.  When
    no category is infrequent, the shared row is the frequency-weighted mean
    of the learned rows.''',
    "cv": '''cv : int, cross-validation generator, iterable or None, default=5
    Cross-fitting of :meth:`fit_transform`: the number of folds (shuffled
    :class:`~sklearn.model_selection.KFold`, stratified for classes), a
    splitter or an iterable of (train, test) indices.  After the network is
    trained on all rows, its dense layers are frozen and the embedding
    tables are trained again against them: per fold on the other folds
    (each row's output then comes from embeddings that never saw the row,
    so that a model stacked after the encoder does not learn from
    embeddings that already know its targets) and once on all rows (the
    embeddings of :meth:`transform`).  Costs about ``cv + 1`` extra trainings
    of the tables in ``fit_transform`` and one in ``fit``.  ``None``: one
    jointly trained network, and ``fit_transform`` is
    ``fit(X, y).transform(X)``.''',
    "warm_start": '''warm_start : bool, default=False
    Continue training the previous network (same categories, scaling and
    architecture) instead of starting anew.''',
    "n_jobs": '''n_jobs : int or None, default=None
    Training threads.  More than one splits each epoch's minibatches among
    threads that update the shared weights without locks (Hogwild!, as
    word2vec does): faster, but no longer bit-reproducible.  ``None``: all
    the cores this process may use when ``random_state`` is None, and one
    thread when ``random_state`` is set, since a seed asks for a
    reproducible fit; an int (-1: all cores) overrides both.  BLAS runs
    one thread per training thread during ``fit`` (the products are small:
    whole minibatches per thread scale better) and ``n_jobs`` threads (1 for
    None) in ``predict``/``transform``; the caller's settings come back
    afterwards.  Inside joblib or Dask workers, "all cores" means the
    worker's share (``OMP_NUM_THREADS``).''',
    "random_state": '''random_state : int, RandomState instance or None, default=None
    Seeds initialisation, shuffling, dropout and the validation split; an
    int makes fits reproducible.''',
    "verbose": '''verbose : int, default=0
    Per-epoch progress (a tqdm bar when tqdm is installed).''',
}

ATTRIBUTES = {
    "is_categorical_": '''is_categorical_ : ndarray of bool of shape (``n_features_in_``,)
    Which input columns are embedded.''',
    "categories_": '''categories_ : list of ndarray
    Categories of each categorical feature (missing last, as NaN).''',
    "infrequent_categories_": '''infrequent_categories_ : list of ndarray or None
    Categories grouped in the shared row, per feature.''',
    "embeddings_": '''embeddings_ : list of ndarray of shape (n_categories, dim)
    Vector of each category, rows aligned with ``categories_``.''',
    "embedding_dims_": '''embedding_dims_ : list of int
    Width of each feature's embedding.''',
    "task_": '''task_ : str
    The task trained ("regression", "binary" or "multiclass").''',
    "classes_": '''classes_ : ndarray of shape (n_classes,)
    Class labels (classification; for a multilabel fit, the label indices).''',
    "n_outputs_": '''n_outputs_ : int
    Number of targets (columns of a 2-D ``y``; labels of a multilabel ``y``).''',
    "encoder_": '''encoder_ : EntityEmbeddingEncoder
    Fitted encoder of the categorical columns sharing the learned embeddings,
    to reuse them in other models.''',
    "loss_curve_": '''loss_curve_ : list of float
    Mean training loss per epoch.''',
    "validation_loss_curve_": '''validation_loss_curve_ : list of float
    Validation loss per epoch (when early stopping ran).''',
    "best_validation_loss_": '''best_validation_loss_ : float or None
    Best validation loss (when early stopping ran).''',
    "n_iter_": '''n_iter_ : int
    Epochs run.''',
    "n_features_in_": '''n_features_in_ : int
    Number of input columns.''',
    "feature_names_in_": '''feature_names_in_ : ndarray of str
    Defined when X has string column names.''',
}


def section(entries, names):
    """The numpydoc lines of ``names``, indented for a class docstring."""
    text = "\n".join(entries[name] for name in names)
    return "\n".join("    " + line if line else "" for line in text.splitlines())


def fill(doc, parameters, attributes):
    """Put the ``parameters`` and ``attributes`` sections into ``doc`` at the
    ``{parameters}`` and ``{attributes}`` marks (None under ``python -OO``,
    which strips docstrings)."""
    if doc is None:
        return None
    return doc.replace("{parameters}", section(PARAMETERS, parameters)).replace(
        "{attributes}", section(ATTRIBUTES, attributes))
