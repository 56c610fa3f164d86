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
