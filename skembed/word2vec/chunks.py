"""How an epoch is cut into chunks and shared among threads (numpy; no
kernels here).

A chunk is a run of consecutive sentences of about :data:`CHUNK_WORDS`
tokens: the unit of work of a thread, with its own random stream seeded by
its index in the epoch.  :func:`aligned_pieces` re-cuts a corpus's pieces at
the chunk boundaries of the whole epoch, so that how a corpus is cut never
changes what is trained; :func:`chunk_boundaries` finds a piece's chunks and
:func:`stripe_order` the order in which threads train them.
"""

import numpy as np

from .._ragged import Ragged

# tokens per chunk of the kernels (a chunk is the unit of work of a thread
# and has its own random stream)
CHUNK_WORDS = 10_000


def aligned_pieces(pieces, chunk_words=CHUNK_WORDS):
    """Yield ``(piece, offset)``: the sentences of ``pieces`` re-cut at the
    chunk boundaries of the whole epoch, ``offset`` the number of tokens of
    the epoch before the piece.

    Why: a chunk's random stream is seeded by its index in the epoch and its
    learning rate by its token position (:func:`train`), so if every piece
    starts at a chunk boundary of the whole token stream, the kernels see the
    same chunks with the same seeds however a corpus cuts its stream into
    pieces (one array in memory, text-file chunks, Dask partitions): with one
    thread, training depends on the encoded sentences alone.  A chunk starts
    at the first sentence whose start reaches a multiple of ``chunk_words``
    (:func:`chunk_boundaries`), so the cut between
    two sentences is a boundary when a multiple lies in ``(start of the
    first, start of the second]``: known from the two starts alone.  The
    sentences after a piece's last boundary (at most about ``chunk_words``
    tokens plus one sentence) are carried into the next piece; the last
    piece's end is the end of the stream, a boundary.  A single piece (a
    corpus in memory) is yielded as it is.
    """
    position = 0  # tokens yielded so far
    carry = None  # the sentences after the last boundary seen (a Ragged)
    iterator = iter(pieces)
    following = next(iterator, None)
    while following is not None:
        piece, following = following, next(iterator, None)
        n = piece.n_rows
        if n == 0:
            continue
        carried = 0 if carry is None else int(carry.starts[-1])
        if following is None:
            first = last = n
        else:
            mark = (position + carried + piece.starts) // chunk_words
            cuts = np.flatnonzero(mark[1:] > mark[:-1]) + 1
            if len(cuts) == 0:  # no boundary yet: all of it waits
                carry = (Ragged(piece.ids.copy(), piece.starts.copy()) if carry is None
                         else Ragged.concatenate([carry, piece]))
                continue
            first, last = int(cuts[0]), int(cuts[-1])
        if carry is not None:  # the carried sentences and the piece's head
            head = Ragged.concatenate([carry, piece.rows(0, first)])
            yield head, position
            position += int(head.starts[-1])
            carry, begin = None, first
        else:
            begin = 0
        if last > begin:
            yield (piece if begin == 0 and last == n else piece.rows(begin, last)), position
            position += int(piece.starts[last] - piece.starts[begin])
        if last < n:
            tail = piece.rows(last, n)
            carry = Ragged(tail.ids.copy(), tail.starts)
    if carry is not None:
        yield carry, position


def chunk_boundaries(starts, chunk_words=CHUNK_WORDS, token_offset=0):
    """Group consecutive sentences into chunks of about ``chunk_words`` tokens.

    A chunk starts at the first sentence whose start reaches a multiple of
    ``chunk_words`` in the epoch's token stream; ``token_offset`` is the
    position of ``starts[0]`` in that stream (a piece of a streamed corpus),
    so the chunks of a piece that starts at a chunk boundary are the chunks
    the whole corpus would have there.

    Returns sentence indices ``chunk_starts`` (n_chunks + 1).
    """
    n_sent = len(starts) - 1
    if n_sent == 0:
        return np.zeros(1, np.int64)
    # chunk k starts at the first sentence whose start passes k * chunk_words
    total = starts[-1]
    first_mark = -(-int(token_offset) // chunk_words) * chunk_words - int(token_offset)
    marks = np.arange(first_mark, total, chunk_words, dtype=np.int64)
    first = np.searchsorted(starts[:-1], marks, side="left")
    bounds = np.unique(np.concatenate(([0], first, [n_sent])))
    return bounds.astype(np.int64)


def stripe_order(starts, chunk_starts, n_threads):
    """Training order of the chunks for ``n_threads`` threads.

    The chunks are cut into ``n_threads`` contiguous stripes; thread t
    trains stripe t front to back, so the threads are always far apart in
    the corpus.  Returns ``order`` (slot -> chunk, length a multiple of
    ``n_threads``, -1 for padding; slot ``i * n_threads + t`` is the i-th
    chunk of stripe t) and ``offsets`` (chunk -> number of tokens in the
    chunks of earlier slots, the chunk's place in the learning-rate
    schedule).  One thread: the corpus order, ``offsets`` = chunk starts.
    """
    n_chunks = len(chunk_starts) - 1
    bounds = np.linspace(0, n_chunks, n_threads + 1).astype(np.int64)
    rows = int(np.max(np.diff(bounds))) if n_chunks else 0
    grid = np.full((rows, n_threads), -1, np.int64)
    for t in range(n_threads):
        stripe = np.arange(bounds[t], bounds[t + 1])
        grid[: len(stripe), t] = stripe
    order = grid.ravel()
    real = order[order >= 0]
    words = starts[chunk_starts[real + 1]] - starts[chunk_starts[real]]
    offsets = np.zeros(n_chunks, np.int64)
    offsets[real] = np.cumsum(words) - words
    return order, offsets

