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
The page's experiments and figures are `dlbasics.gradients.experiments` and `.figures`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dlbasics.batch_norm import BatchNorm1d

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "NORMS",
    "RESIDUALS",
    "DeepMLP",
    "activation_stats",
    "deep_mlp",
    "evolve",
    "gradient_norms",
    "mean_field_gain",
]

#: Names accepted by `activation`, and the modules they build.
ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
#: Names accepted by `init`.
INITS: tuple[str, ...] = ("default", "normal", "xavier", "kaiming")
#: Values accepted by `norm`.
NORMS: tuple[str | None, ...] = (None, "batch")
#: Values accepted by `residual`: no skip, the skip added after the activation
#: (\(h + \phi(\cdot)\)), or He et al.'s form with the activation after the addition.
RESIDUALS: tuple[bool | str, ...] = (False, True, "he")


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
    r"""One hidden layer: \(h \mapsto \phi(\mathrm{norm}(W h + b))\); with `residual=True`
    plus \(h\), with `residual="he"` \(\phi(h + \mathrm{norm}(W h + b))\)."""

    def __init__(
        self, fan_in: int, width: int, activation: str, residual: bool | str, norm: str | None
    ) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, width)
        # Batch norm sits between the linear map and the nonlinearity, as in Ioffe & Szegedy.
        self.norm: nn.Module = BatchNorm1d(width) if norm == "batch" else nn.Identity()
        self.activation = ACTIVATIONS[activation]()
        self.residual = residual

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if self.residual == "he":  # He et al. (2015): the branch ends in BN, φ after the sum
            out: torch.Tensor = self.activation(h + self.norm(self.linear(h)))
            return out
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
        residual: bool | str,
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
    residual: bool | str = False,
    norm: str | None = None,
    *,
    std: float = 0.01,
    gain: float = 1.0,
) -> DeepMLP:
    r"""A deep MLP with the switches that decide whether its gradients vanish.

    Initialisations of every linear layer (fan-in \(n_\text{in}\), fan-out \(n_\text{out}\)):

    - `"default"`: torch's `nn.Linear` default,
      \(W \sim \mathcal U(-1/\sqrt{n_\text{in}}, 1/\sqrt{n_\text{in}})\), i.e.
      \(\operatorname{Var} W = 1/(3 n_\text{in})\), and a uniform bias.
    - `"normal"`: \(W \sim \mathcal N(0, \text{std}^2)\), bias 0 — the "small random
      numbers" of course notes (`std=0.01`).
    - `"xavier"`: Glorot & Bengio (2010), \(\operatorname{Var} W = 2/(n_\text{in}+n_\text{out})\)
      times `gain`² (`nn.init.xavier_normal_`; torch's recommended gain for tanh,
      `nn.init.calculate_gain("tanh")`, is 5/3), bias 0.
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
        residual: `True` adds an identity skip around each hidden layer,
            \(h_l = h_{l-1} + \phi(\mathrm{norm}(W_l h_{l-1} + b_l))\), so the branch ends in the
            activation; `"he"` is He et al.'s (2015) form, the activation after the addition,
            \(h_l = \phi(h_{l-1} + \mathrm{norm}(W_l h_{l-1} + b_l))\), so the branch ends in the
            norm (or the linear map); `False` has no skip.
        norm: `None`, or `"batch"` for a batch norm between each linear map and its activation.
        std: Standard deviation of the `"normal"` initialisation.
        gain: Gain of the `"xavier"` initialisation (standard deviation times `gain`).

    Returns:
        A [`DeepMLP`][dlbasics.gradients.DeepMLP]; its `.linears` lists the `depth + 2`
        linear layers from input to output.

    Raises:
        ValueError: A size below 1, an unknown activation/init/norm/residual, or `std <= 0`
            or `gain <= 0`.
        TypeError: A size that is not an int, `std`/`gain` that is not a number, or `residual`
            that is neither a bool nor a string.
    """
    _check_int("in_features", in_features, 1)
    _check_int("out_features", out_features, 1)
    _check_int("depth", depth, 1)
    _check_int("width", width, 1)
    _check_choice("activation", activation, list(ACTIVATIONS))
    _check_choice("init", init, INITS)
    _check_choice("norm", norm, NORMS)
    _check_positive("std", std)
    _check_positive("gain", gain)
    if not isinstance(residual, bool | str):
        raise TypeError(f"residual must be a bool or 'he', got {residual!r}")
    if isinstance(residual, str) and residual not in RESIDUALS:
        raise ValueError(f"residual must be one of {list(RESIDUALS)}, got {residual!r}")
    model = DeepMLP(in_features, out_features, depth, width, activation, residual, norm)
    if init != "default":
        for linear in model.linears:
            if init == "normal":
                nn.init.normal_(linear.weight, 0.0, std)
            elif init == "xavier":
                nn.init.xavier_normal_(linear.weight, gain=gain)
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
    r"""Mean and spread of each layer's output on `inputs`, in forward order.

    A forward hook on each probed module records, for its output \(h\) (one row per example,
    one column per unit):

    - `"mean"` and `"std"`: the mean and the (population) standard deviation over *all* the
      entries, units and examples together. A layer whose units differ from each other but
      that gives every example the same vector still has a large `std`.
    - `"unit_std"`: the spread across examples, per unit, averaged over the units,
      \(\frac1n\sum_j \operatorname{sd}_i(h_{ij})\). It is 0 when every input is mapped to the
      same vector: the forward signal has collapsed.

    The hooks are removed afterwards, the forward pass runs without autograd and the model's
    buffers are restored.

    Args:
        model: The network.
        inputs: A batch of inputs.
        modules: The modules to probe. Default: for a [`DeepMLP`][dlbasics.gradients.DeepMLP],
            its hidden blocks (their outputs \(h_0, \dots, h_\text{depth}\), after any skip);
            otherwise every sigmoid, tanh and ReLU module.

    Returns:
        `{"mean": [...], "std": [...], "unit_std": [...]}`, one entry per probed module call,
        in call order.
    """
    _check_batch(inputs)
    probed = _default_probe_modules(model) if modules is None else list(modules)
    if not probed:
        raise ValueError("modules must name at least one module to probe, got an empty list")
    out: dict[str, list[float]] = {"mean": [], "std": [], "unit_std": []}

    def hook(_module: nn.Module, _args: Any, output: torch.Tensor) -> None:
        out["mean"].append(float(output.mean()))
        out["std"].append(float(output.std(correction=0)))
        rows = output.reshape(output.shape[0], -1)
        out["unit_std"].append(float(rows.std(0, correction=0).mean()))

    handles = [m.register_forward_hook(hook) for m in probed]
    try:
        with _KeepBuffers(model), torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return out


# --- Mean-field theory ------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _gauss_hermite(points: int) -> tuple[Any, Any]:
    """Nodes and weights (summing to 1) of Gauss–Hermite quadrature for E over N(0, 1)."""
    import numpy as np

    nodes, weights = np.polynomial.hermite_e.hermegauss(points)
    return nodes, weights / weights.sum()


def mean_field_gain(
    activation: str,
    weight_variance: float,
    bias_variance: float = 0.0,
    *,
    points: int = 201,
    iterations: int = 200,
) -> dict[str, float]:
    r"""The forward fixed point and the backward gain of a wide random network (mean field).

    For layers \(z_l = W_l h_{l-1} + b_l\), \(h_l = \phi(z_l)\) with independent weights of
    variance \(v = \sigma_w^2 / n\) (write \(\sigma_w^2 = n v\), `weight_variance`) and biases
    of variance \(\sigma_b^2\), the variance of a pre-activation obeys, for a wide layer,

    \[
    q_l = \sigma_w^2\,\mathbb E_{z \sim \mathcal N(0, q_{l-1})}\big[\phi(z)^2\big] + \sigma_b^2 ,
    \]

    which settles at a fixed point \(q^*\). There one backward step multiplies the expected
    squared norm of the gradient by

    \[
    \chi = \sigma_w^2\,\mathbb E_{z \sim \mathcal N(0, q^*)}\big[\phi'(z)^2\big]
    \]

    (Poole et al., 2016; Pennington et al., 2017): \(\chi < 1\) vanishes, \(\chi > 1\)
    explodes, geometrically in the depth. The expectations use Gauss–Hermite quadrature with
    `points` nodes (for ReLU, closed forms: \(\mathbb E[\phi^2] = q/2\), \(\chi = \sigma_w^2/2\));
    \(q^*\) is found by bisection (at most `iterations` halvings), and is 0 where the map has no
    positive fixed point (tanh with \(\sigma_w^2 \le 1\), \(\sigma_b = 0\)).

    Args:
        activation: `"sigmoid"`, `"tanh"` or `"relu"`.
        weight_variance: \(\sigma_w^2 = n v\) (fan times weight variance), > 0.
        bias_variance: \(\sigma_b^2 \ge 0\).

    Returns:
        `{"q": q*, "chi": χ, "mean": E[φ(z)] at the fixed point}`.
    """
    import numpy as np

    _check_choice("activation", activation, list(ACTIVATIONS))
    sw = _check_positive("weight_variance", weight_variance)
    if isinstance(bias_variance, bool) or not isinstance(bias_variance, int | float):
        raise TypeError(f"bias_variance must be a number, got {bias_variance!r}")
    if not (math.isfinite(bias_variance) and bias_variance >= 0):
        raise ValueError(f"bias_variance must be a finite number >= 0, got {bias_variance}")
    _check_int("points", points, 2)
    _check_int("iterations", iterations, 1)
    nodes, weights = _gauss_hermite(points)

    def phi(z: Any) -> Any:
        if activation == "sigmoid":
            return 0.5 * (1 + np.tanh(z / 2))
        return np.tanh(z) if activation == "tanh" else np.maximum(z, 0)

    def slope(z: Any) -> Any:
        if activation == "sigmoid":
            s = phi(z)
            return s * (1 - s)
        return 1 - np.tanh(z) ** 2 if activation == "tanh" else (z > 0).astype(float)

    if activation == "relu":  # closed forms: E[relu(z)²] = q/2, E[relu′(z)²] = 1/2
        q = 1.0
        for _ in range(iterations):
            q = sw * q / 2 + bias_variance
        return {"q": q, "chi": sw / 2, "mean": math.sqrt(q / (2 * math.pi))}

    def excess(q: float) -> float:  # the forward map minus the identity: 0 at q*
        return sw * float(np.sum(weights * phi(math.sqrt(q) * nodes) ** 2)) + bias_variance - q

    # φ² ≤ 1 for sigmoid and tanh, so q* ≤ σ_w² + σ_b². The map is increasing and concave in
    # q, so it has one fixed point above 0 if excess > 0 just above 0, and q* = 0 otherwise.
    lo, hi = 1e-12, sw + bias_variance + 1.0
    if excess(lo) <= 0:
        q = 0.0
    else:
        for _ in range(iterations):  # bisection on a log scale
            mid = math.sqrt(lo * hi)
            lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
            if hi - lo <= 1e-13 * hi:
                break
        q = math.sqrt(lo * hi)
    z = math.sqrt(q) * nodes
    return {
        "q": q,
        "chi": sw * float(np.sum(weights * slope(z) ** 2)),
        "mean": float(np.sum(weights * phi(z))),
    }


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
