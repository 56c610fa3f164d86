"""Streaming text files for training on corpora larger than memory.

Files (plain or ``.gz``) are read in fixed-size chunks of characters cut at
whitespace; each line is a document (sentence) for training, each file a
document for :meth:`Word2VecTransformer.transform`.  A line that crosses a
chunk boundary is split in two there, which only loses the contexts across
that one cut.

The first pass counts words; the second encodes each chunk to int32 ids,
trains on it and appends it to a temporary binary file, so that later
epochs read ids back instead of re-tokenizing.  Memory stays bounded by the
vocabulary, the weights and one chunk, whatever the corpus size.
"""

import gzip
import os
import tempfile

import numpy as np

from .word2vec.vocab import EncodedCorpus, encode_corpus

CHUNK_CHARS = 4_000_000


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


def iter_text_chunks(path, chunk_chars=None):
    """Yield pieces of a file's text of about ``chunk_chars`` (default
    ``CHUNK_CHARS``), cut at whitespace."""
    chunk_chars = chunk_chars or CHUNK_CHARS
    with _open_text(path) as f:
        carry = ""
        while True:
            block = f.read(chunk_chars)
            if not block:
                break
            text = carry + block
            cut = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"))
            if cut <= 0:
                carry = text
                continue
            carry = text[cut + 1:]
            yield text[:cut + 1]
        if carry:
            yield carry


def iter_documents(paths, tokenize, chunk_chars=None):
    """Yield ``(file_index, docs)`` per chunk; ``docs`` holds one token list per line."""
    for i, path in enumerate(paths):
        for text in iter_text_chunks(path, chunk_chars):
            yield i, [tokenize(line) for line in text.split("\n")]


class EncodedFileCorpus:
    """Encodes chunks of text files once and replays the ids for later epochs.

    Call the instance with an epoch number to get an iterable of
    :class:`EncodedCorpus` pieces: the first call tokenizes, encodes and
    spills the ids to a temporary file; later calls read them back.
    """

    def __init__(self, paths, tokenize, key_to_index, n_keys, chunk_chars=None):
        self.paths = paths
        self.tokenize = tokenize
        self.key_to_index = key_to_index
        self.n_keys = n_keys
        self.chunk_chars = chunk_chars
        self._dir = tempfile.TemporaryDirectory(prefix="skembed-")
        self._pieces = []  # (file index, token offset, n tokens, sentence starts offset, n)
        self._encoded = False
        # documents (files) containing each key, filled during encoding
        self.document_frequency = np.zeros(n_keys, np.int64)

    def _files(self, mode):
        return (open(os.path.join(self._dir.name, "tokens.i32"), mode),
                open(os.path.join(self._dir.name, "starts.i64"), mode))

    def _encode(self):
        tok_f, st_f = self._files("wb")
        tok_off = st_off = 0
        seen_file = -1
        in_file = np.zeros(self.n_keys, bool)
        with tok_f, st_f:
            for file_index, docs in iter_documents(self.paths, self.tokenize,
                                                   self.chunk_chars):
                if file_index != seen_file:
                    self.document_frequency += in_file
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
                yield piece
        self.document_frequency += in_file
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

    def __call__(self, epoch=0):
        return self._replay() if self._encoded else self._encode()

    def close(self):
        self._dir.cleanup()
