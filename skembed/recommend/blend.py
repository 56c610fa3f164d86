"""Choosing blend weights on a validation split (numpy; no kernels, no
estimators).

The validation rows arrive as candidate lists (:func:`gather_candidates`):
for each row, its target item first, then the other candidates (the union
of every component's best items and the row's history), with each
component's scaled score.  A weight
vector ranks the candidates by ``scores @ weights``; ties go to the lower
catalogue index (the more popular item), as when recommending.
"""

import numpy as np

# values tried for each weight by coordinate ascent (the blend is invariant to
# a common scale, so a fixed grid around 1 suffices)
GRID = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)


def hits_and_ranks(cand, vals, in_history, weights, k, exclude_seen):
    """Rank (0-based, among the candidates) of each row's target and whether
    it is a hit at ``k``; rows without a known target never hit."""
    blended = vals @ weights.astype(np.float32)
    blended[cand < 0] = -np.inf
    valid = cand[:, 0] >= 0
    if exclude_seen:
        valid &= ~in_history[:, 0]
        blended[in_history] = -np.inf
    target = blended[:, :1]
    ahead = (blended > target) | ((blended == target) & (cand < cand[:, :1]) & (cand >= 0))
    ranks = ahead.sum(axis=1)
    return valid & (ranks < k), ranks


def row_objective(cand, vals, in_history, weights, k, exclude_seen):
    """Per validation row: hit at ``k`` plus its NDCG at ``k``: the hit rate
    alone ignores the order inside the list (on YooChoose it let repeated
    items crowd the top and cost 0.10 NDCG@10 for no hit-rate gain); NDCG
    alone is noisier."""
    hit, ranks = hits_and_ranks(cand, vals, in_history, weights, k, exclude_seen)
    return hit + np.where(hit, 1.0 / np.log2(ranks + 2.0), 0.0)


def objective(cand, vals, in_history, weights, k, exclude_seen):
    """Mean of :func:`row_objective` (hit rate plus NDCG at ``k``)."""
    rows = row_objective(cand, vals, in_history, weights, k, exclude_seen)
    return float(rows.mean()) if len(rows) else 0.0


# a change of weights is kept only when it improves the validation objective
# by more than this many standard errors of the per-row difference: on a
# small split, noise cannot buy a blend that only fits it
MARGIN = 1.0


def better(trial, current, margin=MARGIN):
    """Whether per-row objectives ``trial`` beat ``current`` by more than
    ``margin`` standard errors of their paired difference."""
    diff = trial - current
    n = len(diff)
    if n == 0:
        return False
    gain = diff.mean()
    se = diff.std() / np.sqrt(n) if n > 1 else 0.0
    return bool(gain > 1e-12 and gain > margin * se)


def tune_weights(cand, vals, in_history, start, tunable, k, exclude_seen, max_rounds=4,
                 grid=GRID, margin=MARGIN):
    """Coordinate ascent over the tunable weights, from the simplest model
    that fits.

    The search starts from the best single component (alone, the others at
    0; fixed weights kept) and moves to the default blend ``start``, or to
    any other weights, only when that beats the current weights by more
    than ``margin`` standard errors of the per-row difference of the
    objective: where the components add nothing to one of them (baskets
    where popularity is best) the blend stays that component, and a small
    validation split cannot be overfitted by many small steps.

    Parameters
    ----------
    cand : int64 (n_rows, width)
        Candidate catalogue indices, the target first (-1: padding or an
        unknown target).
    vals : float32 (n_rows, width, n_components)
    in_history : bool (n_rows, width)
    start : float array (n_components,)
        Starting weights (fixed components keep theirs).
    tunable : bool array (n_components,)
    k : int
    exclude_seen : bool

    Returns
    -------
    weights : ndarray (n_components,)
        The weights maximising :func:`objective`.
    score : float
        Validation hit rate at ``k`` with these weights.
    """
    start = np.asarray(start, dtype=np.float64)
    tunable = np.asarray(tunable, bool)

    def rows(w):
        return row_objective(cand, vals, in_history, w, k, exclude_seen)

    # the simplest models: each tunable component alone (fixed weights kept)
    weights, best = None, None
    for c in np.flatnonzero(tunable):
        single = np.where(tunable, 0.0, start)
        single[c] = 1.0
        score = rows(single)
        if best is None or score.mean() > best.mean() + 1e-12:
            weights, best = single, score
    if weights is None:  # nothing to tune
        weights, best = start.copy(), rows(start)
    elif start.any():
        score = rows(start)
        if better(score, best, margin):
            weights, best = start.copy(), score
    for _ in range(max_rounds):
        improved = False
        for c in np.flatnonzero(tunable):
            for value in grid:
                if value == weights[c]:
                    continue
                trial = weights.copy()
                trial[c] = value
                if not trial.any():
                    continue
                score = rows(trial)
                if better(score, best, margin):
                    best, weights, improved = score, trial, True
        if not improved:
            break
    hit, _ = hits_and_ranks(cand, vals, in_history, weights, k, exclude_seen)
    return weights, float(hit.mean()) if len(hit) else 0.0


def gather_candidates(mats, tops, histories, q0, targets):
    """Candidate items of each row for weight tuning and their scores.

    The candidates of row ``r`` are its target, its history (row ``q0 + r``
    of the Ragged ``histories``) and the items
    of ``tops[r]`` (each component's best items, -1 skipped), without
    repeats, in that order; ``mats`` is ``(n_components, n_rows, n_items)``
    of scaled scores.  Returns the candidate indices ``(n_rows, width)``
    (-1 pads) and their scores ``(n_rows, width, n_components)``.  (numpy:
    it runs once per validation block in ``fit``.)
    """
    n_comp, n_rows = mats.shape[:2]
    block = histories.rows(q0, q0 + n_rows)
    lengths = block.lengths
    max_hist = int(lengths.max()) if n_rows else 0
    hist = np.full((n_rows, max_hist), -1, np.int64)
    row_of = block.row_index()
    col_of = np.arange(len(row_of)) - block.starts[:-1][row_of]
    hist[row_of, col_of] = block.ids
    raw = np.concatenate([np.asarray(targets, np.int64)[:, None], hist,
                          tops.astype(np.int64, copy=False)], axis=1)
    # later occurrences of an item in a row: equal to their predecessor
    # in a stable sort of the row
    order = np.argsort(raw, axis=1, kind="stable")
    ranked = np.take_along_axis(raw, order, axis=1)
    repeat = np.zeros(raw.shape, bool)
    np.put_along_axis(repeat, order[:, 1:], ranked[:, 1:] == ranked[:, :-1], axis=1)
    keep = (raw >= 0) & ~repeat
    # kept candidates to the front of each row, in their order
    front = np.argsort(~keep, axis=1, kind="stable")
    cand = np.take_along_axis(np.where(keep, raw, -1), front, axis=1)
    vals = np.zeros(cand.shape + (n_comp,), np.float32)
    r, j = np.nonzero(cand >= 0)
    vals[r, j] = mats[:, r, cand[r, j]].T
    return cand, vals
