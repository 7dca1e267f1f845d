r"""Vanishing and exploding gradients: deep networks to probe, and the probes.

Backpropagation multiplies one Jacobian per layer. For a plain stack of depth \(L\),
\(h_l = \phi(z_l)\), \(z_l = W_l h_{l-1} + b_l\), the gradient of the loss \(\mathcal L\)
with respect to an early representation is

\[
\frac{\partial \mathcal L}{\partial h_{k}}
= \Big(\prod_{l=k+1}^{L} W_l^{\top} D_l\Big)\,\frac{\partial \mathcal L}{\partial h_L},
\qquad D_l = \operatorname{diag}\big(\phi'(z_l)\big),
\]

so its size behaves like a product of \(L-k\) factors \(\lVert W_l^\top D_l\rVert\).
With the sigmoid, \(\phi' \le 1/4\) and the product shrinks geometrically (vanishing);
with large weights it grows geometrically (exploding).

This module builds such stacks ([`deep_mlp`][dlbasics.gradients.deep_mlp]) with the
usual fixes as switches (ReLU, Xavier/Kaiming initialisation, residual connections,
batch norm), measures them ([`gradient_norms`][dlbasics.gradients.gradient_norms],
[`activation_stats`][dlbasics.gradients.activation_stats]) and trains a small network
without any gradient at all ([`evolve`][dlbasics.gradients.evolve], an evolution strategy).
The experiments of the page follow in their own section at the end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlbasics._threads import torch_threads
from dlbasics.batch_norm import BatchNorm1d
from dlbasics.cache import cached

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "NORMS",
    "VARIANTS",
    "DeepMLP",
    "activation_stats",
    "clipping_experiment",
    "deep_mlp",
    "evolution_vs_gradient_descent",
    "evolve",
    "fix_rows",
    "gradient_norms",
    "init_sweep",
    "plot_clipping",
    "plot_evolution",
    "plot_init_sweep",
    "plot_recurrence",
    "plot_training",
    "recurrence_gradients",
    "train_digits",
]

#: Names accepted by `activation`, and the modules they build.
ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
#: Names accepted by `init`.
INITS: tuple[str, ...] = ("default", "normal", "xavier", "kaiming")
#: Values accepted by `norm`.
NORMS: tuple[str | None, ...] = (None, "batch")


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def _check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


# --- The network ----------------------------------------------------------------------


class _Block(nn.Module):
    r"""One hidden layer: \(h \mapsto \phi(\mathrm{norm}(W h + b))\), plus \(h\) when residual."""

    def __init__(
        self, fan_in: int, width: int, activation: str, residual: bool, norm: str | None
    ) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, width)
        # Batch norm sits between the linear map and the nonlinearity, as in Ioffe & Szegedy.
        self.norm: nn.Module = BatchNorm1d(width) if norm == "batch" else nn.Identity()
        self.activation = ACTIVATIONS[activation]()
        self.residual = residual

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        out = self.activation(self.norm(self.linear(h)))
        # The identity path adds I to this block's Jacobian: I + W^T D instead of W^T D.
        return h + out if self.residual else out


class DeepMLP(nn.Module):
    r"""A deep fully connected network (built by [`deep_mlp`][dlbasics.gradients.deep_mlp]).

    Layout: an input layer `in_features → width`, `depth` hidden layers `width → width`
    (each with its optional batch norm, its activation and its optional identity skip),
    and a linear output layer `width → out_features` that returns logits.

    Attributes:
        hidden: The `depth + 1` blocks that produce the hidden representations
            (the input layer first; it never has a skip, since its shapes differ).
        output: The output `nn.Linear`.
        linears: All `depth + 2` linear layers, from input to output.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        depth: int,
        width: int,
        activation: str,
        residual: bool,
        norm: str | None,
    ) -> None:
        super().__init__()
        blocks = [_Block(in_features, width, activation, False, norm)]
        blocks += [_Block(width, width, activation, residual, norm) for _ in range(depth)]
        self.hidden = nn.ModuleList(blocks)
        self.output = nn.Linear(width, out_features)

    @property
    def linears(self) -> list[nn.Linear]:
        """The linear layers in order: input layer, each hidden layer, output layer."""
        return [block.linear for block in self.hidden if isinstance(block, _Block)] + [self.output]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of `x` (shape `(N, in_features)`)."""
        for block in self.hidden:
            x = block(x)
        out: torch.Tensor = self.output(x)
        return out


def deep_mlp(
    in_features: int,
    out_features: int,
    depth: int,
    width: int,
    activation: str = "relu",
    init: str = "default",
    residual: bool = False,
    norm: str | None = None,
    *,
    std: float = 0.01,
) -> DeepMLP:
    r"""A deep MLP with the switches that decide whether its gradients vanish.

    Initialisations of every linear layer (fan-in \(n_\text{in}\), fan-out \(n_\text{out}\)):

    - `"default"`: torch's `nn.Linear` default,
      \(W \sim \mathcal U(-1/\sqrt{n_\text{in}}, 1/\sqrt{n_\text{in}})\), i.e.
      \(\operatorname{Var} W = 1/(3 n_\text{in})\), and a uniform bias.
    - `"normal"`: \(W \sim \mathcal N(0, \text{std}^2)\), bias 0 — the "small random
      numbers" of course notes (`std=0.01`).
    - `"xavier"`: Glorot & Bengio (2010), \(\operatorname{Var} W = 2/(n_\text{in}+n_\text{out})\)
      (`nn.init.xavier_normal_`, gain 1), bias 0.
    - `"kaiming"`: He et al. (2015), \(\operatorname{Var} W = 2/n_\text{in}\), made for ReLU
      (`nn.init.kaiming_normal_(nonlinearity="relu")`), bias 0.

    Args:
        in_features: Size of an input vector.
        out_features: Number of outputs (logits).
        depth: Number of hidden `width → width` layers (>= 1), between the input layer
            `in_features → width` and the output layer `width → out_features`.
        width: Units per hidden layer.
        activation: `"sigmoid"`, `"tanh"` or `"relu"`.
        init: `"default"`, `"normal"`, `"xavier"` or `"kaiming"` (see above).
        residual: Add an identity skip around each hidden layer: \(h_l = h_{l-1} + \phi(\cdot)\).
        norm: `None`, or `"batch"` for a batch norm between each linear map and its activation.
        std: Standard deviation of the `"normal"` initialisation.

    Returns:
        A [`DeepMLP`][dlbasics.gradients.DeepMLP]; its `.linears` lists the `depth + 2`
        linear layers from input to output.

    Raises:
        ValueError: A size below 1, an unknown activation/init/norm, or `std <= 0`.
        TypeError: A size that is not an int, or `residual` that is not a bool.
    """
    _check_int("in_features", in_features, 1)
    _check_int("out_features", out_features, 1)
    _check_int("depth", depth, 1)
    _check_int("width", width, 1)
    _check_choice("activation", activation, list(ACTIVATIONS))
    _check_choice("init", init, INITS)
    _check_choice("norm", norm, NORMS)
    _check_positive("std", std)
    if not isinstance(residual, bool):
        raise TypeError(f"residual must be a bool, got {residual!r}")
    model = DeepMLP(in_features, out_features, depth, width, activation, residual, norm)
    if init != "default":
        for linear in model.linears:
            if init == "normal":
                nn.init.normal_(linear.weight, 0.0, std)
            elif init == "xavier":
                nn.init.xavier_normal_(linear.weight)
            else:
                nn.init.kaiming_normal_(linear.weight, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(linear.bias)
    return model


# --- Probes ------------------------------------------------------------------------------


def _linear_layers(model: nn.Module) -> list[nn.Linear]:
    linears = getattr(model, "linears", None)
    if linears is None:
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(
            f"model must contain nn.Linear layers, found none in {type(model).__name__}"
        )
    return list(linears)


def _check_batch(inputs: Any, targets: Any | None = None) -> None:
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a torch.Tensor, got {type(inputs).__name__}")
    if inputs.ndim < 1 or inputs.shape[0] < 1:
        raise ValueError(
            f"inputs must hold a batch of at least one example, got shape {tuple(inputs.shape)}"
        )
    if targets is not None:
        if not isinstance(targets, torch.Tensor):
            raise TypeError(f"targets must be a torch.Tensor, got {type(targets).__name__}")
        if targets.shape[:1] != inputs.shape[:1]:
            raise ValueError(
                f"targets must have one entry per input ({inputs.shape[0]}), "
                f"got shape {tuple(targets.shape)}"
            )


class _KeepBuffers:
    """Restore a model's buffers (batch-norm running statistics) on exit: probes leave no trace."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.saved = [b.detach().clone() for b in self.model.buffers()]

    def __exit__(self, *exc: object) -> None:
        with torch.no_grad():
            for buffer, saved in zip(self.model.buffers(), self.saved, strict=True):
                buffer.copy_(saved)


def gradient_norms(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> list[float]:
    r"""The L2 norm of each linear layer's weight gradient, from input layer to output layer.

    For layer \(l\) with input \(h_{l-1}\) and pre-activation gradient
    \(\delta_l = \partial L / \partial z_l\), the weight gradient is a sum of outer products,

    \[
    \nabla_{W_l} L = \sum_{i} \delta_{l,i}\, h_{l-1,i}^{\top},
    \qquad \lVert \delta_{l,i} h_{l-1,i}^{\top} \rVert_F
    = \lVert\delta_{l,i}\rVert\,\lVert h_{l-1,i}\rVert,
    \]

    so it carries the size of the layer's *input* as well as of the backpropagated signal.

    One forward and one backward pass (`torch.autograd.grad`), in the model's current
    train/eval mode. The model's existing `.grad` fields and its buffers (batch-norm running
    statistics) are left as they were.

    Args:
        model: A network; its linear layers are `model.linears` if it has that attribute
            (as [`DeepMLP`][dlbasics.gradients.DeepMLP] does), else every `nn.Linear` in
            `model.modules()` order.
        inputs: A batch of inputs.
        targets: The matching targets.
        loss_fn: `loss_fn(outputs, targets)` → scalar; defaults to `F.cross_entropy`.

    Returns:
        One float per linear layer: \(\lVert \nabla_{W_l} L \rVert_F\).
    """
    _check_batch(inputs, targets)
    linears = _linear_layers(model)
    loss_fn = F.cross_entropy if loss_fn is None else loss_fn
    with _KeepBuffers(model):
        loss = loss_fn(model(inputs), targets)
        grads = torch.autograd.grad(loss, [linear.weight for linear in linears])
    return [float(g.norm()) for g in grads]


def _default_probe_modules(model: nn.Module) -> list[nn.Module]:
    if isinstance(model, DeepMLP):
        return list(model.hidden)
    kinds = tuple(ACTIVATIONS.values())
    found = [m for m in model.modules() if isinstance(m, kinds)]
    if not found:
        raise ValueError(
            f"model ({type(model).__name__}) has no sigmoid/tanh/ReLU modules: pass modules="
        )
    return found


def activation_stats(
    model: nn.Module, inputs: torch.Tensor, modules: Sequence[nn.Module] | None = None
) -> dict[str, list[float]]:
    r"""Mean and standard deviation of each layer's output on `inputs`, in forward order.

    A forward hook on each probed module records the mean and the (population) standard
    deviation over all the entries of its output; the hooks are removed afterwards, the
    forward pass runs without autograd and the model's buffers are restored.

    Args:
        model: The network.
        inputs: A batch of inputs.
        modules: The modules to probe. Default: for a [`DeepMLP`][dlbasics.gradients.DeepMLP],
            its hidden blocks (their outputs \(h_0, \dots, h_\text{depth}\), after any skip);
            otherwise every sigmoid, tanh and ReLU module.

    Returns:
        `{"mean": [...], "std": [...]}`, one entry per probed module call, in call order.
    """
    _check_batch(inputs)
    probed = _default_probe_modules(model) if modules is None else list(modules)
    if not probed:
        raise ValueError("modules must name at least one module to probe, got an empty list")
    means: list[float] = []
    stds: list[float] = []

    def hook(_module: nn.Module, _args: Any, output: torch.Tensor) -> None:
        means.append(float(output.mean()))
        stds.append(float(output.std(correction=0)))

    handles = [m.register_forward_hook(hook) for m in probed]
    try:
        with _KeepBuffers(model), torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return {"mean": means, "std": stds}


# --- Training without gradients ---------------------------------------------------------


def _centered_ranks(values: torch.Tensor) -> torch.Tensor:
    """Ranks scaled to [-1/2, 1/2]: the update ignores the scale of the loss, only its order."""
    ranks = torch.empty_like(values)
    ranks[values.argsort()] = torch.arange(len(values), dtype=values.dtype)
    return ranks / (len(values) - 1) - 0.5


def evolve(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    *,
    generations: int = 100,
    population: int = 50,
    sigma: float = 0.05,
    lr: float = 0.05,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, list[float]]:
    r"""Train `model` in place with an evolution strategy: no backpropagation at all.

    The natural-evolution-strategy estimate of Salimans et al. (2017): perturb all the
    weights \(\theta\) with Gaussian noise, evaluate the loss of each perturbed network,
    and move \(\theta\) towards the perturbations that scored well,

    \[
    \hat g = \frac{1}{P\sigma}\sum_{i=1}^{P} r_i\,\varepsilon_i,\qquad
    \theta \leftarrow \theta - \eta\,\hat g,\qquad \varepsilon_i \sim \mathcal N(0, I),
    \]

    where \(r_i \in [-\tfrac12, \tfrac12]\) is the centred rank of the loss
    \(\mathcal L(\theta + \sigma\varepsilon_i)\) in the population (rank shaping makes the step
    independent of the loss's scale). Perturbations come in mirrored pairs
    \(\pm\varepsilon\), which lowers the estimate's variance (with raw losses instead of
    ranks, the pair cancels the constant and the quadratic term of the loss's Taylor
    expansion). \(\hat g\) estimates the gradient of the Gaussian-smoothed loss
    \(\mathbb E_\varepsilon[\mathcal L(\theta + \sigma\varepsilon)]\) from loss values alone.

    Args:
        model: The network to train (its parameters are overwritten).
        inputs: Training inputs (the whole batch is used for every evaluation).
        targets: Training targets.
        loss_fn: `loss_fn(outputs, targets)` → scalar; defaults to `F.cross_entropy`.
        generations: Number of updates.
        population: Perturbed networks evaluated per generation (even, >= 2).
        sigma: Standard deviation \(\sigma\) of the perturbations.
        lr: Step size \(\eta\).
        seed: Seed of the perturbations.
        progress: Show a tqdm bar.

    Returns:
        `{"loss": [...], "evaluations": [...]}`: the loss of the unperturbed network before
        training and after each generation, and the number of loss evaluations spent so far
        (`population` per generation; the monitoring evaluation is not counted).
    """
    _check_batch(inputs, targets)
    _check_int("generations", generations, 1)
    _check_int("population", population, 2)
    if population % 2:
        raise ValueError(f"population must be even (mirrored pairs), got {population}")
    _check_positive("sigma", sigma)
    _check_positive("lr", lr)
    loss_fn = F.cross_entropy if loss_fn is None else loss_fn
    params = [p for p in model.parameters()]
    if not params:
        raise ValueError("model must have parameters to evolve, found none")
    theta = nn.utils.parameters_to_vector(params).detach().clone()
    generator = torch.Generator().manual_seed(seed)

    def loss_at(vector: torch.Tensor) -> float:
        nn.utils.vector_to_parameters(vector, params)
        return float(loss_fn(model(inputs), targets))

    from tqdm.auto import tqdm

    history: dict[str, list[float]] = {"loss": [], "evaluations": []}
    with torch.no_grad():
        history["loss"].append(loss_at(theta))
        history["evaluations"].append(0.0)
        for generation in tqdm(range(generations), disable=not progress, desc="evolve"):
            half = torch.randn(
                population // 2, theta.numel(), generator=generator, dtype=theta.dtype
            )
            noise = torch.cat([half, -half])
            losses = torch.tensor(
                [loss_at(theta + sigma * eps) for eps in noise], dtype=theta.dtype
            )
            g_hat = (_centered_ranks(losses) @ noise) / (population * sigma)
            theta -= lr * g_hat
            history["loss"].append(loss_at(theta))
            history["evaluations"].append(float((generation + 1) * population))
        nn.utils.vector_to_parameters(theta, params)
    return history


# --- Experiments for the page ------------------------------------------------------------
#
# Everything below produces the numbers and figures of docs/vanishing-gradients.md.
# The functions that take more than a moment are @cached; the plot_* helpers turn
# their plain-data results into inline HTML.

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


def _digits(n_train: int | None = None, dtype: torch.dtype = torch.float32) -> Any:
    from dlbasics.datasets import load_digits_split

    data = load_digits_split(seed=0, dtype=dtype)
    if n_train is None:
        return data
    return data.x_train[:n_train], data.y_train[:n_train]


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
    x, y = _digits(batch_size, torch.float64)
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
    residual: bool = False,
    norm: str | None = None,
    *,
    depth: int = 10,
    width: int = 64,
    epochs: int = 20,
    lr: float = 0.1,
    batch_size: int = 64,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Train a [`deep_mlp`][dlbasics.gradients.deep_mlp] on the digits with plain SGD and
    record, per epoch and per linear layer, how much each layer actually moved.

    The relative update of layer \(l\) over epoch \(e\) is
    \(\lVert W_l^{(e)} - W_l^{(e-1)}\rVert_F / \lVert W_l^{(e-1)}\rVert_F\).

    Returns:
        `{"loss": per-step training losses, "epoch_loss": mean loss per epoch,
        "test_accuracy": float, "rel_update": epochs × layers, "grad_norm": epochs × layers
        (mean over the epoch's steps), "init_grad": gradient norms at initialisation}`.
    """
    data = _digits()
    torch.manual_seed(seed)
    model = deep_mlp(64, 10, depth, width, activation, init, residual, norm)
    linears = model.linears
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    init_grad = gradient_norms(model, data.x_train, data.y_train)
    generator = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    rel_update = np.zeros((epochs, len(linears)))
    grad_norm = np.zeros((epochs, len(linears)))
    n = len(data.x_train)
    for epoch in range(epochs):
        before = [linear.weight.detach().clone() for linear in linears]
        order = torch.randperm(n, generator=generator)
        steps = 0
        for start in range(0, n - batch_size + 1, batch_size):  # drop the ragged last batch
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            loss.backward()
            grad_norm[epoch] += [float(linear.weight.grad.norm()) for linear in linears]  # type: ignore[union-attr]
            optimizer.step()
            losses.append(loss.item())
            steps += 1
        grad_norm[epoch] /= steps
        rel_update[epoch] = [
            float((linear.weight.detach() - w0).norm() / w0.norm())
            for linear, w0 in zip(linears, before, strict=True)
        ]
    model.eval()
    with torch.no_grad():
        accuracy = float((model(data.x_test).argmax(1) == data.y_test).float().mean())
    per_epoch = np.asarray(losses).reshape(epochs, -1).mean(axis=1)
    return {
        "loss": losses,
        "epoch_loss": per_epoch.tolist(),
        "test_accuracy": accuracy,
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
def clipping_experiment(
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
    data = _digits()
    out: dict[str, dict[str, Any]] = {}
    for std, max_norm in runs:
        torch.manual_seed(seed)
        if std is None:
            model = deep_mlp(64, 10, depth, width, "relu", "kaiming")
        else:
            model = deep_mlp(64, 10, depth, width, "relu", "normal", std=std)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        generator = torch.Generator().manual_seed(seed)
        losses: list[float] = []
        norms: list[float] = []
        for _ in range(steps):
            idx = torch.randint(len(data.x_train), (batch_size,), generator=generator)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            loss.backward()
            if max_norm is None:
                grads = [p.grad for p in model.parameters() if p.grad is not None]
                total = torch.nn.utils.get_total_norm(grads)
            else:
                total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            losses.append(loss.item())
            norms.append(float(total))
            optimizer.step()
        init_text = "Kaiming init" if std is None else f"N(0, {std:g}²) init"
        clip_text = "no clipping" if max_norm is None else f"clipped to norm {max_norm:g}"
        out[f"{init_text}, {clip_text}"] = {
            "loss": losses,
            "grad_norm": norms,
            "std": math.sqrt(2 / width) if std is None else std,
            "max_norm": max_norm,
        }
    return out


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
    data = _digits()
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
    gd_loss: list[float] = []
    for step in range(gd_steps + 1):  # losses before each step and after the last one
        optimizer.zero_grad()
        loss = F.cross_entropy(gd_model(x), y)
        gd_loss.append(loss.item())
        if step < gd_steps:
            loss.backward()
            optimizer.step()

    def accuracy(model: nn.Module) -> float:
        with torch.no_grad():
            return float((model(data.x_test).argmax(1) == data.y_test).float().mean())

    return {
        "es": {"loss": es["loss"], "cost": es["evaluations"]},
        "gd": {"loss": gd_loss, "cost": [3.0 * k for k in range(gd_steps + 1)]},
        "parameters": sum(p.numel() for p in es_model.parameters()),
        "es_accuracy": accuracy(es_model),
        "gd_accuracy": accuracy(gd_model),
    }


# --- Plots and tables for the page ----------------------------------------------------------


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_init_sweep(sweep: dict[str, dict[str, list[float]]], quantity: str = "grad") -> str:
    """Small multiples (one panel per activation, one line per init) of an
    [`init_sweep`][dlbasics.gradients.init_sweep] result on a log scale; inline SVG.

    Args:
        sweep: The result of `init_sweep`.
        quantity: `"grad"` (weight-gradient norm per linear layer) or `"act_std"`
            (standard deviation of each hidden representation).
    """
    from matplotlib.ticker import MaxNLocator

    from dlbasics.plotting import new_figure, to_svg

    _check_choice("quantity", quantity, ("grad", "act_std"))
    fig, axes = new_figure(1, len(ACTIVATIONS), width=9.6, height=3.4, sharey=True)
    for ax, activation in zip(axes, ACTIVATIONS, strict=True):
        for init in INITS:
            values = np.asarray(sweep[f"{activation}/{init}"][quantity])
            ax.semilogy(np.arange(len(values)), np.maximum(values, 1e-300), label=init)
        ax.set_title(activation)
        ax.set_xlabel("layer (0 = input layer)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ylabel = "‖∇W‖ (weight-gradient norm)" if quantity == "grad" else "std of the layer's output"
    axes[0].set_ylabel(ylabel)
    axes[-1].legend(title="init", fontsize=8)
    depth = len(next(iter(sweep.values()))["grad"]) - 2
    what = "weight-gradient norms" if quantity == "grad" else "activation standard deviations"
    return to_svg(
        fig,
        alt=f"Per-layer {what} at initialisation of a depth-{depth} MLP, log scale, "
        "for sigmoid, tanh and ReLU with default, normal, Xavier and Kaiming initialisation",
    )


def fix_rows(results: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """Rows of the page's table of fixes: one per [`train_digits`][dlbasics.gradients.train_digits]
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


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_training(results: dict[str, dict[str, Any]], kind: str = "loss") -> str:
    """Figures of [`train_digits`][dlbasics.gradients.train_digits] results; inline SVG.

    Args:
        results: `{variant name: train_digits result}`.
        kind: `"loss"` (training loss per epoch, all variants in one panel), `"updates"`
            (relative update per layer in the first and the last epoch, one panel per variant)
            or `"grad_vs_update"` (first epoch: mean gradient norm and relative update per
            layer, normalised by the output layer's, one panel per variant).
    """
    from matplotlib.ticker import MaxNLocator

    from dlbasics.plotting import new_figure, to_svg

    _check_choice("kind", kind, ("loss", "updates", "grad_vs_update"))
    names = list(results)
    if kind == "loss":
        fig, ax = new_figure(width=6.4, height=3.6)
        for name in names:
            loss = results[name]["epoch_loss"]
            ax.plot(np.arange(1, len(loss) + 1), loss, label=name)
        ax.set(xlabel="epoch", ylabel="mean training loss", yscale="log")
        ax.legend(fontsize=8)
        return to_svg(fig, alt="Training loss per epoch on the digits for " + ", ".join(names))
    ncols = min(4, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = new_figure(
        nrows, ncols, width=2.6 * ncols, height=2.5 * nrows, sharey=True, squeeze=False
    )
    for ax, name in zip(axes.flat, names, strict=False):
        r = results[name]
        update = np.asarray(r["rel_update"])
        layers = np.arange(update.shape[1])
        if kind == "updates":
            for epoch, style in ((0, "-"), (update.shape[0] - 1, "--")):
                # An update below float32 resolution is exactly 0: drawn at the floor.
                ax.semilogy(
                    layers, np.maximum(update[epoch], 1e-12), style, label=f"epoch {epoch + 1}"
                )
        else:
            grad = np.asarray(r["grad_norm"])[0]
            ax.semilogy(layers, grad / grad[-1], label="‖∇W‖")
            ax.semilogy(
                layers, np.maximum(update[0] / update[0][-1], 1e-12), "--", label="‖ΔW‖/‖W‖"
            )
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("layer (0 = input)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("relative update" if kind == "updates" else "÷ output layer's")
    axes[0, 0].legend(fontsize=8)
    alt = (
        "Relative weight change per layer in the first and last epoch"
        if kind == "updates"
        else "Gradient norm and relative update per layer in the first epoch, both divided by "
        "the output layer's"
    )
    return to_svg(fig, alt=f"{alt}, log scale, for " + ", ".join(names))


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_recurrence(result: dict[str, Any]) -> str:
    """The gradient norms of [`recurrence_gradients`][dlbasics.gradients.recurrence_gradients]
    against the number of unrolled steps, with \\(\\rho^T\\) for reference; inline SVG."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    steps = np.asarray(result["steps"])
    for color, (rho, norms) in zip(COLORS, result["norms"].items(), strict=False):
        ax.semilogy(steps, norms, color=color, label=f"ρ = {rho:g} (autograd)")
        ax.semilogy(steps, float(rho) ** steps, ":", color=color, label=f"{rho:g}^T")
    ax.set(xlabel="unrolled steps T", ylabel="‖∂L/∂h₀‖")
    ax.legend(fontsize=8, ncols=2)
    return to_svg(
        fig,
        alt="Gradient norm through an unrolled linear recurrence against its length, "
        "shrinking for spectral radius 0.9 and growing for 1.1",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_clipping(result: dict[str, dict[str, Any]]) -> str:
    """Loss and gradient norm per step of a
    [`clipping_experiment`][dlbasics.gradients.clipping_experiment] result (non-finite values
    are left out, so a diverged run stops); inline SVG."""
    from dlbasics.plotting import new_figure, to_svg

    fig, (ax_loss, ax_grad) = new_figure(1, 2, width=9.6, height=3.4)
    for label, run in result.items():
        for ax, key in ((ax_loss, "loss"), (ax_grad, "grad_norm")):
            values = np.asarray(run[key], dtype=float)
            values[~np.isfinite(values)] = np.nan
            ax.semilogy(np.arange(1, len(values) + 1), values, label=label)
    ax_loss.set(xlabel="SGD step", ylabel="training loss (mini-batch)")
    ax_grad.set(xlabel="SGD step", ylabel="‖gradient‖ before clipping")
    ax_loss.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Loss and gradient norm per step for an over-initialised ReLU network with and "
        "without gradient clipping, and a Kaiming-initialised one",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_evolution(result: dict[str, Any]) -> str:
    """Training loss against cost (forward-pass equivalents) for an
    [`evolution_vs_gradient_descent`][dlbasics.gradients.evolution_vs_gradient_descent]
    result; inline SVG."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for key, label in (("gd", "gradient descent (full batch)"), ("es", "evolution strategy")):
        cost = np.asarray(result[key]["cost"])
        ax.plot(np.maximum(cost, 1), result[key]["loss"], label=label)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="cost: forward passes over the training set",
        ylabel="training loss",
    )
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Training loss against the number of forward-pass equivalents for gradient "
        "descent and for an evolution strategy on the same small network",
    )
