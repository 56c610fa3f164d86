"""Fitting a recommender from Dask: sequences (a Bag or Series) or an event
log (a DataFrame) counted on the workers.

One pass over the data cuts the sessions (an event log is shuffled by user
and cut by :func:`skembed.sequences_from_events` on the workers) and indexes
each partition where it lives (:class:`~skembed._ragged.IndexedSequences`:
its distinct items in first-seen order, their counts, the item index of
every interaction).  This process merges the partitions' counts in
partition order, which gives exactly the catalogue of an in-memory fit
(counts, and the first-seen order that breaks their ties), and sends the
catalogue's index back; each worker then encodes its partition and counts
what the recommender keeps (``_partition_statistics``: rule pairs, each
sequence's distinct items, the repeat counts), and this process adds the
partitions' statistics up in order (``_merge_statistics``).  It never holds
the event log or the item ids of the sequences, only the catalogue and the
fitted tables.
"""

import numpy as np

from .._dask import dask_kind, document_partitions, get_client
from .._ragged import IndexedSequences
from ..sequences import as_sequences, check_item_ids


# Run on the workers: module-level functions, so that only their names travel.
def _index_partition(partition):
    try:
        return IndexedSequences.from_sequences(as_sequences(partition))
    except TypeError as exc:
        raise TypeError(f"item ids must be hashable: {exc}") from None


def _summary(index):
    return index.keys, index.counts


def _statistics(index, key_to_rank, estimator, n_items):
    """The partition encoded over the catalogue, and its statistics."""
    data = index.encode(key_to_rank)
    return estimator._partition_statistics(data, n_items)


def _merge_counts(summaries):
    """Item counts of consecutive partitions merged in order: keys in
    first-seen order over all of them, as one count over their
    concatenation gives."""
    merged = {}
    for keys, counts in summaries:
        get = merged.get
        for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
            merged[key] = get(key, 0) + count
    keys = np.fromiter(merged, dtype=object, count=len(merged))
    counts = np.fromiter(merged.values(), dtype=np.int64, count=len(merged))
    return keys, counts


def dask_sequences(X, user_col=None, item_col=None, time_col=None, session_gap=None):
    """The Dask collection of sequences to fit on: ``X`` itself (a Bag or
    Series of sequences), or the sessions of the Dask DataFrame event log
    ``X`` cut on the workers."""
    kind = dask_kind(X)
    if kind == "frame" and item_col is not None:
        from ..events import sequences_from_events

        if user_col is None:
            raise ValueError("an event log needs user_col (the user or session column) "
                             "and item_col")
        sequences, _ = sequences_from_events(X, user_col, item_col, time_col, session_gap)
        return sequences
    if item_col is not None or user_col is not None:
        raise ValueError("user_col and item_col name the columns of an event log "
                         "(a DataFrame); X is a collection of sequences")
    return X


def fit_statistics(estimator, X):
    """``(catalogue keys, counts, merged statistics)`` of the sequences of the
    Dask collection ``X``, counted on the workers."""
    import dask

    partitions = document_partitions(X, what="item sequences")
    index = [dask.delayed(_index_partition, pure=False)(p) for p in partitions]
    if get_client() is not None:
        index = list(dask.persist(*index))
    summaries = dask.compute(*[dask.delayed(_summary)(i) for i in index])
    keys, counts = _merge_counts(summaries)
    if not len(keys):
        raise ValueError("X contains no item: fit needs at least one non-empty history")
    check_item_ids(keys.tolist())
    order = np.argsort(-counts, kind="stable")
    keys, counts = keys[order], counts[order]
    key_to_rank = {k: i for i, k in enumerate(keys.tolist())}
    # one key of the graph, shipped to each worker that needs it
    shared = dask.delayed(key_to_rank, traverse=False)
    unfitted = dask.delayed(estimator, traverse=False)
    stats = dask.compute(*[dask.delayed(_statistics)(i, shared, unfitted, len(keys))
                           for i in index])
    return keys, counts, estimator._merge_statistics(list(stats), len(keys))
