"""Numba kernels for the sparse part of the entity-embedding network.

All embedding tables live in one flat array ``table``.  Feature ``j`` owns
the global rows ``row_offset[j] .. row_offset[j + 1] - 1``; global row ``r``
occupies ``table[row_start[r] : row_start[r] + row_dim[r]]``.  In the
network input, feature ``j`` fills the columns
``col_offset[j] : col_offset[j] + dims[j]``.

An *entity* (a category, or a value unseen in training) is a weighted sum of
table rows: entity ``e`` of feature ``j`` (global entity ``ent_offset[j] +
e``) sums the rows ``ent_rows[q]`` times ``ent_weights[q]`` for ``q`` in
``ent_ptr[e] .. ent_ptr[e + 1] - 1``.  Its first row is its own (row 0 of the
feature, the shared unknown row, for an entity without one); the others are
the rows of its substrings.  ``codes`` holds, per sample and feature, the
local entity index; a negative code ``-(e + 1)`` means entity ``e`` with its
own row replaced by the shared unknown row (embedding dropout: an unseen
category that keeps its spelling).  The three arrays travel as the bundle
:class:`Composition`.

Plain arrays in, plain arrays out; no scikit-learn here.
"""

from collections import namedtuple

import numpy as np
from numba import njit

__all__ = ["Composition", "Layout", "accumulate_curvature", "adam_corrections",
           "entity_scratch", "gather", "grid_losses", "newton_steps", "scatter_add",
           "sparse_adam"]

def entity_scratch(comp):
    """The ``first`` scratch of :func:`gather` and :func:`scatter_add` for
    the entities of ``comp``."""
    return np.full(comp.ent_ptr.shape[0] - 1, -1, np.int64)


# where each feature's rows and columns are (see the module docstring)
Layout = namedtuple("Layout", "row_start row_offset col_offset dims")
# entities as weighted sums of rows, per feature from ent_offset[j]
Composition = namedtuple("Composition", "ent_offset ent_ptr ent_rows ent_weights")


@njit(nogil=True, cache=True, inline="always")
def _entity(code, j, row_offset, ent_offset):
    """Global entity of a sample's ``code`` for feature ``j`` and the row that
    replaces its own row (the feature's shared row for a negative code, an
    embedding dropout; -1 for none)."""
    if code < 0:
        return ent_offset[j] + (-code - 1), row_offset[j] + 0
    return ent_offset[j] + code, -1


@njit(nogil=True, fastmath=True, cache=True)
def gather(table, layout, comp, codes, out, first):
    """Write the embedding of each entity of ``codes`` (n, p) into ``out``
    (n, >= width).

    An entity that repeats in ``codes`` is summed once and copied (a long
    name sums dozens of n-gram rows; the frequent ones recur in every batch).
    ``first`` is scratch, -1 per entity of ``comp`` (:func:`entity_scratch`),
    left so: a training step touches only its own entities, not one int per
    category of the table.
    """
    row_start, row_offset, col_offset, dims = layout
    ent_offset, ent_ptr, ent_rows, ent_weights = comp
    n, p = codes.shape
    for i in range(n):
        for j in range(p):
            e, own = _entity(codes[i, j], j, row_offset, ent_offset)
            col = col_offset[j]
            d = dims[j]
            if own < 0:
                i0 = first[e]
                if i0 >= 0:
                    for k in range(d):
                        out[i, col + k] = out[i0, col + k]
                    continue
                first[e] = i
            for k in range(d):
                out[i, col + k] = 0.0
            for q in range(ent_ptr[e], ent_ptr[e + 1]):
                r = own if q == ent_ptr[e] and own >= 0 else ent_rows[q]
                w = ent_weights[q]
                s = row_start[r]
                for k in range(d):
                    out[i, col + k] += w * table[s + k]
    for i in range(n):
        for j in range(p):
            e, own = _entity(codes[i, j], j, row_offset, ent_offset)
            first[e] = -1


@njit(nogil=True, fastmath=True, cache=True)
def scatter_add(grad_in, codes, layout, comp, grad, touched, touched_rows, n_touched, first):
    """Add the input gradient of each sample to the rows its entities use.

    ``grad`` is laid out like ``table``.  Rows touched for the first time are
    flagged in ``touched`` and appended to ``touched_rows``; returns the new
    number of touched rows.  The samples of a repeated entity are summed
    first (into its first sample's row of ``grad_in``, which is overwritten)
    and scattered once.  ``first``: scratch as in :func:`gather`.
    """
    row_start, row_offset, col_offset, dims = layout
    ent_offset, ent_ptr, ent_rows, ent_weights = comp
    n, p = codes.shape
    for i in range(n):
        for j in range(p):
            e, own = _entity(codes[i, j], j, row_offset, ent_offset)
            if own >= 0:
                continue
            i0 = first[e]
            if i0 < 0:
                first[e] = i
            else:
                col = col_offset[j]
                for k in range(dims[j]):
                    grad_in[i0, col + k] += grad_in[i, col + k]
    for i in range(n):
        for j in range(p):
            e, own = _entity(codes[i, j], j, row_offset, ent_offset)
            if own < 0:
                if first[e] != i:  # summed into its first sample
                    continue
                first[e] = -1  # (later samples of e see -1 != their index)
            col = col_offset[j]
            d = dims[j]
            for q in range(ent_ptr[e], ent_ptr[e + 1]):
                r = own if q == ent_ptr[e] and own >= 0 else ent_rows[q]
                if not touched[r]:
                    touched[r] = True
                    touched_rows[n_touched] = r
                    n_touched += 1
                w = ent_weights[q]
                s = row_start[r]
                for k in range(d):
                    grad[s + k] += w * grad_in[i, col + k]
    return n_touched


@njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def sparse_adam(table, grad, m, v, steps, touched, touched_rows, n_touched,
                row_start, row_dim, lr, beta1, beta2, eps, corr, decay=0.0):
    """Adam step on the touched rows only ("lazy" Adam), then clear their gradient.

    Each row keeps its own step count, so its bias correction matches the
    number of updates it has actually received: ``corr[s]`` holds, for a
    row's ``s``-th update, ``sqrt(1 - beta2**s) / (1 - beta1**s)`` and
    ``sqrt(1 - beta2**s)`` (:func:`adam_corrections`; looked up, as two
    powers per row cost more than the row's update itself).  ``decay``
    (learning rate times weight decay) shrinks each touched row first, as
    AdamW.
    """
    for t in range(n_touched):
        r = touched_rows[t]
        touched[r] = False
        steps[r] += 1
        step = lr * corr[steps[r], 0]
        eps_hat = eps * corr[steps[r], 1]
        for q in range(row_start[r], row_start[r] + row_dim[r]):
            table[q] -= decay * table[q]
            g = grad[q]
            grad[q] = 0.0
            m[q] = beta1 * m[q] + (1.0 - beta1) * g
            v[q] = beta2 * v[q] + (1.0 - beta2) * g * g
            table[q] -= step * m[q] / (v[q] ** 0.5 + eps_hat)


def adam_corrections(beta1, beta2, n_steps):
    """Adam's bias corrections for steps ``0 .. n_steps`` (see
    :func:`sparse_adam`), shape (n_steps + 1, 2); row 0 is unused."""
    s = np.arange(1, n_steps + 1, dtype=np.float64)
    bc2 = np.sqrt(1.0 - beta2 ** s)
    corr = np.zeros((n_steps + 1, 2))
    corr[1:, 0] = bc2 / (1.0 - beta1 ** s)
    corr[1:, 1] = bc2
    return corr


@njit(nogil=True, fastmath=True, cache=True)
def accumulate_curvature(jac, grad, hdiag, hvec, w, codes, fold, col_offset, dims, n_folds,
                         stat_a, stat_b, a_offset, b_offset):
    """Per entity and fold, the Gauss-Newton statistics of the rows' loss in
    the entity's embedding: ``A += w J' H J`` and ``B += w J' g``.

    ``jac`` (n, n_out, width) is the derivative of each row's outputs by its
    network input, ``grad`` (n, n_out) the first derivative of its loss by
    the outputs; the second is ``H = diag(hdiag) - hvec hvec'`` (``hdiag``,
    ``hvec``: (n, n_out); ``hvec`` has no columns when ``H`` is diagonal),
    the form every loss here takes (softmax: ``diag(p) - p p'``), so that a
    row costs ``n_out d^2``, not ``n_out^2 d``.  ``fold`` (n,) is each row's
    fold.  Entity ``e`` of feature ``j`` and fold ``k`` own
    ``stat_a[a_offset[j] + ((e * n_folds + k) * d + r) * d + s]`` and
    ``stat_b[b_offset[j] + (e * n_folds + k) * d + r]`` (``d = dims[j]``).
    """
    n, n_out, _ = jac.shape
    p = codes.shape[1]
    outer = hvec.shape[1] > 0
    u = np.empty(jac.shape[2])
    for i in range(n):
        k = fold[i]
        wi = w[i]
        for j in range(p):
            d = dims[j]
            col = col_offset[j]
            e = codes[i, j]
            base_a = a_offset[j] + (e * n_folds + k) * d * d
            base_b = b_offset[j] + (e * n_folds + k) * d
            if outer:
                for r in range(d):
                    acc = 0.0
                    for o in range(n_out):
                        acc += hvec[i, o] * jac[i, o, col + r]
                    u[r] = acc
            for r in range(d):
                gb = 0.0
                for o in range(n_out):
                    gb += jac[i, o, col + r] * grad[i, o]
                stat_b[base_b + r] += wi * gb
                for s in range(d):
                    acc = 0.0
                    for o in range(n_out):
                        acc += jac[i, o, col + r] * (hdiag[i, o] * jac[i, o, col + s])
                    if outer:
                        acc -= u[r] * u[s]
                    stat_a[base_a + r * d + s] += wi * acc


@njit(nogil=True, cache=True)
def _solve_small(M, r, x):
    """``x = M^-1 r`` for one small dense matrix (Gaussian elimination with
    partial pivoting; ``M`` and ``r`` are overwritten)."""
    d = r.shape[0]
    for c in range(d):
        p = c
        for q in range(c + 1, d):
            if abs(M[q, c]) > abs(M[p, c]):
                p = q
        if p != c:
            for q in range(d):
                M[c, q], M[p, q] = M[p, q], M[c, q]
            r[c], r[p] = r[p], r[c]
        piv = M[c, c]
        for q in range(c + 1, d):
            f = M[q, c] / piv
            if f != 0.0:
                for t in range(c, d):
                    M[q, t] -= f * M[c, t]
                r[q] -= f * r[c]
    for c in range(d - 1, -1, -1):
        acc = r[c]
        for t in range(c + 1, d):
            acc -= M[c, t] * x[t]
        x[c] = acc / M[c, c]


@njit(nogil=True, cache=True)
def newton_steps(A, B, A_tot, B_tot, gap, shared, lam, dv):
    """Leave-fold-out Newton steps of one feature, and the folds' own loss.

    For entity ``f`` and fold ``k``: ``dv[f, k] = -(A_tot[f] - A[f, k] + lam
    I)^-1 (B_tot[f] - B[f, k] + lam gap[f])`` (``-gap[f]``, the prior, for an
    infinite ``lam``; 0 for a ``shared`` entity).  Returns the second-order
    loss of the folds at their steps, ``sum B[f, k] . dv + dv' A[f, k] dv / 2``.
    Shapes: ``A`` (F, K, d, d), ``B`` (F, K, d), ``A_tot`` (F, d, d),
    ``B_tot`` and ``gap`` (F, d), ``dv`` (F, K, d), written.
    """
    n_ent, n_folds, d = B.shape
    M = np.empty((d, d))
    r = np.empty(d)
    x = np.empty(d)
    x_all = np.empty(d)
    loss = 0.0
    for f in range(n_ent):
        have_all = False
        for k in range(n_folds):
            if shared[f]:
                for a in range(d):
                    dv[f, k, a] = 0.0
                continue
            if np.isinf(lam):
                for a in range(d):
                    x[a] = gap[f, a]
            else:
                empty = True  # no rows of f in fold k: the step of all rows
                for a in range(d):
                    if B[f, k, a] != 0.0:
                        empty = False
                    for b in range(d):
                        if A[f, k, a, b] != 0.0:
                            empty = False
                if empty and have_all:
                    for a in range(d):
                        x[a] = x_all[a]
                else:
                    for a in range(d):
                        for b in range(d):
                            M[a, b] = A_tot[f, a, b] - A[f, k, a, b]
                        M[a, a] += lam
                        r[a] = B_tot[f, a] - B[f, k, a] + lam * gap[f, a]
                    _solve_small(M, r, x)
                    if empty:  # a long-tail entity is absent from most folds
                        have_all = True
                        for a in range(d):
                            x_all[a] = x[a]
            for a in range(d):
                dv[f, k, a] = -x[a]
            for a in range(d):
                loss += B[f, k, a] * dv[f, k, a]
                for b in range(d):
                    loss += 0.5 * dv[f, k, a] * A[f, k, a, b] * dv[f, k, b]
    return loss


@njit(nogil=True, cache=True)
def grid_losses(A, B, A_tot, B_tot, gap, shared, lams, first, stop, out):
    """The folds' second-order loss of :func:`newton_steps` for each value of
    ``lams``, per entity: ``out[f, g]`` for ``first <= f < stop`` (0 for a
    ``shared`` entity).  A fold without rows of ``f`` adds nothing (its
    ``A`` and ``B`` are 0), so only the folds ``f`` lives in are solved.

    The fold's system and loss are written out here as in
    :func:`newton_steps`: shared through small compiled helpers (inlined or
    not), both kernels ran 1.5-1.9x slower (10,000 entities, 5 folds, 3
    dimensions: 9.1 -> 15-17 ms for eight values)."""
    n_folds, d = B.shape[1], B.shape[2]
    n_grid = lams.shape[0]
    M = np.empty((d, d))
    r = np.empty(d)
    x = np.empty(d)
    for f in range(first, stop):
        for g in range(n_grid):
            out[f, g] = 0.0
        if shared[f]:
            continue
        for k in range(n_folds):
            empty = True
            for a in range(d):
                if B[f, k, a] != 0.0:
                    empty = False
                for b in range(d):
                    if A[f, k, a, b] != 0.0:
                        empty = False
            if empty:
                continue
            for g in range(n_grid):
                lam = lams[g]
                if np.isinf(lam):
                    for a in range(d):
                        x[a] = gap[f, a]
                else:
                    for a in range(d):
                        for b in range(d):
                            M[a, b] = A_tot[f, a, b] - A[f, k, a, b]
                        M[a, a] += lam
                        r[a] = B_tot[f, a] - B[f, k, a] + lam * gap[f, a]
                    _solve_small(M, r, x)
                loss = 0.0
                for a in range(d):
                    loss -= B[f, k, a] * x[a]
                    for b in range(d):
                        loss += 0.5 * x[a] * A[f, k, a, b] * x[b]
                out[f, g] += loss
