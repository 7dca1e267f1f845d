"""Tests of dlbasics.gradients: the probes against autograd and hand-written backprop, the
vanishing/non-vanishing ratios against bounds from the chain rule, the network's structure."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from dlbasics.batch_norm import BatchNorm1d
from dlbasics.gradients import (
    ACTIVATIONS,
    RESIDUALS,
    DeepMLP,
    activation_stats,
    deep_mlp,
    evolve,
    gradient_norms,
    mean_field_gain,
)

D64 = torch.float64


def _batch(n: int, features: int, classes: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, features, generator=g, dtype=D64), torch.randint(
        classes, (n,), generator=g
    )


# --- deep_mlp: structure ---------------------------------------------------------------------


@settings(deadline=None, max_examples=25)
@given(
    depth=st.integers(1, 5),
    width=st.integers(1, 9),
    activation=st.sampled_from(list(ACTIVATIONS)),
    residual=st.sampled_from(RESIDUALS),
    norm=st.sampled_from([None, "batch"]),
)
def test_deep_mlp_structure(
    depth: int, width: int, activation: str, residual: bool | str, norm: str | None
) -> None:
    model = deep_mlp(7, 3, depth, width, activation, "default", residual, norm)
    linears = model.linears
    assert len(linears) == depth + 2
    assert [tuple(lin.weight.shape) for lin in linears] == (
        [(width, 7)] + [(width, width)] * depth + [(3, width)]
    )
    # .linears is the complete list of linear layers, in forward order.
    assert linears == [m for m in model.modules() if isinstance(m, nn.Linear)]
    norms = [m for m in model.modules() if isinstance(m, BatchNorm1d)]
    assert len(norms) == (depth + 1 if norm == "batch" else 0)
    assert not any(isinstance(m, nn.BatchNorm1d) for m in model.modules())  # ours, not torch's
    acts = [m for m in model.modules() if isinstance(m, ACTIVATIONS[activation])]
    assert len(acts) == depth + 1
    # The input layer never has a skip (shapes differ); every hidden layer has one iff residual.
    assert [b.residual for b in model.hidden] == [False] + [residual] * depth
    assert model(torch.randn(4, 7)).shape == (4, 3)


@pytest.mark.parametrize("residual", RESIDUALS)
def test_forward_is_the_written_composition(residual: bool | str) -> None:
    torch.manual_seed(0)
    model = deep_mlp(5, 2, 3, 6, "tanh", "xavier", residual).double()
    x = torch.randn(8, 5, dtype=D64)
    lin = model.linears
    h = torch.tanh(lin[0](x))
    for layer in lin[1:-1]:
        if residual == "he":  # He et al.: the activation after the addition
            h = torch.tanh(h + layer(h))
        else:
            out = torch.tanh(layer(h))
            h = h + out if residual else out
    torch.testing.assert_close(model(x), lin[-1](h), rtol=0, atol=1e-12)


def test_he_residual_with_batch_norm_normalises_the_branch_only() -> None:
    torch.manual_seed(0)
    model = deep_mlp(4, 2, 2, 5, "relu", "kaiming", "he", "batch").double()
    x = torch.randn(16, 4, dtype=D64)
    block = model.hidden[1]
    h = model.hidden[0](x)
    z = block.linear(h)
    branch = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + 1e-5)
    torch.testing.assert_close(block(h), torch.relu(h + branch), rtol=0, atol=1e-10)


def test_init_variances() -> None:
    # Sample std of n = 512 * 512 weights has relative standard error 1/sqrt(2n) ≈ 0.14 %;
    # 2 % is 14 standard errors, so only a wrong formula fails.
    n = 512
    for init, expected in [
        ("kaiming", math.sqrt(2 / n)),
        ("xavier", math.sqrt(2 / (n + n))),
        ("normal", 0.01),
        ("default", math.sqrt(1 / (3 * n))),
    ]:
        torch.manual_seed(0)
        weight = deep_mlp(n, n, 1, n, "relu", init).linears[1].weight
        assert weight.std().item() == pytest.approx(expected, rel=0.02), init
    torch.manual_seed(0)
    tanh = deep_mlp(n, n, 1, n, "tanh", "xavier", gain=5 / 3).linears[1].weight
    assert tanh.std().item() == pytest.approx(5 / 3 * math.sqrt(1 / n), rel=0.02)
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)  # torch's recommendation
    torch.manual_seed(0)
    model = deep_mlp(4, 2, 2, 8, "relu", "normal", std=0.5)
    assert all(float(lin.bias.detach().abs().max()) == 0 for lin in model.linears)


def test_default_init_is_torchs() -> None:
    torch.manual_seed(3)
    ours = deep_mlp(4, 2, 1, 5, "relu", "default")
    torch.manual_seed(3)
    torchs = [nn.Linear(4, 5), nn.Linear(5, 5), nn.Linear(5, 2)]
    for a, b in zip(ours.linears, torchs, strict=True):
        assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)


# --- gradient_norms and activation_stats -----------------------------------------------------


@settings(deadline=None, max_examples=20)
@given(
    depth=st.integers(1, 4),
    activation=st.sampled_from(list(ACTIVATIONS)),
    residual=st.booleans(),
    norm=st.sampled_from([None, "batch"]),
    mse=st.booleans(),
)
def test_gradient_norms_match_a_manual_backward(
    depth: int, activation: str, residual: bool, norm: str | None, mse: bool
) -> None:
    torch.manual_seed(depth)
    model = deep_mlp(6, 3, depth, 5, activation, "default", residual, norm).double()
    x, y = _batch(10, 6, 3)
    targets = torch.randn(10, 3, dtype=D64) if mse else y
    loss_fn = F.mse_loss if mse else None
    # Existing gradients and running statistics must survive the probe untouched.
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    saved_grads = [p.grad.clone() for p in model.parameters()]  # type: ignore[union-attr]
    saved_buffers = [b.clone() for b in model.buffers()]
    norms = gradient_norms(model, x, targets, loss_fn)
    for p, g in zip(model.parameters(), saved_grads, strict=True):
        assert torch.equal(p.grad, g)  # type: ignore[arg-type]
    for b, s in zip(model.buffers(), saved_buffers, strict=True):
        assert torch.equal(b, s)
    model.zero_grad(set_to_none=True)
    (F.mse_loss if mse else F.cross_entropy)(model(x), targets).backward()
    manual = [float(lin.weight.grad.norm()) for lin in model.linears]  # type: ignore[union-attr]
    assert norms == pytest.approx(manual, rel=1e-12)


def test_gradient_norms_against_hand_written_backprop() -> None:
    # An independent formula: backprop written out for a sigmoid net, no autograd.
    torch.manual_seed(1)
    model = deep_mlp(4, 3, 2, 5, "sigmoid").double()
    x, y = _batch(7, 4, 3)
    w = [lin.weight.detach() for lin in model.linears]
    b = [lin.bias.detach() for lin in model.linears]
    hs = [x]
    for wk, bk in zip(w[:-1], b[:-1], strict=True):
        hs.append(torch.sigmoid(hs[-1] @ wk.T + bk))
    logits = hs[-1] @ w[-1].T + b[-1]
    delta = (torch.softmax(logits, 1) - F.one_hot(y, 3)) / len(x)  # ∂(mean CE)/∂logits
    grads = [delta.T @ hs[-1]]
    for k in range(len(w) - 2, -1, -1):
        h = hs[k + 1]
        delta = (delta @ w[k + 1]) * h * (1 - h)  # σ' = σ(1 − σ)
        grads.insert(0, delta.T @ hs[k])
    assert gradient_norms(model, x, y) == pytest.approx([float(g.norm()) for g in grads], rel=1e-12)


def test_gradient_norms_of_a_plain_sequential() -> None:
    torch.manual_seed(0)
    first, second = nn.Linear(3, 4).double(), nn.Linear(4, 2).double()
    model = nn.Sequential(first, nn.Tanh(), second)
    x, y = _batch(5, 3, 2)
    norms = gradient_norms(model, x, y)
    F.cross_entropy(model(x), y).backward()
    assert first.weight.grad is not None and second.weight.grad is not None
    assert norms == pytest.approx(
        [float(first.weight.grad.norm()), float(second.weight.grad.norm())]
    )


def test_activation_stats_match_the_hidden_outputs() -> None:
    torch.manual_seed(0)
    model = deep_mlp(4, 2, 3, 6, "relu", "kaiming", residual=True, norm="batch").double()
    x, _ = _batch(9, 4, 2)
    saved = [b.clone() for b in model.buffers()]
    stats = activation_stats(model, x)
    # Hooks are gone, and the probe did not move the running statistics.
    assert all(not m._forward_hooks for m in model.modules())
    for buffer, before in zip(model.buffers(), saved, strict=True):
        assert torch.equal(buffer, before)
    hs, h = [], x
    with torch.no_grad():
        for block in model.hidden:
            h = block(h)
            hs.append(h)
    assert stats["mean"] == pytest.approx([float(t.mean()) for t in hs], rel=1e-12)
    assert stats["std"] == pytest.approx([float(t.std(correction=0)) for t in hs], rel=1e-12)
    per_unit = [float(t.std(0, correction=0).mean()) for t in hs]
    assert stats["unit_std"] == pytest.approx(per_unit, rel=1e-12)


def test_unit_std_is_zero_when_every_example_gives_the_same_vector() -> None:
    # Different units, identical rows: a large std over all entries, no spread across examples.
    same = torch.arange(6, dtype=D64).repeat(5, 1)
    model = nn.Sequential(nn.Identity(), nn.Tanh())
    stats = activation_stats(model, same)
    assert stats["unit_std"] == [0.0]
    assert stats["std"][0] > 0.1


def test_activation_stats_on_chosen_modules() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2), nn.Tanh())
    x = torch.randn(6, 3)
    default = activation_stats(model, x)
    assert len(default["mean"]) == 2  # the two activation modules
    mine = activation_stats(model, x, modules=[model[0]])
    z = model[0](x).detach()
    assert mine["mean"] == pytest.approx([float(z.mean())])


# --- The vanishing / non-vanishing claims ----------------------------------------------------


def test_sigmoid_first_layer_gradient_obeys_the_chain_rule_bound() -> None:
    # One example, so each weight gradient is an outer product: ‖∇W_l‖ = ‖δ_l‖·‖h_{l-1}‖.
    # Backprop from the logits to the input layer's pre-activation passes through every
    # weight matrix above it and one diag(σ') ≤ 1/4 per hidden layer, so
    #   ‖δ_0‖ ≤ ∏_{k ≥ 1} (‖W_k‖₂ / 4) · ‖δ_out‖,
    # and ‖∇W_0‖ / ‖∇W_out‖ ≤ ∏_{k ≥ 1} (‖W_k‖₂ / 4) · ‖x‖ / ‖h_L‖.
    depth, width = 30, 32
    torch.manual_seed(0)
    model = deep_mlp(16, 10, depth, width, "sigmoid", "default").double()
    x, y = _batch(1, 16, 10)
    norms = gradient_norms(model, x, y)
    spectral = [
        float(torch.linalg.matrix_norm(lin.weight.detach(), 2)) for lin in model.linears[1:]
    ]
    with torch.no_grad():
        h = x
        for block in model.hidden:
            h = block(h)
    bound = math.prod(s / 4 for s in spectral) * float(x.norm()) / float(h.norm())
    ratio = norms[0] / norms[-1]
    assert ratio <= bound * (1 + 1e-9)
    # Default init: Var W = 1/(3n), so ‖W‖₂ ≈ 2/√3 ≈ 1.15 (Marchenko–Pastur edge) and each
    # factor is ≈ 0.29: 31 of them are ≈ 1e-17. The first layer is >= 10 orders below the last.
    assert bound < 1e-10
    assert ratio < 1e-10


def test_sigmoid_vanishes_over_a_batch() -> None:
    # Typical per-layer factor: √(n·Var W·E[σ'²]) ≤ √(1/3 · 1/16) ≈ 0.14, so 30 layers give
    # ~1e-25; the inputs' norms differ by a factor of a few. 1e-8 leaves 17 orders of margin.
    torch.manual_seed(0)
    model = deep_mlp(64, 10, 30, 128, "sigmoid", "default").double()
    x, y = _batch(128, 64, 10)
    norms = gradient_norms(model, x, y)
    assert norms[0] / norms[-1] < 1e-8


def test_relu_kaiming_keeps_layers_within_a_modest_factor() -> None:
    # Kaiming's Var W = 2/n makes E‖δ‖² and E‖h‖² the same at every layer, so every ‖∇W_l‖
    # has the same expected size up to √(in_features/width) = 0.7 at the input layer. What
    # remains is the fluctuation: per layer, ln‖δ‖ changes by a random amount with variance
    # ≈ 1/n (a χ² with n/2 degrees of freedom, scaled), so over 31 layers of width n = 128
    # its std is √(31/128) ≈ 0.5; the spread max/min over layers of such a walk is rarely
    # above e^{2.5} ≈ 12 including the 0.7 and the walk's downward drift. We allow 20
    # (vs 1e-8 for sigmoid on the same data).
    torch.manual_seed(0)
    model = deep_mlp(64, 10, 30, 128, "relu", "kaiming").double()
    x, y = _batch(128, 64, 10)
    norms = gradient_norms(model, x, y)
    assert max(norms) / min(norms) < 20


def test_residual_connections_stop_the_vanishing() -> None:
    # Plain ReLU with torch's default init: Var W = 1/(3n), per-layer backward factor
    # √(n·Var W·½) = √(1/6) ≈ 0.41, so 30 layers shrink the first layer's gradient by ≈ 1e-12.
    # With skips each block's Jacobian is I + WᵀD, so E‖δ_{l-1}‖² = (1 + 1/6)‖δ_l‖² ≥ ‖δ_l‖²:
    # the backward signal cannot shrink on average. The forward signal grows by at most
    # 1 + 1/√6 ≈ 1.41 per layer (triangle inequality), so ‖∇W_0‖/‖∇W_out‖ ≥ ≈ 1.41^-31 ≈ 2e-5.
    x, y = _batch(128, 64, 10)
    ratios = {}
    for residual in (False, True):
        torch.manual_seed(0)
        model = deep_mlp(64, 10, 30, 64, "relu", "default", residual).double()
        norms = gradient_norms(model, x, y)
        ratios[residual] = norms[0] / norms[-1]
    assert ratios[False] < 1e-8
    assert ratios[True] > 1.41**-31

    # The backward signal itself: ‖∂L/∂h_0‖ vs ‖∂L/∂h_L‖ through the identity paths.
    torch.manual_seed(0)
    model = deep_mlp(64, 10, 30, 64, "relu", "default", True).double()
    outputs: list[torch.Tensor] = []
    handles = [
        b.register_forward_hook(lambda _m, _a, out: outputs.append(out)) for b in model.hidden
    ]
    loss = F.cross_entropy(model(x), y)
    for handle in handles:
        handle.remove()
    first, last = torch.autograd.grad(loss, [outputs[0], outputs[-1]])
    assert float(first.norm()) >= 0.5 * float(last.norm())  # expected ≥ 1 (≈ 1.08^30 ≈ 10)


# --- evolve ----------------------------------------------------------------------------------


def _blobs() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    y = torch.randint(2, (200,), generator=g)
    x = torch.randn(200, 2, generator=g) + 2.0 * (2 * y[:, None] - 1)
    return x, y


def test_evolve_lowers_the_loss_without_backprop() -> None:
    x, y = _blobs()  # two Gaussians 4σ apart: a linear model can reach a small loss
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    history = evolve(model, x, y, generations=60, population=20, sigma=0.1, lr=0.3, seed=0)
    assert all(p.grad is None for p in model.parameters())  # no backward pass ever ran
    initial, final = history["loss"][0], history["loss"][-1]
    assert history["evaluations"][-1] == 60 * 20
    # The model now holds the final parameters.
    assert F.cross_entropy(model(x), y).item() == pytest.approx(final, rel=1e-6)
    # ln 2 ≈ 0.69 is chance; the separable blobs allow far less. Half the start is modest.
    assert final < 0.5 * initial and final < 0.2


def test_evolve_is_deterministic() -> None:
    x, y = _blobs()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = nn.Linear(2, 2)
        runs.append(evolve(model, x, y, generations=5, population=6, seed=3)["loss"])
    assert runs[0] == runs[1]


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"depth": 0}, "depth"),
        ({"width": 0}, "width"),
        ({"in_features": 0}, "in_features"),
        ({"out_features": -1}, "out_features"),
        ({"activation": "gelu"}, "activation"),
        ({"init": "he"}, "init"),
        ({"norm": "layer"}, "norm"),
        ({"std": 0.0}, "std"),
        ({"std": float("nan")}, "std"),
    ],
)
def test_deep_mlp_rejects_bad_input(kwargs: dict[str, object], name: str) -> None:
    args: dict[str, object] = {"in_features": 4, "out_features": 2, "depth": 2, "width": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        deep_mlp(**args)  # type: ignore[arg-type]


def test_deep_mlp_rejects_wrong_types() -> None:
    with pytest.raises(TypeError, match="depth"):
        deep_mlp(4, 2, 2.5, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="residual"):
        deep_mlp(4, 2, 2, 3, residual=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="residual"):
        deep_mlp(4, 2, 2, 3, residual="yes")
    with pytest.raises(ValueError, match="gain"):
        deep_mlp(4, 2, 2, 3, init="xavier", gain=0.0)


# --- mean_field_gain ---------------------------------------------------------------------------


def test_mean_field_gain_closed_forms() -> None:
    # ReLU: E[relu(z)²] = q/2 and E[relu'(z)²] = 1/2, so χ = σ_w²/2 and Kaiming's 2 gives 1.
    assert mean_field_gain("relu", 2.0)["chi"] == pytest.approx(1.0)
    assert mean_field_gain("relu", 1.0, 0.5)["q"] == pytest.approx(1.0)  # q = q/2 + 1/2
    # tanh with σ_w² ≤ 1 and no bias: the forward map has only the fixed point 0, where χ = σ_w².
    small = mean_field_gain("tanh", 0.8)
    assert small["q"] == 0.0 and small["chi"] == pytest.approx(0.8)
    # The sigmoid at the origin: q* solves q = σ_w² E[σ(√q z)²]; for tiny σ_w², σ ≈ 1/2.
    tiny = mean_field_gain("sigmoid", 1e-4)
    assert tiny["q"] == pytest.approx(1e-4 / 4, rel=1e-3)
    assert tiny["chi"] == pytest.approx(1e-4 / 16, rel=1e-3)


@pytest.mark.parametrize(("activation", "sw"), [("sigmoid", 100.0), ("tanh", 25 / 9)])
def test_mean_field_gain_matches_monte_carlo(activation: str, sw: float) -> None:
    r = mean_field_gain(activation, sw)
    g = torch.Generator().manual_seed(0)
    z = torch.randn(2_000_000, generator=g, dtype=D64) * math.sqrt(r["q"])
    phi = torch.sigmoid(z) if activation == "sigmoid" else torch.tanh(z)
    slope = phi * (1 - phi) if activation == "sigmoid" else 1 - phi**2
    # The fixed point: the forward map returns q*; χ is σ_w² E[φ'²] there (MC error < 0.5 %).
    assert float(sw * (phi**2).mean()) == pytest.approx(r["q"], rel=5e-3)
    assert float(sw * (slope**2).mean()) == pytest.approx(r["chi"], rel=5e-3)


def test_mean_field_gain_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="activation"):
        mean_field_gain("gelu", 1.0)
    with pytest.raises(ValueError, match="weight_variance"):
        mean_field_gain("tanh", 0.0)
    with pytest.raises(ValueError, match="bias_variance"):
        mean_field_gain("tanh", 1.0, -1.0)
    with pytest.raises(TypeError, match="bias_variance"):
        mean_field_gain("tanh", 1.0, "0")  # type: ignore[arg-type]


def test_probes_and_evolve_reject_bad_input() -> None:
    model = deep_mlp(4, 2, 1, 3)
    x, y = torch.randn(5, 4), torch.randint(2, (5,))
    with pytest.raises(ValueError, match="targets"):
        gradient_norms(model, x, y[:3])
    with pytest.raises(TypeError, match="inputs"):
        gradient_norms(model, x.numpy(), y)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="modules"):
        activation_stats(model, x, modules=[])
    with pytest.raises(ValueError, match="model"):
        gradient_norms(nn.Sequential(nn.Tanh()), x, y)
    for kwargs, name in [
        ({"population": 3}, "population"),
        ({"population": 0}, "population"),
        ({"sigma": 0.0}, "sigma"),
        ({"lr": -1.0}, "lr"),
        ({"generations": 0}, "generations"),
    ]:
        with pytest.raises(ValueError, match=name):
            evolve(model, x, y, **kwargs)  # type: ignore[arg-type]


def test_deepmlp_is_exported() -> None:
    assert isinstance(deep_mlp(2, 2, 1, 2), DeepMLP)
