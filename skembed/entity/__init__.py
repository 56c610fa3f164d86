"""Entity embeddings of categorical variables (Guo & Berkhahn 2016)."""

from .encoder import EntityEmbeddingEncoder
from .estimators import EntityEmbeddingClassifier, EntityEmbeddingRegressor
from .neighbors import EntityNeighborFeatures

__all__ = ["EntityEmbeddingClassifier", "EntityEmbeddingEncoder", "EntityEmbeddingRegressor",
           "EntityNeighborFeatures"]
