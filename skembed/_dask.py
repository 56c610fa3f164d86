"""Dask collections in and out of the estimators.

Dask is optional: nothing here imports it unless a Dask collection is given
(whose module is then already imported), so skembed imports and works
without it (``pip install "skembed[dask]"`` adds it).

Inference
---------
:func:`apply_blockwise` calls an in-memory method (``transform``,
``predict``, ``predict_proba``, ``recommend``, ...) on each block of a Dask
Bag, Series, DataFrame or Array and returns the matching lazy collection:

===========================  ==============================================
input                        output
===========================  ==============================================
Bag                          Bag, one result per element (a row of the
                             array the method returns, a scalar of a 1-D
                             result, a tuple when it returns several)
Series, DataFrame            Array (rows of unknown chunk sizes) when the
                             method returns an array; DataFrame or Series,
                             same index and divisions as the input, when it
                             returns pandas (``set_output(transform=
                             "pandas")``)
Array                        Array with the input's row chunks; DataFrame
                             with a RangeIndex over all rows when the method
                             returns pandas
===========================  ==============================================

The output's ``meta`` (type, dtype, columns, width) comes from calling the
method on an empty block of the input (or, if it refuses empty input, on
Dask's non-empty fake partition, ``_meta_nonempty``, of a DataFrame), so a
fitted estimator that rejects the input (unfitted, wrong columns) raises
at once rather than at compute time.  The estimator travels to the workers
once, as one key of the graph; every block runs the ordinary in-memory
method, so the computed result equals the in-memory call on the whole data
whenever the method treats rows independently (all skembed estimators do).

Making an estimator's methods accept Dask collections
-----------------------------------------------------
Decorate the class::

    from skembed._dask import dask_aware

    @dask_aware
    class MyEstimator(TransformerMixin, BaseEstimator):
        def transform(self, X): ...
        def predict(self, X): ...

Every one of ``transform``, ``predict``, ``predict_proba``,
``predict_log_proba``, ``decision_function`` and ``score_samples`` that the
class defines or inherits then takes Dask collections too
(``@dask_aware(methods=("transform", "embed"))`` names others; a method is
wrapped once even when a subclass is decorated again).  Named in
``methods``, ``fit_transform`` becomes ``fit(X).transform(X)`` for a Dask
collection (for estimators whose ``fit`` takes one).  The class
decorator wraps the methods *after* scikit-learn's ``set_output`` wrapper,
which a method decorator cannot do: decorate the class, not ``transform``.
Methods that scikit-learn does not wrap may instead be decorated one by one
(``@dask_aware`` on ``predict``), or opt in with a check at the top::

    def predict(self, X):
        if is_dask_collection(X):
            return apply_blockwise(self, "predict", X)
        ...

An estimator that cannot produce its output from any empty or fake block
passes the output meta: ``@dask_aware(meta={"predict": fn})`` with
``fn(estimator, empty_block) -> empty result``.
"""

import functools
import inspect
import sys
import types

__all__ = [
    "apply_blockwise",
    "dask_aware",
    "dask_kind",
    "document_partitions",
    "get_client",
    "is_dask_collection",
]

# the inference methods the class decorator wraps by default
METHODS = ("transform", "predict", "predict_proba", "predict_log_proba",
           "decision_function", "score_samples")
_MARK = "__skembed_dask_aware__"


def dask_kind(X):
    """``"bag"``, ``"series"``, ``"frame"`` or ``"array"`` for a Dask
    collection, ``None`` for anything else (and always when Dask has not
    been imported: then X cannot be a Dask collection).

    Raises
    ------
    TypeError
        For other Dask collections (Delayed, Index, ...).
    """
    if sys.modules.get("dask") is None:
        return None
    bag = sys.modules.get("dask.bag")
    if bag is not None and isinstance(X, bag.Bag):
        return "bag"
    frame = sys.modules.get("dask.dataframe")
    if frame is not None:
        if isinstance(X, frame.Series):
            return "series"
        if isinstance(X, frame.DataFrame):
            return "frame"
    array = sys.modules.get("dask.array")
    if array is not None and isinstance(X, array.Array):
        return "array"
    if sys.modules["dask"].is_dask_collection(X):
        raise TypeError(f"a Dask {type(X).__name__} is not supported here: give a Dask Bag, "
                        "Series, DataFrame or Array")
    return None


def is_dask_collection(X):
    """Whether X is a Dask Bag, Series, DataFrame or Array (never imports Dask)."""
    return dask_kind(X) is not None


def get_client():
    """The ``distributed`` Client that computes Dask collections, or None
    (distributed not imported, no client, or another scheduler configured)."""
    if sys.modules.get("distributed") is None:
        return None
    import dask.base
    from distributed import default_client

    try:
        client = default_client()
    except ValueError:
        return None
    return client if dask.base.get_scheduler() == client.get else None


def document_partitions(X, name="X", what="documents"):
    """The partitions of a Dask Bag or Series (or one-column DataFrame) of
    documents or sequences, as a list of Delayed objects in order."""
    kind = dask_kind(X)
    if kind == "frame":
        if len(X.columns) != 1:
            raise ValueError(f"{name} is a Dask DataFrame with {len(X.columns)} columns "
                             f"{list(X.columns)[:5]}; pass the one column of {what} (a Dask "
                             f"Series, e.g. {name}['text'])")
        X = X[X.columns[0]]
        kind = "series"
    if kind not in ("bag", "series"):
        raise TypeError(f"{name} must be a Dask Bag or Series of {what} to fit on Dask data, "
                        f"got a Dask {type(X).__name__}")
    return list(X.to_delayed())


# -- inference -----------------------------------------------------------------
def _empty_block(X, kind):
    if kind == "bag":
        return []
    if kind == "array":
        import numpy as np

        return np.empty((0,) + tuple(int(d) for d in X.shape[1:]), X.dtype)
    return X._meta


def _pandas(out):
    return type(out).__module__.startswith("pandas")


def _check_rows(out, block):
    parts = out if isinstance(out, tuple) else (out,)
    for part in parts:
        if len(part) != len(block):
            raise ValueError(f"a block of {len(block)} rows gave {len(part)} results: "
                             "the method does not map rows to rows")


def _call(block, estimator, method, args, kwargs, post, offset=None):
    """One block: the in-memory method, then ``post``; pandas results keep
    the rows' index (a Series/DataFrame block's, or positions from ``offset``)."""
    out = getattr(estimator, method)(block, *args, **kwargs)
    if post is not None:
        out = post(out, block)
    _check_rows(out, block)
    if _pandas(out):
        if hasattr(block, "index"):
            out.index = block.index
        elif offset is not None:
            import pandas as pd

            out.index = pd.RangeIndex(offset, offset + len(out))
    return out


def _rows(out):
    """A block's result as a list with one entry per row (Bags)."""
    if isinstance(out, tuple):
        return list(zip(*(_rows(part) for part in out), strict=True))
    if _pandas(out):
        out = out.to_numpy()
    return list(out)


def _bag_call(partition, estimator, method, args, kwargs, post):
    return _rows(_call(list(partition), estimator, method, args, kwargs, post))


def _infer_meta(estimator, method, X, kind, args, kwargs, post, meta):
    from sklearn.exceptions import NotFittedError

    empty = _empty_block(X, kind)
    if meta is not None:
        return meta(estimator, empty) if callable(meta) else meta
    try:
        return _call(empty, estimator, method, args, kwargs, post)
    except ValueError as refused:
        # scikit-learn style "0 samples" refusals: try Dask's fake partition;
        # if that fails too, the first error is the one that explains
        if kind not in ("series", "frame") or isinstance(refused, NotFittedError):
            raise
        try:
            out = _call(X._meta_nonempty, estimator, method, args, kwargs, post)
        except Exception:
            raise refused from None
        parts = out if isinstance(out, tuple) else (out,)
        parts = tuple(p.iloc[:0] if _pandas(p) else p[:0] for p in parts)
        return parts if isinstance(out, tuple) else parts[0]


def _check_meta(meta):
    import numpy as np

    if isinstance(meta, np.ndarray):
        return
    if type(meta).__module__.startswith("polars"):
        raise ValueError("set_output(transform='polars') cannot give a Dask collection (Dask "
                         "DataFrames hold pandas); use 'pandas' or 'default' with Dask")
    if not (_pandas(meta) and hasattr(meta, "iloc")):
        raise TypeError(f"cannot make a Dask collection of {type(meta).__name__} results")


def _assemble(outs, meta, X, kind, rows):
    """The lazy collection of the blocks' results ``outs`` (Delayed)."""
    import numpy as np

    _check_meta(meta)
    if _pandas(meta):
        import dask.dataframe as dd

        if kind in ("series", "frame"):
            divisions = X.divisions if X.known_divisions else None
        elif rows is not None and not any(np.isnan(rows)):
            ends = np.cumsum(rows).astype(int)
            divisions = tuple([0] + [int(e) for e in ends[:-1]] + [max(int(ends[-1]) - 1, 0)])
        else:
            divisions = None
        # (object columns become strings here under Dask's default
        # dataframe.convert-string: fine for numbers, which these hold)
        return dd.from_delayed(outs, meta=meta, divisions=divisions, verify_meta=False)
    import dask.array as da

    rows = rows if rows is not None else [np.nan] * len(outs)
    arrays = [da.from_delayed(o, shape=(r,) + meta.shape[1:], dtype=meta.dtype, meta=meta)
              for o, r in zip(outs, rows, strict=True)]
    return da.concatenate(arrays, axis=0) if len(arrays) > 1 else arrays[0]


def apply_blockwise(estimator, method, X, args=(), kwargs=None, *, post=None, meta=None):
    """``getattr(estimator, method)(block, *args, **kwargs)`` on every block
    of the Dask collection X, as a lazy Dask collection (see the module
    docstring for the output of each input).

    Parameters
    ----------
    estimator : object
        Sent to the workers once (one key of the graph).
    method : str
        Name of an in-memory method that maps the rows of a block to rows.
    X : dask Bag, Series, DataFrame or Array
        A 2-D Array is rechunked to hold whole rows.
    args, kwargs : tuple and dict
        More arguments of each call.
    post : callable, optional
        ``post(result, block)`` reshapes each block's result (a picklable
        module-level function), e.g. into a DataFrame.
    meta : object or callable, optional
        The empty result, or ``meta(estimator, empty_block)`` giving it;
        inferred by calling the method on an empty block by default.

    Returns
    -------
    dask Bag, Array, DataFrame or Series; a tuple of them when the method
    returns a tuple.

    Examples
    --------
    Estimators call it for you (their ``transform`` takes the Dask Array):

    >>> import numpy as np
    >>> import pytest
    >>> da = pytest.importorskip("dask.array")
    >>> from skembed import EmbeddingVectorizer, KeyedVectors
    >>> kv = KeyedVectors(["good", "bad"], np.array([[1.0, 0.0], [-1.0, 0.0]]))
    >>> vec = EmbeddingVectorizer(kv).fit(["good", "bad"])
    >>> docs = da.from_array(np.array(["good good", "bad", "good bad"], dtype=object),
    ...                      chunks=2)
    >>> out = vec.transform(docs)  # lazy, same as apply_blockwise(vec, "transform", docs)
    >>> out.chunks
    ((2, 1), (2,))
    >>> out.compute(scheduler="sync").tolist()
    [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]]
    """
    import dask

    kind = dask_kind(X)
    if kind is None:
        raise TypeError(f"X must be a Dask collection, got {type(X).__name__}")
    kwargs = dict(kwargs or {})
    args = tuple(args)
    meta = _infer_meta(estimator, method, X, kind, args, kwargs, post, meta)
    # one key for the estimator (a random name: tokenizing would pickle it)
    shared = dask.delayed(estimator, pure=False, traverse=False)
    if kind == "bag":
        return X.map_partitions(_bag_call, shared, method, args, kwargs, post)
    n_out = len(meta) if isinstance(meta, tuple) else None
    if kind in ("series", "frame") and n_out is None:
        _check_meta(meta)
        # Series, DataFrame or (array meta) Array; map_partitions keeps object
        # columns as they are (from_delayed would make strings of them)
        return X.map_partitions(_call, shared, method, args, kwargs, post, meta=meta)
    rows = None
    if kind == "array":
        if X.ndim == 2 and len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        blocks = list(X.to_delayed().ravel())
        rows = list(X.chunks[0])
    else:
        blocks = list(X.to_delayed())
    offsets = [None] * len(blocks)
    if rows is not None and not any(r != r for r in rows):
        offsets = [int(sum(rows[:i])) for i in range(len(rows))]
    call = dask.delayed(_call, pure=False, nout=n_out)
    outs = [call(block, shared, method, args, kwargs, post, offset)
            for block, offset in zip(blocks, offsets, strict=True)]
    if n_out is None:
        return _assemble(outs, meta, X, kind, rows)
    return tuple(_assemble([o[j] for o in outs], meta[j], X, kind, rows)
                 for j in range(n_out))


def _wrap(function, name, meta):
    @functools.wraps(function)
    def method(self, X, *args, **kwargs):
        if dask_kind(X) is None:
            return function(self, X, *args, **kwargs)
        if getattr(getattr(type(self), name, None), "__wrapped__", None) is method:
            # scikit-learn's set_output wrapper sits outside this one and would
            # turn the lazy result into a pandas DataFrame
            raise TypeError(f"{type(self).__name__}.{name} is wrapped by scikit-learn's "
                            "set_output after dask_aware: decorate the class instead")
        if name == "fit_transform":  # fit on the collection, then transform it lazily
            return self.fit(X, *args, **kwargs).transform(X)
        return apply_blockwise(self, name, X, args, kwargs, meta=meta)

    setattr(method, _MARK, True)
    return method


def dask_aware(obj=None, *, methods=None, meta=None):
    """Let an estimator's inference methods take Dask collections.

    Use on a class (``@dask_aware`` or ``@dask_aware(methods=...)``): every
    method of ``methods`` (default :data:`METHODS`) the class has is
    wrapped so that a Dask Bag, Series, DataFrame or Array goes through
    :func:`apply_blockwise` and anything else through the method unchanged.
    On a single method (``@dask_aware`` above ``def predict``) it wraps that
    method; not for ``transform`` of an estimator with ``set_output``
    (scikit-learn would wrap the Dask result again): decorate the class.

    Parameters
    ----------
    obj : class or function
    methods : tuple of str, optional
        Method names (class use).
    meta : dict, optional
        ``{method name: meta}`` passed to :func:`apply_blockwise`.

    Examples
    --------
    >>> import numpy as np
    >>> import pytest
    >>> dd = pytest.importorskip("dask.dataframe")
    >>> import pandas as pd
    >>> from sklearn.base import BaseEstimator, RegressorMixin
    >>> @dask_aware
    ... class Doubler(RegressorMixin, BaseEstimator):
    ...     def fit(self, X, y=None):
    ...         return self
    ...     def predict(self, X):
    ...         return 2.0 * np.asarray(X["a"], dtype=float)
    >>> X = dd.from_pandas(pd.DataFrame({"a": [1, 2, 3]}), npartitions=2)
    >>> Doubler().fit(X).predict(X).compute(scheduler="sync").tolist()
    [2.0, 4.0, 6.0]
    """
    if obj is None:
        return functools.partial(dask_aware, methods=methods, meta=meta)
    meta = meta or {}
    if isinstance(obj, type):
        for name in methods or METHODS:
            function = inspect.getattr_static(obj, name, None)
            if function is None or getattr(function, _MARK, False):
                continue
            if not isinstance(function, types.FunctionType):
                # e.g. scikit-learn's available_if: wrapping would lose its check
                raise TypeError(f"{obj.__name__}.{name} is a {type(function).__name__}, "
                                "not a plain method; dask_aware cannot wrap it")
            setattr(obj, name, _wrap(function, name, meta.get(name)))
        return obj
    if callable(obj):
        return _wrap(obj, obj.__name__, meta.get(obj.__name__))
    raise TypeError(f"dask_aware decorates a class or a method, got {type(obj).__name__}")
