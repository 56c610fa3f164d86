"""scikit-learn API conformance of every public estimator.

Estimators that take 2-D numeric/categorical input go through
``parametrize_with_checks``.  Text estimators declare
``input_tags.two_d_array=False`` (text, item sequences), for which
scikit-learn's generator yields no check at all (it cannot make such data);
they run here every scikit-learn check that needs no data (and
``check_param_validation``), equivalents of the data-dependent API checks
on text or sequences, and each remaining check is listed with the reason it
does not apply (SEQUENCE_CHECKS).
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
    Doc2VecTransformer,
    EmbeddingVectorizer,
    EntityEmbeddingClassifier,
    EntityEmbeddingEncoder,
    EntityEmbeddingRegressor,
    EntityNeighborFeatures,
    ItemSequenceEmbedder,
    KeyedVectors,
    NearestNeighborRecommender,
    PhraseTransformer,
    PopularityRecommender,
    SequentialRulesRecommender,
    SessionKNNRecommender,
    Word2VecTransformer,
)

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
    (Doc2VecTransformer(vector_size=8, min_count=1, random_state=0), TEXTS, None),
    (PhraseTransformer(min_count=2, threshold=1.0), TEXTS, None),
    (EmbeddingVectorizer(_VECTORS, doc_vector="tfidf"), TEXTS, None),
    (ItemSequenceEmbedder(vector_size=8, random_state=0), SESSIONS, None),
    (NearestNeighborRecommender(ItemSequenceEmbedder(vector_size=8, random_state=0),
                                n_recommendations=3, random_state=0), SESSIONS, NEXT_ITEMS),
    (SequentialRulesRecommender(n_recommendations=3), SESSIONS, NEXT_ITEMS),
    (SessionKNNRecommender(n_recommendations=3), SESSIONS, NEXT_ITEMS),
    (PopularityRecommender(n_recommendations=3), SESSIONS, NEXT_ITEMS),
]


# scikit-learn's checks, classified for the estimators whose input is text or
# item sequences (``input_tags.two_d_array=False``: parametrize_with_checks
# yields nothing for them, since it generates 2-D numeric data).  None: the
# check runs as it is (it needs no data, or fails on invalid parameters before
# looking at the data).  EQUIVALENT: test_sequence_api_checks runs the same
# test on text or sequences.  Any other string: why the check does not apply.
EQUIVALENT = "an equivalent on text or sequences runs in test_sequence_api_checks"
NUMERIC = "numeric 2-D input: the input is text or sequences of hashable item ids"
SEQUENCE_CHECKS = {
    "check_param_validation": None,
    "check_estimator_cloneable": None,
    "check_estimator_repr": None,
    "check_estimator_tags_renamed": None,
    "check_valid_tag_types": None,
    "check_no_attributes_set_in_init": None,
    "check_do_not_raise_errors_in_init_or_set_params": None,
    "check_mixin_order": None,
    "check_get_params_invariance": None,
    "check_set_params": None,
    "check_parameters_default_constructible": None,
    "check_estimator_sparse_tag": None,
    "check_estimators_unfitted": EQUIVALENT,
    "check_transformers_unfitted": EQUIVALENT,
    "check_estimators_fit_returns_self": EQUIVALENT,
    "check_fit_score_takes_y": EQUIVALENT,
    "check_dont_overwrite_parameters": EQUIVALENT,
    "check_estimators_overwrite_params": EQUIVALENT,
    "check_fit_idempotent": EQUIVALENT,
    "check_fit_check_is_fitted": EQUIVALENT,
    "check_estimators_pickle": EQUIVALENT,
    "check_dict_unchanged": EQUIVALENT,
    "check_methods_sample_order_invariance": EQUIVALENT,
    "check_methods_subset_invariance": EQUIVALENT,
    "check_pipeline_consistency": EQUIVALENT,
    "check_transformer_general": EQUIVALENT,
    "check_transformer_data_not_an_array": EQUIVALENT + " (lists; pandas Series in "
                                                        "test_text and test_sequences)",
    "check_estimators_empty_data_messages": EQUIVALENT,
    "check_fit1d": EQUIVALENT + " (one sequence not wrapped in a list is rejected)",
    "check_n_features_in": "no feature columns: n_features_in_ is not defined for text "
                           "or item sequences",
    "check_n_features_in_after_fitting": "no feature columns (as check_n_features_in)",
    "check_fit2d_1sample": NUMERIC,
    "check_fit2d_1feature": NUMERIC,
    "check_fit2d_predict1d": NUMERIC,
    "check_array_api_input": NUMERIC,
    "check_complex_data": NUMERIC,
    "check_dtype_object": NUMERIC,
    "check_estimators_dtypes": NUMERIC,
    "check_estimators_nan_inf": NUMERIC + " (a missing item id is rejected: "
                                          "test_sequences, test_recommend)",
    "check_f_contiguous_array_estimator": NUMERIC,
    "check_readonly_memmap_input": NUMERIC,
    "check_estimator_sparse_array": NUMERIC,
    "check_estimator_sparse_matrix": NUMERIC,
    "check_positive_only_tag_during_fit": NUMERIC,
    "check_transformer_preserve_dtypes": "the output is float32 vectors whatever the "
                                         "input; text has no float dtype to preserve",
    "check_transformer_n_iter": "for iterative transformers with max_iter",
}


def _tabular_check_names(estimator):
    """The checks scikit-learn would run on ``estimator`` if it took 2-D
    input (its own tags otherwise unchanged)."""
    est = clone(estimator)
    tags = est.__sklearn_tags__()
    tags.input_tags.two_d_array = True
    est.__sklearn_tags__ = lambda: tags
    return {getattr(check, "func", check).__name__
            for _, check in ec.estimator_checks_generator(est, legacy=True)}


@pytest.mark.parametrize("estimator", [e for e, _, _ in SEQUENCE_ESTIMATORS], ids=_id)
def test_every_sklearn_check_is_run_or_explained(estimator):
    """A check that a new scikit-learn adds must be classified above."""
    missing = _tabular_check_names(estimator) - set(SEQUENCE_CHECKS)
    assert not missing, f"classify these scikit-learn checks in SEQUENCE_CHECKS: {missing}"


@pytest.mark.parametrize("estimator", [e for e, _, _ in SEQUENCE_ESTIMATORS], ids=_id)
@pytest.mark.parametrize("check", [name for name, why in SEQUENCE_CHECKS.items()
                                   if why is None])
def test_sklearn_checks_that_need_no_data(estimator, check):
    getattr(ec, check)(type(estimator).__name__, clone(estimator))


# transformers whose fit_transform is not fit(X).transform(X), and why
FIT_TRANSFORM_DIFFERS = {
    "Doc2VecTransformer": "fit_transform returns the trained document vectors (dv_, "
                          "scaled to unit length); "
                          "transform infers vectors afresh (gensim's infer_vector): close, "
                          "not equal",
}


def _exactly(a, b):
    if isinstance(a, list):
        assert a == b
    else:
        np.testing.assert_array_equal(a, b)


def _output(est, X):
    return est.transform(X) if hasattr(est, "transform") else est.predict(X)


def _same(a, b):
    if isinstance(a, list):  # token lists (PhraseTransformer)
        assert a == b
    elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("estimator, X, y", SEQUENCE_ESTIMATORS,
                         ids=[_id(e) for e, _, _ in SEQUENCE_ESTIMATORS])
def test_sequence_api_checks(estimator, X, y):
    """The data-dependent API checks of scikit-learn, on text or sequences
    (the EQUIVALENT entries of SEQUENCE_CHECKS)."""
    import inspect

    from sklearn.pipeline import make_pipeline
    from sklearn.utils.validation import check_is_fitted

    est = clone(estimator)
    params = est.get_params(deep=True)
    # unfitted: a NotFittedError, and check_is_fitted says so
    with pytest.raises(NotFittedError):
        _output(est, X)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    # fit takes (X, y), returns self, does not change or add public params
    assert list(inspect.signature(est.fit).parameters)[:2] == ["X", "y"]
    assert est.fit(X, y) is est
    check_is_fitted(est)
    assert est.get_params(deep=True) == params
    assert all(k in params for k in vars(est) if not k.startswith("_") and not k.endswith("_"))
    out = _output(est, X)
    assert len(out) == len(X)
    # inference leaves the fitted state alone
    state = dict(vars(est))
    _output(est, X)
    assert vars(est).keys() == state.keys()
    assert all(vars(est)[k] is v for k, v in state.items())
    # rows are independent of the rest of the batch: order and subsets
    _same(_output(est, X[::-1]), out[::-1])
    _same(_output(est, X[:7]), out[:7])
    # idempotent fit with a fixed seed; a pipeline gives the same
    _exactly(_output(clone(est).fit(X, y), X), out)
    _exactly(_output(make_pipeline(clone(est)).fit(X, y), X), out)
    # pickling keeps the fitted state
    _exactly(_output(pickle.loads(pickle.dumps(est)), X), out)
    # empty data, and one sequence not wrapped in a list, are errors
    with pytest.raises(ValueError):
        clone(est).fit([], None if y is None else [])
    with pytest.raises((ValueError, TypeError)):
        clone(est).fit(X[0], y)
    tags = est.__sklearn_tags__()
    assert not tags.input_tags.two_d_array
    if isinstance(out, list):  # token lists in, token lists out
        assert all(isinstance(t, str) for doc in out for t in doc)
        assert clone(est).fit_transform(X) == out
    elif hasattr(est, "transform"):
        assert np.isfinite(out).all()
        if type(est).__name__ in FIT_TRANSFORM_DIFFERS:
            # the trained vectors, those of fit (rows scaled to unit length)
            trained = est.dv_.vectors
            np.testing.assert_allclose(
                clone(est).fit_transform(X),
                trained / np.linalg.norm(trained, axis=1, keepdims=True), rtol=1e-6)
        else:  # fit_transform agrees with fit().transform()
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


_CROSS_FITTED = ("fit_transform returns out-of-fold (cross-fitted) embeddings by design, "
                 "as TargetEncoder; transform uses the full fit")


def _entity_expected_failures(estimator):
    failures = {"check_sample_weight_equivalence_on_dense_data": _SGD_WEIGHTS}
    if getattr(estimator, "cv", None) is not None:
        for check in ("check_transformer_general", "check_transformer_data_not_an_array"):
            failures[check] = _CROSS_FITTED
    if parse_version(sklearn.__version__) < parse_version("1.7"):
        failures["check_positive_only_tag_during_fit"] = (
            "scikit-learn 1.6's check subtracts a mean from the string array its own "
            "input tags make for estimators that take strings (fixed in 1.7)")
    return failures


@parametrize_with_checks(ENTITY_ESTIMATORS, expected_failed_checks=_entity_expected_failures)
def test_entity_sklearn_compatible(estimator, check):
    check(estimator)


# check_param_validation is not among parametrize_with_checks' checks
@pytest.mark.parametrize("estimator", [
    EntityEmbeddingEncoder(), EntityEmbeddingRegressor(), EntityEmbeddingClassifier(),
    EntityNeighborFeatures(EntityEmbeddingRegressor(), entity="shop", attributes=["kind"]),
], ids=_id)
def test_entity_param_validation(estimator):
    ec.check_param_validation(type(estimator).__name__, estimator)


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
    if isinstance(out, list):
        assert out_back == out
    elif isinstance(out, np.ndarray) and out.dtype.kind == "f":
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
    import skembed.phrases as phrases
    import skembed.recommend._base as rbase
    import skembed.vectorizer as vectorizer
    import skembed.word2vec.trainer as trainer

    monkeypatch.setattr(trainer, "train", interrupt)
    monkeypatch.setattr(phrases, "count_block", interrupt)
    monkeypatch.setattr(network, "train_network", interrupt)
    monkeypatch.setattr(vectorizer.DocumentVectorsMixin, "_learn_pooling", interrupt)
    monkeypatch.setattr(rbase.Catalogue, "from_sequences", interrupt)
    import skembed.entity.training as ebase

    monkeypatch.setattr(ebase, "train_network", interrupt)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        _output(est, X)
    monkeypatch.undo()
    assert len(_output(est.fit(X, y), X)) == len(X)  # the next fit works
