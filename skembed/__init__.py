"""skembed: scikit-learn compatible embedding estimators with Numba kernels."""

from .keyed_vectors import KeyedVectors
from .text import Word2VecTransformer

__version__ = "0.1.0.dev0"

__all__ = ["KeyedVectors", "Word2VecTransformer", "__version__"]
