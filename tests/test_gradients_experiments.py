"""Tests of dlbasics.gradients.experiments: small versions of the page's experiments, and the
facts the page's claims rest on, checked against formulas written here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlbasics.gradients import mean_field_gain
from dlbasics.gradients.experiments import (
    ADAM_VARIANTS,
    VARIANTS,
    _gain_one,
    clipping,
    evolution_in_deep_network,
    gradient_signs,
    residual_growth,
    saturation,
    symmetry_breaking,
    tanh_gains,
    train_digits,
    variance_sweep,
)


def test_variance_sweep_small() -> None:
    r = variance_sweep(weight_variances=(2.0, 113.0), depth=5, width=16, batch_size=32)
    assert len(r["ratio"]) == 2 and r["ratio"][1] > r["ratio"][0]
    assert r["chi"] == pytest.approx([mean_field_gain("sigmoid", v)["chi"] for v in (2.0, 113.0)])
    assert mean_field_gain("sigmoid", r["chi_one"])["chi"] == pytest.approx(1.0, abs=1e-9)


def test_gain_one_is_where_chi_crosses_one() -> None:
    one = _gain_one("sigmoid")
    assert (
        mean_field_gain("sigmoid", 0.99 * one)["chi"]
        < 1
        < mean_field_gain("sigmoid", 1.01 * one)["chi"]
    )
    assert _gain_one("relu") == pytest.approx(2.0)  # Kaiming's variance


def test_saturation_measures_the_backward_gain() -> None:
    r = saturation(variants=("sigmoid", "sigmoid + batch norm"), bins=10)
    plain, bn = r["sigmoid"], r["sigmoid + batch norm"]
    assert len(plain["gain"]) == 10 and len(plain["hist"]) == 10
    assert all(h.sum() == 1348 * 64 for h in plain["hist"])  # every output in [0, 1] counted
    # The sigmoid's backward factor is at most n v max σ'... and here well below 1.
    assert max(plain["gain"]) < 0.25
    assert "bn_gain" in bn and "bn_gain" not in plain
    assert min(bn["bn_gain"][1:]) > 1  # 1/σ_B > 1 when the batch std is below 1


def test_residual_growth_of_the_plain_form() -> None:
    r = residual_growth(variants=("sigmoid + residual",))
    mean = np.asarray(r["sigmoid + residual"]["mean"])
    # Each block adds σ(·) ∈ (0, 1) to every unit: the mean grows by less than 1 per block.
    assert (np.diff(mean) > 0).all() and (np.diff(mean) < 1).all()


def test_train_digits_with_adam_and_a_chosen_std() -> None:
    r = train_digits("relu", "default", optimizer="adam", depth=2, width=8, epochs=1)
    assert 0 <= r["test_accuracy"] <= 1
    wide = train_digits("sigmoid", "normal", std=1.25, depth=2, width=8, epochs=1)
    assert wide["rel_update"].shape == (1, 4)
    with pytest.raises(ValueError, match="optimizer"):
        train_digits("relu", optimizer="rmsprop", depth=1, width=2, epochs=1)
    assert set(ADAM_VARIANTS) <= set(VARIANTS)
    assert VARIANTS["sigmoid, n·v = 100"]["std"] == pytest.approx(math.sqrt(100 / 64))


def test_clipping_reports_accuracy_only_for_finite_networks() -> None:
    runs = clipping(((0.3, 1.0), (None, None)), depth=2, width=8, steps=3)
    assert all(0 <= run["test_accuracy"] <= 1 for run in runs.values())


def test_tanh_gains_small() -> None:
    r = tanh_gains(gains=(1.0, 5 / 3), depth=5, batch_size=32)
    assert r[1.0]["chi"] == pytest.approx(1.0) and r[5 / 3]["chi"] > 1
    assert r[5 / 3]["unit_std"][-1] > r[1.0]["unit_std"][-1]


def test_symmetric_starts_stay_symmetric() -> None:
    r = symmetry_breaking(width=8, epochs=2)
    assert r["zero"]["rank"] == 1 and r["zero"]["row_spread"] == 0.0
    assert r["constant"]["rank"] == 1
    assert r["random"]["rank"] == 8


def test_gradient_signs_follow_the_sign_of_the_inputs() -> None:
    r = gradient_signs(depth=3)
    assert r["sigmoid"]["one_sign_rows"] == [1.0, 1.0, 1.0]  # h > 0: δ_j h^T has one sign
    assert max(r["tanh"]["one_sign_rows"]) < 0.5
    assert min(r["sigmoid"]["mean"]) > 0.3 and abs(float(np.mean(r["tanh"]["mean"]))) < 0.1


def test_evolution_in_deep_network_small() -> None:
    r = evolution_in_deep_network(n_train=50, depth=2, generations=2, population=4, gd_steps=2)
    assert r["es"]["evaluations"] == 8.0 and len(r["es"]["moved"]) == 4
    assert r["gd"]["steps"] == 2
    assert r["parameters"] == 3 * (64 * 64 + 64) + (64 * 10 + 10)  # input, 2 hidden, output
