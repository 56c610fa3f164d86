"""The Dask corpus: documents or sequences in the partitions of a Dask Bag
or Series, indexed and encoded on the workers, streamed here for training
(the corpus interface of :mod:`skembed.word2vec.corpus`)."""

import os
import tempfile

import numpy as np

from .._dask import document_partitions, get_client
from .._ragged import IndexedSequences
from ..pooling import document_frequency
from .vocab import EncodedCorpus

__all__ = ["DaskCorpus"]


# Run on the workers: module-level functions, so that only their names travel.
def _index_partition(partition, prepare):
    """One partition tokenized (``prepare``) and indexed in one hashing pass."""
    sequences = prepare(partition)
    try:
        return IndexedSequences.from_sequences(sequences)
    except TypeError as exc:
        raise TypeError(f"keys (tokens, item ids) must be hashable: {exc}") from None


def _summarize(index):
    lengths = index.codes.lengths
    longest = int(lengths.max()) if len(lengths) else 0
    return index.keys, index.counts, index.total, index.n_sequences, longest


def _merge(summaries, max_vocab_size=None):
    """Counts of consecutive partitions merged in order: keys in first-seen
    order over all of them, as one count over their concatenation gives
    (merging is associative, so any tree of merges gives the same).  With
    ``max_vocab_size``, keys counted at most ``min_reduce`` times are dropped
    whenever the merged counts hold more keys (the C tool's rule, applied per
    partition instead of per document)."""
    merged = {}
    total = n_documents = longest = 0
    min_reduce = 1
    for keys, counts, t, n, m in summaries:
        get = merged.get
        for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
            merged[key] = get(key, 0) + count
        total += t
        n_documents += n
        longest = max(longest, m)
        if max_vocab_size is not None and len(merged) > max_vocab_size:
            merged = {k: c for k, c in merged.items() if c > min_reduce}
            min_reduce += 1
    keys = np.fromiter(merged, dtype=object, count=len(merged))
    counts = np.fromiter(merged.values(), dtype=np.int64, count=len(merged))
    return keys, counts, total, n_documents, longest


def _encode_partition(index, key_to_index):
    return EncodedCorpus.from_ids(index.encode(key_to_index))


class DaskCorpus:
    """Documents or sequences in the partitions of a Dask Bag or Series:
    tokenized, counted and encoded on the workers, streamed to this process
    for training.

    One pass over the data: each partition is tokenized (``prepare``) and
    indexed where it lives (:class:`~skembed._ragged.IndexedSequences`: its distinct keys in
    first-seen order, their counts, and the key index of every token).  The
    partitions' counts are merged in partition order by a tree of merges on
    the workers, which gives exactly the counts, and the first-seen order
    that breaks frequency ties, of one count over the whole corpus.  Once
    the vocabulary is built, every partition's index is encoded against it
    on its worker, and the encoded partitions come to this process one at a
    time, in order, during the first epoch: each is trained on, then
    appended to a temporary file (4 bytes per token) that later epochs read
    back, as :class:`TextFileCorpus` does.  This process holds the
    vocabulary, the weights and two encoded partitions (the one being
    trained and the next), never the corpus.

    With a ``distributed`` Client the indexes stay in the workers' memory
    between counting and encoding (``persist``; 4 bytes per token over the
    cluster, spilled to disk by Dask under memory pressure).  With Dask's
    local schedulers they are recomputed from the source for the encoding,
    so the data are read and tokenized twice but memory stays bounded.

    Parameters
    ----------
    partitions : list of dask.delayed.Delayed
        The partitions in order (``Bag.to_delayed()``, ``Series.to_delayed()``).
    prepare : callable
        ``prepare(partition) -> list of token lists`` (runs on the workers;
        must be picklable).
    track_documents : bool, default=False
        Count the documents containing each key during the first pass
        (:meth:`document_frequency`).
    split_every : int, default=8
        Fan-in of the tree of count merges.
    """

    sequences = None  # nothing in memory to search for a bad token

    @classmethod
    def from_collection(cls, X, prepare, what, track_documents=False):
        """The corpus of a Dask Bag or Series (or one-column DataFrame) ``X``
        whose partitions ``prepare`` turns into token lists (``what`` names
        the expected elements in errors)."""
        return cls(document_partitions(X, what=what), prepare, track_documents)

    def __init__(self, partitions, prepare, track_documents=False, split_every=8):
        import dask

        self.track_documents = track_documents
        self.split_every = int(split_every)
        index = [dask.delayed(_index_partition, pure=False)(p, prepare) for p in partitions]
        if get_client() is not None:
            index = list(dask.persist(*index))
        self._index = index
        self._summaries = {}
        self._encoded = None
        self._dir = None
        # per encoded partition: offsets and sizes in the spill files, documents, raw tokens
        self._pieces = []
        self._complete = False
        self._doc_freq = None
        self.known_words = None

    def summary(self, max_vocab_size=None):
        """``(counter, total_tokens, n_documents, longest)``, counted once on
        the workers (``counter``: keys in first-seen order, as a dict)."""
        if max_vocab_size not in self._summaries:
            import dask

            if self._index is None:
                raise RuntimeError("the partition indexes were released after encoding")
            level = [dask.delayed(_summarize, pure=False)(ix) for ix in self._index]
            merge = dask.delayed(_merge, pure=False)
            while True:
                level = [merge(level[i:i + self.split_every], max_vocab_size)
                         for i in range(0, len(level), self.split_every)]
                if len(level) == 1:
                    break
            keys, counts, total, n_documents, longest = dask.compute(level[0])[0]
            counter = dict(zip(keys.tolist(), counts.tolist(), strict=True))
            self._summaries[max_vocab_size] = (counter, int(total), int(n_documents),
                                               int(longest))
        return self._summaries[max_vocab_size]

    def longest(self):
        """Tokens in the longest sequence."""
        return self.summary()[3]

    def count(self, max_vocab_size=None):
        counter, total, n_documents, _ = self.summary(max_vocab_size)
        return dict(counter), total, n_documents

    @property
    def raw_words(self):
        if self._summaries:
            return next(iter(self._summaries.values()))[1]
        return sum(p[6] for p in self._pieces)

    @property
    def n_documents(self):
        if self._summaries:
            return next(iter(self._summaries.values()))[2]
        return sum(p[5] for p in self._pieces)

    def encode(self, key_to_index):
        import dask

        self.n_keys = len(key_to_index)
        table = dask.delayed(key_to_index, pure=False, traverse=False)
        encode = dask.delayed(_encode_partition, pure=False)
        self._encoded = [encode(ix, table) for ix in self._index]
        self._doc_freq = np.zeros(self.n_keys, np.int64) if self.track_documents else None
        self._dir = tempfile.TemporaryDirectory(prefix="skembed-dask-")
        self._pieces = []
        self._complete = False
        return self

    def _files(self, mode):
        return tuple(open(os.path.join(self._dir.name, name), mode)
                     for name in ("tokens.i32", "starts.i64", "docs.i64"))

    def _fetch(self):
        """The encoded partitions in order, each computed on the workers."""
        encoded, self._encoded = self._encoded, None
        client = get_client()
        if client is None:
            import dask

            for task in encoded:
                yield dask.compute(task)[0]
            return
        futures = client.compute(encoded)
        del encoded
        self._index = None  # the workers free each index once it is encoded
        for i in range(len(futures)):
            future, futures[i] = futures[i], None
            piece = future.result()
            future.release()
            yield piece

    def _encode_pass(self):
        files = self._files("wb")
        tok_off = st_off = doc_off = 0
        try:
            for piece in self._fetch():
                if self._doc_freq is not None:
                    documents = piece.documents()
                    self._doc_freq += document_frequency(documents.ids, documents.starts,
                                                         self.n_keys)
                piece.ids.tofile(files[0])
                piece.starts.tofile(files[1])
                piece.doc_of_sentence.tofile(files[2])
                self._pieces.append((tok_off, len(piece.ids), st_off, len(piece.starts),
                                     doc_off, piece.n_documents, piece.raw_words))
                tok_off += len(piece.ids)
                st_off += len(piece.starts)
                doc_off += len(piece.doc_of_sentence)
                yield piece
        finally:
            for f in files:
                f.close()
        self.known_words = tok_off
        self._complete = True

    def _replay(self):
        files = self._files("rb")
        try:
            for t0, nt, s0, ns, d0, n_docs, raw in self._pieces:
                files[0].seek(4 * t0)
                files[1].seek(8 * s0)
                files[2].seek(8 * d0)
                tokens = np.fromfile(files[0], dtype=np.int32, count=nt)
                starts = np.fromfile(files[1], dtype=np.int64, count=ns)
                docs = np.fromfile(files[2], dtype=np.int64, count=ns - 1)
                yield EncodedCorpus(tokens, starts, docs, n_docs, raw)
        finally:
            for f in files:
                f.close()

    def pieces(self, epoch=0):
        if self._complete:
            return self._replay()
        if not self._pieces and self._encoded is not None:
            return self._encode_pass()
        raise RuntimeError("an interrupted first pass over a Dask corpus cannot be resumed; "
                           "fit again")

    def document_frequency(self, n_keys):
        if not self._complete:
            for _ in self.pieces():
                pass
        return self._doc_freq[:n_keys].copy()

    def close(self):
        self._index = self._encoded = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
