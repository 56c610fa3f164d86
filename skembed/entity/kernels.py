"""Numba kernels for the sparse part of the entity-embedding network.

All embedding tables live in one flat array ``table``.  Feature ``j`` owns
the global rows ``row_offset[j] .. row_offset[j + 1] - 1``; global row ``r``
occupies ``table[row_start[r] : row_start[r] + row_dim[r]]``.  In the
network input, feature ``j`` fills the columns
``col_offset[j] : col_offset[j] + dims[j]``.  ``codes`` holds, per sample
and feature, the local row index inside that feature's table.

Plain arrays in, plain arrays out; no scikit-learn here.
"""

import numpy as np
from numba import njit


@njit(nogil=True, fastmath=True, cache=True)
def gather(table, row_start, row_offset, col_offset, dims, codes, out):
    """Write the embedding rows of ``codes`` (n, p) into ``out`` (n, >= width)."""
    n, p = codes.shape
    for i in range(n):
        for j in range(p):
            s = row_start[row_offset[j] + codes[i, j]]
            c = col_offset[j]
            for k in range(dims[j]):
                out[i, c + k] = table[s + k]


@njit(nogil=True, fastmath=True, cache=True)
def scatter_add(grad_in, codes, row_start, row_offset, col_offset, dims, grad,
                touched, touched_rows, n_touched):
    """Add the input gradient of each sample to the rows it used.

    ``grad`` is laid out like ``table``.  Rows touched for the first time are
    flagged in ``touched`` and appended to ``touched_rows``; returns the new
    number of touched rows.
    """
    n, p = codes.shape
    for i in range(n):
        for j in range(p):
            r = row_offset[j] + codes[i, j]
            if not touched[r]:
                touched[r] = True
                touched_rows[n_touched] = r
                n_touched += 1
            s = row_start[r]
            c = col_offset[j]
            for k in range(dims[j]):
                grad[s + k] += grad_in[i, c + k]
    return n_touched


@njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def sparse_adam(table, grad, m, v, steps, touched, touched_rows, n_touched,
                row_start, row_dim, lr, beta1, beta2, eps, decay=0.0):
    """Adam step on the touched rows only ("lazy" Adam), then clear their gradient.

    Each row keeps its own step count, so its bias correction matches the
    number of updates it has actually received.  ``decay`` (learning rate
    times weight decay) shrinks each touched row first, as AdamW.
    """
    for t in range(n_touched):
        r = touched_rows[t]
        touched[r] = False
        steps[r] += 1
        bc1 = 1.0 - beta1 ** steps[r]
        bc2 = 1.0 - beta2 ** steps[r]
        step = lr * np.sqrt(bc2) / bc1
        eps_hat = eps * np.sqrt(bc2)
        for q in range(row_start[r], row_start[r] + row_dim[r]):
            table[q] -= decay * table[q]
            g = grad[q]
            grad[q] = 0.0
            m[q] = beta1 * m[q] + (1.0 - beta1) * g
            v[q] = beta2 * v[q] + (1.0 - beta2) * g * g
            table[q] -= step * m[q] / (np.sqrt(v[q]) + eps_hat)
