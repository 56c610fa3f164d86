"""The word2vec text and binary formats (the C tool, gensim, fastText ``.vec``,
GloVe without header): writing, and streaming reads that name the file and
the line (text) or vector (binary) of anything malformed.

What :func:`write` accepts, :func:`read` reads back identically (keys as
text, vectors bit for bit); what it cannot read back it refuses before
writing anything.
"""

import unicodedata
import zlib
from numbers import Integral

import numpy as np

from .files import open_file, write_atomically

__all__ = ["MAX_KEY_BYTES", "check_writable", "read", "write"]

# longest key (UTF-8 bytes) of a binary file; beyond it the reader takes the
# file for garbage (a wrong vector size in the header)
MAX_KEY_BYTES = 10_000
_BOM = "\ufeff"


def _bad_character(key):
    for c in key:
        if c.isspace() or unicodedata.category(c) in ("Cc", "Cs"):
            return c
    return None


def check_writable(keys, vectors, binary=False, write_header=True):
    """The keys as the text the format holds, or ``ValueError`` saying why
    the format cannot hold these keys and vectors (so that nothing is
    written that :func:`read` would refuse or read back differently)."""
    if binary and not write_header:
        raise ValueError("binary word2vec files always have a header (write_header=True)")
    texts = [str(k) for k in keys]
    for key, text in zip(keys, texts, strict=True):
        if not text:
            raise ValueError(f"key {key!r} is empty; the word2vec format cannot store it")
        bad = _bad_character(text)
        if bad is not None:
            raise ValueError(f"key {key!r} contains whitespace or a control character "
                             f"({bad!r}); the word2vec format cannot store it")
        if binary and len(text.encode("utf8")) > MAX_KEY_BYTES:
            raise ValueError(f"key {text[:40]!r}... is longer than {MAX_KEY_BYTES:,} UTF-8 "
                             "bytes; the binary word2vec format cannot store it")
    if len(set(texts)) != len(texts):
        first = {}
        for key, text in zip(keys, texts, strict=True):
            if text in first:
                raise ValueError(
                    f"keys {first[text]!r} and {key!r} are both written as {text!r}: the "
                    "word2vec format holds keys as text, so they must differ as text "
                    "(use KeyedVectors.save to keep keys of any type)")
            first[text] = key
    if vectors.shape[1] == 0:
        raise ValueError("vectors of size 0: the word2vec format needs at least one value "
                         "per key")
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        key = keys[int(np.argmin(finite))]
        raise ValueError(f"the vector of key {key!r} holds a NaN or infinite value; the "
                         "word2vec format readers refuse such values")
    if not write_header:
        if not texts:
            raise ValueError("a file without header and without vectors cannot tell its "
                             "vector size: write the header (write_header=True)")
        if texts[0].startswith(_BOM):
            raise ValueError(f"the first key {keys[0]!r} starts with a byte-order mark, "
                             "which readers drop at the start of a file: write the header")
    return texts


def write(path, keys, vectors, binary=False, write_header=True):
    """Write ``keys`` and ``vectors`` (float32, n_keys x vector_size) in the
    word2vec text or binary format, atomically (:mod:`.files`)."""
    vectors = np.asarray(vectors)
    texts = check_writable(keys, vectors, binary, write_header)
    dim = vectors.shape[1]
    with write_atomically(path) as f:
        if write_header:
            f.write(f"{len(texts)} {dim}\n".encode())
        if binary:
            for start in range(0, len(texts), 10_000):
                data = vectors[start:start + 10_000].astype("<f4")
                f.write(b"".join(k.encode("utf8") + b" " + row.tobytes() + b"\n" for k, row
                                 in zip(texts[start:start + 10_000], data, strict=True)))
        else:
            fmt = " ".join(["%.9g"] * dim)  # 9 digits: every float32 round-trips
            for start in range(0, len(texts), 10_000):
                rows = np.asarray(vectors[start:start + 10_000], np.float64).tolist()
                lines = [k + " " + fmt % tuple(row) for k, row in
                         zip(texts[start:start + 10_000], rows, strict=True)]
                f.write(("\n".join(lines) + "\n").encode("utf8"))


def read(path, binary=False, no_header=False, limit=None, encoding="utf8"):
    """Keys (str) and vectors (float32) of a word2vec text or binary file,
    plain or ``.gz``; ``ValueError`` naming the file and the place of
    anything malformed.  See :meth:`skembed.KeyedVectors.load_word2vec_format`."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, Integral)
                              or limit < 0):
        raise ValueError(f"limit must be None or an int >= 0, got {limit!r}")
    if binary and no_header:
        raise ValueError("binary word2vec files always have a header")
    reader = _BinaryReader if binary else _TextReader
    try:
        with open_file(path, "rb") as f:
            return reader(path, f, no_header, limit, encoding).read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: cannot read the file ({exc})") from None


class _Rows:
    """A growing float32 table: exact size when the header is trusted, grown
    by halves otherwise (so a header claiming 1e12 rows costs nothing)."""

    def __init__(self, expected, dim, path):
        if dim < 1 or dim > 1_000_000:
            raise ValueError(f"{path}: vector size {dim} in the header is not plausible")
        self.dim = dim
        self.n = 0
        cap = expected if expected is not None else 1024
        self.data = np.empty((min(max(cap, 1), 1 << 16), dim), np.float32)
        self.expected = expected

    def add(self, row):
        if self.n == self.data.shape[0]:
            grow = max(self.n // 2, 1024)
            if self.expected is not None:
                grow = min(grow, max(self.expected - self.n, 1))
            self.data = np.concatenate([self.data, np.empty((grow, self.dim), np.float32)])
        self.data[self.n] = row
        self.n += 1

    def result(self):
        return self.data[:self.n]


class _Keys:
    """Keys read so far; a repeated key is an error naming both places."""

    def __init__(self, path, place):
        self.path, self.place, self.keys, self.seen = path, place, [], {}

    def add(self, key, where):
        first = self.seen.setdefault(key, where)
        if first != where:
            raise ValueError(f"{self.path}: {self.place} {where}: key {key!r} already "
                             f"appeared in {self.place} {first}; keys must be unique")
        self.keys.append(key)

    def __len__(self):
        return len(self.keys)


def _decode_header(line, encoding):
    text = line.decode(encoding)
    return text[1:] if text.startswith(_BOM) else text  # a byte-order mark


def _header(path, line, encoding):
    try:
        parts = _decode_header(line, encoding).split()
    except UnicodeDecodeError:
        raise ValueError(f"{path}: line 1 is not a 'n_keys vector_size' header") from None
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{path}: line 1 must be 'n_keys vector_size', got "
                         f"{' '.join(parts)[:80]!r}")
    return int(parts[0]), int(parts[1])


class _TextReader:
    def __init__(self, path, f, no_header, limit, encoding):
        self.path, self.f, self.no_header = path, f, no_header
        self.limit, self.encoding = limit, encoding

    def read(self):
        path, f = self.path, self.f
        n, dim, line_no = None, None, 0
        if not self.no_header:
            n, dim = _header(path, f.readline(), self.encoding)
            line_no = 1
        keep = n if self.limit is None else (self.limit if n is None else min(n, self.limit))
        rows, keys = None, _Keys(path, "line")
        while keep is None or len(keys) < keep:
            raw = f.readline()
            line_no += 1
            if not raw:
                break
            try:
                text = (_decode_header(raw, self.encoding) if line_no == 1
                        else raw.decode(self.encoding))
                parts = text.rstrip("\r\n").rstrip(" ").split(" ")
            except UnicodeDecodeError:
                raise ValueError(f"{path}: line {line_no} is not valid "
                                 f"{self.encoding} text") from None
            if dim is None:  # no header: the first row sets the dimension
                dim = len(parts) - 1
            if rows is None:
                rows = _Rows(keep, dim, path)
            if len(parts) != dim + 1:
                raise ValueError(f"{path}: line {line_no} has {len(parts) - 1} values, "
                                 f"expected {dim}")
            try:
                row = np.array(parts[1:], dtype=np.float32)
            except ValueError:
                raise ValueError(f"{path}: line {line_no} holds a value that is not a "
                                 "number") from None
            if not np.isfinite(row).all():
                raise ValueError(f"{path}: line {line_no} holds a NaN or infinite value")
            keys.add(parts[0], line_no)
            rows.add(row)
        if n is not None and len(keys) < keep:
            raise ValueError(f"{path}: the header announces {n} vectors but the file ends "
                             f"after {len(keys)} (line {line_no})")
        if n is not None and self.limit is None and f.readline().strip():
            raise ValueError(f"{path}: line {line_no + 1}: more vectors than the {n} the "
                             "header announces")
        if rows is None:
            rows = _Rows(0, max(dim or 1, 1), path)
        return keys.keys, rows.result()


class _BinaryReader:
    def __init__(self, path, f, no_header, limit, encoding):
        self.path, self.f, self.limit, self.encoding = path, f, limit, encoding

    def read(self):
        path, f = self.path, self.f
        n, dim = _header(path, f.readline(), self.encoding)
        keep = n if self.limit is None else min(n, self.limit)
        rows, keys = _Rows(keep, dim, path), _Keys(path, "vector")
        row_bytes = 4 * dim
        for i in range(keep):
            word = bytearray()
            while True:
                ch = f.read(1)
                if ch == b"":
                    raise ValueError(f"{path}: the header announces {n} vectors but the file "
                                     f"ends in vector {i}")
                if ch == b" ":
                    break
                if ch != b"\n" or word:  # a newline may end the previous vector
                    word += ch
                if len(word) > MAX_KEY_BYTES:
                    raise ValueError(f"{path}: vector {i}: no key found (wrong vector size "
                                     "in the header, or not a binary word2vec file?)")
            raw = f.read(row_bytes)
            if len(raw) != row_bytes:
                raise ValueError(f"{path}: the file ends inside vector {i}")
            try:
                key = word.decode(self.encoding)
            except UnicodeDecodeError:
                raise ValueError(f"{path}: vector {i}: the key is not valid {self.encoding} "
                                 "text (wrong vector size in the header?)") from None
            if not key or any(c.isspace() or ord(c) < 32 for c in key):
                raise ValueError(f"{path}: vector {i}: malformed key {key!r} (wrong vector "
                                 "size in the header?)")
            row = np.frombuffer(raw, dtype="<f4")
            if not np.isfinite(row).all():
                raise ValueError(f"{path}: vector {i} holds a NaN or infinite value")
            keys.add(key, i)
            rows.add(row)
        if self.limit is None and f.read(64).strip():
            raise ValueError(f"{path}: more data after the {n} vectors the header announces "
                             "(wrong counts or vector size in the header?)")
        return keys.keys, rows.result()
