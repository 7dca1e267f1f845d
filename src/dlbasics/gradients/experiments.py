"""The experiments of the vanishing-gradients page (docs/vanishing-gradients.md).

Deep MLPs from [`deep_mlp`][dlbasics.gradients.deep_mlp] on the digits: gradient norms at
initialisation, training runs with one fix at a time, clipping, a recurrence, and the
evolution strategy against gradient descent. The functions that take more than a moment are
`@cached`; all return plain data, which `dlbasics.gradients.figures` draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from dlbasics._threads import torch_threads
from dlbasics.cache import cached
from dlbasics.gradients import (
    ACTIVATIONS,
    INITS,
    DeepMLP,
    _check_choice,
    _check_int,
    _check_positive,
    activation_stats,
    deep_mlp,
    evolve,
    gradient_norms,
    mean_field_gain,
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
    "ADAM_VARIANTS",
    "DEPTH_VARIANTS",
    "EXPLORER_DEPTHS",
    "EXPLORER_VARIANCES",
    "VARIANTS",
    "WEIGHT_VARIANCES",
    "clipped_step_answer",
    "clipping",
    "decay_steps_answer",
    "depth_explorer",
    "evolution_in_deep_network",
    "evolution_vs_gradient_descent",
    "fix_rows",
    "gradient_signs",
    "init_explorer",
    "init_sweep",
    "kaiming_std_answer",
    "recurrence_gradients",
    "recurrence_growth_answer",
    "residual_growth",
    "saturation",
    "sigmoid_critical_answer",
    "sigmoid_orders_answer",
    "symmetry_breaking",
    "tanh_gains",
    "train_digits",
    "variance_sweep",
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
    "ReLU + He residual + batch norm": {
        "activation": "relu",
        "init": "kaiming",
        "residual": "he",
        "norm": "batch",
    },
    "sigmoid, n·v = 100": {"activation": "sigmoid", "init": "normal", "std": 1.25},
}
r"""`"sigmoid, n·v = 100"`: weights from \(\mathcal N(0, 100/64)\) in 64-unit layers, the
variance at which the sigmoid's mean-field gain is close to 1."""

#: The same networks trained with Adam (rate 1e-3) instead of SGD.
ADAM_VARIANTS: dict[str, dict[str, Any]] = {
    "sigmoid": {"activation": "sigmoid", "init": "default", "optimizer": "adam"},
    "ReLU": {"activation": "relu", "init": "default", "optimizer": "adam"},
    "ReLU + Kaiming": {"activation": "relu", "init": "kaiming", "optimizer": "adam"},
}

#: The weight variances of `variance_sweep`, as n·v (fan-in times variance): torch's default
#: (1/3), Xavier's (1), Kaiming's (2) and up to far beyond.
WEIGHT_VARIANCES: tuple[float, ...] = (1 / 3, 1, 2, 10, 30, 60, 100, 113, 150, 300)


@cached
@torch_threads(1)
def init_sweep(
    depth: int = 50, width: int = 64, batch_size: int = 256, seed: int = 0
) -> dict[str, dict[str, list[float]]]:
    """Per-layer weight-gradient norms and activation statistics at initialisation, for every
    activation × init, on a batch of digits (float64, so that 1e-40 does not underflow to 0).

    `act_std` is the standard deviation over all the entries of a layer's output (units and
    examples together); `unit_std` the spread across examples per unit, averaged over the
    units ([`activation_stats`][dlbasics.gradients.activation_stats]), which is 0 when every
    image is mapped to the same vector; `act_mean` the mean.

    Returns:
        `{"sigmoid/default": {"grad": [...], "act_std": [...], "unit_std": [...],
        "act_mean": [...]}, ...}`.
    """
    data = digits(dtype=torch.float64)
    x, y = data.x_train[:batch_size], data.y_train[:batch_size]
    out: dict[str, dict[str, list[float]]] = {}
    for activation in ACTIVATIONS:
        for init in INITS:
            torch.manual_seed(seed)
            model = deep_mlp(64, 10, depth, width, activation, init).double()
            stats = activation_stats(model, x)
            out[f"{activation}/{init}"] = {
                "grad": gradient_norms(model, x, y),
                "act_std": stats["std"],
                "unit_std": stats["unit_std"],
                "act_mean": stats["mean"],
            }
    return out


@cached
@torch_threads(1)
def variance_sweep(
    weight_variances: Sequence[float] = WEIGHT_VARIANCES,
    activation: str = "sigmoid",
    depth: int = 50,
    width: int = 64,
    batch_size: int = 256,
    seed: int = 0,
) -> dict[str, Any]:
    r"""The gradient ratio of a deep network at initialisation against the weight variance.

    Weights \(\mathcal N(0, v)\) with \(n v\) from `weight_variances` (\(n\) = `width`, the fan
    of every hidden layer), biases 0, float64: the ratio of the input layer's weight-gradient
    norm to the output layer's, and the mean-field prediction of the per-layer backward gain
    \(\chi\) ([`mean_field_gain`][dlbasics.gradients.mean_field_gain]), and the n·v at
    which \(\chi = 1\) (`chi_one`).
    """
    data = digits(dtype=torch.float64)
    x, y = data.x_train[:batch_size], data.y_train[:batch_size]
    out: dict[str, Any] = {"weight_variances": list(weight_variances), "depth": depth}
    ratios, chis = [], []
    for nv in weight_variances:
        torch.manual_seed(seed)
        std = math.sqrt(nv / width)
        model = deep_mlp(64, 10, depth, width, activation, "normal", std=std).double()
        grads = gradient_norms(model, x, y)
        ratios.append(grads[0] / grads[-1])
        chis.append(mean_field_gain(activation, nv)["chi"])
    out["ratio"], out["chi"] = ratios, chis
    out["chi_one"] = _gain_one(activation)
    return out


def _gain_one(activation: str, lo: float = 1.0, hi: float = 1000.0) -> float:
    """The n·v at which the mean-field gain χ of `activation` is 1, by bisection on a log
    scale (χ grows with n·v for the sigmoid)."""
    for _ in range(40):
        mid = math.sqrt(lo * hi)
        if mean_field_gain(activation, mid)["chi"] < 1:
            lo = mid
        else:
            hi = mid
    return math.sqrt(lo * hi)


def _hidden_probes(model: DeepMLP) -> tuple[list[torch.Tensor], list[torch.Tensor], Any]:
    """Forward hooks that keep each hidden block's pre-activation (the linear map's output)
    and its output (with its gradient retained); returns the lists and a remover."""
    zs: list[torch.Tensor] = []
    hs: list[torch.Tensor] = []

    def keep_z(_m: nn.Module, _a: Any, out: torch.Tensor) -> None:
        zs.append(out)

    def keep_h(_m: nn.Module, _a: Any, out: torch.Tensor) -> None:
        if out.requires_grad:
            out.retain_grad()
        hs.append(out)

    linears = [cast(nn.Linear, block.linear) for block in model.hidden]
    handles = [linear.register_forward_hook(keep_z) for linear in linears]
    handles += [block.register_forward_hook(keep_h) for block in model.hidden]

    def remove() -> None:
        for handle in handles:
            handle.remove()

    return zs, hs, remove


@cached
@torch_threads(1)
def saturation(
    variants: Sequence[str] = ("sigmoid", "sigmoid, n·v = 100", "sigmoid + batch norm"),
    bins: int = 40,
    seed: int = 0,
) -> dict[str, Any]:
    r"""How saturated are the sigmoids of the depth-10 networks of the page at initialisation?

    On the training images, for each hidden layer \(l = 1, \dots, 10\): the rms of the
    pre-activation \(z_l\) (the linear map's output, before any batch norm), the share of
    \(|z_l| > 2\) (where \(\sigma' < 0.105\)), a histogram of the layer's output
    \(h_l = \sigma(\cdot)\) on [0, 1]; and the backward gain of every layer,
    \(\lVert\partial L/\partial h_{l-1}\rVert / \lVert\partial L/\partial h_l\rVert\). For a
    network with batch norm also \(\gamma/\sigma_\mathcal B\) per layer (mean over units): the
    factor by which BN's backward pass multiplies the gradient.
    """
    data = digits()
    edges = np.linspace(0, 1, bins + 1)
    out: dict[str, Any] = {"edges": edges}
    for name in variants:
        kwargs = {k: v for k, v in VARIANTS[name].items() if k in (*_ARCHITECTURE_KEYS, "std")}
        torch.manual_seed(seed)
        model = deep_mlp(64, 10, 10, 64, **kwargs)
        zs, hs, remove = _hidden_probes(model)
        try:
            loss = torch.nn.functional.cross_entropy(model(data.x_train), data.y_train)
            loss.backward()
        finally:
            remove()
        hidden_z = [z.detach() for z in zs[1:]]  # the 10 hidden layers (0 is the input layer)
        record: dict[str, Any] = {
            "rms_z": [float(z.square().mean().sqrt()) for z in hidden_z],
            "over_2": [float((z.abs() > 2).float().mean()) for z in hidden_z],
            "hist": [np.histogram(h.detach().numpy(), bins=edges)[0] for h in hs[1:]],
            "gain": [
                float(hs[i - 1].grad.norm() / hs[i].grad.norm())  # type: ignore[union-attr]
                for i in range(1, len(hs))
            ],
        }
        if kwargs.get("norm") == "batch":
            record["bn_gain"] = [
                float((1 / torch.sqrt(z.var(0, unbiased=False) + 1e-5)).mean()) for z in hidden_z
            ]
        out[name] = record
    return out


@cached
@torch_threads(1)
def residual_growth(
    variants: Sequence[str] = (
        "sigmoid + residual",
        "ReLU + residual + batch norm",
        "ReLU + He residual + batch norm",
    ),
    seed: int = 0,
) -> dict[str, Any]:
    """The size of the representation along the residual networks of the page at
    initialisation: the mean and standard deviation of each block's output over the training
    images ([`activation_stats`][dlbasics.gradients.activation_stats]), and the loss of the
    untrained network (chance is ln 10)."""
    data = digits()
    out: dict[str, Any] = {}
    for name in variants:
        torch.manual_seed(seed)
        model = deep_mlp(64, 10, 10, 64, **VARIANTS[name])
        stats = activation_stats(model, data.x_train)
        model.train()
        out[name] = {
            "mean": stats["mean"],
            "std": stats["std"],
            "loss": model_loss(model, data.x_train, data.y_train),
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

    \(W\) is a standard Gaussian matrix \(G\) rescaled to spectral radius exactly \(\rho\).
    For the loss \(L = v^\top h_K\) after \(K\) steps, with a unit vector \(v\),
    \(\partial L/\partial h_0 = (W^\top)^K v\), whose norm grows or shrinks like \(\rho^K\).

    Returns:
        `{"steps": [1..steps], "norms": {rho: [‖∂L/∂h_0‖ for K = 1..steps]}}` (float64 autograd).
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
        "max_norm": float | None, "test_accuracy": float | None}}`, in the order of `runs`
        (`test_accuracy` is `None` when the trained network's outputs are not finite).
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
        with torch.no_grad():
            logits = model(data.x_test)
        finite = bool(torch.isfinite(logits).all())
        out[f"{init_text}, {clip_text}"] = {
            "loss": losses,
            "grad_norm": norms,
            "std": math.sqrt(2 / width) if std is None else std,
            "max_norm": max_norm,
            "test_accuracy": model_accuracy(model, data.x_test, data.y_test) if finite else None,
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


@cached
@torch_threads(1)
def evolution_in_deep_network(
    *,
    n_train: int = 500,
    depth: int = 10,
    generations: int = 100,
    population: int = 40,
    sigma: float = 0.05,
    es_lr: float = 0.01,
    gd_lr: float = 0.5,
    gd_steps: int = 300,
    seed: int = 0,
) -> dict[str, Any]:
    r"""The evolution strategy where gradients vanish: the deep sigmoid network of the page
    (torch's default init) on `n_train` digits, against full-batch gradient descent from the
    same weights.

    Returns, for each method: the training loss before and after, the test accuracy, and the
    relative change \(\lVert W_l - W_l^{(0)}\rVert / \lVert W_l^{(0)}\rVert\) of every linear
    layer's weights; and the number of weights.
    """
    data = digits()
    x, y = data.x_train[:n_train], data.y_train[:n_train]

    def fresh() -> DeepMLP:
        torch.manual_seed(seed)
        return deep_mlp(64, 10, depth, 64, "sigmoid", "default")

    def moved(model: DeepMLP, start: list[torch.Tensor]) -> list[float]:
        return [
            float((linear.weight.detach() - w0).norm() / w0.norm())
            for linear, w0 in zip(model.linears, start, strict=True)
        ]

    out: dict[str, Any] = {}
    es_model = fresh()
    start = [linear.weight.detach().clone() for linear in es_model.linears]
    history = evolve(
        es_model,
        x,
        y,
        generations=generations,
        population=population,
        sigma=sigma,
        lr=es_lr,
        seed=seed,
    )
    out["es"] = {
        "loss": [history["loss"][0], history["loss"][-1]],
        "accuracy": model_accuracy(es_model, data.x_test, data.y_test),
        "moved": moved(es_model, start),
        "evaluations": history["evaluations"][-1],
    }
    gd_model = fresh()
    before = model_loss(gd_model, x, y)
    optimizer = torch.optim.SGD(gd_model.parameters(), lr=gd_lr)
    fit(optimizer, full_batches(gd_steps), classification_loss(gd_model, x, y))
    out["gd"] = {
        "loss": [before, model_loss(gd_model, x, y)],
        "accuracy": model_accuracy(gd_model, data.x_test, data.y_test),
        "moved": moved(gd_model, start),
        "steps": gd_steps,
    }
    out["parameters"] = sum(p.numel() for p in es_model.parameters())
    return out


@cached
@torch_threads(1)
def tanh_gains(
    gains: Sequence[float] = (1.0, 5 / 3), depth: int = 50, batch_size: int = 256, seed: int = 0
) -> dict[str, Any]:
    r"""tanh networks with Xavier's initialisation times a gain (torch's recommended gain for
    tanh is 5/3), at initialisation, float64: per layer the standard deviation of the output
    and the per-unit spread across examples, and the weight-gradient norms; with the
    mean-field gain \(\chi\) of each (\(n v = \text{gain}^2\) for square layers)."""
    data = digits(dtype=torch.float64)
    x, y = data.x_train[:batch_size], data.y_train[:batch_size]
    out: dict[Any, Any] = {"gains": list(gains)}
    for gain in gains:
        torch.manual_seed(seed)
        model = deep_mlp(64, 10, depth, 64, "tanh", "xavier", gain=gain).double()
        stats = activation_stats(model, x)
        out[gain] = {
            "std": stats["std"],
            "unit_std": stats["unit_std"],
            "grad": gradient_norms(model, x, y),
            "chi": mean_field_gain("tanh", gain**2)["chi"],
        }
    return out


@cached
@torch_threads(1)
def symmetry_breaking(
    inits: Sequence[str] = ("zero", "constant", "random"),
    width: int = 32,
    lr: float = 0.5,
    epochs: int = 20,
    seed: int = 0,
) -> dict[str, Any]:
    """Why not start from zero: a sigmoid network with two hidden layers of `width` units,
    trained with SGD from all-zero weights, from every weight 0.1, and from torch's random
    default. Units that start equal get equal gradients and stay equal.

    Returns, per init: the rank of the trained first layer's weight matrix, the largest
    difference between two of its rows (two units' incoming weights), and the test accuracy.
    """
    data = digits()
    out: dict[str, Any] = {}
    for init in inits:
        torch.manual_seed(seed)
        model = deep_mlp(64, 10, 1, width, "sigmoid", "default")
        with torch.no_grad():
            for linear in model.linears:
                if init == "zero":
                    linear.weight.zero_()
                elif init == "constant":
                    linear.weight.fill_(0.1)
                if init != "random":
                    linear.bias.zero_()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        batches = minibatches(len(data.x_train), 64, generator=seed, epochs=epochs)
        fit(optimizer, batches, classification_loss(model, data.x_train, data.y_train))
        w = model.linears[0].weight.detach()
        out[init] = {
            "rank": int(torch.linalg.matrix_rank(w)),
            "row_spread": float((w - w[0]).abs().max()),
            "accuracy": model_accuracy(model, data.x_test, data.y_test),
        }
    out["width"] = width
    return out


def gradient_signs(
    activations: Sequence[str] = ("sigmoid", "tanh"), depth: int = 10, seed: int = 0
) -> dict[str, Any]:
    r"""Glorot & Bengio's point about the sigmoid's mean: a layer's input \(h > 0\) makes each
    row of the weight gradient of one example, \(\delta_j h^\top\), take one sign.

    For each activation (Xavier init, depth 10): the mean of each hidden layer's output over
    the training images, and, for the first training image, the share of the rows of each
    hidden layer's weight gradient whose entries all have one sign.
    """
    data = digits()
    out: dict[str, Any] = {}
    for activation in activations:
        torch.manual_seed(seed)
        model = deep_mlp(64, 10, depth, 64, activation, "xavier")
        loss = torch.nn.functional.cross_entropy(model(data.x_train[:1]), data.y_train[:1])
        loss.backward()
        shares = []
        for linear in model.linears[1:-1]:
            g = linear.weight.grad
            assert g is not None
            nonzero = g.abs().sum(1) > 0
            one_sign = ((g >= 0).all(1) | (g <= 0).all(1)) & nonzero
            shares.append(float(one_sign.sum() / nonzero.sum()))
        out[activation] = {
            "mean": activation_stats(model, data.x_train)["mean"],
            "one_sign_rows": shares,
        }
    return out


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


# --- Explorables: every frame computed here, drawn by the figures ---------------------------

#: The n·v grid of the initialisation explorable: from torch's default (1/3) through Xavier's (1)
#: and Kaiming's (2) to beyond the sigmoid's critical point (χ = 1 near 100).
EXPLORER_VARIANCES: tuple[float, ...] = (1 / 3, 1, 2, 10, 30, 100, 150, 300)

#: The depths (hidden layers) of the depth explorable.
EXPLORER_DEPTHS: tuple[int, ...] = (1, 2, 5, 10, 20, 30, 40, 50)

#: The networks of the depth explorable: the sigmoid baseline and three of its fixes.
DEPTH_VARIANTS: tuple[str, ...] = (
    "sigmoid",
    "sigmoid + residual",
    "sigmoid + batch norm",
    "ReLU + Kaiming",
)


@cached
@torch_threads(1)
def init_explorer(
    weight_variances: Sequence[float] = EXPLORER_VARIANCES,
    activations: Sequence[str] = tuple(ACTIVATIONS),
    depth: int = 50,
    width: int = 64,
    batch_size: int = 256,
    seed: int = 0,
) -> dict[str, Any]:
    r"""For every activation and every n·v: a depth-`depth` network with weights
    \(\mathcal N(0, v)\) and zero biases at initialisation, on `batch_size` digits in float64.

    Returns:
        `{"runs": {(activation, n·v): {"grad": ‖∇W_l‖ per linear layer, "unit_std": spread
        across images per unit of each hidden layer, "ratio": ‖∇W_in‖/‖∇W_out‖, "chi": the
        mean-field gain}}, "chi_one": {activation: the n·v where χ = 1}, "depth": depth}`.
    """
    if not weight_variances or not activations:
        raise ValueError(
            f"weight_variances and activations must not be empty, got {weight_variances!r} "
            f"and {activations!r}"
        )
    for nv in weight_variances:
        _check_positive("weight_variances", nv)
    for activation in activations:
        _check_choice("activations", activation, list(ACTIVATIONS))
    data = digits(dtype=torch.float64)
    x, y = data.x_train[:batch_size], data.y_train[:batch_size]
    runs: dict[tuple[str, float], dict[str, Any]] = {}
    for activation in activations:
        for nv in weight_variances:
            torch.manual_seed(seed)
            std = math.sqrt(nv / width)
            model = deep_mlp(64, 10, depth, width, activation, "normal", std=std).double()
            grads = gradient_norms(model, x, y)
            runs[(activation, float(nv))] = {
                "grad": grads,
                "unit_std": activation_stats(model, x)["unit_std"],
                "ratio": grads[0] / grads[-1],
                "chi": mean_field_gain(activation, nv)["chi"],
            }
    return {
        "runs": runs,
        "chi_one": {activation: _gain_one(activation) for activation in activations},
        "depth": depth,
    }


@cached
@torch_threads(1)
def depth_explorer(
    depths: Sequence[int] = EXPLORER_DEPTHS,
    variants: Sequence[str] = DEPTH_VARIANTS,
    width: int = 64,
    batch_size: int = 256,
    seed: int = 0,
) -> dict[str, Any]:
    """For every depth and every network of `variants` (names of `VARIANTS`): the weight-gradient
    norm of each linear layer at initialisation, on `batch_size` digits in float64.

    Returns:
        `{"runs": {(name, depth): {"grad": [...], "ratio": ‖∇W_in‖/‖∇W_out‖}},
        "depths": [...], "variants": [...]}`.
    """
    if not depths or not variants:
        raise ValueError(f"depths and variants must not be empty, got {depths!r} and {variants!r}")
    for depth in depths:
        _check_int("depths", depth, 1)
    for name in variants:
        _check_choice("variants", name, list(VARIANTS))
    data = digits(dtype=torch.float64)
    x, y = data.x_train[:batch_size], data.y_train[:batch_size]
    runs: dict[tuple[str, int], dict[str, Any]] = {}
    for name in variants:
        kwargs = {k: v for k, v in VARIANTS[name].items() if k in (*_ARCHITECTURE_KEYS, "std")}
        for depth in depths:
            torch.manual_seed(seed)
            model = deep_mlp(64, 10, depth, width, **kwargs).double()
            grads = gradient_norms(model, x, y)
            runs[(name, int(depth))] = {"grad": grads, "ratio": grads[0] / grads[-1]}
    return {"runs": runs, "depths": [int(d) for d in depths], "variants": list(variants)}


# --- Exercises: each answer computed by the library ------------------------------------------


def sigmoid_orders_answer() -> float:
    """log₁₀ of ‖∇W_in‖/‖∇W_out‖ in the page's depth-50 sigmoid network with torch's init."""
    grad = init_sweep(depth=50, width=64)["sigmoid/default"]["grad"]
    return math.log10(grad[0] / grad[-1])


def kaiming_std_answer(fan_in: int = 256) -> float:
    """The standard deviation of He et al.'s init, torch's `kaiming_normal_` with its defaults
    (mode="fan_in", gain √2): Var W = 2/fan_in."""
    _check_int("fan_in", fan_in, 1)
    return math.sqrt(2 / fan_in)


def _check_fraction(name: str, value: Any) -> float:
    if not 0 < _check_positive(name, value) < 1:
        raise ValueError(f"{name} must lie in (0, 1), got {value}")
    return float(value)


def decay_steps_answer(rho: float = 0.95, below: float = 0.01, size: int = 32) -> int:
    """Steps back through h_t = W h_{t-1}, W = ρ × a rotation, until the gradient is below
    `below` of its size."""
    _check_fraction("rho", rho)
    _check_fraction("below", below)
    generator = torch.Generator().manual_seed(0)
    rotation, _ = torch.linalg.qr(torch.randn(size, size, generator=generator, dtype=torch.float64))
    grad = torch.randn(size, generator=generator, dtype=torch.float64)
    start, steps = grad.norm(), 0
    while grad.norm() >= below * start:
        grad = rho * rotation.T @ grad  # one step of backpropagation: multiply by Wᵀ
        steps += 1
    return steps


def clipped_step_answer(lr: float = 0.05, max_norm: float = 1.0) -> float:
    """The length ‖Δθ‖ of the first SGD step of the page's over-initialised network
    (N(0, 0.3²) weights), its gradient clipped to norm `max_norm` by `clip_grad_norm_`."""
    torch.manual_seed(0)  # the page's clipping runs: same network, same first batch
    model = deep_mlp(64, 10, 10, 64, "relu", "normal", std=0.3)
    before = nn.utils.parameters_to_vector(model.parameters()).detach()
    _train_clipped(model, digits(), lr, steps=1, batch_size=64, seed=0, max_norm=max_norm)
    after = nn.utils.parameters_to_vector(model.parameters()).detach()
    return float((after - before).norm())


def sigmoid_critical_answer(candidates: tuple[float, ...] = (2, 16, 100)) -> int:
    """Which n·v of `candidates` is nearest (on a log scale) the one where the sigmoid's
    mean-field gain χ is 1; `len(candidates)` if χ stays below 1 up to n·v = 1000."""
    for c in candidates:
        _check_positive("candidates", c)
    if mean_field_gain("sigmoid", 1000.0)["chi"] < 1:
        return len(candidates)
    one = _gain_one("sigmoid")
    return int(np.argmin([abs(math.log(c / one)) for c in candidates]))


def recurrence_growth_answer(orders: tuple[int, ...] = (1, 2, 6), rho: float = 1.1) -> int:
    """Which power of ten in `orders` is nearest the growth of ‖∂L/∂h₀‖ over 60 steps of the
    page's recurrence with spectral radius `rho`."""
    if not orders:
        raise ValueError("orders must hold at least one power of ten, got an empty tuple")
    growth = recurrence_gradients(radii=(rho,), steps=60)["norms"][float(rho)][-1]
    return int(np.argmin([abs(math.log10(growth) - k) for k in orders]))
