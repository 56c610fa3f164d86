"""Opening and atomically replacing the files vectors are saved to.

Every writer of :mod:`skembed.keyed_vectors` writes to a temporary file beside
its target and renames it over the target only once everything is written
(``os.replace``, atomic on POSIX and Windows), so a failure at any point (an
exception, a full disk, the process killed) leaves the old file as it was, and
a memory map of the old file (``KeyedVectors.load(..., mmap_mode="r")``) keeps
reading the old data while its directory is saved again.
"""

import gzip
import os
import secrets
from contextlib import contextmanager

__all__ = ["atomic_files", "open_file", "write_atomically"]


def open_file(path, mode):
    """``open``, or ``gzip.open`` when the name ends in ``.gz``."""
    path = os.fspath(path)
    if str(path).endswith(".gz"):
        return gzip.open(path, mode)
    return open(path, mode)


def _temporary(target):
    """Create an empty temporary file beside ``target`` (same file system, so
    the rename is atomic; permissions follow the umask as for ``open``)."""
    folder, name = os.path.split(target)
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file beside {target!r}")


def _target(path):
    # replace the file a symbolic link points to, not the link itself (as
    # writing to the path directly did)
    return os.path.realpath(os.fspath(path))


class _Batch:
    """Temporary files of a batch of targets, renamed over them together."""

    def __init__(self):
        self.temps = {}  # target -> temporary path, in the order of creation

    @contextmanager
    def open(self, path):
        """A binary file that will replace ``path`` (compressed when the
        name ends in ``.gz``); it is flushed to disk on close."""
        target = _target(path)
        tmp = self.temps[target] = _temporary(target)
        with open(tmp, "wb") as raw:
            if target.endswith(".gz"):
                # the gzip header names the target, not the temporary
                with gzip.GzipFile(filename=os.path.basename(target), mode="wb",
                                   fileobj=raw) as f:
                    yield f
            else:
                yield raw
            raw.flush()
            os.fsync(raw.fileno())

    def commit(self):
        for target, tmp in self.temps.items():
            os.replace(tmp, target)
        self.temps = {}

    def discard(self):
        for tmp in self.temps.values():
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self.temps = {}


@contextmanager
def atomic_files():
    """Write several files, then rename them over their targets together.

    Yields an object whose ``open(path)`` context gives a binary file to
    write the new content of ``path`` to.  On leaving the block normally,
    the temporary files are renamed over their targets, in the order they
    were opened (the slow part, writing, is over by then: only the renames
    remain, each atomic); on an exception, they are deleted and every target
    is left as it was.
    """
    batch = _Batch()
    try:
        yield batch
        batch.commit()
    finally:
        batch.discard()


@contextmanager
def write_atomically(path):
    """A binary file whose content replaces ``path`` atomically once the
    block ends without an exception (compressed when the name ends in
    ``.gz``); on an exception ``path`` is left as it was."""
    with atomic_files() as batch, batch.open(path) as f:
        yield f
