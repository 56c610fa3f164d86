import numpy as np
import pandas as pd
import pytest

from skembed.model_selection import leave_last_out, temporal_split


def test_leave_last_out():
    X, y = leave_last_out([[1, 2, 3], [4], [5, 6], []])
    assert X == [[1, 2], [5]] and y == [3, 6]
    X, y = leave_last_out([[1, 2, 3], [4, 5]], n_last=2)
    assert X == [[1]] and y == [[2, 3]]
    X, y = leave_last_out([np.array([1, 2, 3])], min_length=3)
    assert X == [[1, 2]] and y == [3]
    with pytest.raises(ValueError, match="n_last"):
        leave_last_out([[1, 2]], n_last=0)
    with pytest.raises(TypeError, match="sequence of item sequences"):
        leave_last_out("abc")


def test_temporal_split_users():
    log = pd.DataFrame({"user": [1, 1, 1, 1, 2, 2, 3, 4],
                        "item": list("abcxdeff"),
                        "t": [1, 2, 5, 7, 1, 6, 7, 2]})
    train, X, y = temporal_split(log, "user", "item", "t", cutoff=5)
    assert train == [["a", "b"], ["d"], ["f"]]
    # user 3 has no history before the cut-off, user 4 no test events
    assert X == [["a", "b"], ["d"]] and y == [["c", "x"], ["e"]]
    _, _, first = temporal_split(log, "user", "item", "t", cutoff=5, targets="first")
    assert first == ["c", "e"]
    with pytest.raises(ValueError, match="missing times"):
        temporal_split(log.assign(t=[1, None, 5, 7, 1, 6, 7, 2]), "user", "item", "t", 5)


def test_temporal_split_sessions():
    log = pd.DataFrame({"user": [1, 1, 1, 1, 1, 2, 2],
                        "item": list("abcdeuv"),
                        "t": [0, 10, 1000, 1010, 1020, 1500, 1510]})
    train, X, y = temporal_split(log, "user", "item", "t", cutoff=900, session_gap=100)
    assert train == [["a", "b"]]
    assert X == [["c", "d"], ["u"]] and y == ["e", "v"]


def session_log():
    """Sessions over 4 days; item "rare" has one event; session 9 is one
    event long."""
    day = 86400
    rows = []
    for s in range(8):
        t0 = (s // 2) * day + 100 * s
        for j, item in enumerate(["a", "b", "c", "a"][: 2 + s % 3]):
            rows.append((s, item, t0 + j))
    rows += [(8, "a", 3 * day + 5000), (8, "rare", 3 * day + 5001), (8, "b", 3 * day + 5002)]
    rows += [(9, "c", 3 * day + 6000)]
    return pd.DataFrame(rows, columns=["s", "item", "t"]).sample(frac=1, random_state=0)


def test_filter_sessions_in_session_rec_order():
    from skembed.model_selection import filter_sessions

    log = session_log()
    kept = filter_sessions(log, "s", "item", min_item_support=2)
    assert "rare" not in set(kept["item"]) and 9 not in set(kept["s"])
    # session 0 is ["a", "b"]: kept; a session left with one event is dropped
    log2 = pd.DataFrame({"s": [1, 1, 2, 2, 2], "item": ["a", "x", "a", "b", "b"]})
    assert filter_sessions(log2, "s", "item", min_item_support=2)["s"].tolist() == [2, 2, 2]
    with pytest.raises(ValueError, match="min_item_support"):
        filter_sessions(log2, "s", "item", min_item_support=0)


def test_session_split_and_windows():
    from skembed.model_selection import session_split, sliding_window_splits

    log = session_log()
    train, test = session_split(log, "s", "item", "t", test_days=1, min_item_support=2)
    # sessions ending in the last day (3 * day + ...) are tests: 6, 7, 8
    assert len(train) == 6 and len(test) == 3
    assert ["a", "b"] in test  # session 8 without "rare"
    # training sessions ordered by their last event
    assert train[0] == ["a", "b"] and train[1] == ["a", "b", "c"]
    windows = sliding_window_splits(log, "s", "item", "t", n_windows=3, train_days=1,
                                    test_days=1, shift_days=1, min_item_support=2)
    assert [(len(a), len(b)) for a, b in windows] == [(2, 2), (2, 2), (2, 3)]
    datetimes = log.assign(t=pd.to_datetime(log["t"], unit="s"))
    assert session_split(datetimes, "s", "item", "t", min_item_support=2) == (train, test)
    with pytest.raises(ValueError, match="test_days"):
        session_split(log, "s", "item", "t", test_days=0)
    with pytest.raises(KeyError):
        session_split(log, "s", "item", "time")


def test_every_next_item_and_evaluation():
    from skembed import PopularityRecommender, SequentialRulesRecommender
    from skembed.model_selection import evaluate_next_items, every_next_item

    X, y, rest = every_next_item([[1, 2, 3], [4], [5, 6]])
    assert X == [[1], [1, 2], [5]] and y == [2, 3, 6] and rest == [[2, 3], [3], [6]]
    train = [[1, 2, 3, 4]] * 20 + [[5, 6]] * 5
    test = [[1, 2, 3, 4], [5, 6]]
    m = evaluate_next_items(SequentialRulesRecommender(), train, test, k=(1, 5))
    assert m["n_predictions"] == 4 and m["HR@1"] == 1.0 and m["MRR@5"] == 1.0
    assert m["R@5"] == 1.0 and m["coverage@1"] == 4 / 6
    pop = evaluate_next_items(PopularityRecommender(exclude_seen=False), train, test, k=6)
    assert pop["HR@6"] == 1.0 and pop["popularity@6"] > 0
    last = evaluate_next_items(SequentialRulesRecommender(), train, test, k=5, last_only=True)
    assert last["n_predictions"] == 2
