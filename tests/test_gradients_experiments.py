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
    clipped_step_answer,
    clipping,
    decay_steps_answer,
    depth_explorer,
    evolution_in_deep_network,
    gradient_signs,
    init_explorer,
    kaiming_std_answer,
    recurrence_growth_answer,
    residual_growth,
    saturation,
    sigmoid_critical_answer,
    sigmoid_orders_answer,
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


# --- Explorables and exercises ------------------------------------------------------------


def _sigmoid_chi(nv: float) -> float:
    """The sigmoid's mean-field gain, by a route of its own: the forward variance map iterated
    to its fixed point, expectations by the trapezoid rule on a fine grid (not Gauss–Hermite)."""
    z = np.linspace(-12, 12, 24001)
    density = np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)

    def mean(values: np.ndarray) -> float:
        return float(np.trapezoid(values * density, z))

    q = 1.0
    for _ in range(2000):
        q = nv * mean((1 / (1 + np.exp(-math.sqrt(q) * z))) ** 2)
    s = 1 / (1 + np.exp(-math.sqrt(q) * z))
    return nv * mean((s * (1 - s)) ** 2)


def test_init_explorer_small_is_the_networks_own_gradient() -> None:
    import torch

    from dlbasics.gradients import deep_mlp
    from dlbasics.training import digits

    r = init_explorer(
        weight_variances=(1 / 3, 2.0), activations=("sigmoid", "relu"), depth=3, width=8
    )
    assert set(r["runs"]) == {(a, nv) for a in ("sigmoid", "relu") for nv in (1 / 3, 2.0)}
    assert r["chi_one"]["relu"] == pytest.approx(2.0)
    # the gradient norms by plain autograd on the same network
    data = digits(dtype=torch.float64)
    torch.manual_seed(0)
    model = deep_mlp(64, 10, 3, 8, "relu", "normal", std=math.sqrt(2.0 / 8)).double()
    torch.nn.functional.cross_entropy(model(data.x_train[:256]), data.y_train[:256]).backward()
    grads = [float(linear.weight.grad.norm()) for linear in model.linears]
    run = r["runs"][("relu", 2.0)]
    assert run["grad"] == pytest.approx(grads, rel=1e-9)
    assert run["ratio"] == pytest.approx(grads[0] / grads[-1], rel=1e-9)
    assert run["chi"] == pytest.approx(1.0)  # ReLU: χ = n·v/2
    assert r["runs"][("sigmoid", 1 / 3)]["chi"] == pytest.approx(_sigmoid_chi(1 / 3), rel=1e-4)
    assert len(run["unit_std"]) == 4  # the input layer's output and the 3 hidden layers'
    with pytest.raises(ValueError, match="activations"):
        init_explorer(activations=("softplus",), depth=1, width=2)
    with pytest.raises(ValueError, match="weight_variances"):
        init_explorer(weight_variances=(), depth=1, width=2)


def test_depth_explorer_small() -> None:
    r = depth_explorer(depths=(1, 3), variants=("sigmoid", "ReLU + Kaiming"), width=8)
    assert r["depths"] == [1, 3] and r["variants"] == ["sigmoid", "ReLU + Kaiming"]
    for (_, depth), run in r["runs"].items():
        assert len(run["grad"]) == depth + 2
        assert run["ratio"] == pytest.approx(run["grad"][0] / run["grad"][-1])
    with pytest.raises(ValueError, match="variants"):
        depth_explorer(variants=("sigmoid + magic",))
    with pytest.raises(TypeError, match="depths"):
        depth_explorer(depths=(2.5,))


def test_exercise_answers_against_closed_forms() -> None:
    import torch

    # Kaiming's std: torch's own gain and fan for a 256 → 128 weight, and its sampled std
    w = torch.empty(128, 256)
    fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(w)
    gain = torch.nn.init.calculate_gain("relu")
    assert kaiming_std_answer() == pytest.approx(gain / math.sqrt(fan_in), rel=1e-12)
    torch.manual_seed(0)
    torch.nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert float(w.std()) == pytest.approx(kaiming_std_answer(), rel=0.02)
    # ρ = 0.95: the first K with 0.95^K < 0.01, and autograd through a recurrence
    assert decay_steps_answer() == math.ceil(math.log(0.01) / math.log(0.95)) == 90
    q, _ = torch.linalg.qr(torch.randn(16, 16, dtype=torch.float64))
    h0 = torch.randn(16, dtype=torch.float64, requires_grad=True)
    v = torch.randn(16, dtype=torch.float64)

    def shrink(k: int) -> float:
        h = h0
        for _ in range(k):
            h = 0.95 * q @ h
        (grad,) = torch.autograd.grad(v @ h, h0)
        return float(grad.norm() / v.norm())

    assert shrink(89) >= 0.01 > shrink(90)
    # the deep sigmoid network: the mean-field estimate 25.5·log10 χ, and the hand estimate
    # with σ′ = 1/4, are within the exercise's tolerance (1) of the measured exponent
    measured = sigmoid_orders_answer()
    assert measured == pytest.approx(25.5 * math.log10(_sigmoid_chi(1 / 3)), abs=1.0)
    assert measured == pytest.approx(25.5 * math.log10(1 / 48), abs=1.0)


def test_clipped_step_against_torch() -> None:
    import torch

    # clip_grad_norm_ and torch's SGD on a gradient of the norm the page's run measured
    first = clipping(((0.3, 1.0),), steps=1)["N(0, 0.3²) init, clipped to norm 1"]["grad_norm"][0]
    assert first > 1000
    p = torch.nn.Parameter(torch.zeros(1000, dtype=torch.float64))
    grad = torch.randn(1000, dtype=torch.float64)
    p.grad = grad * (first / grad.norm())
    torch.nn.utils.clip_grad_norm_([p], max_norm=1.0)
    torch.optim.SGD([p], lr=0.05).step()
    assert clipped_step_answer() == pytest.approx(float(p.detach().norm()), rel=1e-5)
    assert clipped_step_answer(lr=0.1, max_norm=2.0) == pytest.approx(0.2, rel=1e-5)


def test_choice_answers_by_another_route() -> None:
    import torch

    # the sigmoid's critical n·v, from the independent mean-field route: between 100 and 113
    assert _sigmoid_chi(100.0) < 1 < _sigmoid_chi(113.0)
    candidates = (2, 16, 100)
    assert all(_sigmoid_chi(c) < 1 for c in candidates)  # the wrong options fall short
    assert sigmoid_critical_answer(candidates) == 2
    # ρ = 1.1 over 60 steps: ‖(Wᵀ)⁶⁰ v‖ by a matrix power, built as the page's recurrence is
    generator = torch.Generator().manual_seed(0)
    g = torch.randn(32, 32, generator=generator, dtype=torch.float64) / math.sqrt(32)
    v = torch.randn(32, generator=generator, dtype=torch.float64)
    w = 1.1 * g / float(torch.linalg.eigvals(g).abs().max())
    growth = float((torch.linalg.matrix_power(w.T, 60) @ (v / v.norm())).norm())
    orders = (1, 2, 6)
    assert recurrence_growth_answer(orders) == int(
        np.argmin([abs(math.log10(growth) - k) for k in orders])
    )
    assert recurrence_growth_answer(orders) == 1  # about 10²: 1.1⁶⁰ ≈ 304


def test_answers_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="rho"):
        decay_steps_answer(rho=1.0)
    with pytest.raises(TypeError, match="fan_in"):
        kaiming_std_answer(fan_in=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="candidates"):
        sigmoid_critical_answer((0, 16))
    with pytest.raises(ValueError, match="orders"):
        recurrence_growth_answer(())
