"""Out-of-fold embeddings without retraining: one Newton step per fold.

A stacked model (gradient boosting on :class:`EntityEmbeddingEncoder`'s
output) must learn from embeddings that never saw the row's target, as
:class:`~sklearn.preprocessing.TargetEncoder` cross-fits its means.
Retraining the network once per fold costs ``cv`` trainings.  Instead, the
network trained once on all rows is linearised around its embeddings: for
a category ``c`` with embedding ``e`` and prior ``p`` (its embedding without
its own row: the shared row plus its substrings), the rows of ``c`` outside
fold ``k`` define, to second order,

    L(v) = sum_i loss_i(f_i + J_i (v - e)) + lam / 2 * |v - p|^2,

whose minimiser ``v = e - (A + lam I)^-1 (B + lam (e - p))`` needs only the
Gauss-Newton sums ``A = sum J_i' H_i J_i`` and ``B = sum J_i' g_i`` of those
rows (``g``, ``H``: first and second derivatives of the loss by the network
output; ``J``: the output's derivative by the category's embedding).  Sums
per fold are gathered in one pass over the rows; leaving a fold out is a
subtraction.  A category only seen in fold ``k`` gets its prior, as a
target encoding gets the global mean.  Categories without an own row
(infrequent ones, grouped by ``min_frequency``) keep their embedding.
``lam`` is ``smoothing`` rows' worth of the feature's average curvature: a
category with that many rows sits halfway between its prior and its own
fit.  With ``smoothing="auto"`` each feature takes the value whose
out-of-fold embeddings fit their own fold best, in the same second-order
expansion of the loss (``B_k' dv + dv' A_k dv / 2`` summed over categories
and folds): a column of noise gets its categories' priors exactly (the
last value of the grid is infinite: a model stacked on the embeddings
splits on the smallest differences, so a shrunk column of noise would
still be noise to it), as an empirical Bayes target encoding shrinks noise
to the global mean.  The same step with every fold
gives the embeddings that ``transform`` uses.

Cross-fitting guards a category's own rows against their own targets,
whose weight in its embedding is about ``1 / (rows + lam)`` each (``lam``
in rows).  For a category with many rows that weight is negligible, but
its out-of-fold vectors still differ from fold to fold, each moved away
from its fold's own targets: a model stacked on them splits the
category's rows by fold (a tree splits on order, however small the
differences) and learns that anti-correlation, which new rows (all
encoded by the one full-data embedding) do not have.  A category with at
least ``FULL_FIT_MIN_ROWS`` training rows, each weighing at most
``FULL_FIT_MAX_OWN_WEIGHT`` of its fit, therefore encodes them by its
full-data embedding; out-of-fold vectors are for the rarer ones, whose
own targets weigh.

A category's prior leans on its own rows too, through its n-gram rows
(``substrings``), which every row of every category containing them
trained: a category seen in fold ``k`` only, whose out-of-fold vector
there is its prior, would carry its own targets through them (street
addresses, one per sale, whose street names' rows learnt each sale's
price: docs/benchmarks.md).  Those n-gram rows are therefore left out of
fold ``k`` too, by the same expansion: an n-gram's rows without fold
``k`` move by ``(H - H_k + r I)^-1 G_k``, with ``G_k`` and ``H_k`` the
gradient and (majorised) curvature its categories' fold-``k`` rows give it
and ``r`` one row's worth.  That step is the change of a fully converged
fit, which a network stopped after a few hundred steps never reached: it
is scaled by the share ``beta`` of the converged rows (one Newton step
away, over all rows) that the trained rows realise, so that names of noise
are not over-corrected into anti-correlation with their own targets.
"""

import numpy as np

from .._threads import in_threads
from .kernels import accumulate_curvature, grid_losses, newton_steps
from .losses import output_activation

__all__ = ["FULL_FIT_MAX_OWN_WEIGHT", "FULL_FIT_MIN_ROWS", "NGRAM_LEAVE_FOLD_OUT",
           "SMOOTHING_GRID", "newton_embeddings"]

# smoothing="auto" picks one of these (rows' worth of the prior) per feature
SMOOTHING_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, np.inf)
# a category encodes its training rows by its full-data embedding when it
# has at least this many of them and one row weighs at most this share of
# its fit, 1 / (rows + smoothing) (module docstring; docs/benchmarks.md)
FULL_FIT_MIN_ROWS = 30
FULL_FIT_MAX_OWN_WEIGHT = 0.01
# a category's n-gram rows are left out of its only fold (module docstring)
NGRAM_LEAVE_FOLD_OUT = True


def _ngram_steps(net, j, cats, entities, A, B, unit, lone):
    """Change (n_ent, n_folds, d) of each entity's mean n-gram row when
    fold ``k`` is left out, for the entities and folds of ``lone`` (those
    with no rows outside the fold: their out-of-fold vector is the prior);
    None without n-grams.  ``A``, ``B``: the entities' curvature and
    gradient sums per fold; ``unit``: one row's worth of curvature."""
    from scipy import sparse

    ptr, rows, weights = entities
    n_own = cats.n_own_rows
    ngram = rows >= n_own
    n_ent, n_folds, d = B.shape
    if not ngram.any() or not lone.any():
        return None
    n_grams = int(net.n_rows[j]) - n_own
    entity = np.repeat(np.arange(n_ent), np.diff(ptr))
    W = sparse.csr_matrix((weights[ngram].astype(np.float64),
                           (entity[ngram], rows[ngram] - n_own)), shape=(n_ent, n_grams))
    # an n-gram's gradient and curvature per fold: its categories', weighed
    # by its share in their means (the curvature majorised: sum w A, not
    # sum w^2 A plus the cross terms, as the weights of a mean sum to 1)
    H = np.asarray(W.T @ A.reshape(n_ent, -1)).reshape(n_grams, n_folds, d, d)
    G = np.asarray(W.T @ B.reshape(n_ent, -1)).reshape(n_grams, n_folds, d)
    H_tot, G_tot = H.sum(axis=1), G.sum(axis=1)
    ridge = unit * np.eye(d)
    # the share of the converged rows (one damped Newton step away) that the
    # trained ones realise: a short training moves them part of the way only
    u = np.asarray(net.table_of(j)[n_own:], dtype=np.float64)
    converged = u - np.linalg.solve(H_tot + ridge, G_tot[..., None])[..., 0]
    beta = float(np.clip((u * converged).sum() / max((converged * converged).sum(), 1e-300),
                         0.0, 1.0))
    step = np.linalg.solve(H_tot[:, None] - H + ridge, G[..., None])[..., 0]
    out = beta * np.asarray(W @ step.reshape(n_grams, -1)).reshape(n_ent, n_folds, d)
    out[~lone] = 0.0
    return out


def _loss_derivatives(out, y, task):
    """First derivatives (n, n_out) of each row's loss by the output
    pre-activations, and the second as ``(hdiag, hvec)``: the Hessian is
    ``diag(hdiag) - hvec hvec'`` (``hvec`` without columns when diagonal;
    softmax: ``diag(p) - p p'``), never formed (n_out^2 per row)."""
    n, n_out = out.shape
    none = np.zeros((n, 0))
    if task == "regression":
        return out - y.reshape(n, -1), np.ones((n, n_out)), none
    if task in ("binary", "multilabel"):
        p = output_activation(out, "binary")
        return p - y.reshape(n, -1), p * (1 - p), none
    p = np.ascontiguousarray(output_activation(out, "multiclass"), dtype=np.float64)
    grad = p.copy()
    grad[np.arange(n), y] -= 1.0
    return grad, p, p


def _best_smoothing(grid, unit, A, B, A_tot, B_tot, gap, shared, n_threads):
    """``(lam, dv)`` of the grid value (rows' worth) whose steps give the
    folds the lowest second-order loss (the first such value on ties).  The
    entities are shared out among ``n_threads`` threads; their losses are
    summed in entity order, so that the choice does not depend on them."""
    lams = np.asarray(grid, dtype=np.float64) * unit
    n_ent = B.shape[0]
    per_entity = np.empty((n_ent, len(lams)))
    n_threads = max(1, min(int(n_threads), n_ent // 1000 or 1))
    edges = np.linspace(0, n_ent, n_threads + 1).astype(np.int64)

    def run(k, stop):
        grid_losses(A, B, A_tot, B_tot, gap, shared, lams, edges[k], edges[k + 1],
                    per_entity)

    in_threads(n_threads, run)
    losses = per_entity.sum(axis=0)
    best = int(np.argmin(np.where(np.isnan(losses), np.inf, losses)))
    dv = np.empty(B.shape)
    newton_steps(A, B, A_tot, B_tot, gap, shared, lams[best], dv)
    return lams[best], dv


def newton_embeddings(net, categories, codes, comp, xnum, y, w, fold, n_folds,
                      smoothing, batch_size=4096, n_threads=1):
    """Out-of-fold and full-data embeddings by a Newton step (module docstring).

    Parameters
    ----------
    net : EmbeddingNetwork
        Trained on all rows.
    categories : list of ColumnCategories
    codes, comp, xnum, y, w : the training rows (entities, numeric
        features, target as the network learns it, weights of mean 1).
    fold : ndarray of int (n,)
        Fold of each row, ``0 .. n_folds - 1``.
    smoothing : float or "auto"
        The prior's weight in rows; ``"auto"``: per feature, the value of
        ``SMOOTHING_GRID`` whose out-of-fold embeddings fit their own folds
        best (to second order).
    n_threads : int
        Threads that share out the grid of ``smoothing="auto"``.

    Returns
    -------
    oof : ndarray (n, emb_width)
        Each row's embeddings without its fold (the full-data embedding for
        categories of many rows, module docstring).
    tables : list of ndarray (n_entities_j, d_j)
        The full-data embedding of every training entity of each feature.
    smoothing : list of float
        The smoothing used for each feature (in rows).
    rotations : list of ndarray (d_j, d_j)
        The orthogonal rotation applied to each feature's embeddings (``oof``
        and ``tables`` are rotated; apply it to other embeddings with
        ``vectors @ rotation.T``): the first axis is the direction along
        which the network's output moves most, on average over the rows.
    """
    n = codes.shape[0]
    dims = net.dims
    n_ent = np.array([len(c.known_entities[0]) - 1 for c in categories], dtype=np.int64)
    a_sizes = n_ent * n_folds * dims * dims
    b_sizes = n_ent * n_folds * dims
    a_offset = np.concatenate(([0], np.cumsum(a_sizes)))[:-1].astype(np.int64)
    b_offset = np.concatenate(([0], np.cumsum(b_sizes)))[:-1].astype(np.int64)
    stat_a = np.zeros(int(a_sizes.sum()))
    stat_b = np.zeros(int(b_sizes.sum()))
    fold = np.asarray(fold, dtype=np.int64)
    sensitivity = np.zeros((net.W[-1].shape[1], net.emb_width))
    # the batch's Jacobian (rows, outputs, width) stays near 64 MB with many classes
    n_out = net.W[-1].shape[1]
    batch_size = int(max(64, min(batch_size, 2 ** 23 // max(n_out * net.emb_width, 1))))
    for s in range(0, n, batch_size):
        sl = slice(s, s + batch_size)
        out, jac = net.output_jacobian(codes[sl], xnum[sl], comp)
        sensitivity += np.einsum("i,iok->ok", w[sl], jac)
        grad, hdiag, hvec = _loss_derivatives(out, y[sl], net.task)
        accumulate_curvature(jac, np.ascontiguousarray(grad), np.ascontiguousarray(hdiag),
                             hvec, w[sl].astype(np.float64), codes[sl], fold[sl],
                             net.col_offset, dims, n_folds, stat_a, stat_b, a_offset, b_offset)
    oof = np.empty((n, net.emb_width))
    tables, chosen, rotations = [], [], []
    for j, cats in enumerate(categories):
        d = int(dims[j])
        col = slice(int(net.col_offset[j]), int(net.col_offset[j]) + d)
        ptr, rows, weights = cats.known_entities
        e = net.entity_vectors(j, (ptr, rows, weights))
        prior_rows = rows.copy()
        prior_rows[ptr[:-1]] = 0
        prior = net.entity_vectors(j, (ptr, prior_rows, weights))
        A = stat_a[a_offset[j]:a_offset[j] + a_sizes[j]].reshape(n_ent[j], n_folds, d, d)
        B = stat_b[b_offset[j]:b_offset[j] + b_sizes[j]].reshape(n_ent[j], n_folds, d)
        A_tot, B_tot = A.sum(axis=1), B.sum(axis=1)
        unit = max(np.trace(A_tot.sum(axis=0)) / max(n * d, 1), 1e-12)  # one row's worth
        # entities without an own row (the shared row: unknown and infrequent
        # categories) keep their embedding: min_frequency groups them
        shared = rows[ptr[:-1]] == 0
        gap = np.asarray(e - prior, dtype=np.float64)
        # the folds' own loss at their out-of-fold embeddings, to second order
        grid = SMOOTHING_GRID if isinstance(smoothing, str) else (smoothing,)
        lam, dv = _best_smoothing(grid, unit, A, B, A_tot, B_tot, gap, shared, n_threads)
        if NGRAM_LEAVE_FOLD_OUT:
            in_fold = np.bincount(codes[:, j].astype(np.int64) * n_folds + fold,
                                  minlength=n_ent[j] * n_folds).reshape(n_ent[j], n_folds)
            lone = (in_fold.sum(axis=1, keepdims=True) == in_fold) & (in_fold > 0)
            steps = _ngram_steps(net, j, cats, (ptr, rows, weights), A, B, unit, lone)
            if steps is not None:
                dv = dv + steps
        v = e[:, None] + dv
        chosen.append(lam / unit)
        if np.isinf(lam):
            full = prior.copy()
        else:
            full = e - np.linalg.solve(A_tot + lam * np.eye(d),
                                       (B_tot + lam * gap)[:, :, None])[:, :, 0]
        full[shared] = e[shared]
        # rotate the feature's space so that its first axes are those along
        # which the output moves most on average (a model stacked on the
        # embeddings splits one column where it would need several)
        _, _, vt = np.linalg.svd(sensitivity[:, col], full_matrices=True)
        rotations.append(vt)
        v = v @ vt.T
        full = full @ vt.T
        ent = codes[:, j]
        # a category of many rows barely leans on any one of them, while its
        # out-of-fold vectors differ from fold to fold, opposite to each
        # fold's own targets: noise a stacked tree splits on.  Its training
        # rows therefore get its full-data embedding, as new rows do
        count = np.bincount(ent, minlength=len(full))
        many = (count >= FULL_FIT_MIN_ROWS) & (count + lam / unit >= 1 / FULL_FIT_MAX_OWN_WEIGHT)
        v[many] = full[many][:, None, :]
        oof[:, col] = v[ent, fold]
        tables.append(full)
    return oof, tables, chosen, rotations
