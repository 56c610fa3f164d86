"""The entity-embedding network: embedding tables + dense ReLU layers.

One embedding table per categorical feature; the looked-up rows are
concatenated with the (already standardised) numeric features and fed to
dense ReLU layers and a linear output layer.  Training runs in the
compiled minibatch steps of :mod:`.step_kernels` (which call the sparse
kernels of :mod:`.kernels` and BLAS); prediction, evaluation and the
cross-fit's Jacobians use numpy here.

Losses (``task``): ``"regression"`` half squared error summed over the
outputs, ``"binary"`` logistic loss on one logit (``"multilabel"``: on one
logit per label, summed), ``"multiclass"`` softmax cross-entropy.  All are
sample-weighted means over the batch, so the gradient of the output
pre-activations is ``w * (prediction - target) / batch_size`` in all of them.

No scikit-learn here: the estimators own validation and encoding.
"""

import copy
import functools
import math
import time

import numpy as np

from .._threads import in_threads
from .kernels import Composition, Layout, adam_corrections, entity_scratch, gather
from .losses import evaluate_loss, loss_and_output_grad, output_activation
from .step_kernels import (
    BETA1,
    BETA2,
    Adam,
    Grads,
    Params,
    Rows,
    forward_backward,
    train_steps,
)

__all__ = ["EmbeddingNetwork", "auto_embedding_dim", "compose", "evaluate_loss",
           "loss_and_output_grad", "output_activation", "train_network"]

TASKS = {"regression": 0, "binary": 1, "multilabel": 1, "multiclass": 2}
# minibatch steps per compiled call: long stretches without the GIL, and a
# stop (an error elsewhere, Ctrl-C) still seen within a fraction of a second
STEPS_PER_CALL = 32


def auto_embedding_dim(n_categories, rule="fastai"):
    """Embedding width for a feature with ``n_categories`` categories.

    ``"fastai"``: ``min(600, round(1.6 * n ** 0.56))`` (the default of
    ``embedding_dims="auto"``); ``"half"``: ``min(50, ceil(n / 2))``.  At least 1.
    """
    n = max(int(n_categories), 1)
    if rule == "half":
        return max(1, min(50, math.ceil(n / 2)))
    if rule == "fastai":
        return max(1, min(600, round(1.6 * n**0.56)))
    raise ValueError(f"unknown embedding dimension rule {rule!r}")


class EmbeddingNetwork:
    """Parameters, forward/backward pass and Adam state of the network.

    Parameters
    ----------
    n_rows : sequence of int
        Rows of each embedding table (one table per categorical feature).
    dims : sequence of int
        Width of each embedding table.
    n_numeric : int
        Number of numeric input columns.
    hidden_layer_sizes : sequence of int
    n_outputs : int
    task : {"regression", "binary", "multiclass"}
    dropout : float
        Dropout rate after every hidden layer (training only).
    rng : numpy.random.RandomState
    dtype : numpy float dtype
    """

    def __init__(self, n_rows, dims, n_numeric, hidden_layer_sizes, n_outputs, task,
                 dropout, rng, dtype=np.float32):
        self.dtype = dt = np.dtype(dtype)
        self.task = task
        self.dropout = float(dropout)
        self.n_rows = np.asarray(n_rows, dtype=np.int64)
        self.dims = np.asarray(dims, dtype=np.int64)
        self.n_numeric = int(n_numeric)
        self.emb_width = int(self.dims.sum())
        self.row_offset = np.concatenate(([0], np.cumsum(self.n_rows))).astype(np.int64)
        self.col_offset = np.concatenate(([0], np.cumsum(self.dims)))[:-1].astype(np.int64)
        self.row_dim = np.repeat(self.dims, self.n_rows).astype(np.int64)
        self.row_start = np.concatenate(([0], np.cumsum(self.row_dim)))[:-1].astype(np.int64)
        self.layout = Layout(self.row_start, self.row_offset, self.col_offset, self.dims)
        size = int(self.row_dim.sum())
        # small random embeddings; He-uniform dense layers; zero biases
        self.table = rng.uniform(-0.05, 0.05, size).astype(dt)
        sizes = [self.emb_width + self.n_numeric, *hidden_layer_sizes, n_outputs]
        # dense layers: one flat array (theta), W[l] and b[l] are views of it
        layers, offset = [], 0
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            layers.append((fan_in, fan_out, offset, offset + fan_in * fan_out))
            offset += (fan_in + 1) * fan_out
        self.layers = np.array(layers, dtype=np.int64).reshape(-1, 4)
        self.theta = np.zeros(offset, dtype=dt)
        self._views()
        for i, w in enumerate(self.W):
            gain = 6.0 if i < len(self.W) - 1 else 3.0  # ReLU layers / linear output
            bound = math.sqrt(gain / w.shape[0])
            w[...] = rng.uniform(-bound, bound, w.shape)
        self.grad_table = np.zeros(size, dtype=dt)
        self.grad_theta = np.zeros_like(self.theta)
        self.touched = np.zeros(len(self.row_dim), dtype=np.bool_)
        self.touched_rows = np.zeros(len(self.row_dim), dtype=np.int64)
        self.n_touched = 0
        self._corrections = None  # Adam's bias corrections by step (see adam)
        self.reset_optimizer()

    def _split(self, flat):
        """Views of the weights and the biases of each layer in ``flat``."""
        W = [flat[wo:wo + fi * fo].reshape(fi, fo) for fi, fo, wo, _ in self.layers]
        b = [flat[bo:bo + fo] for _, fo, _, bo in self.layers]
        return W, b

    def _views(self):
        self.W, self.b = self._split(self.theta)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_corrections"] = None  # a cache, rebuilt on the next step
        for name in ("W", "b", "mW", "vW", "mb", "vb", "gW", "gb"):
            state.pop(name, None)  # views of theta and its Adam moments
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._views()
        self.mW, self.mb = self._split(self.m_theta)
        self.vW, self.vb = self._split(self.v_theta)

    @property
    def architecture(self):
        return (tuple(self.n_rows), tuple(self.dims), self.n_numeric,
                tuple(w.shape[1] for w in self.W), self.task)

    @property
    def t(self):
        """Adam's step count (shared with :meth:`worker` copies)."""
        return int(self._t[0])

    @t.setter
    def t(self, value):
        self._t = np.array([value], dtype=np.int64)

    def worker(self):
        """A copy for one training thread: it shares the parameters and Adam's
        state with this network (its updates land here, lock-free, as in
        Hogwild!) but has its own gradient buffers."""
        w = copy.copy(self)
        w.grad_table = np.zeros_like(self.grad_table)
        w.grad_theta = np.zeros_like(self.grad_theta)
        w.touched = np.zeros_like(self.touched)
        w.touched_rows = np.zeros_like(self.touched_rows)
        w.n_touched = 0
        return w

    def reset_optimizer(self):
        self.t = 0
        self.m_table = np.zeros_like(self.table)
        self.v_table = np.zeros_like(self.table)
        self.row_steps = np.zeros(len(self.row_dim), dtype=np.int64)
        self.m_theta = np.zeros_like(self.theta)
        self.v_theta = np.zeros_like(self.theta)
        self.mW, self.mb = self._split(self.m_theta)
        self.vW, self.vb = self._split(self.v_theta)

    def first_tables(self, m):
        """A copy with the tables of the first ``m`` features only (and the
        first layer's weights of their columns): the network of the features
        a model reads from its input, without the crosses made from them."""
        if m == len(self.n_rows):
            return copy.deepcopy(self)
        net = EmbeddingNetwork(self.n_rows[:m], self.dims[:m], self.n_numeric,
                               [w.shape[1] for w in self.W[:-1]], self.W[-1].shape[1],
                               self.task, self.dropout, np.random.RandomState(0), self.dtype)
        net.table[...] = self.table[:net.table.size]
        keep = np.r_[0:net.emb_width, self.emb_width:self.emb_width + self.n_numeric]
        for k, (w, b) in enumerate(zip(self.W, self.b, strict=True)):
            net.W[k][...] = w[keep] if k == 0 else w
            net.b[k][...] = b
        return net

    def with_rows(self, n_rows):
        """A copy whose tables have ``n_rows`` rows (at least as many as now):
        the rows added are zeros, so that it computes the same outputs for
        entities that sum them (a network trained without its features'
        n-gram rows, beside one trained with them)."""
        net = EmbeddingNetwork(n_rows, self.dims, self.n_numeric,
                               [w.shape[1] for w in self.W[:-1]], self.W[-1].shape[1],
                               self.task, self.dropout, np.random.RandomState(0), self.dtype)
        net.table[...] = 0
        for j, rows in enumerate(self.n_rows):
            net.table_of(j)[:rows] = self.table_of(j)
        net.theta[...] = self.theta  # W and b are views of it
        return net

    # -- tables --------------------------------------------------------------
    def table_of(self, j):
        """View of the embedding table of feature ``j``, shape (n_rows, dim)."""
        start = self.row_start[self.row_offset[j]] if self.n_rows[j] else 0
        stop = start + self.n_rows[j] * self.dims[j]
        return self.table[start:stop].reshape(self.n_rows[j], self.dims[j])

    def parameters(self):
        return [self.table, *self.W, *self.b]

    def _optimizer_arrays(self):
        return [self.m_table, self.v_table, self.row_steps, self.m_theta, self.v_theta]

    def get_state(self):
        """Copies of the parameters and of Adam's state (moments, step
        counts): restoring both lets training continue exactly from here."""
        return ([p.copy() for p in self.parameters() + self._optimizer_arrays()], self.t)

    def set_state(self, state):
        arrays, self.t = state
        for p, s in zip(self.parameters() + self._optimizer_arrays(), arrays, strict=True):
            p[...] = s

    # -- forward / backward ----------------------------------------------------
    def entity_vectors(self, j, entities):
        """Vectors of the local entities ``(ptr, rows, weights)`` of feature
        ``j`` (see :class:`~skembed.entity.categories.ColumnCategories`), in
        float64, shape (n_entities, dims[j])."""
        import scipy.sparse as sp

        ptr, rows, weights = entities
        m = sp.csr_matrix((weights.astype(np.float64), rows, ptr),
                          shape=(len(ptr) - 1, int(self.n_rows[j])))
        return np.asarray(m @ self.table_of(j).astype(np.float64))

    def _input(self, codes, xnum, comp):
        x = np.empty((codes.shape[0], self.emb_width + self.n_numeric), dtype=self.dtype)
        if self.emb_width:
            gather(self.table, self.layout, comp, codes, x, entity_scratch(comp))
        if self.n_numeric:  # (the first inputs of a wider xnum: numeric_bins="auto")
            x[:, self.emb_width:] = xnum[:, :self.n_numeric]
        return x

    def forward(self, codes, xnum, comp):
        """Output pre-activations (and the layer activations), no dropout."""
        a = self._input(codes, xnum, comp)
        acts = [a]
        for i in range(len(self.W) - 1):
            a = a @ self.W[i]
            a += self.b[i]
            np.maximum(a, 0, out=a)
            acts.append(a)
        out = a @ self.W[-1]
        out += self.b[-1]
        return out, acts

    def predict_raw(self, codes, xnum, comp, batch_size=8192):
        """Network output: values (regression), probabilities otherwise.

        Computed in float64 so that a row's prediction does not depend on the
        other rows of the call (float32 BLAS kernels vary with the batch shape).
        """
        W, b = self.W[-1].astype(np.float64), self.b[-1].astype(np.float64)
        out = np.empty((codes.shape[0], W.shape[1]), dtype=np.float64)
        for rows, a in self._hidden_batches(codes, xnum, comp, batch_size):
            out[rows] = a @ W + b
        return output_activation(out, self.task)

    def hidden(self, codes, xnum, comp, batch_size=8192):
        """Activations of the last hidden layer (the input itself without
        hidden layers), in float64: the network's own representation of a row."""
        width = self.W[-1].shape[0]
        res = np.empty((codes.shape[0], width), dtype=np.float64)
        for rows, a in self._hidden_batches(codes, xnum, comp, batch_size):
            res[rows] = a
        return res

    def _hidden_batches(self, codes, xnum, comp, batch_size):
        W = [w.astype(np.float64) for w in self.W[:-1]]
        b = [v.astype(np.float64) for v in self.b[:-1]]
        for s in range(0, codes.shape[0], batch_size):
            a = self._input(codes[s:s + batch_size], xnum[s:s + batch_size],
                            comp).astype(np.float64)
            for i in range(len(W)):
                a = a @ W[i]
                a += b[i]
                np.maximum(a, 0, out=a)
            yield slice(s, s + batch_size), a

    def output_jacobian(self, codes, xnum, comp):
        """Output pre-activations (n, n_out) and their derivatives by the
        network input's embedding columns, shape (n, n_out, emb_width)."""
        out, acts = self.forward(codes, xnum, comp)
        n, n_out = out.shape
        jac = np.empty((n, n_out, self.emb_width), dtype=np.float64)
        W = [w.astype(np.float64) for w in self.W]
        if len(W) == 1:  # no hidden layer: the output is linear in the input
            jac[:] = W[0][:self.emb_width].T
            return out.astype(np.float64), jac
        for o in range(n_out):
            # output o's column of the last layer, back through each ReLU to the
            # input (no product by a one-hot: n_out outputs cost n_out, not n_out^2)
            g = W[-1][:, o] * (acts[-1] > 0)
            for i in range(len(W) - 2, 0, -1):
                g = g @ W[i].T
                g *= acts[i] > 0
            jac[:, o, :] = g @ W[0][:self.emb_width].T
        return out.astype(np.float64), jac

    def compute_gradients(self, codes, xnum, y, w, comp):
        """Loss of one batch (no dropout); fills ``gW``, ``gb`` and the table
        gradient with the training kernel's gradients (touched table rows
        recorded)."""
        loss, self.n_touched = forward_backward(
            self.rows(codes, xnum, y, w), self.params(), self.layout, comp,
            TASKS[self.task], 0.0, np.random.default_rng(0), self.grads(comp), self.n_touched)
        self.gW, self.gb = self._split(self.grad_theta)
        return loss

    def rows(self, codes, xnum, y, w):
        """The :class:`~skembed.entity.step_kernels.Rows` bundle of training
        rows (the target as the kernels take it)."""
        n = codes.shape[0]
        if self.task == "multiclass":
            y2, yc = np.zeros((n, 0)), np.asarray(y, dtype=np.int64)
        else:
            y2, yc = np.asarray(y, dtype=np.float64).reshape(n, -1), np.zeros(n, np.int64)
        return Rows(np.ascontiguousarray(codes, dtype=np.int32),
                    np.ascontiguousarray(xnum[:, :self.n_numeric], dtype=self.dtype), y2, yc,
                    np.asarray(w, dtype=np.float64))

    def params(self):
        return Params(self.table, self.theta, self.layers)

    def grads(self, comp):
        """This network's (or worker's) gradient buffers, with the scratch of
        the entities of ``comp``."""
        return Grads(self.grad_theta, self.grad_table, self.touched, self.touched_rows,
                     entity_scratch(comp))

    def adam(self, n_steps):
        """The optimizer bundle, with bias corrections for ``n_steps`` more steps."""
        corr = getattr(self, "_corrections", None)  # absent in older pickles
        need = self.t + n_steps
        if corr is None or corr.shape[0] <= need:  # a row has at most t updates
            corr = self._corrections = adam_corrections(BETA1, BETA2, max(2 * need, 1024))
        return Adam(self.m_theta, self.v_theta, self._t, self.m_table, self.v_table,
                    self.row_steps, corr, self.row_start, self.row_dim)

    def clear_table_gradient(self):
        rows = self.touched_rows[:self.n_touched]
        self.grad_table[:] = 0
        self.touched[rows] = False
        self.n_touched = 0


def _tqdm(total, desc):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="epoch", desc=desc, leave=False)


def compose(entities, row_offset):
    """The :class:`~skembed.entity.kernels.Composition` of the features'
    local entities ``[(ptr, rows, weights), ...]`` (local rows made global
    with ``row_offset``)."""
    counts = [len(ptr) - 1 for ptr, _, _ in entities]
    ent_offset = np.concatenate(([0], np.cumsum(counts)))[:-1].astype(np.int64)
    entry_offset = np.concatenate(([0], np.cumsum([ptr[-1] for ptr, _, _ in entities])))
    ptr = np.concatenate([p[:-1] + o for (p, _, _), o in zip(entities, entry_offset,
                                                              strict=False)]
                         + [np.array([entry_offset[-1]])]).astype(np.int64)
    rows = np.concatenate([r + row_offset[j] for j, (_, r, _) in enumerate(entities)]
                          + [np.zeros(0, np.int64)]).astype(np.int64)
    weights = np.concatenate([w for _, _, w in entities]
                             + [np.zeros(0, np.float32)]).astype(np.float32)
    return Composition(ent_offset, ptr, rows, weights)


def train_network(net, codes, xnum, y, w, comp, *, max_iter, batch_size, learning_rate,
                  rng, val=None, n_iter_no_change=10, tol=1e-4, verbose=0,
                  name="EntityEmbedding", weight_decay=0.0, embedding_dropout=0.0,
                  schedule="constant", n_threads=1):
    """Minibatch Adam for ``max_iter`` epochs (reshuffled each epoch).

    ``comp`` is the :class:`~skembed.entity.kernels.Composition` of the
    entities in ``codes``.  ``schedule`` is ``"constant"`` or ``"cosine"``
    (the step size follows a half cosine from ``learning_rate`` to 0 over
    the ``max_iter`` epochs); ``weight_decay`` is AdamW's decoupled decay (each
    step first shrinks the dense weights, not the biases, and the touched
    embedding rows by ``learning rate * weight_decay`` of themselves);
    ``embedding_dropout`` (a float, or
    one per entity of ``comp``) replaces the own row of each category of a
    training batch by the shared unknown row (row 0) with that probability
    (its substrings stay: an unseen category).  The steps run in compiled
    stretches of ``STEPS_PER_CALL`` (:func:`~skembed.entity.step_kernels.train_steps`).
    ``n_threads > 1`` splits each epoch's batches among that many threads
    (:func:`~skembed._threads.in_threads`), each with its own gradients,
    updating the shared parameters without locks (Hogwild!); the caller
    limits BLAS to one thread per thread.  ``val`` is ``(codes, xnum, y, w)``
    of the validation fraction (entities of ``comp``) or None.  With ``val``,
    training stops once the validation loss has not improved by ``tol`` for
    ``n_iter_no_change`` epochs and the best parameters are restored.
    Returns a dict with ``loss_curve``, ``validation_loss_curve``,
    ``best_validation_loss`` and ``n_iter``.
    """
    n = codes.shape[0]
    rates = np.zeros(0)  # dropout probability of each entity of comp
    if np.ndim(embedding_dropout) or embedding_dropout > 0:
        rates = np.ascontiguousarray(np.broadcast_to(
            np.asarray(embedding_dropout, dtype=np.float64), comp.ent_ptr.shape[0] - 1))
    seed_seq = np.random.SeedSequence(rng.randint(np.iinfo(np.int32).max))
    n_threads = max(1, min(int(n_threads), -(-n // batch_size)))
    # per thread: its own network view (gradients) and random stream (dropout)
    workers = [(net if n_threads == 1 else net.worker(), np.random.default_rng(s))
               for s in seed_seq.spawn(n_threads)]
    rows = net.rows(codes, xnum, y, w)
    loss_curve, val_curve = [], []
    best, best_state, stall = np.inf, None, 0
    wsum = float(w.sum())
    bar = _tqdm(max_iter, name) if verbose else None
    epoch = 0
    n_batches = -(-n // batch_size)
    total_steps = max(max_iter * n_batches, 1)
    task = TASKS[net.task]

    def run_batches(k, stop, order, first_step, outs):
        worker, stream = workers[k]
        params, grads, adam = worker.params(), worker.grads(comp), worker.adam(n_batches)
        mine = np.arange(k, n_batches, n_threads, dtype=np.int64)
        total = 0.0
        for c in range(0, len(mine), STEPS_PER_CALL):
            if stop.is_set():
                return
            with np.errstate(all="ignore"):  # divergence is reported below
                part = train_steps(
                    rows, params, worker.layout, comp, grads, adam, order,
                    mine[c:c + STEPS_PER_CALL], batch_size, task, worker.dropout, rates,
                    stream, learning_rate, schedule == "cosine", first_step, total_steps,
                    weight_decay)
            total += part
            if not np.isfinite(part):
                outs[k]["diverged"] = part
                stop.set()
                return
        outs[k]["total"] = total

    try:
        for epoch in range(1, max_iter + 1):
            t0 = time.perf_counter()
            order = rng.permutation(n)
            first_step = (epoch - 1) * n_batches
            outs = [{} for _ in workers]
            in_threads(n_threads, functools.partial(
                _run_share, run_batches, order=order, first_step=first_step, outs=outs))
            net._t[0] += n_batches  # one Adam step per batch (the workers share _t)
            for out in outs:
                if "diverged" in out:
                    raise FloatingPointError(
                        f"training diverged (loss={out['diverged']}) at epoch {epoch}; "
                        "lower learning_rate")
            total = sum(out.get("total", 0.0) for out in outs)
            loss_curve.append(total / max(wsum, 1e-300) if wsum > 0 else total / n)
            msg = f"epoch {epoch}: loss {loss_curve[-1]:.5f}"
            if val is not None:
                vloss = evaluate_loss(net, *val, comp)
                val_curve.append(vloss)
                msg += f", validation loss {vloss:.5f}"
                stall = 0 if vloss < best - tol else stall + 1
                if vloss < best:  # keep the best weights, even a sub-tol gain
                    best, best_state = vloss, net.get_state()
            msg += f" ({time.perf_counter() - t0:.1f}s)"
            if verbose:
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix_str(msg.split(": ", 1)[1])
                    if verbose > 1:
                        bar.write(f"[{name}] {msg}")
                else:
                    print(f"[{name}] {msg}", flush=True)
            if val is not None and stall >= n_iter_no_change:
                break
    finally:
        if bar is not None:
            bar.close()
    if best_state is not None:
        net.set_state(best_state)
    return {"loss_curve": loss_curve, "validation_loss_curve": val_curve,
            "best_validation_loss": best if val is not None else None, "n_iter": epoch}


def _run_share(run_batches, k, stop, *, order, first_step, outs):
    run_batches(k, stop, order, first_step, outs)
