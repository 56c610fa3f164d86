"""Memory traffic of the word2vec kernels: prefetch hints for the rows the
next example touches, and per-thread copies of the hot rows of the
hierarchical-softmax tree."""

from llvmlite import ir
from numba import types as nbtypes
from numba.core import cgutils
from numba.extending import intrinsic

from .._variants import inner


@intrinsic
def _prefetch(typingctx, arr, row, col):
    """Hint the CPU to bring ``arr[row, col]`` (2-D, C order) into cache.

    The rows the next example will touch are requested while the current
    one computes, hiding much of the memory latency of random row access
    (large vocabularies do not fit in the L2 cache).
    """
    if not (isinstance(arr, nbtypes.Array) and arr.ndim == 2
            and isinstance(row, nbtypes.Integer) and isinstance(col, nbtypes.Integer)):
        return None

    def codegen(context, builder, signature, args):
        aryty, rowty, colty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        r = context.cast(builder, args[1], rowty, nbtypes.intp)
        c = context.cast(builder, args[2], colty, nbtypes.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [r, c])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [ptr, i32(1), i32(3), i32(1)])  # write, keep in L1, data
        return context.get_dummy_value()

    return nbtypes.void(arr, row, col), codegen


@inner(fastmath=True)
def prefetch_row(arr, row):
    for col in range(0, arr.shape[1], 16):  # one request per 64-byte line
        _prefetch(arr, row, col)


# Hot rows: every example of hierarchical softmax walks down from the root,
# so with several threads the few inner nodes near the root are written by
# all cores at once and their cache lines bounce between the cores (2
# threads were slower than 1 for skip-gram with hierarchical softmax).  Each
# thread therefore trains its own copy of the HOT_ROWS busiest nodes and
# merges its change into the shared table every HOT_SYNC target words (and
# at the end of its work): a thread sees the other threads' updates of those
# rows about a thousand words late.  512 rows / 1024 words scaled CBOW-HS
# 1.85x from 1 to 2 threads where 128 / 256 gave 1.66x (2048 rows: no
# better; syncing every 4096 words: within noise).  (The same for the most
# frequent keys' negative-sampling rows gained nothing measurable, so it is
# not done.)
HOT_ROWS = 512
HOT_SYNC = 1024  # a power of two: the kernel tests it with a bit mask


@inner(fastmath=True)
def load_hot(shared, lo, hot, base):
    for r in range(hot.shape[0]):
        for k in range(hot.shape[1]):
            hot[r, k] = shared[lo + r, k]
            base[r, k] = shared[lo + r, k]


@inner(fastmath=True)
def sync_hot(shared, lo, hot, base):
    """Add this thread's change of the hot rows to ``shared``, reload them."""
    for r in range(hot.shape[0]):
        for k in range(hot.shape[1]):
            v = shared[lo + r, k] + (hot[r, k] - base[r, k])
            shared[lo + r, k] = v
            hot[r, k] = v
            base[r, k] = v
