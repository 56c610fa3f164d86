"""The weight of a second kind of network in an ensemble, fitted on held-out rows.

``numeric_bins="auto"`` trains a network on the numbers alone and one that
also reads their piecewise-linear pieces, on the same validation rows; the
ensemble is of the kind with the lower validation loss.  The other kind's
network is not thrown away: averaged in, a network that errs differently
lowers the ensemble's error even when it is the weaker one (New York Airbnb
prices, abalone, Ames, Melbourne), unless it is much weaker (California
housing, where the numbers alone lose 0.05 R²).  Its weight is the share
``alpha`` of the mixture ``(1 - alpha) * winner + alpha * other`` (the
networks' outputs: values or probabilities) with the lowest loss on those
validation rows, one number on a grid, so that it cannot overfit them.
"""

import numpy as np

from .losses import output_loss

__all__ = ["MIX_GRID", "mix_weight"]

# the other kind's share: at most an equal one
MIX_GRID = np.linspace(0.0, 0.5, 11)


def mix_weight(winner, other, y, w, task):
    """The share of ``other`` in the mixture with ``winner`` (outputs on the
    same held-out rows, targets ``y``, row weights ``w``) of lowest loss,
    from :data:`MIX_GRID` (the smallest at ties)."""
    winner = np.asarray(winner, dtype=np.float64)
    other = np.asarray(other, dtype=np.float64)
    losses = [output_loss((1 - a) * winner + a * other, y, w, task) for a in MIX_GRID]
    return float(MIX_GRID[int(np.argmin(losses))])
