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
(:func:`~skembed.word2vec.chunks.aligned_pieces`), so how a corpus cuts its
sentences into pieces never changes what is trained.
"""

import gzip
import os
import re
import tempfile
import zlib

import numpy as np

from .._ragged import IndexedSequences
from ..pooling import document_frequency
from .vocab import EncodedCorpus, count_keys, encode_corpus

__all__ = ["SequenceCorpus", "TextFileCorpus", "check_paths"]

# characters read from a file at a time when streaming
CHUNK_CHARS = 4_000_000
# a "token" longer than this is cut (as the C tool's MAX_STRING): a file with
# no whitespace would otherwise be held in memory whole
MAX_TOKEN_CHARS = 100
_SPACE = re.compile(r"[ \n\t\r]")


class SequenceCorpus:
    """Token or item sequences held in memory.

    Counting hashes every token once (:class:`~skembed._ragged.IndexedSequences`;
    or it is given sequences already indexed, as the recommenders pass
    them), so encoding is an array lookup; with ``max_vocab_size`` the
    counter is pruned while counting instead, as the C tool does.
    """

    def __init__(self, sequences):
        if isinstance(sequences, IndexedSequences):
            self.sequences, self._index = None, sequences
        else:
            self.sequences = sequences if isinstance(sequences, list) else list(sequences)
            self._index = None
        self.encoded = None

    def count(self, max_vocab_size=None):
        if max_vocab_size is None:
            if self._index is None:
                self._index = IndexedSequences.from_sequences(self.sequences)
            index = self._index
            return index.counter(), index.total, index.n_sequences
        if self.sequences is None:
            self.sequences = self._index.codes.to_lists(self._index.keys)
        self._index = None
        return count_keys(self.sequences, max_vocab_size)

    def encode(self, key_to_index):
        if self._index is not None:
            self.encoded = EncodedCorpus.from_ids(self._index.encode(key_to_index))
            self._index = None
        else:
            self.encoded = encode_corpus(self.sequences, key_to_index)
        return self.encoded

    def longest(self):
        """Tokens in the longest sequence."""
        if self._index is not None:
            lengths = self._index.codes.lengths
            return int(lengths.max()) if len(lengths) else 0
        return max(map(len, self.sequences), default=0)

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
        documents = self.encoded.documents()
        return document_frequency(documents.ids, documents.starts, n_keys)

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
    for p in paths:
        if os.path.isdir(p):
            raise ValueError(
                f"{p!r} is a directory; with input='filename', X lists the files to read "
                f"(e.g. sorted(pathlib.Path({p!r}).glob('*.txt')))")
        if not os.path.isfile(p):
            raise FileNotFoundError(f"no such file: {p!r}")
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
                in_file[piece.ids] = True
                piece.ids.tofile(tok_f)
                piece.starts.tofile(st_f)
                self._pieces.append((file_index, tok_off, len(piece.ids), st_off,
                                     len(piece.starts), piece.raw_words))
                tok_off += len(piece.ids)
                st_off += len(piece.starts)
                known += len(piece.ids)
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
                yield EncodedCorpus(tokens, starts, np.zeros(ns - 1, np.int64), 1, raw,
                                    file_index)

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
