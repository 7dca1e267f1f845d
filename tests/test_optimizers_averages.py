"""dlbasics.optimizers.averages: the EMA against its closed form, the window mass, the heavy-ball
rate against numpy eigenvalues and torch paths, and Polyak's setting on a grid."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbasics import optimizers as O


@settings(deadline=None, max_examples=40)
@given(
    beta=st.floats(0.0, 0.999),
    x=st.lists(st.floats(-100, 100), min_size=1, max_size=60),
)
def test_ema_closed_form(beta: float, x: list[float]) -> None:
    values = np.array(x)
    out = O.ema(values, beta)
    for t in range(1, len(values) + 1):
        closed = sum((1 - beta) * beta**k * values[t - 1 - k] for k in range(t))
        assert out[t - 1] == pytest.approx(closed, rel=1e-9, abs=1e-9)
    corrected = O.ema(values, beta, bias_correction=True)
    t = np.arange(1, len(values) + 1)
    np.testing.assert_allclose(corrected, out / (1 - beta**t), rtol=1e-12, atol=1e-12)


def test_ema_bias_correction_recovers_a_constant() -> None:
    np.testing.assert_allclose(O.ema(np.full(30, 7.0), 0.9, bias_correction=True), 7.0, rtol=1e-12)
    assert O.ema(np.full(30, 7.0), 0.9)[0] == pytest.approx(0.7)


def test_ema_on_2d_series_is_columnwise() -> None:
    x = np.random.default_rng(0).normal(size=(20, 3))
    out = O.ema(x, 0.8, bias_correction=True)
    for j in range(3):
        np.testing.assert_allclose(out[:, j], O.ema(x[:, j], 0.8, bias_correction=True))


def test_effective_window() -> None:
    assert O.effective_window(0.9) == pytest.approx(10)
    assert O.effective_window(0.98) == pytest.approx(50)
    assert O.effective_window(0.5) == pytest.approx(2)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.98])
def test_window_mass_closed_form(beta: float) -> None:
    for n in (1, 5, 50):
        assert O.window_mass(beta, n) == pytest.approx(1 - beta**n, rel=1e-9)


def companion_radius(lr: float, beta: float, h: float) -> float:
    """Spectral radius of the heavy-ball iteration matrix, by numpy's eigenvalues."""
    matrix = np.array([[1 + beta - lr * h, -beta], [1.0, 0.0]])
    return float(np.abs(np.linalg.eigvals(matrix)).max())


@settings(deadline=None, max_examples=200)
@given(lr=st.floats(0.0, 2.0), beta=st.floats(0.0, 0.99), h=st.floats(0.0, 50.0))
def test_heavy_ball_rate_is_the_spectral_radius(lr: float, beta: float, h: float) -> None:
    # a double eigenvalue is ill-conditioned for eigvals (error ~ √machine-ε), hence the atol
    assert O.heavy_ball_rate(lr, beta, h) == pytest.approx(
        companion_radius(lr, beta, h), rel=1e-6, abs=1e-6
    )


@pytest.mark.parametrize(("lr", "beta"), [(0.01, 0.9), (0.05, 0.3), (0.075, 0.0), (0.02, 0.6)])
def test_heavy_ball_rate_matches_a_torch_path(lr: float, beta: float) -> None:
    """The error of torch's SGD along a direction of curvature h shrinks by the rate per step."""
    h = 20.0
    path = O.trajectory(
        lambda p: torch.optim.SGD(p, lr=lr, momentum=beta),
        lambda x, y: 0.5 * h * (x**2 + y**2),
        (1.0, 0.0),
        400,
    )
    error = np.abs(path[:, 0])
    # the envelope: the largest |error| over 60-step windows, 300 steps apart
    measured = (error[340:400].max() / error[40:100].max()) ** (1 / 300)
    assert measured == pytest.approx(O.heavy_ball_rate(lr, beta, h), abs=2e-3)


def test_heavy_ball_rate_while_oscillating_is_root_beta() -> None:
    for h in (5.0, 10.0, 20.0):
        assert O.heavy_ball_rate(0.05, 0.81, h) == pytest.approx(0.9, rel=1e-12)
    assert O.heavy_ball_rate(0.075, 0.0, 25.0) == pytest.approx(0.875, rel=1e-12)  # |1 − lr h|


@pytest.mark.parametrize("kappa", [4.0, 25.0, 100.0, 1000.0])
def test_polyak_momentum_is_optimal_on_a_grid(kappa: float) -> None:
    lr, beta = O.polyak_momentum(kappa, 1.0)
    assert lr == pytest.approx(4 / (math.sqrt(kappa) + 1) ** 2, rel=1e-12)
    assert beta == pytest.approx(((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2)
    best = max(O.heavy_ball_rate(lr, beta, kappa), O.heavy_ball_rate(lr, beta, 1.0))
    assert best == pytest.approx(math.sqrt(beta), rel=1e-6)
    grid = [
        max(O.heavy_ball_rate(a, b, kappa), O.heavy_ball_rate(a, b, 1.0))
        for a in np.geomspace(lr / 10, lr * 2, 80)
        for b in np.linspace(0, 0.99, 80)
    ]
    assert min(grid) >= best - 1e-9
    # the textbook step α = lr / (1 − β): 0.2 for κ = 25
    if kappa == 25.0:
        assert lr / (1 - beta) == pytest.approx(0.2, rel=1e-12)
