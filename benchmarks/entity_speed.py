"""Seconds per epoch: EntityEmbeddingRegressor vs the same network in PyTorch.

Same data (the Rossmann training split of ``entity_rossmann.py``), same
architecture (one embedding table per feature with the widths of
``embedding_dims="auto"``, dense ReLU layers (256, 128), linear output),
same loss (half squared error on the standardised log target), optimiser
(Adam, lr 1e-3), batch size and epochs; CPU with 2 threads for both.

skembed's time per epoch is ``(T(max_iter=E+1) - T(max_iter=1)) / E``, which
removes validation and encoding (done once per fit).  PyTorch's is the mean
time of the epoch loops (tensors built once beforehand).  Two PyTorch
variants: dense embedding gradients with ``Adam`` (the usual code), and
``sparse=True`` embeddings with ``SparseAdam`` (closest to skembed's lazy
row updates).

Usage::

    pip install torch==2.13.0   # only for this script
    python benchmarks/entity_speed.py [--data DIR] [--epochs 3] [--batch-size 256]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from entity_rossmann import FEATURES, load  # noqa: E402

from skembed import EntityEmbeddingRegressor  # noqa: E402
from skembed.entity._base import AUTO_DIM_RULE  # noqa: E402
from skembed.entity.network import auto_embedding_dim  # noqa: E402


def skembed_seconds_per_epoch(X, y, epochs, batch_size, hidden):
    def fit(n_iter):
        reg = EntityEmbeddingRegressor(categorical_features=FEATURES, max_iter=n_iter,
                                       batch_size=batch_size, hidden_layer_sizes=hidden,
                                       random_state=0)
        t = time.perf_counter()
        reg.fit(X, y)
        return time.perf_counter() - t

    fit(1)  # Numba compilation / cache load
    t1 = fit(1)
    tn = fit(epochs + 1)
    return (tn - t1) / epochs


def torch_seconds_per_epoch(X, y, epochs, batch_size, hidden, sparse):
    import torch
    from torch import nn

    torch.set_num_threads(2)
    torch.manual_seed(0)
    codes = np.column_stack([X[c].cat.codes.to_numpy() for c in FEATURES]).astype(np.int64)
    cards = [len(X[c].cat.categories) for c in FEATURES]
    dims = [auto_embedding_dim(n, AUTO_DIM_RULE) for n in cards]
    target = (y - y.mean()) / y.std()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.ModuleList(nn.Embedding(n + 1, d, sparse=sparse)
                                     for n, d in zip(cards, dims, strict=True))
            sizes = [sum(dims), *hidden]
            layers = []
            for a, b in zip(sizes[:-1], sizes[1:], strict=True):
                layers += [nn.Linear(a, b), nn.ReLU()]
            self.mlp = nn.Sequential(*layers, nn.Linear(sizes[-1], 1))

        def forward(self, c):
            return self.mlp(torch.cat([e(c[:, j]) for j, e in enumerate(self.emb)], 1))

    net = Net()
    if sparse:
        opts = [torch.optim.SparseAdam(list(net.emb.parameters()), lr=1e-3),
                torch.optim.Adam(net.mlp.parameters(), lr=1e-3)]
    else:
        opts = [torch.optim.Adam(net.parameters(), lr=1e-3)]
    c_all = torch.from_numpy(codes + 1)
    y_all = torch.from_numpy(target.astype(np.float32))
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        perm = torch.randperm(len(y_all))
        for s in range(0, len(y_all), batch_size):
            idx = perm[s:s + batch_size]
            for o in opts:
                o.zero_grad()
            loss = 0.5 * ((net(c_all[idx])[:, 0] - y_all[idx]) ** 2).mean()
            loss.backward()
            for o in opts:
                o.step()
        times.append(time.perf_counter() - t)
    return float(np.mean(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    hidden = (256, 128)
    Xtr, ytr, _, _ = load(args.data)
    y = np.log(ytr)
    print(f"{len(Xtr):,} training rows, batch {args.batch_size}, {args.epochs} epochs, "
          f"hidden {hidden}", flush=True)
    results = [("skembed EntityEmbeddingRegressor",
                skembed_seconds_per_epoch(Xtr, y, args.epochs, args.batch_size, hidden))]
    print(results[-1], flush=True)
    for sparse in (False, True):
        name = "PyTorch " + ("sparse embeddings + SparseAdam" if sparse else
                             "dense embeddings + Adam")
        results.append((name, torch_seconds_per_epoch(Xtr, y, args.epochs, args.batch_size,
                                                       hidden, sparse)))
        print(results[-1], flush=True)
    print("\n| implementation | seconds / epoch |\n|---|---|")
    for name, sec in results:
        print(f"| {name} | {sec:.1f} |")


if __name__ == "__main__":
    main()
