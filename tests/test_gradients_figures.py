"""Tests of dlbasics.gradients.figures: the page's figures and tables."""

from __future__ import annotations

import pytest

from dlbasics.gradients import (
    ACTIVATIONS,
    INITS,
)
from dlbasics.gradients.experiments import (
    clipping,
    evolution_vs_gradient_descent,
    fix_rows,
    init_sweep,
    recurrence_gradients,
    train_digits,
)
from dlbasics.gradients.figures import (
    plot_clipping,
    plot_evolution,
    plot_init_sweep,
    plot_recurrence,
    plot_training,
)

# --- Experiments and plots: small versions run end to end ------------------------------------


def test_page_experiments_small() -> None:
    sweep = init_sweep(depth=2, width=8, batch_size=16)
    assert set(sweep) == {f"{a}/{i}" for a in ACTIVATIONS for i in INITS}
    assert all(len(v["grad"]) == 4 and len(v["act_std"]) == 3 for v in sweep.values())
    assert "<svg" in plot_init_sweep(sweep) and "<svg" in plot_init_sweep(sweep, "act_std")
    results = {
        name: train_digits(activation, depth=2, width=8, epochs=2, batch_size=256)
        for name, activation in (("a", "sigmoid"), ("b", "relu"))
    }
    r = results["a"]
    assert r["rel_update"].shape == (2, 4) and len(r["epoch_loss"]) == 2
    assert 0.0 <= r["test_accuracy"] <= 1.0
    for kind in ("loss", "updates", "grad_vs_update"):
        assert "<svg" in plot_training(results, kind)
    assert len(fix_rows(results)) == 2
    clip = clipping(((0.3, None), (0.3, 1.0)), depth=2, width=8, steps=3)
    assert all(max(run["grad_norm"]) > 0 for run in clip.values())
    assert "<svg" in plot_clipping(clip)
    evo = evolution_vs_gradient_descent(
        n_train=50, width=4, generations=2, population=4, gd_steps=2
    )
    assert evo["es"]["cost"] == [0.0, 4.0, 8.0] and evo["gd"]["cost"] == [0.0, 3.0, 6.0]
    assert "<svg" in plot_evolution(evo)


def test_recurrence_gradient_scales_like_the_spectral_radius() -> None:
    # ‖(Wᵀ)^T v‖^{1/T} → ρ(W) (Gelfand's formula); over 100 further steps the growth
    # rate must be within a few % of ρ.
    result = recurrence_gradients((0.8, 1.25), steps=200)
    for rho, norms in result["norms"].items():
        rate = (norms[-1] / norms[-101]) ** (1 / 100)
        assert rate == pytest.approx(rho, rel=0.03)
    assert "<svg" in plot_recurrence(result)
