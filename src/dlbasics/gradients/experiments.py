"""The experiments of the vanishing-gradients page (docs/vanishing-gradients.md).

Deep MLPs from [`deep_mlp`][dlbasics.gradients.deep_mlp] on the digits: gradient norms at
initialisation, training runs with one fix at a time, clipping, a recurrence, and the
evolution strategy against gradient descent. The functions that take more than a moment are
`@cached`; all return plain data, which `dlbasics.gradients.figures` draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from dlbasics._threads import torch_threads
from dlbasics.cache import cached
from dlbasics.gradients import (
    ACTIVATIONS,
    INITS,
    DeepMLP,
    activation_stats,
    deep_mlp,
    evolve,
    gradient_norms,
)
from dlbasics.training import (
    classification_loss,
    digits,
    fit,
    full_batches,
    minibatches,
    model_accuracy,
    model_loss,
)

__all__ = [
    "VARIANTS",
    "clipping",
    "evolution_vs_gradient_descent",
    "fix_rows",
    "init_sweep",
    "recurrence_gradients",
    "train_digits",
]


_ARCHITECTURE_KEYS = ("activation", "init", "residual", "norm")

#: The networks trained on the page: the deep sigmoid baseline and one fix at a time.
VARIANTS: dict[str, dict[str, Any]] = {
    "sigmoid": {"activation": "sigmoid", "init": "default"},
    "sigmoid + Xavier": {"activation": "sigmoid", "init": "xavier"},
    "ReLU": {"activation": "relu", "init": "default"},
    "ReLU + Kaiming": {"activation": "relu", "init": "kaiming"},
    "sigmoid + residual": {"activation": "sigmoid", "init": "default", "residual": True},
    "sigmoid + batch norm": {"activation": "sigmoid", "init": "default", "norm": "batch"},
    "ReLU + residual + batch norm": {
        "activation": "relu",
        "init": "kaiming",
        "residual": True,
        "norm": "batch",
    },
}


@cached
@torch_threads(1)
def init_sweep(
    depth: int = 50, width: int = 64, batch_size: int = 256, seed: int = 0
) -> dict[str, dict[str, list[float]]]:
    """Per-layer weight-gradient norms and activation stds at initialisation, for every
    activation × init, on a batch of digits (float64, so that 1e-40 does not underflow to 0).

    Returns:
        `{"sigmoid/default": {"grad": [...], "act_std": [...]}, ...}`.
    """
    data = digits(dtype=torch.float64)
    x, y = data.x_train[:batch_size], data.y_train[:batch_size]
    out: dict[str, dict[str, list[float]]] = {}
    for activation in ACTIVATIONS:
        for init in INITS:
            torch.manual_seed(seed)
            model = deep_mlp(64, 10, depth, width, activation, init).double()
            out[f"{activation}/{init}"] = {
                "grad": gradient_norms(model, x, y),
                "act_std": activation_stats(model, x)["std"],
            }
    return out


@cached
@torch_threads(1)
def train_digits(
    activation: str = "sigmoid",
    init: str = "default",
    residual: bool | str = False,
    norm: str | None = None,
    *,
    std: float = 0.01,
    depth: int = 10,
    width: int = 64,
    epochs: int = 20,
    optimizer: str = "sgd",
    lr: float | None = None,
    batch_size: int = 64,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Train a [`deep_mlp`][dlbasics.gradients.deep_mlp] on the digits with plain SGD (or
    Adam) and record, per epoch and per linear layer, how much each layer actually moved.

    `optimizer` is `"sgd"` (default rate 0.1) or `"adam"` (default rate 1e-3, torch's
    defaults otherwise); `std` is the standard deviation of the `"normal"` initialisation.

    The relative update of layer \(l\) over epoch \(e\) is
    \(\lVert W_l^{(e)} - W_l^{(e-1)}\rVert_F / \lVert W_l^{(e-1)}\rVert_F\).

    Returns:
        `{"loss": per-step training losses, "epoch_loss": mean loss per epoch,
        "test_accuracy": float, "rel_update": epochs × layers, "grad_norm": epochs × layers
        (mean over the epoch's steps), "init_grad": gradient norms at initialisation}`.
    """
    data = digits()
    torch.manual_seed(seed)
    model = deep_mlp(64, 10, depth, width, activation, init, residual, norm, std=std)
    linears = model.linears
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    step: torch.optim.Optimizer
    if optimizer == "sgd":
        step = torch.optim.SGD(model.parameters(), lr=0.1 if lr is None else lr)
    else:
        step = torch.optim.Adam(model.parameters(), lr=1e-3 if lr is None else lr)
    init_grad = gradient_norms(model, data.x_train, data.y_train)
    generator = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    rel_update = np.zeros((epochs, len(linears)))
    grad_norm = np.zeros((epochs, len(linears)))
    n = len(data.x_train)
    batch_loss = classification_loss(model, data.x_train, data.y_train)
    for epoch in range(epochs):
        before = [linear.weight.detach().clone() for linear in linears]

        def measure(step: int, loss: torch.Tensor, epoch: int = epoch) -> None:
            grad_norm[epoch] += [float(linear.weight.grad.norm()) for linear in linears]  # type: ignore[union-attr]

        def keep(step: int, loss: torch.Tensor) -> None:
            losses.append(loss.item())

        # The ragged last batch is dropped, so that every step averages `batch_size` examples.
        batches = minibatches(n, batch_size, generator=generator, epochs=1, drop_last=True)
        steps = fit(step, batches, batch_loss, before_step=measure, after_step=keep).steps
        grad_norm[epoch] /= steps
        rel_update[epoch] = [
            float((linear.weight.detach() - w0).norm() / w0.norm())
            for linear, w0 in zip(linears, before, strict=True)
        ]
    model.eval()
    test_accuracy = model_accuracy(model, data.x_test, data.y_test)
    per_epoch = np.asarray(losses).reshape(epochs, -1).mean(axis=1)
    return {
        "loss": losses,
        "epoch_loss": per_epoch.tolist(),
        "test_accuracy": test_accuracy,
        "rel_update": rel_update,
        "grad_norm": grad_norm,
        "init_grad": init_grad,
    }


@torch_threads(1)
def recurrence_gradients(
    radii: Sequence[float] = (0.9, 1.0, 1.1), steps: int = 60, size: int = 32, seed: int = 0
) -> dict[str, Any]:
    r"""How the gradient through an unrolled linear recurrence \(h_t = W h_{t-1}\) scales.

    \(W = \rho\, G/\sqrt{n}\) with \(G\) standard Gaussian, whose spectral radius is close to
    \(\rho\) (circular law). For the loss \(L = v^\top h_T\) with a unit vector \(v\),
    \(\partial L/\partial h_0 = (W^\top)^T v\), whose norm grows or shrinks like \(\rho^T\).

    Returns:
        `{"steps": [1..steps], "norms": {rho: [‖∂L/∂h_0‖ for T = 1..steps]}}` (float64 autograd).
    """
    generator = torch.Generator().manual_seed(seed)
    g = torch.randn(size, size, generator=generator, dtype=torch.float64) / math.sqrt(size)
    v = torch.randn(size, generator=generator, dtype=torch.float64)
    v /= v.norm()
    h0 = torch.randn(size, generator=generator, dtype=torch.float64)
    norms: dict[float, list[float]] = {}
    for rho in radii:
        w = rho * g / float(torch.linalg.eigvals(g).abs().max())  # spectral radius exactly rho
        row = []
        for t in range(1, steps + 1):
            h = h0.clone().requires_grad_(True)
            out = h
            for _ in range(t):
                out = w @ out
            (grad,) = torch.autograd.grad(v @ out, h)
            row.append(float(grad.norm()))
        norms[float(rho)] = row
    return {"steps": list(range(1, steps + 1)), "norms": norms}


@cached
@torch_threads(1)
def clipping(
    runs: Sequence[tuple[float | None, float | None]] = ((0.3, None), (0.3, 1.0), (None, None)),
    *,
    depth: int = 10,
    width: int = 64,
    lr: float = 0.05,
    steps: int = 300,
    batch_size: int = 64,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    r"""Train over-initialised ReLU networks on the digits, with and without gradient clipping.

    Each run is `(std, max_norm)`: weights from \(\mathcal N(0, \text{std}^2)\) (`std=None`:
    Kaiming's \(\sqrt{2/n}\)), and clipping with `torch.nn.utils.clip_grad_norm_` (which
    rescales the whole gradient to norm `max_norm` when it is larger; `None`: no clipping).
    With `std` above \(\sqrt{2/n}\) every layer multiplies the signal by about
    \(\text{std}\sqrt{n/2} > 1\), forward and backward.

    Returns:
        `{label: {"loss": [...], "grad_norm": [...] (before clipping), "std": float,
        "max_norm": float | None}}`, in the order of `runs`.
    """
    data = digits()
    out: dict[str, dict[str, Any]] = {}
    for std, max_norm in runs:
        torch.manual_seed(seed)
        if std is None:
            model = deep_mlp(64, 10, depth, width, "relu", "kaiming")
        else:
            model = deep_mlp(64, 10, depth, width, "relu", "normal", std=std)
        losses, norms = _train_clipped(model, data, lr, steps, batch_size, seed, max_norm)
        init_text = "Kaiming init" if std is None else f"N(0, {std:g}²) init"
        clip_text = "no clipping" if max_norm is None else f"clipped to norm {max_norm:g}"
        out[f"{init_text}, {clip_text}"] = {
            "loss": losses,
            "grad_norm": norms,
            "std": math.sqrt(2 / width) if std is None else std,
            "max_norm": max_norm,
        }
    return out


def _train_clipped(
    model: nn.Module,
    data: Any,
    lr: float,
    steps: int,
    batch_size: int,
    seed: int,
    max_norm: float | None,
) -> tuple[list[float], list[float]]:
    """SGD on batches drawn with replacement, clipping the gradient to `max_norm` (`None`:
    no clipping); the loss and the gradient norm before clipping at each step."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses: list[float] = []
    norms: list[float] = []

    def clip(step: int, loss: torch.Tensor) -> None:
        if max_norm is None:
            grads = [p.grad for p in model.parameters() if p.grad is not None]
            total = torch.nn.utils.get_total_norm(grads)
        else:
            total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        losses.append(loss.item())
        norms.append(float(total))

    n = len(data.x_train)
    batches = minibatches(n, batch_size, generator=seed, steps=steps, replacement=True)
    fit(
        optimizer, batches, classification_loss(model, data.x_train, data.y_train), before_step=clip
    )
    return losses, norms


@cached
@torch_threads(1)
def evolution_vs_gradient_descent(
    *,
    n_train: int = 500,
    width: int = 16,
    generations: int = 300,
    population: int = 40,
    sigma: float = 0.05,
    es_lr: float = 0.1,
    gd_lr: float = 0.5,
    gd_steps: int = 300,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Train the same small tanh network on `n_train` digits with
    [`evolve`][dlbasics.gradients.evolve] and with full-batch gradient descent, and count
    what each costs.

    Cost is counted in forward passes over the training set: an ES generation costs
    `population` of them; a gradient step costs one forward and one backward pass, and a
    backward pass costs about two forwards (it multiplies by each weight matrix twice:
    once for the input gradient, once for the weight gradient), so 3 per step.

    Returns:
        `{"es": {"loss", "cost"}, "gd": {"loss", "cost"}, "parameters": int,
        "es_accuracy": float, "gd_accuracy": float}` (accuracies on the test split).
    """
    data = digits()
    x, y = data.x_train[:n_train], data.y_train[:n_train]

    def fresh() -> DeepMLP:
        torch.manual_seed(seed)
        return deep_mlp(64, 10, 1, width, "tanh", "xavier")

    es_model = fresh()
    es = evolve(
        es_model,
        x,
        y,
        generations=generations,
        population=population,
        sigma=sigma,
        lr=es_lr,
        seed=seed,
    )
    gd_model = fresh()
    optimizer = torch.optim.SGD(gd_model.parameters(), lr=gd_lr)
    gd_loss: list[float] = []  # the loss before each step, and after the last one
    fit(
        optimizer,
        full_batches(gd_steps),
        classification_loss(gd_model, x, y),
        after_step=lambda step, loss: gd_loss.append(loss.item()),
    )
    gd_loss.append(model_loss(gd_model, x, y))

    return {
        "es": {"loss": es["loss"], "cost": es["evaluations"]},
        "gd": {"loss": gd_loss, "cost": [3.0 * k for k in range(gd_steps + 1)]},
        "parameters": sum(p.numel() for p in es_model.parameters()),
        "es_accuracy": model_accuracy(es_model, data.x_test, data.y_test),
        "gd_accuracy": model_accuracy(gd_model, data.x_test, data.y_test),
    }


def fix_rows(results: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """Rows of the page's table of fixes: one per
    [`train_digits`][dlbasics.gradients.experiments.train_digits]
    result, with the first/last-layer ratios of the gradient norm at initialisation and of the
    relative update over the first epoch, the final training loss and the test accuracy."""
    rows = []
    for name, r in results.items():
        grad = np.asarray(r["init_grad"])
        update = np.asarray(r["rel_update"])[0]
        rows.append(
            [
                name,
                float(grad[0] / grad[-1]),
                float(update[0] / update[-1]),
                float(r["epoch_loss"][-1]),
                f"{100 * r['test_accuracy']:.1f} %",
            ]
        )
    return rows
