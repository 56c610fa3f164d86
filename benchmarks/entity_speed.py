"""Seconds per epoch: EntityEmbeddingRegressor vs the same network in PyTorch.

Same data (the Rossmann training split of ``entity_rossmann.py``, 804,056
rows), same architecture (one embedding table per feature with the widths of
``embedding_dims="auto"``, dense ReLU layers (256, 128), linear output),
same loss (half squared error on the standardised log target), optimiser
(Adam, lr 1e-3), batch size 256, every row every epoch (skembed with
``early_stopping=False``: no validation split, so the work per epoch is
PyTorch's).  No thread environment variables and library defaults, as users
run them: skembed with its defaults (``n_jobs=None`` and no ``random_state``:
Hogwild threads on all cores) and with ``random_state=0`` (one thread, a
reproducible fit), PyTorch's CPU build with its
default threads and dense embedding gradients + ``Adam`` (the usual code;
``--torch-sparse`` adds ``sparse=True`` + ``SparseAdam``).

Two situations: alone, and beside one busy process (a pure-Python loop
pinning a core, as a second ``GridSearchCV`` worker or a notebook busy with
something else).  Each measurement runs in a fresh process (its peak
resident memory is reported, data loading included); runs alternate between
implementations and the median of ``--repeats`` is printed with the ratio
skembed / PyTorch.

skembed's time per epoch is ``(T(max_iter=E+1) - T(max_iter=1)) / E``, which
removes encoding (done once per fit).  PyTorch's is the mean time of the
epoch loops (tensors built once beforehand).

Usage::

    pip install torch==2.13.0   # only for this script
    python benchmarks/entity_speed.py [--data DIR] [--epochs 2] [--repeats 3]
        [--situations alone,busy] [--torch-sparse]
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


def skembed_seconds_per_epoch(X, y, epochs, batch_size, hidden, random_state=None):
    def fit(n_iter):
        reg = EntityEmbeddingRegressor(categorical_features=FEATURES, max_iter=n_iter,
                                       batch_size=batch_size, hidden_layer_sizes=hidden,
                                       early_stopping=False, random_state=random_state)
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


RUNNERS = {
    "skembed, defaults": lambda X, y, a: skembed_seconds_per_epoch(
        X, y, a.epochs, a.batch_size, HIDDEN),
    "skembed, random_state=0": lambda X, y, a: skembed_seconds_per_epoch(
        X, y, a.epochs, a.batch_size, HIDDEN, random_state=0),
    "PyTorch, dense Adam": lambda X, y, a: torch_seconds_per_epoch(
        X, y, a.epochs, a.batch_size, HIDDEN, sparse=False),
    "PyTorch, SparseAdam": lambda X, y, a: torch_seconds_per_epoch(
        X, y, a.epochs, a.batch_size, HIDDEN, sparse=True),
}
HIDDEN = (256, 128)


def child(args):
    """One measurement in this (fresh) process; prints a JSON line."""
    import json
    import resource

    Xtr, ytr, _, _ = load(args.data)
    sec = RUNNERS[args.child](Xtr, np.log(ytr), args)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"sec": sec, "peak_mb": peak_mb}), flush=True)


def measure(name, args, busy):
    import json
    import subprocess

    hog = None
    if busy:
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        cmd = [sys.executable, __file__, "--child", name, "--epochs", str(args.epochs),
               "--batch-size", str(args.batch_size)]
        if args.data:
            cmd += ["--data", args.data]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--situations", default="alone,busy")
    ap.add_argument("--torch-sparse", action="store_true")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    names = [n for n in RUNNERS if args.torch_sparse or "Sparse" not in n]
    print(f"Rossmann training split, batch {args.batch_size}, {args.epochs} epochs, "
          f"hidden {HIDDEN}, {os.cpu_count()} cores; medians of {args.repeats}", flush=True)
    table = []
    for situation in args.situations.split(","):
        runs = {n: [] for n in names}
        for rep in range(args.repeats):
            order = names if rep % 2 == 0 else names[::-1]  # alternate
            for name in order:
                r = measure(name, args, busy=situation == "busy")
                runs[name].append(r)
                print(f"  {situation:5s} {name:24s} {r['sec']:6.2f} s/epoch, "
                      f"peak {r['peak_mb']:,.0f} MB", flush=True)
        torch_sec = np.median([r["sec"] for r in runs["PyTorch, dense Adam"]])
        for name in names:
            sec = float(np.median([r["sec"] for r in runs[name]]))
            mb = float(np.median([r["peak_mb"] for r in runs[name]]))
            table.append((situation, name, sec, sec / torch_sec, mb))
    print("\n| situation | implementation | seconds / epoch (median) | vs PyTorch dense Adam "
          "| peak memory (MB) |\n|---|---|---:|---:|---:|")
    for situation, name, sec, ratio, mb in table:
        print(f"| {situation} | {name} | {sec:.2f} | {ratio:.2f}x | {mb:,.0f} |")


if __name__ == "__main__":
    main()
