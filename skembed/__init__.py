"""skembed: scikit-learn compatible embedding estimators with Numba kernels."""

from . import metrics
from .doc2vec import Doc2VecTransformer
from .entity import (
    EntityEmbeddingClassifier,
    EntityEmbeddingEncoder,
    EntityEmbeddingRegressor,
    EntityNeighborFeatures,
)
from .events import sequences_from_events
from .keyed_vectors import KeyedVectors
from .phrases import PhraseTransformer
from .recommend import (
    NearestNeighborRecommender,
    PopularityRecommender,
    SequentialRulesRecommender,
    SessionKNNRecommender,
)
from .sequences import ItemSequenceEmbedder
from .text import Word2VecTransformer
from .vectorizer import EmbeddingVectorizer

__version__ = "0.1.0.dev0"

__all__ = [
    "Doc2VecTransformer",
    "EmbeddingVectorizer",
    "EntityEmbeddingClassifier",
    "EntityEmbeddingEncoder",
    "EntityEmbeddingRegressor",
    "EntityNeighborFeatures",
    "ItemSequenceEmbedder",
    "KeyedVectors",
    "NearestNeighborRecommender",
    "PhraseTransformer",
    "PopularityRecommender",
    "SequentialRulesRecommender",
    "SessionKNNRecommender",
    "Word2VecTransformer",
    "__version__",
    "metrics",
    "sequences_from_events",
]
