"""scikit-learn API conformance of every public estimator.

Estimators that take 2-D numeric/categorical input go through
``parametrize_with_checks``.  Text estimators declare
``input_tags.two_d_array=False``, for which scikit-learn's generator yields
no check at all (it cannot make text); they run here every data-free
scikit-learn check plus text equivalents of the data-dependent API checks.
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks as ec

from skembed import Word2VecTransformer

TEXT_ESTIMATORS = [Word2VecTransformer(vector_size=8, min_count=1, random_state=0)]

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


@pytest.mark.parametrize("estimator", TEXT_ESTIMATORS, ids=_id)
@pytest.mark.parametrize("check", DATA_FREE_CHECKS, ids=_id)
def test_sklearn_data_free_checks(estimator, check):
    check(type(estimator).__name__, clone(estimator))


@pytest.mark.parametrize("estimator", TEXT_ESTIMATORS, ids=_id)
def test_text_api_checks(estimator):
    est = clone(estimator)
    params = est.get_params(deep=True)
    with pytest.raises(NotFittedError):
        est.transform(TEXTS)
    assert est.fit(TEXTS) is est  # fit returns self
    # fit does not change or add public params
    assert est.get_params(deep=True) == params
    Xt = est.transform(TEXTS)
    assert Xt.shape[0] == len(TEXTS) and np.isfinite(Xt).all()
    # idempotent fit with a fixed seed
    np.testing.assert_array_equal(clone(est).fit(TEXTS).transform(TEXTS), Xt)
    # fit_transform agrees with fit().transform()
    np.testing.assert_allclose(clone(est).fit_transform(TEXTS), Xt, rtol=1e-5, atol=1e-7)
    # pickling keeps the fitted state
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).transform(TEXTS), Xt)
    # feature names match the output width
    assert len(est.get_feature_names_out()) == Xt.shape[1]
    tags = est.__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array
