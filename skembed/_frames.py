"""Data frames of other libraries, as the pandas frames skembed reads."""


def is_dataframe(X):
    """A 2-D frame (pandas, or anything with ``iloc`` and ``dtypes``)."""
    return hasattr(X, "iloc") and hasattr(X, "dtypes") and getattr(X, "ndim", 0) == 2


def to_pandas(X):
    """A polars DataFrame or Series as pandas (built column by column from
    numpy, so pyarrow is not needed); anything else unchanged.

    Strings and polars categoricals become object columns (categories for
    ``categorical_features="auto"``), numbers keep their type, nulls become
    NaN (or None in object columns).
    """
    if not type(X).__module__.startswith("polars"):
        return X
    import pandas as pd

    if hasattr(X, "get_column"):  # a DataFrame
        return pd.DataFrame({name: X.get_column(name).to_numpy() for name in X.columns})
    return pd.Series(X.to_numpy(), name=X.name)
