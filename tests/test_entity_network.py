"""The entity-embedding network's maths: compositions, gradients, Adam, Newton step."""

import numpy as np
import pytest

from skembed.entity.categories import ColumnCategories, own_rows_only
from skembed.entity.crossfit import _loss_derivatives, newton_embeddings
from skembed.entity.kernels import (
    Composition,
    Layout,
    accumulate_curvature,
    adam_corrections,
    entity_scratch,
    gather,
    grid_losses,
    newton_steps,
    scatter_add,
    sparse_adam,
)
from skembed.entity.network import (
    EmbeddingNetwork,
    auto_embedding_dim,
    compose,
    loss_and_output_grad,
    train_network,
)


def _entities():
    """Feature 0: 4 rows, entities = rows (entity 0 = row 0); feature 1: 5
    rows, 2 own + 3 n-gram rows, entities mixing them with weights."""
    e0 = (np.arange(5, dtype=np.int64), np.array([0, 1, 2, 3]), np.ones(4, np.float32))
    ptr = np.array([0, 1, 4, 6, 8], np.int64)
    rows = np.array([0, 1, 2, 3, 2, 1, 0, 4])
    weights = np.array([1, 1, .5, .5, 1, 1, 1, 1], np.float32)
    return [e0, (ptr, rows, weights)]


def test_a_network_without_ngram_rows_padded_with_zero_rows_computes_the_same():
    """substrings="auto" trains a network without the n-gram rows beside the
    one with them: entities reduced to their own rows, and padded back with
    zero n-gram rows (to join an ensemble of networks with them), the same
    outputs."""
    rng = np.random.RandomState(0)
    # feature 1: 3 own rows (0: shared) and 2 n-gram rows (3, 4)
    full = [(np.arange(4, dtype=np.int64), np.arange(3, dtype=np.int64), np.ones(3, np.float32)),
            (np.array([0, 1, 4, 6, 8], np.int64), np.array([0, 1, 3, 4, 2, 4, 0, 3]),
             np.array([1, 1, .5, .5, 1, 1, 1, 1], np.float32))]
    plain = [full[0], own_rows_only(full[1])]
    np.testing.assert_array_equal(plain[1][1], [0, 1, 2, 0])
    net = EmbeddingNetwork([3, 3], [2, 3], 1, (6,), 1, "regression", 0.0, rng)
    padded = net.with_rows([3, 5])
    assert padded.n_rows.tolist() == [3, 5]
    np.testing.assert_array_equal(padded.table_of(1)[3:], 0.0)
    codes = np.column_stack([rng.randint(0, 3, 20), rng.randint(0, 4, 20)]).astype(np.int32)
    xnum = rng.normal(size=(20, 1)).astype(np.float32)
    np.testing.assert_array_equal(
        padded.predict_raw(codes, xnum, compose(full, padded.row_offset)),
        net.predict_raw(codes, xnum, compose(plain, net.row_offset)))


@pytest.mark.parametrize("task,n_out", [("regression", 1), ("binary", 1), ("multiclass", 3)])
def test_gradients_match_finite_differences(task, n_out):
    rng = np.random.RandomState(0)
    net = EmbeddingNetwork([4, 5], [3, 2], 2, (5, 4), n_out, task, 0.0, rng,
                           dtype=np.float64)
    comp = compose(_entities(), net.row_offset)
    n = 9
    codes = np.column_stack([rng.randint(0, 4, n), rng.randint(0, 4, n)]).astype(np.int32)
    codes[0, 1] = -3  # entity 2 with its own row replaced by the shared row
    xnum = rng.normal(size=(n, 2))
    y = {"regression": rng.normal(size=n), "binary": rng.randint(0, 2, n).astype(float),
         "multiclass": rng.randint(0, 3, n)}[task]
    w = rng.uniform(0.5, 2.0, n)
    net.compute_gradients(codes, xnum, y, w, comp)
    analytic = [net.grad_table.copy(), *[g.copy() for g in net.gW],
                *[g.copy() for g in net.gb]]
    net.clear_table_gradient()

    def loss():
        out, _ = net.forward(codes, xnum, comp)
        return loss_and_output_grad(out, y, w, task)[0]

    h = 1e-6
    for param, grad in zip(net.parameters(), analytic, strict=True):
        flat, gflat = param.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            up = loss()
            flat[i] = old - h
            down = loss()
            flat[i] = old
            assert (up - down) / (2 * h) == pytest.approx(gflat[i], abs=1e-7, rel=1e-5)


def test_gather_sums_weighted_rows_and_dropout_swaps_the_own_row():
    rng = np.random.RandomState(1)
    net = EmbeddingNetwork([4, 5], [3, 2], 0, (4,), 1, "regression", 0.0, rng,
                           dtype=np.float64)
    comp = compose(_entities(), net.row_offset)
    t1 = net.table_of(1)
    codes = np.array([[2, 1], [3, 3], [0, -2]], np.int32)
    out = np.empty((3, 5))
    gather(net.table, net.layout, comp, codes, out, entity_scratch(comp))
    np.testing.assert_allclose(out[0, :3], net.table_of(0)[2])
    np.testing.assert_allclose(out[0, 3:], t1[1] + 0.5 * t1[2] + 0.5 * t1[3])
    np.testing.assert_allclose(out[1, 3:], t1[0] + t1[4])
    # -2: entity 1 (row 1 + half rows 2, 3) with row 1 swapped for row 0
    np.testing.assert_allclose(out[2, 3:], t1[0] + 0.5 * t1[2] + 0.5 * t1[3])


def test_repeated_entities_gather_and_scatter_as_each_sample_alone():
    """A batch whose entities repeat (and some lose their own row) gathers
    and scatters exactly what the samples would one at a time."""
    rng = np.random.RandomState(3)
    net = EmbeddingNetwork([4, 5], [3, 2], 0, (4,), 1, "regression", 0.0, rng,
                           dtype=np.float64)
    comp = compose(_entities(), net.row_offset)
    codes = np.column_stack([rng.randint(0, 4, 40), rng.randint(0, 4, 40)]).astype(np.int32)
    codes[::7, 1] = -codes[::7, 1] - 1  # embedding dropout on some samples
    out = np.empty((40, 5))
    first = entity_scratch(comp)  # shared by the gather and the scatter, as in training
    gather(net.table, net.layout, comp, codes, out, first)
    assert (first == -1).all()  # the scratch is left clean
    g_in = rng.normal(size=(40, 5))
    grad = np.zeros_like(net.table)
    touched = np.zeros(len(net.row_dim), np.bool_)
    rows = np.zeros(len(net.row_dim), np.int64)
    nt = scatter_add(g_in.copy(), codes, net.layout, comp, grad, touched, rows, 0, first)
    assert (first == -1).all()
    ref_grad = np.zeros_like(net.table)
    for i in range(40):
        one = np.empty((1, 5))
        gather(net.table, net.layout, comp, codes[i:i + 1], one, entity_scratch(comp))
        np.testing.assert_allclose(out[i], one[0], rtol=1e-12)
        scatter_add(g_in[i:i + 1].copy(), codes[i:i + 1], net.layout, comp, ref_grad,
                    np.zeros_like(touched), np.zeros_like(rows), 0, entity_scratch(comp))
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-12)
    assert set(rows[:nt]) == set(np.flatnonzero(touched))
    assert touched.sum() == nt


def test_sparse_adam_updates_only_touched_rows():
    dims = np.array([2, 3], np.int64)
    n_rows = np.array([3, 2], np.int64)
    row_offset = np.array([0, 3, 5], np.int64)
    row_dim = np.repeat(dims, n_rows)
    row_start = np.concatenate(([0], np.cumsum(row_dim)))[:-1].astype(np.int64)
    layout = Layout(row_start, row_offset, np.array([0, 2], np.int64), dims)
    comp = Composition(np.array([0, 3], np.int64), np.arange(6, dtype=np.int64),
                       np.arange(5, dtype=np.int64), np.ones(5, np.float32))
    size = int(row_dim.sum())
    table = np.arange(size, dtype=np.float64)
    before = table.copy()
    grad, m, v = np.zeros(size), np.zeros(size), np.zeros(size)
    steps = np.zeros(5, np.int64)
    touched = np.zeros(5, np.bool_)
    touched_rows = np.zeros(5, np.int64)
    codes = np.array([[1, 0], [1, 0]], np.int32)
    g_in = np.ones((2, 5))
    nt = scatter_add(g_in, codes, layout, comp, grad, touched, touched_rows, 0,
                     entity_scratch(comp))
    assert nt == 2 and sorted(touched_rows[:nt]) == [1, 3]
    np.testing.assert_array_equal(grad[row_start[1]:row_start[1] + 2], [2, 2])
    sparse_adam(table, grad, m, v, steps, touched, touched_rows, nt, row_start, row_dim,
                0.1, 0.9, 0.999, 1e-8, adam_corrections(0.9, 0.999, 4))
    changed = table != before
    expected = np.zeros(size, bool)
    for r in (1, 3):
        expected[row_start[r]:row_start[r] + row_dim[r]] = True
    np.testing.assert_array_equal(changed, expected)
    # first Adam step moves every touched coordinate by the learning rate
    np.testing.assert_allclose(before[expected] - table[expected], 0.1, rtol=1e-6)
    assert not grad.any() and not touched.any()
    np.testing.assert_array_equal(steps, [0, 1, 0, 1, 0])


def test_auto_embedding_dim_rules():
    assert auto_embedding_dim(1, "half") == 1
    assert auto_embedding_dim(7, "half") == 4
    assert auto_embedding_dim(1000, "half") == 50
    assert auto_embedding_dim(2, "fastai") == 2
    assert auto_embedding_dim(1115, "fastai") == round(1.6 * 1115 ** 0.56)
    with pytest.raises(ValueError):
        auto_embedding_dim(3, "nope")


def test_cosine_schedule_ends_near_zero():
    """Cosine: the step size falls from learning_rate to ~0 over max_iter
    epochs, so late epochs barely move the weights."""
    rng = np.random.RandomState(0)
    net = EmbeddingNetwork([5], [2], 0, (4,), 1, "regression", 0.0, rng)
    cats = ColumnCategories(np.arange(1, 5).repeat(25), 0)
    comp = compose([cats.known_entities], net.row_offset)
    codes = cats.encode(np.arange(1, 5).repeat(25), "infrequent", "x")[0].reshape(-1, 1)
    y = rng.normal(size=100)
    seen = []
    for epochs in (4, 5):
        net2 = EmbeddingNetwork([5], [2], 0, (4,), 1, "regression", 0.0,
                                np.random.RandomState(0))
        train_network(net2, codes, np.zeros((100, 0), np.float32), y, np.ones(100), comp,
                      max_iter=epochs, batch_size=10, learning_rate=0.01,
                      rng=np.random.RandomState(0), schedule="cosine")
        seen.append(net2.W[0].copy())
    assert not np.allclose(seen[0], seen[1])  # the schedule depends on max_iter


def test_newton_embeddings_leave_the_fold_out():
    """A category seen in one fold only gets its prior out of that fold; a
    category seen everywhere stays near its full-data embedding; the
    linearised output of a regression equals the exact one at the new
    embeddings for a network without hidden ReLUs in play."""
    rng = np.random.RandomState(0)
    n = 400
    values = rng.choice(np.array(["a", "b", "c"], dtype=object), n)
    values[:5] = "rare"
    cats = ColumnCategories(values, 0)
    net = EmbeddingNetwork([cats.n_rows], [3], 0, (8,), 1, "regression", 0.0, rng,
                           dtype=np.float64)
    comp = compose([cats.known_entities], net.row_offset)
    codes = cats.encode(values, "infrequent", "x")[0].reshape(-1, 1)
    y = np.where(values == "a", 1.0, -1.0) + rng.normal(0, 0.1, n)
    train_network(net, codes, np.zeros((n, 0)), y, np.ones(n), comp, max_iter=20,
                  batch_size=32, learning_rate=0.01, rng=rng)
    fold = np.arange(n) % 4
    fold[:5] = 0  # "rare" lives in fold 0 only
    oof, tables, chosen, rotations = newton_embeddings(
        net, [cats], codes, comp, np.zeros((n, 0)), y, np.ones(n), fold, 4, smoothing=5.0)
    assert chosen == [5.0]
    rot = rotations[0]
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)  # a rotation
    rare = int(codes[0, 0])
    shared = net.table_of(0)[0] @ rot.T  # its prior: the shared row (no substrings)
    np.testing.assert_allclose(oof[:5], np.tile(shared, (5, 1)), atol=1e-9)
    a = int(np.flatnonzero(values == "a")[0])
    assert np.abs(oof[a] - tables[0][codes[a, 0]]).max() < 0.05 * np.abs(
        tables[0][codes[a, 0]]).max() + 1e-3
    assert tables[0].shape == (len(cats.categories) + 1, 3)
    assert rare == list(cats.categories).index("rare") + 1


def test_auto_smoothing_collapses_a_noise_column_to_its_priors():
    """smoothing="auto": a column of pure noise gets a large smoothing (its
    categories at their prior), a column with an effect a small one."""
    rng = np.random.RandomState(0)
    n = 3000
    noise = rng.randint(0, 600, n).astype(str).astype(object)
    kind = rng.choice(np.array(list("abcd"), dtype=object), n)
    y = (kind == "a") * 2.0 + rng.normal(0, 1, n)
    cats = [ColumnCategories(noise, 0), ColumnCategories(kind, 0)]
    net = EmbeddingNetwork([c.n_rows for c in cats], [2, 2], 0, (8,), 1, "regression",
                           0.0, rng, dtype=np.float64)
    comp = compose([c.known_entities for c in cats], net.row_offset)
    codes = np.column_stack([c.encode(v, "infrequent", "x")[0]
                             for c, v in zip(cats, (noise, kind), strict=True)])
    train_network(net, codes, np.zeros((n, 0)), y, np.ones(n), comp, max_iter=5,
                  batch_size=64, learning_rate=0.01, rng=rng)
    args = (net, cats, codes, comp, np.zeros((n, 0)), y, np.ones(n), np.arange(n) % 5, 5)
    oof, tables, chosen, _ = newton_embeddings(*args, smoothing="auto")
    assert chosen[0] >= 100 and chosen[1] <= 30
    # the grid shared out among threads: the same choice and embeddings
    oof2, tables2, chosen2, _ = newton_embeddings(*args, smoothing="auto", n_threads=3)
    assert chosen2 == chosen
    np.testing.assert_array_equal(oof2, oof)
    for t1, t2 in zip(tables, tables2, strict=True):
        np.testing.assert_array_equal(t1, t2)


def test_newton_steps_equal_a_direct_solve_per_entity_and_fold():
    """The kernel's leave-fold-out steps and loss equal numpy's solve of each
    system, entities absent from folds (whose step reuses the all-rows solve)
    and a shared entity included."""
    rng = np.random.RandomState(0)
    n_ent, n_folds, d, lam = 7, 4, 3, 2.5
    J = rng.normal(size=(n_ent, n_folds, 5, d))
    A = np.einsum("fkir,fkis->fkrs", J, J)
    B = rng.normal(size=(n_ent, n_folds, d))
    absent = rng.rand(n_ent, n_folds) < 0.5
    absent[2] = [True, True, True, False]
    A[absent], B[absent] = 0.0, 0.0
    A_tot, B_tot = A.sum(axis=1), B.sum(axis=1)
    gap = rng.normal(size=(n_ent, d))
    shared = np.zeros(n_ent, dtype=bool)
    shared[5] = True
    dv = np.empty((n_ent, n_folds, d))
    loss = newton_steps(A, B, A_tot, B_tot, gap, shared, lam, dv)
    want = np.zeros_like(dv)
    want_loss = 0.0
    for f in range(n_ent):
        for k in range(n_folds):
            if shared[f]:
                continue
            want[f, k] = -np.linalg.solve(A_tot[f] - A[f, k] + lam * np.eye(d),
                                          B_tot[f] - B[f, k] + lam * gap[f])
            want_loss += B[f, k] @ want[f, k] + 0.5 * want[f, k] @ A[f, k] @ want[f, k]
    np.testing.assert_allclose(dv, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-10)
    # the grid's losses, solved only in the folds an entity lives in, per entity
    lams = np.array([0.5, lam, 40.0, np.inf])
    per_entity = np.full((n_ent, len(lams)), np.nan)
    grid_losses(A, B, A_tot, B_tot, gap, shared, lams, 0, n_ent, per_entity)
    assert (per_entity[5] == 0).all()
    for g, value in enumerate(lams):
        np.testing.assert_allclose(
            per_entity[:, g].sum(),
            newton_steps(A, B, A_tot, B_tot, gap, shared, value, dv), rtol=1e-10)


@pytest.mark.parametrize("hidden", [(), (5,), (5, 4)])
def test_output_jacobian_matches_finite_differences(hidden):
    """Each output's derivative by the embedding inputs, with and without
    hidden layers (several outputs: the per-output backward pass)."""
    rng = np.random.RandomState(3)
    net = EmbeddingNetwork([4, 5], [3, 2], 1, hidden, 3, "multiclass", 0.0, rng,
                           dtype=np.float64)
    comp = compose(_entities(), net.row_offset)
    codes = np.column_stack([np.arange(8) % 4, (np.arange(8) * 3) % 4]).astype(np.int32)
    xnum = rng.normal(size=(8, 1))
    _, jac = net.output_jacobian(codes, xnum, comp)
    table = net.table_of(0)  # feature 0: entity k is row k alone, weight 1
    h = 1e-6
    for r in range(1, 4):
        rows = codes[:, 0] == r
        for a in range(3):
            old = table[r, a]
            table[r, a] = old + h
            up = net.forward(codes, xnum, comp)[0]
            table[r, a] = old - h
            down = net.forward(codes, xnum, comp)[0]
            table[r, a] = old
            np.testing.assert_allclose(jac[rows, :, a], ((up - down) / (2 * h))[rows],
                                       rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("task,n_out", [("regression", 2), ("binary", 1),
                                        ("multilabel", 3), ("multiclass", 5)])
def test_curvature_statistics_equal_the_dense_gauss_newton_sums(task, n_out):
    """The kernel's per-entity, per-fold sums from the Hessian's structure
    (``diag - outer``, never formed) equal ``w J' H J`` and ``w J' g`` with
    the dense Hessian of each loss (softmax: ``diag(p) - p p'``)."""
    rng = np.random.RandomState(4)
    n, width, n_folds = 40, 5, 3
    dims = np.array([3, 2], np.int64)
    col_offset = np.array([0, 3], np.int64)
    n_ent = np.array([4, 3], np.int64)
    codes = np.column_stack([rng.randint(0, 4, n), rng.randint(0, 3, n)]).astype(np.int32)
    fold = rng.randint(0, n_folds, n).astype(np.int64)
    jac = rng.normal(size=(n, n_out, width))
    out = rng.normal(size=(n, n_out))
    w = rng.uniform(0.5, 2.0, n)
    y = {"regression": rng.normal(size=(n, n_out)), "binary": rng.randint(0, 2, n).astype(float),
         "multilabel": rng.randint(0, 2, (n, n_out)).astype(float),
         "multiclass": rng.randint(0, n_out, n)}[task]
    grad, hdiag, hvec = _loss_derivatives(out, y, task)
    a_sizes, b_sizes = n_ent * n_folds * dims * dims, n_ent * n_folds * dims
    a_off = np.concatenate(([0], np.cumsum(a_sizes)))[:-1].astype(np.int64)
    b_off = np.concatenate(([0], np.cumsum(b_sizes)))[:-1].astype(np.int64)
    stat_a, stat_b = np.zeros(int(a_sizes.sum())), np.zeros(int(b_sizes.sum()))
    accumulate_curvature(jac, grad, np.ascontiguousarray(hdiag), hvec, w, codes, fold,
                         col_offset, dims, n_folds, stat_a, stat_b, a_off, b_off)
    if task == "multiclass":
        p = np.exp(out - out.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        hess = np.einsum("io,oq->ioq", p, np.eye(n_out)) - p[:, :, None] * p[:, None, :]
        g = p - np.eye(n_out)[y]
    elif task == "regression":
        hess = np.broadcast_to(np.eye(n_out), (n, n_out, n_out))
        g = out - y
    else:
        p = 1 / (1 + np.exp(-out))
        hess = np.einsum("io,oq->ioq", p * (1 - p), np.eye(n_out))
        g = p - y.reshape(n, -1)
    np.testing.assert_allclose(grad, g, rtol=1e-12, atol=1e-12)
    for j in range(2):
        d, c = int(dims[j]), int(col_offset[j])
        A = stat_a[a_off[j]:a_off[j] + a_sizes[j]].reshape(n_ent[j], n_folds, d, d)
        B = stat_b[b_off[j]:b_off[j] + b_sizes[j]].reshape(n_ent[j], n_folds, d)
        want_a, want_b = np.zeros_like(A), np.zeros_like(B)
        for i in range(n):
            J = jac[i, :, c:c + d]
            want_a[codes[i, j], fold[i]] += w[i] * J.T @ hess[i] @ J
            want_b[codes[i, j], fold[i]] += w[i] * J.T @ g[i]
        np.testing.assert_allclose(A, want_a, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(B, want_b, rtol=1e-10, atol=1e-12)
