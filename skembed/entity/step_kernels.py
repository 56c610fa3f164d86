"""Numba kernels for the minibatch steps of the entity-embedding network.

One compiled call runs a stretch of minibatch steps (gather, dense forward
and backward, loss, scatter, Adam on the dense parameters and lazy Adam on
the touched table rows) without returning to Python: at the encoder's small
widths, a step's numpy calls cost more than its arithmetic, and threads that
hold the GIL between calls do not train in parallel.  The dense products
call BLAS (``np.dot``).

The dense parameters live in one flat array ``theta``: layer ``l`` (rows of
``layers``: fan-in, fan-out, offset of its weights, offset of its biases)
has its weights ``theta[w : w + fan_in * fan_out]`` (row-major, fan-in rows)
and its biases ``theta[b : b + fan_out]``.  Tasks: 0 regression (half
squared error per output), 1 logistic loss per output (binary, multilabel),
2 softmax cross-entropy (``yc`` the class); all are sample-weighted means
over the batch.  Bundles (namedtuples of arrays, see
:mod:`.kernels` for ``Layout`` and ``Composition``):

- ``Rows(codes, xnum, y, yc, w)``: the training rows (``y`` float, one
  column per output, none for softmax; ``yc`` the int class, zeros
  otherwise; ``w`` the sample weights);
- ``Params(table, theta, layers)``: the parameters (shared by the threads);
- ``Grads(theta, table, touched, touched_rows, first)``: one thread's gradients
  (``first``: the scratch of :func:`~skembed.entity.kernels.gather`);
- ``Adam(m, v, t, m_table, v_table, row_steps, corr, row_start, row_dim)``:
  the optimizer's state (shared; ``t[0]`` the dense steps before this epoch).

Plain arrays in, plain arrays out; no scikit-learn here.
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .kernels import gather, scatter_add, sparse_adam

__all__ = ["Adam", "Grads", "Params", "Rows", "forward_backward", "step_size",
           "train_steps"]

Rows = namedtuple("Rows", "codes xnum y yc w")
Params = namedtuple("Params", "table theta layers")
Grads = namedtuple("Grads", "theta table touched touched_rows first")
Adam = namedtuple("Adam", "m v t m_table v_table row_steps corr row_start row_dim")

REGRESSION, LOGISTIC, SOFTMAX = 0, 1, 2
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


@njit(nogil=True, cache=True)
def step_size(learning_rate, cosine, step, total_steps):
    """Step size of global step ``step`` (from 0): constant, or a half cosine
    from ``learning_rate`` to 0 over ``total_steps``."""
    if cosine:
        return learning_rate * 0.5 * (1.0 + math.cos(math.pi * step / total_steps))
    return learning_rate


@njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def _loss_grad(out, y, yc, w, task, g):
    """Weighted mean loss of the batch; its gradient by ``out`` into ``g``."""
    n, n_out = out.shape
    loss = 0.0
    for i in range(n):
        wi = w[i]
        if task == SOFTMAX:
            top = out[i, 0]
            for o in range(1, n_out):
                top = max(top, out[i, o])
            norm = 0.0
            for o in range(n_out):
                norm += math.exp(out[i, o] - top)
            log_norm = math.log(norm)
            loss += wi * (log_norm - (out[i, yc[i]] - top))
            for o in range(n_out):
                p = math.exp(out[i, o] - top - log_norm)
                g[i, o] = (p - (1.0 if o == yc[i] else 0.0)) * wi / n
            continue
        for o in range(n_out):
            z = float(out[i, o])
            if task == REGRESSION:
                diff = z - y[i, o]
                loss += wi * 0.5 * diff * diff
            else:
                loss += wi * (max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y[i, o] * z)
                diff = 1.0 / (1.0 + math.exp(-min(max(z, -500.0), 500.0))) - y[i, o]
            g[i, o] = diff * wi / n
    return loss / n


@njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def forward_backward(rows, params, layout, comp, task, dropout, rng, grads, n_touched):
    """Loss of one batch; its gradients into ``grads`` (dense: overwritten;
    table: added, touched rows recorded).  ``dropout`` > 0 drops hidden
    units, drawn from ``rng`` (a ``numpy.random.Generator``).  Returns
    ``(loss, n_touched)``."""
    codes, xnum, y, yc, w = rows
    table, theta, layers = params
    n = codes.shape[0]
    n_layers = layers.shape[0]
    n_num = xnum.shape[1]
    emb_width = layers[0, 0] - n_num
    # the input of every layer, end to end in one buffer
    start = np.zeros(n_layers + 1, np.int64)
    for layer in range(n_layers):
        start[layer + 1] = start[layer] + n * layers[layer, 0]
    acts = np.empty(start[n_layers], dtype=theta.dtype)
    x = acts[:start[1]].reshape((n, layers[0, 0]))
    if emb_width > 0:
        gather(table, layout, comp, codes, x, grads.first)
    for i in range(n):
        for c in range(n_num):
            x[i, emb_width + c] = xnum[i, c]
    scale = 1.0 / (1.0 - dropout) if dropout > 0 else 1.0
    for layer in range(n_layers):
        fan_in, fan_out, wo, bo = layers[layer]
        a = acts[start[layer]:start[layer + 1]].reshape((n, fan_in))
        z = np.dot(a, theta[wo:wo + fan_in * fan_out].reshape((fan_in, fan_out)))
        if layer == n_layers - 1:
            for i in range(n):
                for c in range(fan_out):
                    z[i, c] += theta[bo + c]
            break
        nxt = acts[start[layer + 1]:start[layer + 2]]
        for i in range(n):
            for c in range(fan_out):
                v = z[i, c] + theta[bo + c]
                if v < 0:
                    v = 0.0
                elif dropout > 0:
                    v = 0.0 if rng.random() < dropout else v * scale
                nxt[i * fan_out + c] = v
    g = np.empty(z.shape, dtype=theta.dtype)
    loss = _loss_grad(z, y, yc, w, task, g)
    for layer in range(n_layers - 1, -1, -1):
        fan_in, fan_out, wo, bo = layers[layer]
        a = acts[start[layer]:start[layer + 1]].reshape((n, fan_in))
        gw = np.dot(a.T, g)
        for r in range(fan_in):
            for c in range(fan_out):
                grads.theta[wo + r * fan_out + c] = gw[r, c]
        for c in range(fan_out):
            acc = 0.0
            for i in range(n):
                acc += g[i, c]
            grads.theta[bo + c] = acc
        # the gradient by this layer's input (scatter_add reads its
        # embedding columns)
        g_in = np.dot(g, theta[wo:wo + fan_in * fan_out].reshape((fan_in, fan_out)).T)
        if layer > 0:
            for i in range(n):
                for c in range(fan_in):
                    g_in[i, c] = g_in[i, c] * scale if a[i, c] > 0 else 0.0
            g = g_in
        elif emb_width > 0:
            n_touched = scatter_add(g_in, codes, layout, comp, grads.table, grads.touched,
                                    grads.touched_rows, n_touched, grads.first)
    return loss, n_touched


@njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def _dense_adam(theta, grad, m, v, t, layers, lr, decay):
    """Adam's ``t``-th step (from 1) on the flat dense parameters (AdamW
    decay of the weights)."""
    bc1 = 1.0 - BETA1 ** t
    bc2 = 1.0 - BETA2 ** t
    step = lr * math.sqrt(bc2) / bc1
    eps = EPS * math.sqrt(bc2)
    if decay > 0:
        shrink = 1.0 - decay
        for layer in range(layers.shape[0]):
            wo = layers[layer, 2]
            for q in range(wo, wo + layers[layer, 0] * layers[layer, 1]):
                theta[q] *= shrink
    for q in range(theta.shape[0]):
        gq = grad[q]
        m[q] = BETA1 * m[q] + (1.0 - BETA1) * gq
        v[q] = BETA2 * v[q] + (1.0 - BETA2) * gq * gq
        theta[q] -= step * m[q] / (math.sqrt(v[q]) + eps)


@njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def train_steps(rows, params, layout, comp, grads, adam, order, batches, batch_size,
                task, dropout, rates, rng, learning_rate, cosine, first_step, total_steps,
                weight_decay):
    """Minibatch steps ``batches`` (indices into the epoch's row ``order``)
    on this thread.  ``rates`` (one per entity of ``comp``, or empty) is the
    embedding dropout: a sample's category loses its own row (code ``-(e +
    1)``) with that probability.  ``rng``: this thread's
    ``numpy.random.Generator`` (no global random state is touched).
    Returns the summed weighted loss (the caller checks it is finite: under
    ``fastmath`` the kernel cannot)."""
    codes, xnum, y, yc, w = rows
    n, p = codes.shape
    ent_offset = comp.ent_offset
    total = 0.0
    # one batch's rows, copied by loops (fancy indexing and sorting would
    # each cost a second of compilation)
    b_codes = np.empty((batch_size, p), codes.dtype)
    b_xnum = np.empty((batch_size, xnum.shape[1]), xnum.dtype)
    b_y = np.empty((batch_size, y.shape[1]), y.dtype)
    b_yc = np.empty(batch_size, yc.dtype)
    b_w = np.empty(batch_size, w.dtype)
    no_rows = np.int64(0)  # not the literal 0: one compiled forward_backward
    for b in batches:
        lo = b * batch_size
        m = min(lo + batch_size, n) - lo
        for i in range(m):
            r = order[lo + i]
            for j in range(p):
                c = codes[r, j]
                if rates.shape[0] > 0 and c >= 0 and \
                        rng.random() < rates[ent_offset[j] + c]:
                    c = -c - 1
                b_codes[i, j] = c
            for j in range(xnum.shape[1]):
                b_xnum[i, j] = xnum[r, j]
            for j in range(y.shape[1]):
                b_y[i, j] = y[r, j]
            b_yc[i] = yc[r]
            b_w[i] = w[r]
        sub = Rows(b_codes[:m], b_xnum[:m], b_y[:m], b_yc[:m], b_w[:m])
        loss, n_touched = forward_backward(sub, params, layout, comp, task, dropout, rng,
                                           grads, no_rows)
        lr = step_size(learning_rate, cosine, first_step + b, total_steps)
        # the step's number from its batch (threads share no counter)
        _dense_adam(params.theta, grads.theta, adam.m, adam.v, adam.t[0] + b + 1,
                    params.layers, lr, lr * weight_decay)
        if n_touched:
            sparse_adam(params.table, grads.table, adam.m_table, adam.v_table,
                        adam.row_steps, grads.touched, grads.touched_rows, n_touched,
                        adam.row_start, adam.row_dim, lr, BETA1, BETA2, EPS, adam.corr,
                        lr * weight_decay)
        total += loss * m
    return total
