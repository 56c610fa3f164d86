"""Next-item and related-item recommenders sharing one fit/predict/recommend API.

- :class:`NearestNeighborRecommender`: item2vec, sequential rules,
  session-kNN and popularity blended (weights chosen on a validation split);
- :class:`SequentialRulesRecommender`: sequential rules / co-occurrence;
- :class:`SessionKNNRecommender`: session-based k nearest neighbours;
- :class:`PopularityRecommender`: the most frequent items.
"""

from ._base import BaseRecommender
from .hybrid import NearestNeighborRecommender
from .popularity import PopularityRecommender
from .rules import SequentialRulesRecommender
from .session_knn import SessionKNNRecommender

__all__ = [
    "BaseRecommender",
    "NearestNeighborRecommender",
    "PopularityRecommender",
    "SequentialRulesRecommender",
    "SessionKNNRecommender",
]
