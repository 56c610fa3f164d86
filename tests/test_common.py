"""scikit-learn API conformance of every public estimator.

Estimators that take 2-D numeric/categorical input go through
``parametrize_with_checks``.  Text estimators declare
``input_tags.two_d_array=False`` (text, item sequences), for which
scikit-learn's generator yields no check at all (it cannot make such data);
they run here every data-free scikit-learn check plus equivalents of the
data-dependent API checks on text or sequences.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks as ec
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.fixes import parse_version

from skembed import (
    EmbeddingVectorizer,
    EntityEmbeddingClassifier,
    EntityEmbeddingEncoder,
    EntityEmbeddingRegressor,
    EntityNeighborFeatures,
    ItemSequenceEmbedder,
    KeyedVectors,
    NearestNeighborRecommender,
    PopularityRecommender,
    SequentialRulesRecommender,
    SessionKNNRecommender,
    Word2VecTransformer,
)

DATA_FREE_CHECKS = [
    ec.check_estimator_cloneable,
    ec.check_estimator_tags_renamed,
    ec.check_valid_tag_types,
    ec.check_estimator_repr,
    ec.check_no_attributes_set_in_init,
    ec.check_do_not_raise_errors_in_init_or_set_params,
    ec.check_mixin_order,
    ec.check_get_params_invariance,
    ec.check_set_params,
    ec.check_parameters_default_constructible,
]

TEXTS = [
    "the quick brown fox jumps over the lazy dog",
    "a lazy dog sleeps all day in the sun",
    "the fox is quick and the dog is lazy",
    "sun and rain make the grass grow",
] * 5


def _id(obj):
    return getattr(obj, "__name__", type(obj).__name__)


SESSIONS = [[1, 2, 3, 4], [2, 3, 4, 5], [10, 11, 12], [11, 12, 13, 10]] * 5
NEXT_ITEMS = [5, 1, 13, 12] * 5

# estimators whose input is not a 2-D array: (estimator, X, y)
_VECTORS = KeyedVectors(["fox", "dog", "lazy", "sun", "quick"],
                        np.random.RandomState(0).randn(5, 4))
SEQUENCE_ESTIMATORS = [
    (Word2VecTransformer(vector_size=8, min_count=1, random_state=0), TEXTS, None),
    (EmbeddingVectorizer(_VECTORS, doc_vector="tfidf"), TEXTS, None),
    (ItemSequenceEmbedder(vector_size=8, random_state=0), SESSIONS, None),
    (NearestNeighborRecommender(ItemSequenceEmbedder(vector_size=8, random_state=0),
                                n_recommendations=3, random_state=0), SESSIONS, NEXT_ITEMS),
    (SequentialRulesRecommender(n_recommendations=3), SESSIONS, NEXT_ITEMS),
    (SessionKNNRecommender(n_recommendations=3), SESSIONS, NEXT_ITEMS),
    (PopularityRecommender(n_recommendations=3), SESSIONS, NEXT_ITEMS),
]


@pytest.mark.parametrize("estimator", [e for e, _, _ in SEQUENCE_ESTIMATORS], ids=_id)
@pytest.mark.parametrize("check", DATA_FREE_CHECKS, ids=_id)
def test_sklearn_data_free_checks(estimator, check):
    check(type(estimator).__name__, clone(estimator))


def _output(est, X):
    return est.transform(X) if hasattr(est, "transform") else est.predict(X)


@pytest.mark.parametrize("estimator, X, y", SEQUENCE_ESTIMATORS,
                         ids=[_id(e) for e, _, _ in SEQUENCE_ESTIMATORS])
def test_sequence_api_checks(estimator, X, y):
    """The data-dependent API checks of scikit-learn, on text or sequences."""
    est = clone(estimator)
    params = est.get_params(deep=True)
    with pytest.raises(NotFittedError):
        _output(est, X)
    assert est.fit(X, y) is est  # fit returns self
    # fit does not change or add public params
    assert est.get_params(deep=True) == params
    out = _output(est, X)
    assert out.shape[0] == len(X)
    # idempotent fit with a fixed seed
    np.testing.assert_array_equal(_output(clone(est).fit(X, y), X), out)
    # pickling keeps the fitted state
    np.testing.assert_array_equal(_output(pickle.loads(pickle.dumps(est)), X), out)
    tags = est.__sklearn_tags__()
    assert not tags.input_tags.two_d_array
    if hasattr(est, "transform"):
        assert np.isfinite(out).all()
        # fit_transform agrees with fit().transform()
        np.testing.assert_allclose(clone(est).fit_transform(X), out, rtol=1e-5, atol=1e-7)
        # feature names match the output width
        assert len(est.get_feature_names_out()) == out.shape[1]
    else:
        assert 0.0 <= est.score(X, y) <= 1.0


# -- entity embeddings ----------------------------------------------------------
_SGD_WEIGHTS = ("minibatch SGD: a weight of 2 and a duplicated row give different "
                "stochastic paths, equal only in expectation")
ENTITY_ESTIMATORS = [
    EntityEmbeddingEncoder(embedding_dims=2, hidden_layer_sizes=(8,), max_iter=5,
                           batch_size=32, cv=None, random_state=0),
    EntityEmbeddingEncoder(embedding_dims=2, hidden_layer_sizes=(8,), max_iter=10,
                           learning_rate=1e-2, batch_size=32, cv=3, random_state=0),
    EntityEmbeddingRegressor(hidden_layer_sizes=(16,), max_iter=30, batch_size=16,
                             learning_rate=1e-2, random_state=0),
    EntityEmbeddingClassifier(hidden_layer_sizes=(16,), max_iter=30, batch_size=16,
                              learning_rate=1e-2, random_state=0),
]


def _entity_expected_failures(estimator):
    failures = {"check_sample_weight_equivalence_on_dense_data": _SGD_WEIGHTS}
    if parse_version(sklearn.__version__) < parse_version("1.7"):
        failures["check_positive_only_tag_during_fit"] = (
            "scikit-learn 1.6's check subtracts a mean from the string array its own "
            "input tags make for estimators that take strings (fixed in 1.7)")
    return failures


@parametrize_with_checks(ENTITY_ESTIMATORS, expected_failed_checks=_entity_expected_failures)
def test_entity_sklearn_compatible(estimator, check):
    check(estimator)


# -- every estimator: no process-wide side effects, persistence, faults --------
def _entity_data():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"shop": rng.choice(list("abcd"), 120), "x": rng.normal(size=120)})
    return X, X["x"] * 2 + (X["shop"] == "a")


_EX, _EY = _entity_data()
ALL_ESTIMATORS = [
    *SEQUENCE_ESTIMATORS,
    (EntityEmbeddingEncoder(embedding_dims=2, hidden_layer_sizes=(4,), max_iter=2,
                            random_state=0), _EX[["shop"]], _EY),
    (EntityEmbeddingRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0),
     _EX, _EY),
    (EntityEmbeddingClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0),
     _EX, _EY > _EY.median()),
    (EntityNeighborFeatures(EntityEmbeddingRegressor(hidden_layer_sizes=(4,), max_iter=2,
                                                     random_state=0),
                            entity="shop", attributes=["kind"], n_neighbors=2),
     _EX.assign(kind=_EX["shop"].map(dict(a="big", b="big", c="small", d="small"))), _EY),
]
_IDS = [_id(e) for e, _, _ in ALL_ESTIMATORS]


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [(p["internal_api"], p["num_threads"]) for p in threadpool_info()]


@pytest.mark.parametrize("estimator, X, y", ALL_ESTIMATORS, ids=_IDS)
def test_no_process_wide_side_effects(estimator, X, y):
    import warnings

    import numba

    before = (numba.get_num_threads(), _blas_threads(), np.random.get_state()[1].copy(),  # noqa: NPY002
              list(warnings.filters))
    est = clone(estimator)
    if "n_jobs" in est.get_params():
        est.set_params(n_jobs=2)
    _output(est.fit(X, y), X)
    after = (numba.get_num_threads(), _blas_threads(), np.random.get_state()[1],  # noqa: NPY002
             list(warnings.filters))
    assert after[0] == before[0] and after[1] == before[1]
    np.testing.assert_array_equal(after[2], before[2])  # the global RNG is untouched
    assert after[3] == before[3]


@pytest.mark.parametrize("estimator, X, y", ALL_ESTIMATORS, ids=_IDS)
def test_skops_round_trip(estimator, X, y):
    sio = pytest.importorskip("skops.io")
    est = clone(estimator).fit(X, y)
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(t.startswith(("skembed.", "numpy.", "scipy.", "collections.")) or
               t in ("builtins.slice",) for t in untrusted), untrusted
    back = sio.loads(data, trusted=untrusted)
    out, out_back = _output(est, X), _output(back, X)
    if isinstance(out, np.ndarray) and out.dtype.kind == "f":
        np.testing.assert_allclose(out_back, out, rtol=1e-6)
    else:
        np.testing.assert_array_equal(out_back, out)


@pytest.mark.parametrize("estimator, X, y", ALL_ESTIMATORS, ids=_IDS)
def test_interrupted_fit_leaves_the_estimator_unfitted(estimator, X, y, monkeypatch):
    est = clone(estimator).fit(X, y)  # fitted once, then a refit is interrupted

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    # interrupt inside the training loop of each family
    import skembed.entity.network as network
    import skembed.recommend._base as rbase
    import skembed.vectorizer as vectorizer
    import skembed.word2vec.trainer as trainer

    monkeypatch.setattr(trainer, "train", interrupt)
    monkeypatch.setattr(network, "train_network", interrupt)
    monkeypatch.setattr(vectorizer.DocumentVectorsMixin, "_learn_pooling", interrupt)
    monkeypatch.setattr(rbase.Catalogue, "from_sequences", interrupt)
    import skembed.entity._base as ebase

    monkeypatch.setattr(ebase, "train_network", interrupt)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        _output(est, X)
    monkeypatch.undo()
    assert _output(est.fit(X, y), X).shape[0] == len(X)  # the next fit works
