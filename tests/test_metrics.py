import numpy as np
import pytest

from skembed.metrics import (
    average_precision_at_k,
    catalogue_coverage,
    hit_rate_at_k,
    mrr,
    ndcg_at_k,
    popularity_bias,
    precision_at_k,
    recall_at_k,
)


def test_metrics_on_known_ranks():
    y = ["a", "b", "c", "d"]
    recs = [["a", "x", "y"], ["x", "b", "y"], ["x", "y", "c"], ["x", "y", "z"]]
    assert hit_rate_at_k(y, recs, k=3) == 0.75
    assert hit_rate_at_k(y, recs, k=1) == 0.25
    assert ndcg_at_k(y, recs, k=3) == pytest.approx((1 + 1 / np.log2(3) + 1 / np.log2(4)) / 4)
    assert mrr(y, recs) == pytest.approx((1 + 1 / 2 + 1 / 3) / 4)
    assert mrr(y, recs, k=2) == pytest.approx((1 + 1 / 2) / 4)
    # one relevant item: MAP@k is MRR@k, recall@k the hit rate
    assert average_precision_at_k(y, recs, k=3) == pytest.approx(mrr(y, recs, k=3))
    assert recall_at_k(y, recs, k=3) == 0.75
    assert precision_at_k(y, recs, k=3) == pytest.approx(3 / 12)


def test_several_relevant_items():
    y = [["a", "b", "c"], {"z"}, np.array(["q", "r"])]
    recs = [["b", "x", "a", "y"], ["z", "z"], ["x", "y"]]
    assert hit_rate_at_k(y, recs, k=4) == pytest.approx(2 / 3)
    assert precision_at_k(y, recs, k=4) == pytest.approx((2 / 4 + 1 / 4 + 0) / 3)
    assert recall_at_k(y, recs, k=4) == pytest.approx((2 / 3 + 1 + 0) / 3)
    ap0 = (1 + 2 / 3) / 3  # hits at ranks 1 and 3, min(3 relevant, k=4)
    assert average_precision_at_k(y, recs, k=4) == pytest.approx((ap0 + 1 + 0) / 3)
    dcg0 = 1 + 1 / np.log2(4)
    idcg0 = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert ndcg_at_k(y, recs, k=4) == pytest.approx((dcg0 / idcg0 + 1 + 0) / 3)
    # a tuple is one item id, not a collection
    assert hit_rate_at_k([("a", 1)], [[("a", 1)]]) == 1.0


def test_padding_is_never_an_item():
    recs = np.ma.masked_array([[5, -1]], mask=[[False, True]])
    assert hit_rate_at_k([-1], recs) == 0.0 and hit_rate_at_k([5], recs) == 1.0
    assert hit_rate_at_k([None], [[None, "a"]]) == 0.0
    assert precision_at_k([5], recs, k=2) == 0.5


def test_coverage_and_popularity_bias():
    recs = [["a", "b"], ["a", "c"]]
    assert catalogue_coverage(recs, ["a", "b", "c", "d"]) == 0.75
    assert catalogue_coverage(recs, 8, k=1) == pytest.approx(1 / 8)
    counts = {"a": 10, "b": 1, "c": 1, "d": 0}
    assert popularity_bias([["a"]], counts) == pytest.approx(10 / 3)
    assert popularity_bias(recs, counts) == pytest.approx(5.5 / 3)
    with pytest.raises(TypeError, match="mapping"):
        popularity_bias(recs, [1, 2])
    with pytest.raises(ValueError, match="at least one"):
        catalogue_coverage(recs, [])


def test_metrics_accept_arrays_and_check_lengths():
    y = np.array([3, 4])
    recs = np.array([[1, 3], [4, 2]])
    assert hit_rate_at_k(y, recs, k=2) == 1.0
    assert mrr(y, recs) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="entries"):
        hit_rate_at_k([1], recs)
    with pytest.raises(ValueError, match="k must"):
        ndcg_at_k(y, recs, k=0)
    assert hit_rate_at_k([], []) == 0.0


def test_next_item_metrics_agree_with_the_single_metrics():
    from skembed.metrics import (
        average_precision_at_k,
        catalogue_coverage,
        hit_rate_at_k,
        mrr,
        next_item_metrics,
        popularity_bias,
        precision_at_k,
        recall_at_k,
    )

    rng = np.random.RandomState(0)
    recs = [rng.choice(30, 12, replace=False).tolist() for _ in range(200)]
    rest = [rng.choice(30, rng.randint(1, 6), replace=False).tolist() for _ in range(200)]
    y = [r[0] for r in rest]
    counts = {i: int(c) for i, c in enumerate(rng.randint(1, 50, 30))}
    m = next_item_metrics(y, recs, rest, k=(5, 10), catalogue=list(range(30)),
                          item_counts=counts)
    for k in (5, 10):
        assert m[f"HR@{k}"] == pytest.approx(hit_rate_at_k(y, recs, k))
        assert m[f"MRR@{k}"] == pytest.approx(mrr(y, recs, k))
        assert m[f"P@{k}"] == pytest.approx(precision_at_k(rest, recs, k))
        assert m[f"R@{k}"] == pytest.approx(recall_at_k(rest, recs, k))
        assert m[f"MAP@{k}"] == pytest.approx(average_precision_at_k(rest, recs, k))
        assert m[f"coverage@{k}"] == catalogue_coverage(recs, list(range(30)), k)
        assert m[f"popularity_bias@{k}"] == pytest.approx(popularity_bias(recs, counts, k))
    with pytest.raises(ValueError, match="rows"):
        next_item_metrics(y[:3], recs)
