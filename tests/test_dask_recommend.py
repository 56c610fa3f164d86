"""Recommenders fitted from Dask (sequences and event logs counted on the
workers) equal the in-memory fit, on a real ``distributed.LocalCluster``,
also when a worker is killed mid-fit."""

import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
dd = pytest.importorskip("dask.dataframe")

from skembed import (  # noqa: E402
    ItemSequenceEmbedder,
    NearestNeighborRecommender,
    PopularityRecommender,
    SequentialRulesRecommender,
    SessionKNNRecommender,
    sequences_from_events,
)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def event_log(n_users=120, seed=0):
    """Users clicking along chains of items, several sessions each (gaps of
    an hour between sessions), string item ids."""
    rng = np.random.RandomState(seed)
    rows = []
    for user in range(n_users):
        t = rng.randint(10_000)
        for _ in range(rng.randint(1, 4)):
            chain = rng.randint(6)
            start = rng.randint(8)
            for j in range(rng.randint(1, 7)):
                rows.append((user, f"c{chain}_{start + j}", t))
                t += rng.randint(1, 60)
            t += 3600
    log = pd.DataFrame(rows, columns=["user", "item", "t"])
    return log.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _series(values, npartitions):
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(pd.Series(values, name="x"), npartitions=npartitions)


def _equal(a, b, queries):
    np.testing.assert_array_equal(a.items_, b.items_)
    np.testing.assert_array_equal(a.item_counts_, b.item_counts_)
    assert a.repeat_share_ == b.repeat_share_ and a.exclude_seen_ == b.exclude_seen_
    np.testing.assert_array_equal(a.predict(queries), b.predict(queries))
    ids_a, s_a = a.recommend(queries, return_scores=True)
    ids_b, s_b = b.recommend(queries, return_scores=True)
    np.testing.assert_array_equal(ids_a, ids_b)
    np.testing.assert_array_equal(s_a, s_b)


MAKERS = [
    lambda: PopularityRecommender(),
    lambda: SequentialRulesRecommender(),
    lambda: SequentialRulesRecommender(symmetric=True, window=3),
    lambda: SessionKNNRecommender(idf_weight=1.0),
    lambda: SessionKNNRecommender(shared_item_decay=2.0),
    lambda: NearestNeighborRecommender(ItemSequenceEmbedder(vector_size=8, epochs=2,
                                                            n_jobs=1, random_state=0),
                                       n_jobs=1, random_state=0),
]


@pytest.mark.parametrize("make", MAKERS)
def test_fit_from_an_event_log_equals_in_memory(client, make):
    log = event_log()
    sequences, _ = sequences_from_events(log, "user", "item", "t", session_gap=600)
    memory = make().fit(sequences)
    frame = dd.from_pandas(log, npartitions=4)
    fitted = make().fit(frame, user_col="user", item_col="item", time_col="t",
                        session_gap=600)
    _equal(fitted, memory, sequences[:40] + [[], ["unknown"]])
    if isinstance(memory, SequentialRulesRecommender):
        assert (fitted.rules_ != memory.rules_).nnz == 0
    if isinstance(memory, SessionKNNRecommender):
        assert fitted.n_sequences_ == memory.n_sequences_
        assert fitted.shared_item_decay_ == memory.shared_item_decay_


@pytest.mark.parametrize("kind", ["bag", "series"])
def test_fit_from_dask_sequences_equals_in_memory(client, kind):
    sequences, _ = sequences_from_events(event_log(seed=1), "user", "item", "t")
    X = db.from_sequence(sequences, npartitions=5) if kind == "bag" else _series(sequences, 3)
    for make in MAKERS[1:4]:
        _equal(make().fit(X), make().fit(sequences), sequences[:30])


def test_dask_fit_errors(client):
    log = dd.from_pandas(event_log(n_users=5), npartitions=2)
    with pytest.raises(ValueError, match="user_col"):
        PopularityRecommender().fit(log, item_col="item")
    with pytest.raises(ValueError, match="columns of an event log"):
        PopularityRecommender().fit(_series([["a"]], 1), item_col="item")
    with pytest.raises(ValueError, match="no item"):
        PopularityRecommender().fit(_series([[], []], 1))
    with pytest.raises(TypeError, match="Dask DataFrame event log"):
        PopularityRecommender().fit([["a"]], item_col="item")


def _slow(part, log_dir, partition_info=None):
    """A deliberately slow step that logs each start of a partition (with
    the worker process's id) and each end."""
    path = os.path.join(log_dir, f"{partition_info['number']}.log")
    with open(path, "a") as f:
        f.write(f"start {os.getpid()}\n")
    time.sleep(1.0)
    with open(path, "a") as f:
        f.write("end\n")
    return part


def test_worker_killed_mid_fit(client, tmp_path):
    sequences, _ = sequences_from_events(event_log(seed=2), "user", "item", "t")
    series = _series(sequences, 6)
    slow = series.map_partitions(_slow, str(tmp_path), meta=series._meta)
    result = {}

    def fit():
        try:
            result["rec"] = SequentialRulesRecommender().fit(slow)
        except BaseException as exc:  # pragma: no cover - reported below
            result["error"] = exc

    thread = threading.Thread(target=fit)
    thread.start()
    deadline = time.time() + 60
    running = None
    while running is None:  # a partition in the middle of its step: kill its worker
        assert time.time() < deadline, "no partition started"
        for p in tmp_path.glob("*.log"):
            lines = p.read_text().splitlines()
            if len(lines) == 1 and lines[0].startswith("start "):
                running = (p, int(lines[0].split()[1]))
                break
        else:
            time.sleep(0.05)
    os.kill(running[1], signal.SIGKILL)
    thread.join(timeout=120)
    assert "error" not in result, result.get("error")
    _equal(result["rec"], SequentialRulesRecommender().fit(sequences), sequences[:30])
    # the partition the killed worker was computing ran again elsewhere
    assert running[0].read_text().split().count("start") > 1
    client.wait_for_workers(2, timeout=30)
