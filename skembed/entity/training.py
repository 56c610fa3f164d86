"""Training of the entity networks: one, or an ensemble side by side on
threads (``n_networks``; ``numeric_bins="auto"``'s two candidate kinds), their
validation split, embedding dropout, the rows of unknown categories and the
anchors of unseen ordered values.  A mixin of
:class:`~skembed.entity._base.EntityEmbeddingBase`."""

import numpy as np

from .._threads import blas_threads, in_threads
from .categories import own_rows_only
from .ensemble import mix_weight
from .network import EmbeddingNetwork, train_network
from .targets import normalised_weights, output_prior

__all__ = ["TrainingMixin", "auto_patience"]

# embedding_dropout="auto": a category seen n times is dropped with probability
# DROPOUT_PSEUDO_COUNT / (DROPOUT_PSEUDO_COUNT + n)
DROPOUT_PSEUDO_COUNT = 1.0
# early_stopping="auto" turns on above this many samples (HistGradientBoosting's rule)
AUTO_EARLY_STOPPING_ROWS = 10_000
# n_iter_no_change="auto": patience of about this many minibatch steps, at least
# this many epochs (an epoch of a 2,000-row table is 8 steps; docs/benchmarks.md)
AUTO_PATIENCE_STEPS = 100
AUTO_PATIENCE_EPOCHS = 3

# rows whose output Jacobian measures distances for the order test of unseen values
ANCHOR_SAMPLE_ROWS = 4096


def auto_patience(n_batches):
    """Epochs without improvement before early stopping, for
    ``n_iter_no_change="auto"`` and ``n_batches`` minibatches per epoch."""
    return max(AUTO_PATIENCE_EPOCHS, -(-AUTO_PATIENCE_STEPS // max(int(n_batches), 1)))


class TrainingMixin:
    """Training of the networks (needs the estimator's categories, columns and
    parameters)."""

    # whether the runner-up kind of network (see _train) joins an ensemble,
    # and networks without n-grams are tried (the predictors); the encoder
    # publishes the embeddings of one network
    _mixes_kinds = False

    def _probed_ngrams(self):
        """Features whose n-gram rows ``substrings="auto"`` gave (the network
        is compared with one without them)."""
        if not self._mixes_kinds or not isinstance(getattr(self, "substrings", None), str):
            return []
        return [j for j, c in enumerate(self._categories) if c.n_ngrams]

    def _n_networks(self, n, partial=False):
        """Networks to train on ``n`` rows (one; the predictors average several)."""
        return 1

    def _same_networks(self, k):
        """Whether ``k`` fitted networks are what the parameters ask for."""
        return k == 1

    def _networks(self):
        """The fitted networks: the first (whose embeddings are published) and
        the other members of an ensemble."""
        return [self._net, *getattr(self, "_more_nets", [])]

    def _train(self, params, codes, entities, xnum, y, sample_weight, task, n_outputs, rng,
               stratify=None, partial=False):
        reuse = (params["warm_start"] or partial) and hasattr(self, "_net")
        dims = self._embedding_dims(self._cat_names, self._categories, n_outputs,
                                    self._net.dims if reuse else None)
        n_rows = [c.n_rows for c in self._categories]
        if partial:  # one epoch over these rows, constant step, no validation
            params = {**params, "max_iter": 1, "early_stopping": False}
            if hasattr(self, "_net"):  # later calls: counts behind the mean row
                for j, cats in enumerate(self._categories):
                    cats.add_counts(codes[:, j])
        widths = self._input_widths(xnum.shape[1], partial)
        if reuse:
            nets = self._networks()
            width = nets[0].n_numeric if nets[0].n_numeric in widths else xnum.shape[1]
            want = (tuple(n_rows), tuple(dims), width,
                    (*params["hidden_layer_sizes"], n_outputs), task)
            kept = getattr(self, "_net_weights", None) is not None  # the other kind's, last
            if nets[0].architecture != want or not self._same_networks(len(nets) - kept):
                raise ValueError(
                    "warm_start=True but the network shape changed since the previous "
                    "fit (embedding_dims, hidden_layer_sizes, n_networks, features or "
                    "task); set warm_start=False to refit from scratch")
        k = len(nets) if reuse else self._n_networks(codes.shape[0], partial)
        # one network: the estimator's random stream itself; several: a stream each
        rngs = [rng] if k == 1 else [np.random.RandomState(s) for s in
                                     rng.randint(np.iinfo(np.int32).max, size=k)]

        # substrings="auto": a network without the n-gram rows of the features
        # that have them, beside those with them, on the same validation rows
        grams = [] if reuse or not self._validates(params, codes.shape[0]) \
            else self._probed_ngrams()
        plain_rows = [c.n_own_rows if j in grams else r
                      for j, (c, r) in enumerate(zip(self._categories, n_rows, strict=True))]
        plain_entities = [own_rows_only(e) if j in grams else e
                          for j, e in enumerate(entities)]

        def make(r, width, with_grams=True):
            net = EmbeddingNetwork(n_rows if with_grams else plain_rows, dims, width,
                                   params["hidden_layer_sizes"], n_outputs, task,
                                   params["dropout"], r)
            net.b[-1][...] = output_prior(y, sample_weight, task, n_outputs)
            return net

        comps = {}  # the rows of each entity, by the tables' rows (with or without n-grams)

        def comp_of(net):
            key = tuple(net.n_rows.tolist())
            if key not in comps:
                comps[key] = self._composition(
                    plain_entities if key == tuple(plain_rows) else entities, net)
            return comps[key]

        w = normalised_weights(sample_weight, codes.shape[0])
        rates = self._dropout_rates(params, entities)
        name = type(self).__name__
        threads = params["n_threads"]

        def run(jobs):
            """Train ``(network, rng, split seed)`` jobs; their histories."""
            def train(i, n_threads):
                net, r, split = jobs[i]
                net.dropout = params["dropout"]
                return self._train_network(
                    net, params, codes, xnum, y, w, comp_of(net), r, stratify, partial,
                    rates, n_threads,
                    name if total == 1 else f"{name} {len(done) + i + 1}/{total}", split)

            for net, _, _ in jobs:
                comp_of(net)  # built before the threads start
            m = len(jobs)
            if m == 1 or threads == 1:
                return [train(i, threads) for i in range(m)]
            # whole networks side by side, one thread each (no Hogwild! among them)
            lanes = min(m, threads)
            side = m - m % lanes
            hists = [None] * m

            def lane(t, stop):
                for i in range(t, side, lanes):
                    if stop.is_set():
                        return
                    hists[i] = train(i, 1)

            in_threads(lanes, lane)
            # networks left over (3 on 2 threads): each on all the threads, so that
            # no thread idles through a last round of one network
            hists[side:] = [train(i, threads) for i in range(side, m)]
            return hists

        done = []  # (network, history) of the networks trained so far
        # the kinds of network compared on validation rows: numeric_bins="auto"'s
        # numbers alone and with their pieces; substrings="auto"'s without n-grams
        kinds = [(wd, True) for wd in widths] \
            if not reuse and self._validates(params, codes.shape[0]) else [(widths[0], True)]
        if grams:
            kinds.append((widths[0], False))
        probe = len(kinds) > 1
        total = k + len(kinds) - 1  # networks to train
        other_net, mix = None, 0.0
        # small products: threads of our own beat BLAS's.  The limit is process-wide,
        # so it is set here, once, not by each training thread (nested limits
        # entered and left by concurrent threads would restore the wrong count)
        with blas_threads(1):
            if reuse:
                jobs = [(net, r, None) for net, r in zip(nets, rngs, strict=True)]
            elif probe:
                # each kind on the same validation rows; the ensemble is of the
                # kind whose validation loss is lowest
                split = int(rng.randint(np.iinfo(np.int32).max))
                streams = [rngs[0]] + [np.random.RandomState(rng.randint(np.iinfo(np.int32).max))
                                       for _ in kinds[1:]]
                trial = [(make(r, wd, g), r, split) for r, (wd, g) in zip(streams, kinds,
                                                                          strict=True)]
                hists = run(trial)
                losses = [h["best_validation_loss"] for h in hists]
                best = int(np.argmin(losses))
                width, with_grams = kinds[best]
                done.append((trial[best][0], hists[best]))
                if not with_grams:  # the n-grams did not help the network: dropped
                    for j in grams:
                        self._categories[j].drop_ngrams()
                        entities[j] = plain_entities[j]
                if self._mixes_kinds:
                    # the runner-up joins the ensemble with the share that fits
                    # the validation rows best (.ensemble); one without n-grams
                    # beside winners with them reads zeros for them
                    others = [i for i in range(len(kinds))
                              if i != best and (with_grams or not kinds[i][1])]
                    if others:
                        i = min(others, key=losses.__getitem__)
                        other_net = trial[i][0]
                        if with_grams and not kinds[i][1]:
                            other_net = other_net.with_rows(n_rows)
                        _, va = self._validation_rows(codes.shape[0], params, split,
                                                      stratify)
                        outs = [net.predict_raw(codes[va], xnum[va], comp_of(net))
                                for net in (trial[best][0], other_net)]
                        # (one network against one: beside k of the winner's kind,
                        # whose mean leaves less error to cancel, it weighs at most
                        # one member)
                        mix = min(mix_weight(outs[0], outs[1], y[va], w[va], task),
                                  1.0 / (k + 1))
                jobs = [(make(r, width, with_grams), r, None) for r in rngs[1:]]
            else:
                jobs = [(make(r, widths[0]), r, None) for r in rngs]
            done += zip([j[0] for j in jobs], run(jobs), strict=True)
        comp = comp_of(done[0][0])
        nets = [net for net, _ in done]
        if reuse:
            weights = getattr(self, "_net_weights", None)
        elif mix > 0:
            nets.append(other_net)
            weights = np.append(np.full(k, (1 - mix) / k), mix)
        else:
            weights = None  # equal
        hists = [h for _, h in done]
        hist = hists[0]
        if partial and hasattr(self, "loss_curve_"):
            hist["loss_curve"] = self.loss_curve_ + hist["loss_curve"]
            hist["n_iter"] += self.n_iter_
        for net in nets:
            self._set_unknown_rows(net, params)
        self.embedding_dims_ = dims
        self.loss_curve_ = hist["loss_curve"]
        self.validation_loss_curve_ = hist["validation_loss_curve"]
        self.best_validation_loss_ = hist["best_validation_loss"]
        self.n_iter_ = hist["n_iter"]
        self.categories_ = [c.categories for c in self._categories]
        self.infrequent_categories_ = [
            c.categories[c.infrequent] if c.infrequent.any() else None
            for c in self._categories]
        self._more_nets = nets[1:]
        self._net_weights = weights
        self._publish(nets[0])
        self._set_anchors(nets[0], codes, xnum, comp)

    def _set_anchors(self, net, codes, xnum, comp):
        """Unseen values of columns of numbers, dates or months: the nearest
        known one, where the column's embeddings follow its order
        (:meth:`ColumnCategories.set_anchors`).  Distances are measured in
        the network's output: each feature's embeddings scaled along the
        directions the output moves by (the square root of the mean squared
        Jacobian over a sample of rows), so that axes the network ignores
        (still near their random start) do not hide the order."""
        kinds = getattr(self, "_read_kinds", None) or [None] * len(self._categories)
        if not any(kinds):
            return
        # the sample's Jacobian (rows, outputs, width) stays near 64 MB with many classes
        rows = min(ANCHOR_SAMPLE_ROWS, max(64, 2 ** 23 // (net.W[-1].shape[1] * net.emb_width)))
        sample = slice(None, None, max(1, codes.shape[0] // rows))
        _, jac = net.output_jacobian(codes[sample], xnum[sample], comp)
        for j, cats in enumerate(self._categories):
            vectors = None
            if kinds[j] is not None:
                col = slice(int(net.col_offset[j]), int(net.col_offset[j] + net.dims[j]))
                J = jac[:, :, col].reshape(-1, int(net.dims[j]))
                lam, vec = np.linalg.eigh(J.T @ J / max(len(J), 1))
                vectors = self.embeddings_[j].astype(np.float64) \
                    @ (vec * np.sqrt(np.maximum(lam, 0.0)))
            cats.set_anchors(kinds[j], vectors)

    @staticmethod
    def _validates(params, n):
        """Whether training on ``n`` rows holds out validation rows."""
        early = params["early_stopping"]
        if isinstance(early, str):  # "auto": as HistGradientBoosting, on large data
            early = n > AUTO_EARLY_STOPPING_ROWS or params["max_iter"] == "auto"
        return bool(early)

    def _input_widths(self, width, partial):
        """The numeric inputs a network may read: the first ``w`` columns of
        ``xnum`` for each ``w`` returned (two: the fit chooses by validation
        loss)."""
        return [width]

    def _validation_rows(self, n, params, seed, stratify):
        """Training and validation rows of a network (``seed``: an int or a
        RandomState)."""
        n_val = int(round(params["validation_fraction"] * n))
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"validation_fraction={params['validation_fraction']} leaves an empty "
                f"training or validation set with {n} samples")
        idx = np.arange(n)
        if self.validation_split == "last":  # rows in time order: validate on the latest
            return idx[:n - n_val], idx[n - n_val:]
        from sklearn.model_selection import train_test_split

        try:
            tr, va = train_test_split(idx, test_size=n_val, random_state=seed,
                                      stratify=stratify)
        except ValueError:  # too few members of some class to stratify
            tr, va = train_test_split(idx, test_size=n_val, random_state=seed)
        return np.sort(tr), np.sort(va)

    def _train_network(self, net, params, codes, xnum, y, w, comp, rng, stratify, partial,
                       rates, n_threads, name, split=None):
        """Train one network (its own validation split, or the one drawn by
        the seed ``split``); the history of
        :func:`~skembed.entity.network.train_network`."""
        n = codes.shape[0]
        val = None
        if self._validates(params, n):
            tr, va = self._validation_rows(n, params, rng if split is None else split,
                                           stratify)
            val = (codes[va], xnum[va], y[va], w[va])
            codes, xnum, y, w = codes[tr], xnum[tr], y[tr], w[tr]
        max_iter = params["max_iter"]
        n_batches = -(-codes.shape[0] // params["batch_size"])
        if max_iter == "auto":  # small data: more epochs, so that training sees enough steps
            max_iter = int(np.clip(-(-self._auto_steps // n_batches), *self._auto_epochs))
        patience = params["n_iter_no_change"]
        if patience == "auto":
            patience = auto_patience(n_batches)
        return train_network(
            net, codes, xnum, y, w, comp, max_iter=max_iter,
            batch_size=params["batch_size"], learning_rate=params["learning_rate"],
            rng=rng, val=val, n_iter_no_change=patience,
            tol=params["tol"], verbose=self.verbose, name=name,
            weight_decay=params["weight_decay"], embedding_dropout=rates,
            schedule="constant" if partial else self.learning_rate_schedule,
            n_threads=n_threads)

    def _publish(self, net):
        self._net = net
        self.embeddings_ = [net.entity_vectors(j, c.known_entities)[1:].astype(net.dtype)
                            for j, c in enumerate(self._categories)]

    def _dropout_rates(self, params, entities):
        """Embedding dropout of every entity of the call (features in order):
        ``embedding_dropout`` for the known categories, or, for ``"auto"``,
        ``1 / (1 + count)`` of each (rare categories learn to lean on the
        shared row and their n-grams, frequent ones keep their own row); 0 for
        entity 0 and 1 for values unseen in training (whose own row is row 0
        anyway)."""
        spec = params["embedding_dropout"]
        rates = []
        for (ptr, _, _), cats in zip(entities, self._categories, strict=True):
            r = np.ones(len(ptr) - 1, dtype=np.float64)
            r[0] = 0.0
            k = len(cats.categories)
            r[1:k + 1] = (DROPOUT_PSEUDO_COUNT / (DROPOUT_PSEUDO_COUNT + cats.counts)
                          if isinstance(spec, str) else spec)
            rates.append(r)
        return np.concatenate(rates) if rates else np.zeros(0)

    def _set_unknown_rows(self, net, params):
        # categories without training rows of their own (no infrequent ones and no
        # embedding dropout, so row 0 never trained) fall back to the
        # frequency-weighted mean embedding
        for j, cats in enumerate(self._categories):
            if not cats.infrequent.any() and params["embedding_dropout"] == 0:
                table = net.table_of(j)
                table[0] = self._mean_row(j, table)

    def _mean_row(self, j, table):
        cats = self._categories[j]
        cnt = cats.counts.astype(np.float64)
        return (cnt @ table[cats.rows].astype(np.float64)) / max(cnt.sum(), 1)
