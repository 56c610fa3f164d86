import numpy as np
import pytest

from skembed.metrics import hit_rate_at_k, mrr, ndcg_at_k


def test_metrics_on_known_ranks():
    y = ["a", "b", "c", "d"]
    recs = [["a", "x", "y"], ["x", "b", "y"], ["x", "y", "c"], ["x", "y", "z"]]
    assert hit_rate_at_k(y, recs, k=3) == 0.75
    assert hit_rate_at_k(y, recs, k=1) == 0.25
    assert ndcg_at_k(y, recs, k=3) == pytest.approx((1 + 1 / np.log2(3) + 1 / np.log2(4)) / 4)
    assert mrr(y, recs) == pytest.approx((1 + 1 / 2 + 1 / 3) / 4)
    assert mrr(y, recs, k=2) == pytest.approx((1 + 1 / 2) / 4)


def test_metrics_accept_arrays_and_check_lengths():
    y = np.array([3, 4])
    recs = np.array([[1, 3], [4, 2]])
    assert hit_rate_at_k(y, recs, k=2) == 1.0
    assert mrr(y, recs) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="entries"):
        hit_rate_at_k([1], recs)
    with pytest.raises(ValueError, match="k must"):
        ndcg_at_k(y, recs, k=0)
