"""The engine's hyper-parameters (:class:`Word2VecConfig`) and the rules
that tie several of them together."""

from dataclasses import dataclass


@dataclass
class Word2VecConfig:
    """Hyper-parameters of the engine.

    The estimators validate each parameter on its own (scikit-learn's
    ``_parameter_constraints``); :meth:`from_params` checks the rules that
    tie several together.
    """

    vector_size: int = 100
    window: int = 5
    sg: bool = False
    hs: bool = False
    negative: int = 5
    ns_exponent: float = 0.75
    cbow_mean: bool = True
    sample: float = 1e-3
    alpha: float = 0.025
    min_alpha: float = 1e-4
    epochs: int = 5
    shrink_windows: bool = True
    # skip-gram: one set of negatives per target word, shared by its contexts
    shared_negatives: bool = False
    # fastText subwords: character n-grams of min_n..max_n characters hashed
    # into bucket rows (off when max_n == 0)
    min_n: int = 3
    max_n: int = 0
    bucket: int = 2_000_000
    # paragraph vectors (doc2vec): a vector per document tag, trained with the
    # words (skip-gram's path: PV-DBOW, the window's word pairs too with
    # ``dbow_words``; CBOW's: PV-DM, its input concatenated with ``dm_concat``)
    doc_vectors: bool = False
    dbow_words: bool = False
    dm_concat: bool = False

    @property
    def subwords(self):
        return self.max_n > 0

    @property
    def layer_width(self):
        """Width of the output layers: the input's (``vector_size``; PV-DM
        concatenated: the document vector and ``2 * window`` word vectors)."""
        if self.doc_vectors and self.dm_concat and not self.sg:
            return (1 + 2 * self.window) * self.vector_size
        return self.vector_size

    @classmethod
    def from_params(cls, params, **overrides):
        """Config from an estimator's (validated) parameters, plus the rules
        between them: an output layer must exist and ``min_alpha <= alpha``.

        ``params`` is a mapping with at least the fields of this class
        (``get_params()`` of a word2vec-style estimator); ``overrides``
        replace some (e.g. a resolved ``window="all"``).
        """
        values = {name: params[name] for name in cls.__dataclass_fields__ if name in params}
        values.update(overrides)
        if values.get("alpha", 0.025) is None:  # the C tool's rates: CBOW 0.05, skip-gram 0.025
            values["alpha"] = 0.025 if values.get("sg", False) else 0.05
        config = cls(**values)
        config.sg, config.hs = bool(config.sg), bool(config.hs)
        config.cbow_mean = bool(config.cbow_mean)
        config.shrink_windows = bool(config.shrink_windows)
        config.shared_negatives = bool(config.shared_negatives)
        for name in ("doc_vectors", "dbow_words", "dm_concat"):
            setattr(config, name, bool(getattr(config, name)))
        if config.doc_vectors and config.dm_concat and not config.sg:
            config.shrink_windows = False  # every window position has its own slot
        for name in ("vector_size", "window", "negative", "epochs", "min_n", "max_n", "bucket"):
            setattr(config, name, int(getattr(config, name)))
        for name in ("ns_exponent", "sample", "alpha", "min_alpha"):
            setattr(config, name, float(getattr(config, name)))
        if not config.hs and config.negative == 0:
            raise ValueError(
                "hs=False with negative=0 leaves no output layer to train: "
                "set negative > 0 (negative sampling) or hs=True (hierarchical softmax)")
        if config.max_n > 0 and not 1 <= config.min_n <= config.max_n:
            raise ValueError(f"subwords need 1 <= min_n <= max_n, got min_n={config.min_n}, "
                             f"max_n={config.max_n} (max_n=0 switches them off)")
        if config.min_alpha > config.alpha:
            raise ValueError(f"min_alpha={config.min_alpha} must not exceed "
                             f"alpha={config.alpha}")
        return config
