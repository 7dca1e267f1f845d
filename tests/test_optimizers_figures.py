"""Tests of dlbasics.optimizers.figures: every figure of the page renders from small data."""

from __future__ import annotations

import numpy as np
import pytest

from dlbasics.optimizers import experiments, figures

from .test_plotting_explorable import frames_of


def test_one_style_per_optimizer() -> None:
    styles = list(figures.OPTIMIZER_STYLES.values())
    assert len({c for c, _ in styles}) == len(styles)
    assert len({str(d) for _, d in styles}) == len(styles)
    assert set(figures.OPTIMIZER_STYLES) >= {"SGD", "Momentum", "Adagrad", "RMSprop", "Adam"}


def test_momentum_figures_render() -> None:
    valley = experiments.valley_rates(steps=20)
    assert figures.plot_valley(valley).startswith("<figure")
    data = experiments.rate_map(lrs=np.geomspace(1e-3, 0.16, 12), betas=np.linspace(0, 0.9, 10))
    html = figures.plot_rate_map(data, {"Polyak": data["polyak"]})
    assert html.startswith("<figure") and "convergence rate" in html


def test_sweep_figures_mark_divergence() -> None:
    sweep = {
        "lrs": np.array([0.1, 1.0, 10.0]),
        "SGD": {"train_loss": np.array([0.5, 0.1, np.nan]), "test_accuracy": np.ones(3)},
        "Adam": {"train_loss": np.array([0.2, 1e22, 3.0]), "test_accuracy": np.ones(3)},
    }
    assert figures.plot_lr_sweep(sweep).startswith("<figure")
    batches = {
        "lrs": np.array([0.1, 1.0]),
        "loss": {"batch (1,348)": np.array([0.5, 0.1]), "stochastic (1)": np.array([0.3, np.nan])},
    }
    assert figures.plot_batch_lr_sweep(batches).startswith("<figure")


def test_average_and_schedule_figures_render() -> None:
    curves = experiments.ema_curves(betas=(0.5, 0.9))
    assert figures.plot_ema(curves).startswith("<figure")
    assert figures.plot_schedules(experiments.schedule_curves(total=20, warmup=2)).startswith(
        "<figure"
    )
    grid = {
        "lrs": np.array([1e-3, 1e-2]),
        "weight_decays": np.array([0.0, 0.1]),
        "Adam": {"accuracy": np.array([[0.9, 0.8], [0.95, 0.85]])},
        "AdamW": {"accuracy": np.array([[0.9, 0.9], [0.95, 0.96]])},
    }
    assert figures.plot_decoupling(grid).startswith("<figure")


def test_explorer_readouts_are_the_librarys_numbers(tmp_path) -> None:  # type: ignore[no-untyped-def]

    from dlbasics import plotting
    from dlbasics.optimizers import heavy_ball_rate

    lrs, betas = (0.01, 0.1), (0.0, 0.5)
    data = experiments.momentum_explorer(lrs=lrs, betas=betas, steps=10)
    plotting.figures_as_files(tmp_path)
    try:
        html = figures.plot_momentum_explorer.__wrapped__(data)
    finally:
        plotting.figures_as_files(None)
    frames = frames_of(html)
    combos = [(lr, b) for lr in lrs for b in betas]  # the last slider varies fastest
    assert len(frames) == len(combos)
    for frame, (lr, beta) in zip(frames, combos, strict=True):
        rate = max(heavy_ball_rate(lr, beta, 25.0), heavy_ball_rate(lr, beta, 1.0))
        assert frame["readout"].startswith(f"per-step rate {rate:.3f}")
        assert ("diverges" in frame["readout"]) == (rate >= 1)
    ema = experiments.ema_explorer(betas=(0.5, 0.9))
    assert ema[0.9]["window_mass"] == pytest.approx(1 - 0.9**10, rel=1e-6)
    assert ema[0.9]["mean_lag"] == pytest.approx(9.0)
