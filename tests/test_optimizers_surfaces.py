"""dlbasics.optimizers.surfaces: the surfaces' minima and the trajectory runner."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics import optimizers as O


def test_surfaces_have_their_minimum_where_stated() -> None:
    for surface in O.SURFACES.values():
        x, y = surface.minimum
        gx, gy = np.meshgrid(np.linspace(x - 0.1, x + 0.1, 21), np.linspace(y - 0.1, y + 0.1, 21))
        assert surface.func(x, y) <= surface.func(gx, gy).min() + 1e-12, surface.name
    assert O.saddle(0.0, 2**0.5) == pytest.approx(-1.0)
    assert O.quadratic(1.0, 1.0, condition=50) == pytest.approx(25.5)


def test_trajectory_matches_manual_gradient_descent() -> None:
    path = O.trajectory(lambda p: O.SGD(p, lr=0.1), "quadratic", (2.0, 1.0), 10)
    assert path.shape == (11, 2)
    expected = np.array([2.0, 1.0]) * np.array([0.9, 1 - 0.1 * 25]) ** np.arange(11)[:, None]
    np.testing.assert_allclose(path, expected, rtol=1e-12)


def test_trajectory_stops_with_nan_after_divergence() -> None:
    path = O.trajectory(lambda p: O.SGD(p, lr=10.0), "rosenbrock", (-1.5, 2.5), 50)
    assert np.isnan(path[-1]).all() and np.isfinite(path[0]).all()
