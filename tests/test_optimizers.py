"""dlbasics.optimizers: the same trajectories as torch.optim, state, closures, bad input."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbasics import optimizers as O

STEPS = 100
CLASSES = ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW")

# --- Strategies: every argument within the valid range ---

unit = st.floats(0.0, 0.99)  # a decay factor in [0, 1)
lrs = st.floats(1e-4, 0.05)
decays = st.one_of(st.just(0.0), st.floats(1e-4, 0.5))
epss = st.one_of(st.just(0.0), st.floats(1e-10, 1e-2))


@st.composite
def sgd_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    nesterov = draw(st.booleans())
    momentum = draw(st.floats(0.01, 0.99) if nesterov else unit)
    return {
        "lr": draw(lrs),
        "momentum": momentum,
        "dampening": 0.0 if nesterov else draw(st.floats(0.0, 1.0)),
        "weight_decay": draw(decays),
        "nesterov": nesterov,
        "maximize": draw(st.booleans()),
    }


@st.composite
def adagrad_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "lr": draw(st.floats(1e-4, 0.1)),
        "lr_decay": draw(st.one_of(st.just(0.0), st.floats(1e-4, 0.5))),
        "weight_decay": draw(decays),
        "initial_accumulator_value": draw(st.one_of(st.just(0.0), st.floats(1e-3, 1.0))),
        "eps": draw(epss),
        "maximize": draw(st.booleans()),
    }


@st.composite
def rmsprop_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "lr": draw(st.floats(1e-4, 0.01)),
        "alpha": draw(st.floats(0.01, 0.999)),
        # ε > 0 when centred: √(v − ḡ²) can be exactly 0 (torch and we then divide by ε).
        "eps": draw(st.floats(1e-10, 1e-2)),
        "weight_decay": draw(decays),
        "momentum": draw(unit),
        "centered": draw(st.booleans()),
        "maximize": draw(st.booleans()),
    }


@st.composite
def adam_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "lr": draw(lrs),
        "betas": (draw(unit), draw(st.floats(0.0, 0.999))),
        "eps": draw(st.floats(1e-10, 1e-2)),
        "weight_decay": draw(decays),
        "amsgrad": draw(st.booleans()),
        "maximize": draw(st.booleans()),
    }


STRATEGIES = {
    "SGD": sgd_kwargs,
    "Adagrad": adagrad_kwargs,
    "RMSprop": rmsprop_kwargs,
    "Adam": adam_kwargs,
    "AdamW": adam_kwargs,
}

# --- A small well-conditioned problem, in float64 ---


def make_params(seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    shapes = [(4, 3), (3,), (2, 2), (5,)]
    return [torch.randn(s, generator=g, dtype=torch.float64).requires_grad_() for s in shapes]


def loss_fn(params: list[torch.Tensor], step: int) -> torch.Tensor:
    """Curvatures between 1 and 2, a gently changing target: no blow-up, no zero gradients."""
    total = torch.zeros((), dtype=torch.float64)
    # The last parameter never gets a gradient: it must be skipped (and keep no state).
    for k, p in enumerate(params[:-1]):
        target = math.sin(0.1 * step + k)
        total = total + (1.0 + 0.3 * k) * ((p - target) ** 2).sum() + 0.1 * torch.cos(p).sum()
    return total


def groups(params: list[torch.Tensor], kwargs: dict[str, Any], second: dict[str, Any]) -> list:
    return [{"params": params[:2]}, {"params": params[2:], **second}]


def run(
    optimizer: torch.optim.Optimizer, params: list[torch.Tensor], start: int, stop: int
) -> None:
    # maximize=True climbs -loss, so the problem stays the same well-conditioned bowl.
    sign = -1.0 if optimizer.defaults.get("maximize") else 1.0
    for step in range(start, stop):
        optimizer.zero_grad()
        (sign * loss_fn(params, step)).backward()
        optimizer.step()


def relative_difference(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    pairs = zip(a, b, strict=True)
    return max(
        float((x - y).detach().norm() / y.detach().norm().clamp_min(1e-300)) for x, y in pairs
    )


def second_group_overrides(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A second param group with its own lr and weight decay (valid for every class)."""
    return {"lr": kwargs["lr"] * 0.5, "weight_decay": 0.05}


@pytest.mark.parametrize("name", CLASSES)
def test_defaults_match_torch(name: str) -> None:
    ours = getattr(O, name)([torch.zeros(1, requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)])
    for key, value in ours.defaults.items():
        assert theirs.defaults[key] == value, key


@pytest.mark.parametrize("name", CLASSES)
@settings(deadline=None, max_examples=25)
@given(data=st.data())
def test_same_trajectory_as_torch(name: str, data: st.DataObject) -> None:
    kwargs = data.draw(STRATEGIES[name]())
    second = second_group_overrides(name, kwargs)
    ours_p, torch_p = make_params(1), make_params(1)
    ours = getattr(O, name)(groups(ours_p, kwargs, second), **kwargs)
    theirs = getattr(torch.optim, name)(groups(torch_p, kwargs, second), **kwargs)
    run(ours, ours_p, 0, STEPS)
    run(theirs, torch_p, 0, STEPS)
    assert relative_difference(ours_p, torch_p) < 1e-9
    # the parameter without a gradient did not move and has no state
    assert torch.equal(ours_p[-1], make_params(1)[-1])
    assert ours_p[-1] not in ours.state
    # parameters did move (the comparison is not vacuous)
    assert relative_difference(ours_p[:-1], make_params(1)[:-1]) > 1e-6


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
        ("Adagrad", {"lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
        ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
        ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
        ("AdamW", {"lr": 0.01, "amsgrad": True}),
    ],
)
def test_state_dict_round_trip_mid_run(name: str, kwargs: dict[str, Any]) -> None:
    cls = getattr(O, name)
    straight_p = make_params(2)
    straight = cls(groups(straight_p, kwargs, {"lr": 0.003}), **kwargs)
    run(straight, straight_p, 0, 60)

    first_p = make_params(2)
    first = cls(groups(first_p, kwargs, {"lr": 0.003}), **kwargs)
    run(first, first_p, 0, 30)
    saved_state = copy.deepcopy(first.state_dict())
    saved_params = [p.detach().clone() for p in first_p]
    del first

    resumed_p = [p.requires_grad_() for p in saved_params]
    resumed = cls(groups(resumed_p, kwargs, {"lr": 0.42}), **kwargs)  # lr restored from the dict
    resumed.load_state_dict(saved_state)
    assert resumed.param_groups[1]["lr"] == 0.003
    run(resumed, resumed_p, 30, 60)
    for a, b in zip(resumed_p, straight_p, strict=True):
        assert torch.equal(a, b)


def test_zero_grad_sets_grads_to_none() -> None:
    p = torch.ones(3, requires_grad=True)
    opt = O.Adam([p], lr=0.1)
    (p**2).sum().backward()
    opt.step()
    opt.zero_grad()
    assert p.grad is None


def test_closure_is_evaluated_with_gradients() -> None:
    p = torch.tensor([2.0], requires_grad=True)
    opt = O.SGD([p], lr=0.25)

    def closure() -> float:
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return float(loss.detach())

    assert opt.step(closure) == 4.0
    assert p.item() == pytest.approx(2.0 - 0.25 * 4.0)


def test_one_sgd_step_is_the_update_rule() -> None:
    """W_i = W_{i-1} − α dJ/dW, with the gradient written by hand."""
    w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([0.3, 0.1, -0.7], dtype=torch.float64)
    before = w.detach().clone()
    opt = O.SGD([w], lr=0.1)
    ((w * x).sum() - 1.0).pow(2).backward()
    opt.step()
    grad = 2 * ((before * x).sum() - 1.0) * x
    torch.testing.assert_close(w.detach(), before - 0.1 * grad, rtol=0, atol=1e-15)


def test_adamw_decay_is_lr_times_weight_decay() -> None:
    """With a zero gradient, AdamW only shrinks the weights by (1 − lr·λ) per step."""
    p = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    opt = O.AdamW([p], lr=0.1, weight_decay=0.5)
    for _ in range(4):
        p.grad = torch.zeros_like(p)
        opt.step()
    assert p.item() == pytest.approx(3.0 * (1 - 0.1 * 0.5) ** 4, rel=1e-12)


def test_textbook_momentum_equals_torch_form_with_scaled_lr() -> None:
    """v = βv + (1−β)g, θ −= α v  ≡  b = βb + g, θ −= α(1−β) b."""
    beta, alpha = 0.9, 0.002
    ours = O.trajectory(
        partial(O.SGD, lr=alpha * (1 - beta), momentum=beta), O.rosenbrock, (-1, 1), 50
    )
    theta, v = np.array([-1.0, 1.0]), np.zeros(2)
    for i in range(50):
        x, y = theta
        grad = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
        v = beta * v + (1 - beta) * grad
        theta = theta - alpha * v
        np.testing.assert_allclose(ours[i + 1], theta, rtol=1e-9)


# --- bad input ---

P = [torch.zeros(2, requires_grad=True)]

BAD = [
    (O.SGD, {"lr": -0.1}, "lr"),
    (O.SGD, {"weight_decay": -1.0}, "weight_decay"),
    (O.SGD, {"momentum": 1.5}, "momentum"),
    (O.SGD, {"momentum": 1.0}, "momentum"),
    (O.SGD, {"momentum": -0.1}, "momentum"),
    (O.SGD, {"dampening": 1.5}, "dampening"),
    (O.SGD, {"nesterov": True}, "nesterov"),
    (O.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
    (O.Adagrad, {"lr": -1.0}, "lr"),
    (O.Adagrad, {"lr_decay": -0.1}, "lr_decay"),
    (O.Adagrad, {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    (O.Adagrad, {"eps": -1e-10}, "eps"),
    (O.Adagrad, {"weight_decay": -1.0}, "weight_decay"),
    (O.RMSprop, {"lr": -1.0}, "lr"),
    (O.RMSprop, {"alpha": 0.0}, "alpha"),
    (O.RMSprop, {"alpha": 1.0}, "alpha"),
    (O.RMSprop, {"eps": -1e-8}, "eps"),
    (O.RMSprop, {"weight_decay": -0.1}, "weight_decay"),
    (O.RMSprop, {"momentum": 1.0}, "momentum"),
    (O.Adam, {"lr": -1e-3}, "lr"),
    (O.Adam, {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    (O.Adam, {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    (O.Adam, {"betas": (0.9,)}, "betas"),
    (O.Adam, {"eps": -1.0}, "eps"),
    (O.Adam, {"weight_decay": -1.0}, "weight_decay"),
    (O.AdamW, {"weight_decay": -1e-2}, "weight_decay"),
    (O.AdamW, {"betas": (0.9, 1.0)}, r"betas\[1\]"),
    (O.AdamW, {"lr": float("nan")}, "lr"),
]


@pytest.mark.parametrize(("cls", "kwargs", "argname"), BAD)
def test_bad_arguments_raise_value_error(cls: type, kwargs: dict, argname: str) -> None:
    with pytest.raises(ValueError, match=argname):
        cls(P, **kwargs)


def test_bad_param_group_is_rejected_and_not_added() -> None:
    opt = O.Adam(P, lr=0.1)
    with pytest.raises(ValueError, match="betas"):
        opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "betas": (0.9, 2.0)})
    assert len(opt.param_groups) == 1


def test_bad_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="lr"):
        O.SGD(P, lr="0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="amsgrad"):
        O.Adam(P, amsgrad=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "argname"),
    [
        (lambda: O.ema([1.0, 2.0], 1.0), "beta"),
        (lambda: O.ema([1.0, 2.0], -0.5), "beta"),
        (lambda: O.ema(3.0, 0.5), "values"),
        (lambda: O.effective_window(1.0), "beta"),
        (lambda: O.inverse_time_decay(-1.0, 1, 0.1), "lr0"),
        (lambda: O.inverse_time_decay(1.0, -1, 0.1), "epoch"),
        (lambda: O.inverse_time_decay(1.0, 1, -0.1), "decay_rate"),
        (lambda: O.exponential_decay(1.0, 1, 1.5), "rate"),
        (lambda: O.exponential_decay(1.0, 1, 0.0), "rate"),
        (lambda: O.quadratic(1.0, 1.0, condition=0.5), "condition"),
        (lambda: O.warmup_cosine(-1.0, 0, 10, 100), "lr0"),
        (lambda: O.warmup_cosine(1.0, 0, -1, 100), "warmup"),
        (lambda: O.warmup_cosine(1.0, 0, 10, 10), "total"),
        (lambda: O.warmup_cosine(1.0, 101, 10, 100), "step"),
        (lambda: O.warmup_cosine(1.0, 5, 10, 100, final=-0.1), "final"),
        (lambda: O.heavy_ball_rate(-0.1, 0.5, 1.0), "lr"),
        (lambda: O.heavy_ball_rate(0.1, 1.0, 1.0), "beta"),
        (lambda: O.heavy_ball_rate(0.1, 0.5, -1.0), "curvature"),
        (lambda: O.polyak_momentum(1.0, 2.0), "smallest"),
        (lambda: O.polyak_momentum(1.0, 0.0), "smallest"),
        (lambda: O.trajectory(lambda p: O.SGD(p), "nope", (0, 0), 3), "surface"),
        (lambda: O.trajectory(lambda p: O.SGD(p), "beale", (0, 0), -1), "steps"),
        (lambda: O.trajectory(lambda p: O.SGD(p), "beale", (0, 0, 0), 3), "start"),
    ],
)
def test_bad_function_arguments(call: Callable[[], Any], argname: str) -> None:
    with pytest.raises(ValueError, match=argname):
        call()


# --- the page's helpers ---


def test_textbook_momentum_class_matches_torch_form() -> None:
    beta, alpha = 0.9, 0.002
    a = O.trajectory(
        lambda p: O.TextbookMomentum(p, lr=alpha, beta=beta), "rosenbrock", (-1, 1), 50
    )
    b = O.trajectory(
        lambda p: torch.optim.SGD(p, lr=alpha * (1 - beta), momentum=beta),
        "rosenbrock",
        (-1, 1),
        50,
    )
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_make_optimizer_library_switch() -> None:
    p = [torch.zeros(2, requires_grad=True)]
    assert isinstance(O.make_optimizer("Nesterov", p, 0.1), O.SGD)
    assert isinstance(O.make_optimizer("Adam", p, 0.1, library="torch"), torch.optim.Adam)
    assert isinstance(O.make_optimizer("Adagrad", p, 0.1), O.Adagrad)
    with pytest.raises(ValueError, match="name"):
        O.make_optimizer("Lion", p, 0.1)


# --- Adagrad, written out ---


def test_adagrad_step_is_the_formula() -> None:
    """s = s₀ + Σ g², θ −= lr_t g / (√s + ε), lr_t = lr / (1 + (t − 1) lr_decay), by hand."""
    grads = [np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.array([-3.0, 1.0])]
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = O.Adagrad([p], lr=0.1, lr_decay=0.5, initial_accumulator_value=0.2, eps=1e-3)
    theta, s = np.zeros(2), np.full(2, 0.2)
    for t, g in enumerate(grads, start=1):
        p.grad = torch.as_tensor(g)
        opt.step()
        s = s + g**2
        theta = theta - 0.1 / (1 + (t - 1) * 0.5) * g / (np.sqrt(s) + 1e-3)
        np.testing.assert_allclose(p.detach().numpy(), theta, rtol=1e-14)


def test_adagrad_step_shrinks_as_one_over_root_t() -> None:
    """Under a constant gradient the sum grows as t g², so the step is lr / √t."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = O.Adagrad([p], lr=1.0, eps=0.0)
    for t in range(1, 50):
        before = float(p.detach())
        p.grad = torch.tensor([3.0], dtype=torch.float64)
        opt.step()
        assert before - float(p.detach()) == pytest.approx(1 / math.sqrt(t), rel=1e-12)
