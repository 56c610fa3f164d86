"""Corpora: where the engine's training data comes from.

Every source of training sequences (in-memory token or item lists, text
files streamed from disk, later other sources) offers the engine the same
four things, so that one fit path serves them all:

- ``count(max_vocab_size)``: key counts (first-seen order), total tokens and
  number of documents;
- ``encode(key_to_index)``: prepare the sequences as vocabulary indices;
- ``pieces(epoch)``: the encoded data as an iterable of
  :class:`~skembed.word2vec.vocab.EncodedCorpus` pieces, plus
  ``known_words`` (tokens in the vocabulary per epoch) and ``raw_words``;
- ``document_frequency(n_keys)``: documents containing each key, and
  ``n_documents``.

``close()`` frees what the corpus holds (temporary files).  Tokenizing is the
caller's: a corpus gets token lists or a tokenize function.

The engine re-cuts the pieces at its chunk boundaries
(:func:`~skembed.word2vec.trainer.aligned_pieces`), so how a corpus cuts its
sentences into pieces never changes what is trained.
"""

import gzip
import os
import re
import tempfile
import zlib

import numpy as np

from ..pooling import document_frequency
from .vocab import EncodedCorpus, TokenIndex, count_keys, encode_corpus

__all__ = ["DaskCorpus", "SequenceCorpus", "TextFileCorpus", "check_paths"]

# characters read from a file at a time when streaming
CHUNK_CHARS = 4_000_000
# a "token" longer than this is cut (as the C tool's MAX_STRING): a file with
# no whitespace would otherwise be held in memory whole
MAX_TOKEN_CHARS = 100
_SPACE = re.compile(r"[ \n\t\r]")


class SequenceCorpus:
    """Token or item sequences held in memory.

    Counting hashes every token once (:class:`TokenIndex`), so encoding is
    an array lookup; with ``max_vocab_size`` the counter is pruned while
    counting instead, as the C tool does.
    """

    def __init__(self, sequences):
        self.sequences = sequences if isinstance(sequences, list) else list(sequences)
        self._index = None
        self.encoded = None

    def count(self, max_vocab_size=None):
        if max_vocab_size is None:
            self._index = TokenIndex(self.sequences)
            index = self._index
            return index.counter(), index.total_words, index.n_documents
        return count_keys(self.sequences, max_vocab_size)

    def encode(self, key_to_index):
        if self._index is not None:
            self.encoded = self._index.encode(key_to_index)
            self._index = None
        else:
            self.encoded = encode_corpus(self.sequences, key_to_index)
        return self.encoded

    @property
    def known_words(self):
        return int(self.encoded.starts[-1])

    @property
    def raw_words(self):
        return self.encoded.raw_words

    @property
    def n_documents(self):
        return self.encoded.n_documents

    def pieces(self, epoch=0):
        return (self.encoded,)

    def document_frequency(self, n_keys):
        return document_frequency(self.encoded.tokens, self.encoded.document_starts(), n_keys)

    def close(self):
        self.sequences = None


def _open_text(path):
    path = os.fspath(path)
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def check_paths(X):
    """X as a list of existing file paths (``input="filename"``)."""
    if isinstance(X, (str, bytes, os.PathLike)):
        raise ValueError("with input='filename', X must be a list of paths, not a single "
                         "path; wrap it in a list: [path]")
    try:
        paths = [os.fspath(p) for p in X]
    except TypeError:
        raise TypeError("with input='filename', X must be a list of file paths") from None
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(f"no such file: {missing[0]!r}")
    return paths


def _last_space(text):
    return max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"), text.rfind("\r"))


def iter_text_chunks(path, chunk_chars=None):
    """Yield pieces of a file's text of about ``chunk_chars`` (default
    ``CHUNK_CHARS``), cut at whitespace.

    A run without whitespace that reaches past the end of a chunk is
    truncated to its first ``MAX_TOKEN_CHARS`` characters (as the C tool
    truncates words at ``MAX_STRING``), so memory stays bounded on any
    input.  A corrupt or truncated ``.gz`` file raises ``ValueError`` naming
    the file.
    """
    chunk_chars = chunk_chars or CHUNK_CHARS
    try:
        with _open_text(path) as f:
            carry = ""
            skipping = False  # inside an over-long run: drop until whitespace
            while True:
                block = f.read(chunk_chars)
                if not block:
                    break
                if skipping:
                    m = _SPACE.search(block)
                    if m is None:
                        continue
                    block = block[m.start():]
                    skipping = False
                text = carry + block
                cut = _last_space(text)
                if cut < 0:
                    carry = text[:MAX_TOKEN_CHARS]
                    skipping = len(text) > MAX_TOKEN_CHARS
                    continue
                carry = text[cut + 1:]
                if len(carry) > MAX_TOKEN_CHARS:
                    carry = carry[:MAX_TOKEN_CHARS]
                    skipping = True
                yield text[:cut + 1]
            if carry:
                yield carry
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"cannot read {os.fspath(path)!r}: {exc}") from None


def iter_documents(paths, tokenize, chunk_chars=None):
    """Yield ``(file_index, docs)`` per chunk; ``docs`` holds one token list per line."""
    for i, path in enumerate(paths):
        for text in iter_text_chunks(path, chunk_chars):
            yield i, [tokenize(line) for line in text.split("\n")]


class TextFileCorpus:
    """Text files (plain or ``.gz``) streamed in chunks: memory stays bounded
    by the vocabulary, the weights and one chunk, whatever the corpus size.

    Each line is a training sentence and each file a document.  Counting
    reads the files once; the first epoch tokenizes and encodes each chunk,
    trains on it and spills its ids to a temporary file (4 bytes per token),
    so that later epochs read ids back instead of re-tokenizing.  A line that
    crosses a chunk boundary is split there, which only loses the contexts
    across that one cut.
    """

    def __init__(self, paths, tokenize, chunk_chars=None):
        self.paths = paths
        self.tokenize = tokenize
        self.chunk_chars = chunk_chars
        self._dir = None
        self._pieces = []  # (file index, token offset, n tokens, starts offset, n, raw)
        self._encoded = False
        self.known_words = None
        self.raw_words = None

    @property
    def n_documents(self):
        return len(self.paths)

    def count(self, max_vocab_size=None):
        docs = (doc for _, docs in iter_documents(self.paths, self.tokenize,
                                                  self.chunk_chars) for doc in docs)
        counter, total, _ = count_keys(docs, max_vocab_size)
        self.raw_words = total
        return counter, total, len(self.paths)

    def encode(self, key_to_index):
        self.key_to_index = key_to_index
        self.n_keys = len(key_to_index)
        self._doc_freq = np.zeros(self.n_keys, np.int64)
        self._dir = tempfile.TemporaryDirectory(prefix="skembed-")
        self._pieces = []
        self._encoded = False
        return self

    def _files(self, mode):
        return (open(os.path.join(self._dir.name, "tokens.i32"), mode),
                open(os.path.join(self._dir.name, "starts.i64"), mode))

    def _encode_pass(self):
        tok_f, st_f = self._files("wb")
        tok_off = st_off = 0
        seen_file = -1
        in_file = np.zeros(self.n_keys, bool)
        known = 0
        with tok_f, st_f:
            for file_index, docs in iter_documents(self.paths, self.tokenize,
                                                   self.chunk_chars):
                if file_index != seen_file:
                    self._doc_freq += in_file
                    in_file[:] = False
                    seen_file = file_index
                piece = encode_corpus(docs, self.key_to_index)
                piece.file_index = file_index
                in_file[piece.tokens] = True
                piece.tokens.tofile(tok_f)
                piece.starts.tofile(st_f)
                self._pieces.append((file_index, tok_off, len(piece.tokens), st_off,
                                     len(piece.starts), piece.raw_words))
                tok_off += len(piece.tokens)
                st_off += len(piece.starts)
                known += len(piece.tokens)
                yield piece
        self._doc_freq += in_file
        self.known_words = known
        self._encoded = True

    def _replay(self):
        tok_f, st_f = self._files("rb")
        with tok_f, st_f:
            for file_index, t0, nt, s0, ns, raw in self._pieces:
                tok_f.seek(4 * t0)
                st_f.seek(8 * s0)
                tokens = np.fromfile(tok_f, dtype=np.int32, count=nt)
                starts = np.fromfile(st_f, dtype=np.int64, count=ns)
                piece = EncodedCorpus(tokens, starts, np.zeros(ns - 1, np.int64), 1, raw)
                piece.file_index = file_index
                yield piece

    def pieces(self, epoch=0):
        return self._replay() if self._encoded else self._encode_pass()

    def document_frequency(self, n_keys):
        if not self._encoded:
            for _ in self._encode_pass():
                pass
        return self._doc_freq.copy()

    def close(self):
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


# -- Dask ------------------------------------------------------------------------
# Run on the workers: module-level functions, so that only their names travel.
def _index_partition(partition, prepare):
    """One partition tokenized (``prepare``) and indexed in one hashing pass."""
    sequences = prepare(partition)
    try:
        return TokenIndex(sequences)
    except TypeError as exc:
        raise TypeError(f"keys (tokens, item ids) must be hashable: {exc}") from None


def _summarize(index):
    longest = int(index.lengths.max()) if len(index.lengths) else 0
    return index.keys, index.counts, index.total_words, index.n_documents, longest


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
    return index.encode(key_to_index)


class DaskCorpus:
    """Documents or sequences in the partitions of a Dask Bag or Series:
    tokenized, counted and encoded on the workers, streamed to this process
    for training.

    One pass over the data: each partition is tokenized (``prepare``) and
    indexed where it lives (:class:`TokenIndex`: its distinct keys in
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

    def __init__(self, partitions, prepare, track_documents=False, split_every=8):
        import dask

        from .._dask import get_client

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
        from .._dask import get_client

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
                    self._doc_freq += document_frequency(piece.tokens, piece.document_starts(),
                                                         self.n_keys)
                piece.tokens.tofile(files[0])
                piece.starts.tofile(files[1])
                piece.doc_of_sentence.tofile(files[2])
                self._pieces.append((tok_off, len(piece.tokens), st_off, len(piece.starts),
                                     doc_off, piece.n_documents, piece.raw_words))
                tok_off += len(piece.tokens)
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
