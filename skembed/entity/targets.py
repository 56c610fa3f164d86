"""Target validation shared by the entity estimators."""

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import column_or_1d


def check_regression_target(y):
    """1-D finite float64 regression target (NaN/inf -> ValueError)."""
    y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    return column_or_1d(y, warn=True)
