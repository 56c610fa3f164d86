"""One source for the parameter and attribute docs of the entity estimators
(the encoder, the regressor and the classifier share most of them)."""

PARAMETERS = {
    "categorical_features": (
        'categorical_features : "auto", None, or array-like of str, int or bool, '
        'default="auto"\n') + '''\
    Columns to embed.  ``"auto"``: columns of a DataFrame with object,
    string, ``category`` or datetime dtype (a datetime reads as a date:
    ``numeric_values``), or every column of an object/string array;
    ``None``: none.  Otherwise names, positions or a boolean mask (as
    :class:`~sklearn.ensemble.HistGradientBoostingRegressor`).  Integer
    columns listed here are treated as categories, not magnitudes.  All other
    columns must be numeric (datetimes: days since 1970, and, where they
    have a time of day, their hour and day of the week as two more inputs,
    as ``numeric_values`` gives those of embedded instants); they are
    standardised (values beyond 3 standard deviations compressed
    logarithmically, so that a heavy tail does not saturate the network)
    and concatenated with the embeddings.  A missing value (NaN) of a
    numeric column becomes the column's training mean, and each column with
    missing values in training gets one more input that flags them (as
    :class:`~sklearn.impute.SimpleImputer` with ``add_indicator=True``).''',
    "embedding_dims": '''embedding_dims : "auto", int or dict, default="auto"
    Width of each categorical feature's embedding.  ``"auto"`` uses fastai's
    ``min(600, round(1.6 * n_categories ** 0.56))`` (the better of two rules
    on Rossmann, see docs/benchmarks.md), at most 2 for a feature of
    calendar dates (its number, ``numeric_values``, says where a day lies in
    time; its own vector only what the day adds) but not of instants, dates
    with a time of day (an instant names an event, whose rows share what
    happened there), and for a feature without n-grams at
    most the rows its categories have on average (at least 16: each vector
    is learned from its own rows alone); a dict maps feature names (or
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
    "learning_rate": '''learning_rate : "auto" or float, default="auto"
    Adam step size (the initial one under ``learning_rate_schedule="cosine"``).
    ``"auto"``: 3e-3 for the regressor, 1e-3 for the classifier (on public
    tables the larger step gained on six of eight regressions, from 4,000
    rows to Rossmann's 800,000, most on those split in time, and cost most
    classifications; docs/benchmarks.md).''',
    "learning_rate_schedule": '''learning_rate_schedule : {"cosine", "constant"}, \
default="cosine"
    ``"cosine"``: the step size falls along a half cosine from
    ``learning_rate`` to 0 over the ``max_iter`` epochs of each ``fit``
    (early stopping may end it sooner); ``"constant"``: it stays.''',
    "weight_decay": '''weight_decay : float, default=0.5
    Decoupled weight decay (AdamW): every step first shrinks the dense
    weights and the embedding rows of the batch by ``step size *
    weight_decay`` of themselves.  The product is what matters: the
    defaults shrink by 0.15% per step for the regressor and 0.05% for the
    classifier (``learning_rate="auto"``), PyTorch's ``AdamW`` defaults
    (``lr=1e-3, weight_decay=1e-2``) by 0.001%.  0 turns it off.  Tables
    split in time (tomorrow's sales from the past) gain from more, tables
    of exchangeable rows from less (docs/benchmarks.md).''',
    "embedding_dropout": '''embedding_dropout : "auto" or float, default="auto"
    Probability that a category of a training row loses its own row for the
    shared unknown row (keeping its n-grams, ``substrings``): the shared row
    and the n-gram rows then learn what an unseen category (a new store, a
    new job title) should look like, instead of the frequency-weighted
    mean.  ``"auto"``: ``1 / (1 + count)`` for a category seen ``count``
    times, so that rare categories lean on their spelling and the shared
    row (regularised toward them) while frequent ones keep their own row.''',
    "validation_split": '''validation_split : {"random", "last"}, default="random"
    Which rows ``early_stopping`` holds out: a random (stratified for
    classes) ``validation_fraction``, or the last rows, for data in time
    order where the model will predict later rows.''',
    "max_iter": '''max_iter : "auto" or int, default="auto"
    Number of epochs.  ``"auto"``: enough epochs for about 10,000 minibatch
    steps, at least 10 and at most 100 (small tables need many passes, large
    ones few), with ``early_stopping`` on.''',
    "early_stopping": '''early_stopping : "auto" or bool, default="auto"
    Hold out ``validation_fraction`` of the data, stop once its loss has not
    improved by ``tol`` for ``n_iter_no_change`` epochs and keep the best
    weights.  ``"auto"``: on when ``max_iter="auto"`` or when there are more
    than 10,000 samples (as
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier`).''',
    "validation_fraction": '''validation_fraction : float, default=0.1
    Share of the data held out by ``early_stopping``.''',
    "n_iter_no_change": '''n_iter_no_change : "auto" or int, default="auto"
    Epochs without improvement before ``early_stopping`` stops.  ``"auto"``:
    3, or as many epochs as make about 100 minibatch steps where epochs are
    shorter (a validation loss of a few hundred rows is noisy, and an epoch
    of 2,000 rows is 8 steps).''',
    "tol": '''tol : float, default=1e-4
    Smallest improvement of the validation loss that counts.''',
    "min_frequency": '''min_frequency : int, float or None, default=None
    Categories seen fewer times (a float is a fraction of the samples) share
    one embedding row with the categories unseen in training.  Whatever its
    value, a column of nearly unique numbers or dates (fewer than 1.5
    training rows per value on average, without n-grams: timestamps) lets
    its values seen once share that row: a row of their own would only learn
    its one training row's target.''',
    "substrings": '''substrings : "auto" or bool, default="auto"
    Whether the categories of a column of strings share what their
    spelling shares: each character n-gram (2 to 4 characters within word
    boundaries, as fastText's subwords) that at least 10 categories contain
    gets an embedding row, and a category's embedding is its own row plus
    the mean of (up to 256 of) its n-grams' rows: all of a short name's,
    fewer when a column has many names (about 250,000 links per column; at
    least 32 per name, those of smallest hash, so that similar names keep
    the same ones), so that free text keeps its words.  Rare categories
    then borrow from similar ones ("Police Officer III" from "Police
    Officer II"), and a category unseen in training is placed by its
    n-grams instead of getting the shared row alone.  ``"auto"``: columns of
    strings with more than 40 distinct values, except codes written as
    strings (values that read as numbers) with 10 or more rows each on
    average, and dates (their number says what their digits would): a rare
    ZIP code borrows from those that share its prefix, while a store number
    seen hundreds of times has learned its own row and its digits only add
    noise.  A column that ``"auto"`` gives n-grams keeps them only if they
    predict the target of names held out of their fit (each n-gram's shrunk mean
    target, five folds of names): the spelling of ids ("row123", "77012",
    a tail number) says nothing, and their n-gram rows would learn only
    their own rows' noise, which every category's vector, out-of-fold ones
    included, leans on.  The regressor and the classifier, when they hold
    out validation rows (``early_stopping``), also train a network without
    the n-gram rows beside one with them, on the same validation rows: the
    ensemble is of the kind of lower validation loss (without it, the
    n-grams are dropped), the other joining it with the share that fits
    those rows best.  Spelling can predict a target and still cost the
    network more than it tells (artworks' titles, whose words say a little
    of the year, and whose many n-gram rows fit the training rows).''',
    "numeric_values": '''numeric_values : "auto" or bool, default="auto"
    Whether a categorical feature whose values are numbers (ZIP codes,
    product codes, hours written as strings, integer codes) or dates
    (strings with a four-digit year such as "2019-03-23 20:21:09",
    "09/22/1986" or "22/09/1986", month first unless day first reads more
    of them; datetimes; read as days since 1970-01-01) or month or
    weekday names ("March", "mar", "Monday": 1-12, 1-7) also goes in as its
    number, whose order a model can split where an embedding of each value
    cannot reach values never seen (a ZIP code near known ones, a later day,
    a month after the training ones).
    The encoder appends one column per such feature after the embeddings
    (``<feature>_value``, standardised by the training mean and standard
    deviation); the regressor and the classifier add it to their numeric
    inputs.  Values that are missing or do not read as numbers are
    NaN there (a missing number).  ``True``: every feature whose values read
    as dates or of which some value reads as a number (a column of words
    gets no value column).  ``"auto"``: features with more than two
    distinct values of which at least 90 % read as numbers (or as dates, or
    all as month or weekday names);
    for the regressor
    and the classifier, dates and only those numbers whose categories have
    fewer than 10 rows on average (a ZIP code per survey respondent: too
    rare for an embedding of each; where every value has many rows, its
    embedding already says what the number would, and the network fitted
    trends along arbitrary codes such as store numbers); for the encoder,
    where the categories have fewer than 10 rows on average, only those
    features whose values predict the target of categories held out of the
    fit (a five-fold test of binned values, :mod:`skembed.entity.order`):
    a pickup time per taxi trip within one month says nothing of its tip,
    and a stacked tree splits such a column as noise.  Whatever this
    parameter, the encoder gives each feature of instants (dates with a time
    of day) two more columns after those, ``<feature>_hour`` (the hour of
    the day, with its minutes as a fraction) and ``<feature>_weekday`` (1-7
    from Monday), standardised alike: a stacked tree cannot split a
    timestamp spread over months by the time of day.  The regressor and the
    classifier take the same two as numeric inputs (with their pieces,
    ``numeric_bins``): a network reads the time of day from a number of
    days no better.''',
    "numeric_bins": '''numeric_bins : "auto" or int, default="auto"
    Each numeric feature also goes in as a piecewise-linear encoding over
    this many quantile bins of its training values (Gorishniy, Rubachev &
    Babenko 2022): one input per bin, 0 below it, 1 above it and linear
    across it (standardised as the other inputs), beside its number, so that
    the network bends its response to a number (a price by latitude and
    longitude) without many hidden units.  Features of fewer distinct values
    than three (flags), dates (a trend goes on past the last training day,
    where pieces, constant beyond their last bin, would stop it) and the
    numbers of ``numeric_values`` go in as numbers only (the hours and
    weekdays of instants get pieces: a day's cycle is no trend); 0 or 1:
    numbers only.  Quantiles that coincide (a count mostly 0) merge their bins.
    ``"auto"``: a network with one bin per 1,000 training rows (4 to 64)
    and one with numbers only are trained on the same validation rows; the
    ensemble takes the kind whose validation loss is lower
    (``numeric_bins_``; one network more to train), and keeps the other
    kind's network too, weighted by the share of the two networks' mixture
    that fits those validation rows best (at most one member's weight; none
    where it only adds error);
    numbers only without validation rows (``early_stopping=False``) and for
    :meth:`partial_fit`.  Measured in docs/benchmarks.md.''',
    "crosses": '''crosses : "auto", None or list of pairs, default="auto"
    Pairs of input features crossed: each pair's observed combinations
    (cells) become one more categorical feature with an embedding of its
    own, as the cross-product features of Wide & Deep (Cheng et al. 2016),
    so that the network reads an interaction a tree would find by splitting
    one feature then the other (a date written as month and day of month:
    365 cells).  A value of either feature not seen in training makes a
    cell of its own.  ``"auto"``: among the features (categorical or
    numeric) of 2 to 64 distinct values, at most 3 pairs whose cells
    predict held-out rows, beyond an additive model of every feature
    (smoothed means of each feature's values, numbers of more values in 16
    quantile bins) and beyond the cells' best rank-2 approximation (what
    the hidden units learn from the two features anyway), by at least 1 %
    of the target's variance, with at least 20 training rows per cell on
    average and not determined by another feature (a store's state and
    type, given the store).  The test holds out five contiguous blocks of
    rows: in rows ordered by time a cross must predict other periods (the
    cells of dates memorise each date, no use for the next season); in
    shuffled rows the blocks are random folds.  None for :meth:`partial_fit`.
    ``None``: none.  A list of pairs of feature names or positions: those
    pairs, whatever their number of values.  The crosses found are
    ``crosses_``; their embeddings follow the categorical features' in
    ``categories_`` and ``embeddings_`` (not in ``encoder_``, whose input
    has no such columns).  Measured in docs/benchmarks.md.''',
    "n_networks": '''n_networks : "auto" or int, default="auto"
    Networks trained (each from its own initialisation, minibatch order and
    validation split) whose predictions are averaged: an ensemble, whose
    variance is lower than one network's (small or noisy tables gain most).
    The embeddings (``embeddings_``, ``encoder_``, :meth:`embed`,
    :meth:`similar_entities`) are the first network's.  ``"auto"``: 3 up to
    100,000 samples, 2 up to 150,000, 1 above (at most about 300,000 rows'
    worth of networks; large tables vary little from seed to seed) and 1 for
    :meth:`partial_fit`.  With ``n_jobs`` of 2 or more the networks train side
    by side, one thread each; one left over (the third of three on two
    threads) trains on all the threads.''',
    "handle_unknown": '''handle_unknown : {"infrequent", "error"}, default="infrequent"
    Categories unseen in training (a new store) get the shared row, so the
    prediction rests on the other features; or raise a ``ValueError``.  When
    no category is infrequent, the shared row is the frequency-weighted mean
    of the learned rows.''',
    "cv": '''cv : int, cross-validation generator, iterable or None, default=5
    Cross-fitting of :meth:`fit_transform`: the number of folds (shuffled
    :class:`~sklearn.model_selection.KFold`, stratified for classes), a
    splitter or an iterable of (train, test) indices.  The network is
    trained once, on all rows; then each category's embedding is refitted
    by one Newton step of the network's loss, linearised around it, over
    the category's rows outside each fold (each row's output then comes from
    an embedding that never saw the row, so that a model stacked after the
    encoder does not learn from embeddings that already know its targets,
    as :class:`~sklearn.preprocessing.TargetEncoder` cross-fits its means),
    and once over all its rows (the embeddings of :meth:`transform`).  The
    step needs one pass over the rows and a small linear solve per category
    and fold.  ``None``: the network's own embeddings, and
    ``fit_transform`` is ``fit(X, y).transform(X)``.''',
    "smoothing": '''smoothing : "auto" or float, default="auto"
    Weight of a category's prior in the Newton step of ``cv``, in rows: a
    category with that many rows sits halfway between its prior (its
    embedding without its own row: the shared row plus its n-grams) and its
    own fit, as the smoothing of a target encoding.  A category seen in one
    fold only gets its prior out of that fold.  ``"auto"``: per feature, the
    value (from 1 row to infinitely many: the priors alone) whose
    out-of-fold embeddings fit the held-out folds best, so that a column of
    noise collapses to its priors
    (an empirical Bayes choice, as ``TargetEncoder(smooth="auto")``);
    ``smoothing_`` reports it.''',
    "warm_start": '''warm_start : bool, default=False
    Continue training the previous network (same categories, scaling and
    architecture) instead of starting anew.''',
    "n_jobs": '''n_jobs : int or None, default=None
    Training threads.  More than one splits each epoch's minibatches among
    threads that update the shared weights without locks (Hogwild!, as
    word2vec does): faster, but no longer bit-reproducible (each thread runs
    its minibatches in compiled stretches, so small networks such as the
    encoder's scale too; docs/benchmarks.md); the predictors' several
    networks (``n_networks``) train side by side instead, one thread each
    (reproducible when the threads divide the networks; one left over, the
    third of three on two threads, trains Hogwild! on all).  ``None``: one
    thread, unless a joblib ``parallel_config`` sets ``n_jobs``; -1: all the
    cores this process may use (scikit-learn's rule).  BLAS runs
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

# the encoder's own defaults: a quick network whose embeddings feed another model
ENCODER_PARAMETERS = {
    "n_iter_no_change": '''n_iter_no_change : "auto" or int, default=3
    Epochs without improvement before ``early_stopping`` stops.  ``"auto"``:
    3, or as many epochs as make about 100 minibatch steps where epochs are
    shorter (the predictors' default).''',
    "embedding_dims": '''embedding_dims : "auto", int or dict, default="auto"
    Width of each categorical feature's embedding.  ``"auto"`` uses fastai's
    ``round(1.6 * n_categories ** 0.56)`` capped at 3 for one output
    (regression, binary) and at 4 for several (classes, multiple targets), 2
    for a feature of dates, instants too (its number, ``numeric_values``,
    says where a day lies in time): a model stacked on the encoder (gradient boosting) does
    best with a few columns per feature (docs/benchmarks.md); a dict maps
    feature names (or positions) to widths, other features use ``"auto"``.''',
    "hidden_layer_sizes": '''hidden_layer_sizes : tuple of int, default=(64,)
    Dense ReLU layers after the embeddings (the network only shapes the
    embeddings; :class:`EntityEmbeddingRegressor` predicts with a larger one).''',
    "learning_rate": '''learning_rate : float, default=1e-2
    Adam step size (the initial one under ``learning_rate_schedule="cosine"``).''',
    "weight_decay": '''weight_decay : float, default=1.0
    Decoupled weight decay (AdamW): every step first shrinks the dense
    weights and the embedding rows of the batch by ``step size *
    weight_decay`` of themselves (1% per step with the defaults).  0 turns
    it off.''',
    "handle_unknown": '''handle_unknown : {"infrequent", "error"}, default="infrequent"
    Categories unseen in training (a new store) get the shared row (plus
    their known n-grams, ``substrings``); or raise a ``ValueError``.  In a
    column whose values read as numbers, dates, months or weekdays (as
    ``numeric_values="auto"`` reads them) and whose embeddings follow that
    order (neighbours in value are on average at most 0.6 of the mean
    distance apart, among the categories of 30 rows or more, distances along
    the directions the network's output moves by), an unseen
    value takes the embedding of the nearest such category instead: a month
    after the training ones (a time split) encodes as the last month seen,
    as a tree reads its number, where the shared row, which no training row
    of a stacked model carried, would place it anywhere.  Codes whose order
    means nothing (store numbers) keep the shared row.  When no category is
    infrequent, the shared row is the frequency-weighted mean of the learned
    rows.''',
    "max_iter": '''max_iter : "auto" or int, default="auto"
    Number of epochs.  ``"auto"``: enough epochs for about 300 minibatch
    steps, at least 3 and at most 50, with ``early_stopping`` on: the
    Newton step of ``cv`` finishes each category's embedding.''',
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
    "numeric_values_": '''numeric_values_ : ndarray of bool of shape (n_categorical_features,)
    Which categorical features also go in as numbers (``numeric_values``).''',
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
    "smoothing_": '''smoothing_ : list of float
    The smoothing of each feature's cross-fitting (``cv``; rows' worth of
    its prior).''',
    "n_iter_": '''n_iter_ : int
    Epochs run.''',
    "crosses_": '''crosses_ : list of tuple of str
    The pairs of features crossed (``crosses``); the cell of a row is named
    ``"<value> & <value>"`` in ``categories_``.''',
    "n_networks_": '''n_networks_ : int
    Networks whose predictions are averaged (``n_networks``, and the other
    kind's network that ``numeric_bins="auto"`` keeps); ``loss_curve_``,
    ``validation_loss_curve_``, ``best_validation_loss_`` and ``n_iter_`` are
    the first one's.''',
    "numeric_bins_": '''numeric_bins_ : int
    The bins of the piecewise-linear inputs the networks read (0: numbers
    only), ``numeric_bins`` or, for ``"auto"``, the kind chosen (or the
    bins of the other kind's network kept beside numbers-only ones).''',
    "n_features_in_": '''n_features_in_ : int
    Number of input columns.''',
    "feature_names_in_": '''feature_names_in_ : ndarray of str
    Defined when X has string column names.''',
}


def section(entries, names):
    """The numpydoc lines of ``names``, indented for a class docstring."""
    text = "\n".join(entries[name] for name in names)
    return "\n".join("    " + line if line else "" for line in text.splitlines())


def fill(doc, parameters, attributes, overrides=None):
    """Put the ``parameters`` and ``attributes`` sections into ``doc`` at the
    ``{parameters}`` and ``{attributes}`` marks (None under ``python -OO``,
    which strips docstrings); ``overrides`` replaces some parameter entries."""
    if doc is None:
        return None
    entries = {**PARAMETERS, **(overrides or {})}
    return doc.replace("{parameters}", section(entries, parameters)).replace(
        "{attributes}", section(ATTRIBUTES, attributes))
