"""The network's losses in numpy: evaluation (validation loss, early
stopping), the output activation of predictions, and the per-row loss
gradient that the cross-fit's Newton steps and the gradient tests use.

Training computes the same losses in its compiled steps
(:func:`~skembed.entity.step_kernels.forward_backward`); the gradient test
(tests/test_entity_network.py) checks the two against each other.
"""

import numpy as np

__all__ = ["evaluate_loss", "loss_and_output_grad", "output_activation", "output_loss"]


def output_activation(out, task):
    if task == "regression":
        return out
    if task in ("binary", "multilabel"):
        return 1.0 / (1.0 + np.exp(-np.clip(out, -500, 500)))
    out = out - out.max(axis=1, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def loss_and_output_grad(out, y, w, task):
    """Weighted mean loss over the batch and its gradient w.r.t. ``out``."""
    n = out.shape[0]
    out64 = out.astype(np.float64)
    if task in ("regression", "binary", "multilabel"):
        y2 = y.reshape(n, -1)  # one column per output
        if task == "regression":
            diff = out64 - y2
            loss = 0.5 * np.dot(w, (diff * diff).sum(axis=1)) / n
        else:
            loss = np.dot(w, (np.logaddexp(0.0, out64) - y2 * out64).sum(axis=1)) / n
            diff = output_activation(out64, "binary") - y2
        g = diff * (w / n)[:, None]
    else:
        z = out64 - out64.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        rows = np.arange(n)
        loss = np.dot(w, log_norm - z[rows, y]) / n
        p = np.exp(z - log_norm[:, None])
        p[rows, y] -= 1.0
        g = p * (w / n)[:, None]
    return float(loss), g


def evaluate_loss(net, codes, xnum, y, w, comp, batch_size=8192):
    """Weighted mean loss of the network on a data set (no dropout)."""
    total = 0.0
    for s in range(0, codes.shape[0], batch_size):
        out, _ = net.forward(codes[s:s + batch_size], xnum[s:s + batch_size], comp)
        loss, _ = loss_and_output_grad(out, y[s:s + batch_size], w[s:s + batch_size],
                                       net.task)
        total += loss * out.shape[0]
    wsum = float(w.sum())
    return total / wsum if wsum > 0 else total / max(codes.shape[0], 1)


def output_loss(pred, y, w, task):
    """Weighted sum of the losses of activated outputs ``pred`` (values, or
    probabilities as :func:`output_activation` gives them): what
    :func:`loss_and_output_grad` computes from the pre-activations, for
    outputs that were mixed after activation (an ensemble's)."""
    pred = np.asarray(pred, dtype=np.float64)
    n = len(pred)
    if task == "regression":
        per_row = 0.5 * ((pred - y.reshape(n, -1)) ** 2).sum(axis=1)
    elif task == "multiclass":
        per_row = -np.log(np.clip(pred[np.arange(n), y], 1e-12, None))
    else:  # binary, multilabel: one probability per column
        p = np.clip(pred, 1e-12, 1 - 1e-12)
        y2 = y.reshape(n, -1)
        per_row = -(y2 * np.log(p) + (1 - y2) * np.log1p(-p)).sum(axis=1)
    return float(w @ per_row)
