"""Tests of dlbasics.optimizers.experiments: the page's experiments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlbasics import optimizers as O
from dlbasics.optimizers import experiments


def test_uncorrected_adam_first_step() -> None:
    """m₁ = (1−β₁)g, v₁ = (1−β₂)g²: the first step is lr·(1−β₁)/√(1−β₂) (ε = 0)."""
    steps = experiments._constant_gradient_steps(
        lambda p: O.UncorrectedAdam(p, lr=1.0, eps=0.0), np.ones(3)
    )
    assert steps[0, 0] == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-12)
    corrected = experiments._constant_gradient_steps(
        lambda p: O.Adam(p, lr=1.0, eps=0.0), np.ones(3)
    )
    np.testing.assert_allclose(corrected[:, 0], 1.0, rtol=1e-12)


def test_sgd_update_check_is_tiny() -> None:
    assert experiments.sgd_update_check() < 1e-12
