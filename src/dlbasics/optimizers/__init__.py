r"""Gradient descent and its descendants, written from their update equations.

Every optimizer here moves the parameters \(\theta\) against the gradient
\(g_t = \nabla_\theta J(\theta_{t-1})\) of the loss:

\[
\theta_t = \theta_{t-1} - \alpha \, u_t ,
\]

and they differ only in the *direction* \(u_t\) they build from the gradients seen so far.
The building blocks are few, so they are written once and shared:

- an **exponentially weighted average** \(V_t = \beta V_{t-1} + (1-\beta) X_t\)
  ([`ema`][dlbasics.optimizers.ema] for a numpy series, `_ema_` for a tensor),
  of the gradients (momentum, Adam's first moment) or of their squares
  (RMSprop, Adam's second moment);
- the **bias correction** \(1 - \beta^t\) that undoes the average's start at zero;
- **weight decay**, either added to the gradient (L2, \(g + \lambda\theta\)) or applied to
  the weights directly (decoupled, \(\theta \leftarrow (1 - \alpha\lambda)\theta\)).

[`SGD`][dlbasics.optimizers.SGD], [`RMSprop`][dlbasics.optimizers.RMSprop],
[`Adam`][dlbasics.optimizers.Adam] and [`AdamW`][dlbasics.optimizers.AdamW] are
`torch.optim.Optimizer` subclasses with torch's argument names and defaults. One
generic loop ([`EquationOptimizer`][dlbasics.optimizers.EquationOptimizer]) walks the
parameters; each class only says how to initialise its state and how to update one
parameter tensor. Over the valid range of their arguments they follow the same
trajectory as the `torch.optim` class of the same name (the tests check it to 1e-9
in float64). We are stricter than torch about arguments: `momentum=1.5` or
`RMSprop(alpha=0)` raise a `ValueError` here.

Below the optimizers: learning-rate decay schedules, 2-D test surfaces with a
trajectory runner, and the experiments behind the site's page.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import torch
from torch.optim.lr_scheduler import LambdaLR

from dlbasics._threads import torch_threads
from dlbasics.cache import cached

__all__ = [
    "LR_GRID",
    "OPTIMIZERS",
    "SGD",
    "SURFACES",
    "SURFACE_LRS",
    "SURFACE_STEPS",
    "Adam",
    "AdamW",
    "EquationOptimizer",
    "RMSprop",
    "Surface",
    "TextbookMomentum",
    "UncorrectedAdam",
    "adam_first_steps",
    "beale",
    "compare_optimizers",
    "contour",
    "digits_mlp",
    "effective_window",
    "ema",
    "ema_window_table",
    "exponential_decay",
    "gd_variants",
    "gradient_noise",
    "inverse_time_decay",
    "lr_decay_runs",
    "lr_decay_scheduler",
    "lr_sweep",
    "make_optimizer",
    "momentum_buffer",
    "momentum_forms",
    "momentum_paths",
    "momentum_vs_condition",
    "noisy_series",
    "partial_surface",
    "plot_bias_correction",
    "plot_ema",
    "plot_gd_variants",
    "plot_gradient_noise",
    "plot_lr_schedules",
    "plot_lr_sweep",
    "plot_momentum_paths",
    "plot_paths",
    "plot_rmsprop_eps",
    "plot_runs",
    "plot_series",
    "plot_surface_paths",
    "quadratic",
    "rmsprop_alpha_steps",
    "rmsprop_eps_placement",
    "rosenbrock",
    "saddle",
    "sgd_update_check",
    "surface_paths",
    "torch_agreement",
    "train_digits",
    "trajectory",
    "weight_decay_runs",
    "window_mass",
]


# --- Argument checks (stricter than torch on purpose) ---


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    if math.isnan(float(value)):
        raise ValueError(f"{name} must not be NaN, got {value!r}")
    return float(value)


def _check_nonnegative(name: str, value: Any) -> None:
    if _real(name, value) < 0.0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


def _check_unit_interval(name: str, value: Any) -> None:
    """A decay factor β: 0 ≤ β < 1 (β = 1 would never forget, and never learn)."""
    v = _real(name, value)
    if not 0.0 <= v < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {value!r} ({type(value).__name__})")


def _check_betas(value: Any) -> None:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {value!r}")
    _check_unit_interval("betas[0]", value[0])
    _check_unit_interval("betas[1]", value[1])


# --- The shared pieces: moving averages, bias correction, weight decay ---


def _ema_(average: torch.Tensor, value: torch.Tensor, beta: float) -> None:
    r"""In place: \(V \leftarrow \beta V + (1-\beta) X\).

    `lerp_(X, w)` computes \(V + w (X - V)\), the same average in one pass over memory.
    """
    average.lerp_(value, 1.0 - beta)


def _ema_of_squares_(average: torch.Tensor, grad: torch.Tensor, beta: float) -> None:
    r"""In place: \(v \leftarrow \beta v + (1-\beta) g^2\) (element-wise square)."""
    average.mul_(beta).addcmul_(grad, grad, value=1.0 - beta)


def _bias_correction(beta: float, step: int) -> float:
    r"""\(1 - \beta^t\): the total weight an average started at zero has put on data so far."""
    return 1.0 - beta**step


def _l2_penalty(grad: torch.Tensor, param: torch.Tensor, weight_decay: float) -> torch.Tensor:
    r"""The gradient of \(J + \tfrac{\lambda}{2}\lVert\theta\rVert^2\): \(g + \lambda\theta\).

    A new tensor: `param.grad` itself is never modified.
    """
    return grad.add(param, alpha=weight_decay) if weight_decay != 0 else grad


def _decoupled_decay_(param: torch.Tensor, lr: float, weight_decay: float) -> None:
    r"""In place: \(\theta \leftarrow (1 - \alpha\lambda)\,\theta\), outside the gradient."""
    if weight_decay != 0:
        param.mul_(1.0 - lr * weight_decay)


# --- One loop for every optimizer ---


class EquationOptimizer(torch.optim.Optimizer):
    """The loop shared by every optimizer of this module (labml-style).

    `step()` visits every parameter that has a gradient, creates its state on the first
    visit ([`init_state`][dlbasics.optimizers.EquationOptimizer.init_state]) and hands it
    to [`update`][dlbasics.optimizers.EquationOptimizer.update], which a subclass writes
    as its update equations. Parameters whose `.grad` is `None` are skipped and get no
    state, exactly as in `torch.optim`. Every parameter group is checked by
    [`check_group`][dlbasics.optimizers.EquationOptimizer.check_group] when it is added.
    `zero_grad`, `state_dict` and `load_state_dict` are torch's own.
    """

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (torch fills in the defaults) and validate its hyper-parameters."""
        super().add_param_group(param_group)
        try:
            self.check_group(self.param_groups[-1])
        except (TypeError, ValueError):
            self.param_groups.pop()
            raise

    def check_group(self, group: dict[str, Any]) -> None:
        """Raise `ValueError`/`TypeError` naming the first invalid hyper-parameter."""
        _check_nonnegative("lr", group["lr"])
        _check_nonnegative("weight_decay", group["weight_decay"])
        _check_bool("maximize", group["maximize"])

    def init_state(self, state: dict[str, Any], group: dict[str, Any], param: torch.Tensor) -> None:
        """Fill the empty `state` of `param` before its first update."""

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """Apply one step to `param` in place, given its gradient (sign already set)."""
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """One optimisation step; `closure` re-evaluates the loss (with gradients) if given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if param.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                grad = -param.grad if group["maximize"] else param.grad
                state = self.state[param]
                if not state:
                    self.init_state(state, group, param)
                self.update(state, group, grad, param)
        return loss


# --- SGD with momentum ---


class SGD(EquationOptimizer):
    r"""Stochastic gradient descent with optional (Nesterov) momentum, as in `torch.optim.SGD`.

    Plain gradient descent is \(\theta_t = \theta_{t-1} - \alpha g_t\). With momentum
    \(\mu\) and dampening \(d\), torch keeps a buffer

    \[
    b_1 = g_1, \qquad b_t = \mu\, b_{t-1} + (1-d)\, g_t ,
    \]

    and steps \(\theta_t = \theta_{t-1} - \alpha\, b_t\), or with Nesterov
    \(\theta_t = \theta_{t-1} - \alpha\,(g_t + \mu\, b_t)\). Weight decay adds
    \(\lambda\theta\) to \(g_t\) first (L2).

    **Where torch departs from the textbook.** The textbook (the course videos of the note)
    averages, \(v_t = \beta v_{t-1} + (1-\beta) g_t\) with \(v_0 = 0\): torch's buffer has no
    \((1-\beta)\) factor, so it is a *sum* worth about \(1/(1-\mu)\) gradients (10 for
    \(\mu = 0.9\)), and torch's learning rate must be \((1-\beta)\) times the textbook's
    to give the same path. `dampening=μ` does *not* recover the textbook form: torch's
    first buffer is \(g_1\), not \((1-\mu) g_1\). Torch's Nesterov form is Sutskever et
    al.'s look-ahead rewritten at the current point.

    Args:
        params: Parameters or parameter groups (dicts), as for any torch optimizer.
        lr: Learning rate \(\alpha \ge 0\).
        momentum: \(\mu \in [0, 1)\).
        dampening: \(d \in [0, 1]\).
        weight_decay: L2 coefficient \(\lambda \ge 0\).
        nesterov: Use Nesterov momentum (needs `momentum > 0` and `dampening = 0`).
        maximize: Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group: dict[str, Any]) -> None:
        """Also: momentum in [0, 1), dampening in [0, 1], Nesterov needs momentum, no dampening."""
        super().check_group(group)
        _check_unit_interval("momentum", group["momentum"])
        if not 0.0 <= _real("dampening", group["dampening"]) <= 1.0:
            raise ValueError(f"dampening must be in [0, 1], got {group['dampening']!r}")
        _check_bool("nesterov", group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """b ← μ b + (1 − d) g (b₁ = g); θ ← θ − α b, or θ − α (g + μ b) with Nesterov."""
        grad = _l2_penalty(grad, param, group["weight_decay"])
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.detach().clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1.0 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        param.add_(grad, alpha=-group["lr"])


# --- RMSprop ---


class RMSprop(EquationOptimizer):
    r"""RMSprop (Hinton's lecture 6e), as in `torch.optim.RMSprop`.

    Each parameter gets its own step size from an average of its squared gradients:

    \[
    v_t = \alpha_{\text{avg}}\, v_{t-1} + (1-\alpha_{\text{avg}})\, g_t^2, \qquad
    \theta_t = \theta_{t-1} - \mathrm{lr}\,\frac{g_t}{\sqrt{v_t} + \varepsilon}.
    \]

    `centered=True` divides by an estimate of the standard deviation instead,
    \(\sqrt{v_t - \bar g_t^{\,2}} + \varepsilon\) with \(\bar g_t\) the average gradient;
    `momentum` \(\mu > 0\) accumulates the scaled gradient in a buffer
    \(b_t = \mu b_{t-1} + g_t / (\sqrt{v_t} + \varepsilon)\) and steps by \(\mathrm{lr}\,b_t\).

    **Where torch departs from the textbook.** \(\varepsilon\) is added *outside* the
    square root (some courses write \(\sqrt{v_t + \varepsilon}\)); there is no bias
    correction, so with \(v_0 = 0\) the first step is \(1/\sqrt{1-\alpha}\) times the
    learning rate (10× for the default 0.99). torch's default `alpha=0.99`; Hinton's
    lecture used 0.9; 0.999 is Adam's \(\beta_2\).

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate \(\ge 0\).
        alpha: Decay of the squared-gradient average, in \((0, 1)\).
        eps: \(\varepsilon \ge 0\), added to \(\sqrt{v_t}\).
        weight_decay: L2 coefficient \(\ge 0\), added to the gradient.
        momentum: \(\mu \in [0, 1)\).
        centered: Normalise by the estimated variance instead of the raw second moment.
        maximize: Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group: dict[str, Any]) -> None:
        """Also: alpha in (0, 1), eps >= 0, momentum in [0, 1), centered a bool."""
        super().check_group(group)
        if not 0.0 < _real("alpha", group["alpha"]) < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {group['alpha']!r}")
        _check_nonnegative("eps", group["eps"])
        _check_unit_interval("momentum", group["momentum"])
        _check_bool("centered", group["centered"])

    def init_state(self, state: dict[str, Any], group: dict[str, Any], param: torch.Tensor) -> None:
        """step = 0, v = 0 (and ḡ = 0 when centered, b = 0 with momentum)."""
        state["step"] = 0
        state["square_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        if group["momentum"] > 0:
            state["momentum_buffer"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """v ← α v + (1 − α) g²; θ ← θ − lr · g / (√v + ε) (centred and momentum variants)."""
        state["step"] += 1
        grad = _l2_penalty(grad, param, group["weight_decay"])
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        _ema_of_squares_(square_avg, grad, alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            _ema_(grad_avg, grad, alpha)
            rms = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()  # √(v − ḡ²)
        else:
            rms = square_avg.sqrt()
        rms.add_(group["eps"])  # ε outside the root, as torch does
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).addcdiv_(grad, rms)
            param.add_(buf, alpha=-group["lr"])
        else:
            param.addcdiv_(grad, rms, value=-group["lr"])


# --- Adam and AdamW ---


class Adam(EquationOptimizer):
    r"""Adam (Kingma & Ba, 2015) = momentum + RMSprop + bias correction, as in `torch.optim.Adam`.

    \[
    \begin{aligned}
    m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t, &
    \hat m_t &= m_t / (1-\beta_1^t),\\
    v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, &
    \hat v_t &= v_t / (1-\beta_2^t),\\
    \theta_t &= \theta_{t-1} - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}.
    \end{aligned}
    \]

    With `amsgrad=True` the denominator uses the running maximum
    \(\max_{s \le t} v_s\) instead of \(v_t\) (Reddi et al., 2018). Weight decay is L2:
    \(\lambda\theta\) is added to \(g_t\), so it is then *divided by* \(\sqrt{\hat v_t}\)
    like the rest of the gradient (see [`AdamW`][dlbasics.optimizers.AdamW]).

    **Where torch departs from the paper.** \(\varepsilon\) is added to
    \(\sqrt{\hat v_t}\) (the paper's Algorithm 1 does the same; its "efficient" variant
    adds \(\hat\varepsilon\) to \(\sqrt{v_t}\) instead, a slightly different number).

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate \(\alpha \ge 0\).
        betas: \((\beta_1, \beta_2)\), each in \([0, 1)\).
        eps: \(\varepsilon \ge 0\).
        weight_decay: L2 coefficient \(\lambda \ge 0\).
        amsgrad: Use the running maximum of \(v_t\).
        maximize: Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group: dict[str, Any]) -> None:
        """Also: both betas in [0, 1), eps >= 0, amsgrad a bool."""
        super().check_group(group)
        _check_betas(group["betas"])
        _check_nonnegative("eps", group["eps"])
        _check_bool("amsgrad", group["amsgrad"])

    def init_state(self, state: dict[str, Any], group: dict[str, Any], param: torch.Tensor) -> None:
        """step = 0, m = 0, v = 0 (and max v = 0 with AMSGrad)."""
        state["step"] = 0
        state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def weight_decay(
        self, group: dict[str, Any], grad: torch.Tensor, param: torch.Tensor
    ) -> torch.Tensor:
        """L2: return g + λθ (Adam); [`AdamW`][dlbasics.optimizers.AdamW] overrides this."""
        return _l2_penalty(grad, param, group["weight_decay"])

    def bias_correction(self, beta: float, step: int) -> float:
        r"""\(1 - \beta^t\), the divisor of a moment average that started at zero."""
        return _bias_correction(beta, step)

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """The two moments, their bias corrections, and θ ← θ − α m̂ / (√v̂ + ε)."""
        state["step"] += 1
        t = state["step"]
        grad = self.weight_decay(group, grad, param)
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _ema_(m, grad, beta1)  # first moment: momentum
        _ema_of_squares_(v, grad, beta2)  # second moment: RMSprop
        if group["amsgrad"]:
            torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        # m̂ / (√v̂ + ε) with m̂ = m / (1 − β₁ᵗ) folded into the step size, as torch does.
        step_size = group["lr"] / self.bias_correction(beta1, t)
        denom = (v.sqrt() / math.sqrt(self.bias_correction(beta2, t))).add_(group["eps"])
        param.addcdiv_(m, denom, value=-step_size)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as in `torch.optim.AdamW`.

    The decay is taken out of the gradient and applied to the weights before the Adam
    step, so it is not rescaled by \(1/\sqrt{\hat v_t}\):

    \[
    \theta \leftarrow (1 - \alpha\lambda)\,\theta, \qquad
    \theta_t = \theta - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon},
    \]

    with \(m_t, v_t\) the averages of the raw gradient (see [`Adam`][dlbasics.optimizers.Adam]).

    **Where torch departs from the paper.** The paper writes the decay with its own
    schedule multiplier \(\eta_t\), \(\theta \leftarrow \theta - \eta_t\lambda\theta\), *not*
    multiplied by the learning rate \(\alpha\); torch multiplies it by `lr`. So torch's
    `weight_decay=1e-2` with `lr=1e-3` shrinks the weights by \(10^{-5}\) per step.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate \(\alpha \ge 0\).
        betas: \((\beta_1, \beta_2)\), each in \([0, 1)\).
        eps: \(\varepsilon \ge 0\).
        weight_decay: Decoupled decay \(\lambda \ge 0\) (torch's default 1e-2).
        amsgrad: Use the running maximum of \(v_t\).
        maximize: Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)

    def weight_decay(
        self, group: dict[str, Any], grad: torch.Tensor, param: torch.Tensor
    ) -> torch.Tensor:
        """Decoupled: θ ← (1 − αλ) θ in place; the gradient is returned untouched."""
        _decoupled_decay_(param, group["lr"], group["weight_decay"])
        return grad


# --- Exponentially weighted averages of a series ---


def ema(values: Any, beta: float, bias_correction: bool = False) -> np.ndarray:
    r"""The exponentially weighted average of a series, \(V_1 \dots V_T\).

    \[
    V_0 = 0, \qquad V_t = \beta V_{t-1} + (1-\beta) X_t
    = \sum_{k=0}^{t-1} (1-\beta)\beta^k X_{t-k}.
    \]

    The weights of the sum add up to \(1 - \beta^t\), not 1, so early values are pulled
    towards the zero start; `bias_correction=True` returns \(V_t / (1 - \beta^t)\).

    Args:
        values: The series \(X_1 \dots X_T\) along the first axis (any array-like of numbers).
        beta: Decay \(\beta \in [0, 1)\).
        bias_correction: Divide by \(1 - \beta^t\).

    Returns:
        A float array with the shape of `values`.
    """
    _check_unit_interval("beta", beta)
    _check_bool("bias_correction", bias_correction)
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 0:
        raise ValueError(f"values must be a series (at least 1-D), got a scalar {values!r}")
    out = np.empty_like(x)
    v = np.zeros_like(x[0])
    for t in range(len(x)):
        v = beta * v + (1.0 - beta) * x[t]
        out[t] = v
    if bias_correction:
        steps = np.arange(1, len(x) + 1).reshape((-1,) + (1,) * (x.ndim - 1))
        out /= 1.0 - beta**steps
    return out


def effective_window(beta: float) -> float:
    r"""The rule-of-thumb number of samples an average "remembers": \(1 / (1-\beta)\)."""
    _check_unit_interval("beta", beta)
    return 1.0 / (1.0 - beta)


# --- Learning-rate decay ---


def inverse_time_decay(lr0: float, epoch: float, decay_rate: float) -> float:
    r"""\(\alpha = \alpha_0 / (1 + \text{decay\_rate} \cdot \text{epoch})\)."""
    _check_nonnegative("lr0", lr0)
    _check_nonnegative("epoch", epoch)
    _check_nonnegative("decay_rate", decay_rate)
    return float(lr0) / (1.0 + float(decay_rate) * float(epoch))


def exponential_decay(lr0: float, epoch: float, rate: float = 0.95) -> float:
    r"""\(\alpha = \text{rate}^{\text{epoch}} \cdot \alpha_0\), with `rate` in (0, 1]."""
    _check_nonnegative("lr0", lr0)
    _check_nonnegative("epoch", epoch)
    if not 0.0 < _real("rate", rate) <= 1.0:
        raise ValueError(f"rate must be in (0, 1], got {rate!r}")
    return float(rate) ** float(epoch) * float(lr0)


def lr_decay_scheduler(
    optimizer: torch.optim.Optimizer, schedule: Callable[..., float], **schedule_kwargs: Any
) -> LambdaLR:
    r"""Drive any torch optimizer's learning rate per epoch with `schedule`.

    Both schedules are proportional to \(\alpha_0\), so the factor that
    `torch.optim.lr_scheduler.LambdaLR` multiplies each group's initial lr by is
    `schedule(1.0, epoch, **schedule_kwargs)`. Call `scheduler.step()` once per epoch.

    Example:
        `lr_decay_scheduler(opt, exponential_decay, rate=0.9)`.
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be callable, got {schedule!r}")
    schedule(1.0, 0, **schedule_kwargs)  # fail now, not at the first epoch, on bad arguments

    def factor(epoch: int) -> float:
        return schedule(1.0, epoch, **schedule_kwargs)

    return LambdaLR(optimizer, factor)


# --- 2-D test surfaces and a trajectory runner ---
# The functions use only arithmetic, so they work on floats, numpy arrays and tensors.


def rosenbrock(x: Any, y: Any, a: float = 1.0, b: float = 100.0) -> Any:
    r"""Rosenbrock's banana valley \((a-x)^2 + b\,(y - x^2)^2\); minimum 0 at \((a, a^2)\)."""
    return (a - x) ** 2 + b * (y - x**2) ** 2


def beale(x: Any, y: Any) -> Any:
    r"""Beale's function \((1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2\).

    Minimum 0 at \((3, 0.5)\); flat plateaus and steep walls.
    """
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def quadratic(x: Any, y: Any, condition: float = 25.0) -> Any:
    r"""An ill-conditioned bowl \(\tfrac12 (x^2 + \kappa\, y^2)\) with Hessian diag(1, κ).

    `condition` \(\kappa \ge 1\) is the ratio of the largest to the smallest curvature.
    """
    if _real("condition", condition) < 1.0:
        raise ValueError(f"condition must be >= 1, got {condition!r}")
    return 0.5 * (x**2 + condition * y**2)


def saddle(x: Any, y: Any) -> Any:
    r"""A saddle at the origin, \(x^2 - y^2 + y^4/4\): minima at \((0, \pm\sqrt2)\), value −1."""
    return x**2 - y**2 + 0.25 * y**4


@dataclass(frozen=True)
class Surface:
    """A 2-D test function with what a plot of it needs.

    Attributes:
        name: Display name.
        func: `func(x, y)` → value (floats, arrays or tensors).
        xlim: Plot range in x.
        ylim: Plot range in y.
        start: Default starting point of the trajectories.
        minimum: A global minimiser (x, y).
    """

    name: str
    func: Callable[[Any, Any], Any]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    minimum: tuple[float, float]


SURFACES: dict[str, Surface] = {
    "rosenbrock": Surface("Rosenbrock", rosenbrock, (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.5), (1, 1)),
    "beale": Surface("Beale", beale, (-4.5, 4.5), (-4.5, 4.5), (-1.0, 2.0), (3.0, 0.5)),
    "quadratic": Surface(
        "Quadratic, condition 25", quadratic, (-5.0, 5.0), (-2.0, 2.0), (-4.5, 1.5), (0.0, 0.0)
    ),
    "saddle": Surface("Saddle", saddle, (-2.0, 2.0), (-2.0, 2.0), (1.8, 1e-3), (0.0, 2**0.5)),
}
"""The surfaces drawn on the page, by key: rosenbrock, beale, quadratic (κ = 25), saddle."""


def trajectory(
    make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    surface: Callable[[Any, Any], Any] | str,
    start: Sequence[float],
    steps: int,
) -> np.ndarray:
    """The points an optimizer visits on a 2-D surface, in float64.

    Args:
        make_optimizer: Builds the optimizer from a list holding one 2-vector,
            e.g. `lambda p: Adam(p, lr=0.1)` (ours or torch's).
        surface: A function `f(x, y)` or a key of [`SURFACES`][dlbasics.optimizers.SURFACES].
        start: The first point (x₀, y₀).
        steps: Number of optimisation steps (≥ 0).

    Returns:
        A `(steps + 1, 2)` array; after a non-finite point the rest is NaN.
    """
    if isinstance(surface, str) and surface not in SURFACES:
        raise ValueError(f"surface must be one of {sorted(SURFACES)}, got {surface!r}")
    func = SURFACES[surface].func if isinstance(surface, str) else surface
    if not callable(func):
        raise TypeError(f"surface must be a function f(x, y) or a name, got {surface!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    if len(start) != 2:
        raise ValueError(f"start must be a point (x, y), got {start!r}")
    point = torch.tensor([float(start[0]), float(start[1])], dtype=torch.float64)
    point.requires_grad_(True)
    optimizer = make_optimizer([point])
    path = np.full((steps + 1, 2), np.nan)
    path[0] = point.detach().numpy()
    for i in range(1, steps + 1):
        optimizer.zero_grad()
        func(point[0], point[1]).backward()
        optimizer.step()
        path[i] = point.detach().numpy()
        if not np.all(np.isfinite(path[i])):
            path[i] = np.nan
            break
    return path


# --- Experiments for the page ---
# Everything below serves docs/optimizers.md: variants that exist only to be compared
# (textbook momentum, Adam without bias correction), training runs on scikit-learn's
# digits, and the plots. Each experiment returns plain data and is cached.


class TextbookMomentum(EquationOptimizer):
    r"""Momentum as the course writes it: an *average* of gradients, not torch's sum.

    \[
    v_0 = 0, \qquad v_t = \beta v_{t-1} + (1-\beta)\, g_t, \qquad
    \theta_t = \theta_{t-1} - \alpha\, v_t .
    \]

    Same path as `SGD(lr=α(1−β), momentum=β)`; kept here to show that on the page.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, beta: float = 0.9) -> None:
        defaults = {"lr": lr, "beta": beta, "weight_decay": 0.0, "maximize": False}
        super().__init__(params, defaults)

    def check_group(self, group: dict[str, Any]) -> None:
        """Also: beta in [0, 1)."""
        super().check_group(group)
        _check_unit_interval("beta", group["beta"])

    def init_state(self, state: dict[str, Any], group: dict[str, Any], param: torch.Tensor) -> None:
        """v = 0."""
        state["velocity"] = torch.zeros_like(param)

    def update(
        self,
        state: dict[str, Any],
        group: dict[str, Any],
        grad: torch.Tensor,
        param: torch.Tensor,
    ) -> None:
        """v ← β v + (1 − β) g; θ ← θ − α v."""
        _ema_(state["velocity"], grad, group["beta"])
        param.add_(state["velocity"], alpha=-group["lr"])


class UncorrectedAdam(Adam):
    """Adam without bias correction (m and v used as they are), to show what the correction does."""

    def bias_correction(self, beta: float, step: int) -> float:
        """No correction: divide by 1."""
        return 1.0


OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "SGD": ("SGD", {}),
    "Momentum": ("SGD", {"momentum": 0.9}),
    "Nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "RMSprop": ("RMSprop", {}),
    "Adam": ("Adam", {}),
    "AdamW": ("AdamW", {}),
}
"""The optimizers compared on the page: name → (class name, fixed arguments)."""


def make_optimizer(
    name: str, params: Iterable[Any], lr: float, library: str = "dlbasics", **kwargs: Any
) -> torch.optim.Optimizer:
    """One of [`OPTIMIZERS`][dlbasics.optimizers.OPTIMIZERS] by name, ours or torch's.

    Args:
        name: A key of `OPTIMIZERS` ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "AdamW").
        params: Parameters to optimise.
        lr: Learning rate.
        library: `"dlbasics"` for our class, `"torch"` for `torch.optim`'s.
        **kwargs: More arguments of the class (e.g. `weight_decay`).
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"name must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    if library not in ("dlbasics", "torch"):
        raise ValueError(f"library must be 'dlbasics' or 'torch', got {library!r}")
    cls_name, fixed = OPTIMIZERS[name]
    cls = globals()[cls_name] if library == "dlbasics" else getattr(torch.optim, cls_name)
    return cls(params, lr=lr, **fixed, **kwargs)


def digits_mlp(seed: int = 0, hidden: int = 32, dtype: torch.dtype = torch.float32) -> Any:
    """The page's small network: 64 → `hidden` → ReLU → 10, initialised from `seed`."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
        ).to(dtype)


def _digits(dtype: torch.dtype = torch.float32) -> Any:
    # Imported here, so that only the experiments that train on digits have
    # dlbasics.datasets in their cache keys (see dlbasics.cache).
    from dlbasics.datasets import load_digits_split

    return load_digits_split(seed=0, dtype=dtype)


@cached
def train_digits(
    optimizer: str = "Adam",
    lr: float = 1e-3,
    epochs: int = 20,
    batch_size: int | None = 64,
    seed: int = 0,
    weight_decay: float | None = None,
    schedule: tuple[str, float] | None = None,
    record_every: int | None = None,
    hidden: int = 32,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Train [`digits_mlp`][dlbasics.optimizers.digits_mlp] on digits with cross-entropy.

    Args:
        optimizer: A key of [`OPTIMIZERS`][dlbasics.optimizers.OPTIMIZERS].
        lr: Initial learning rate.
        epochs: Passes over the 1,348 training images.
        batch_size: Mini-batch size; `None` for the whole training set (batch GD).
        seed: Seeds the initial weights and the shuffling.
        weight_decay: Passed to the optimizer when not `None`.
        schedule: `("inverse_time", decay_rate)` or `("exponential", rate)`, stepped per epoch.
        record_every: Record the losses every this many steps (default: once per epoch).
        hidden: Width of the hidden layer.
        progress: Show a tqdm bar.

    Returns:
        `step`, `epoch`, `train_loss`, `test_loss`, `test_accuracy` at each record
        (the first at step 0), `lr` per epoch, and the final `weight_norm`. A run
        that diverges is cut short with NaN losses.
    """
    with torch_threads(1):
        return _train_digits(
            optimizer,
            lr,
            epochs,
            batch_size,
            seed,
            weight_decay,
            schedule,
            record_every,
            hidden,
            progress,
        )


def _train_digits(
    optimizer: str,
    lr: float,
    epochs: int,
    batch_size: int | None,
    seed: int,
    weight_decay: float | None,
    schedule: tuple[str, float] | None,
    record_every: int | None,
    hidden: int,
    progress: bool,
) -> dict[str, np.ndarray]:
    from tqdm.auto import tqdm

    data = _digits()
    n = len(data.x_train)
    batch = n if batch_size is None else int(batch_size)
    if batch < 1:
        raise ValueError(f"batch_size must be >= 1 or None, got {batch_size!r}")
    model = digits_mlp(seed, hidden)
    kwargs: dict[str, Any] = {} if weight_decay is None else {"weight_decay": weight_decay}
    opt = make_optimizer(optimizer, model.parameters(), lr, **kwargs)
    scheduler = None
    if schedule is not None:
        kind, value = schedule
        if kind == "inverse_time":
            scheduler = lr_decay_scheduler(opt, inverse_time_decay, decay_rate=value)
        elif kind == "exponential":
            scheduler = lr_decay_scheduler(opt, exponential_decay, rate=value)
        else:
            raise ValueError(
                f"schedule must be ('inverse_time' | 'exponential', value), got {schedule!r}"
            )
    loss_fn = torch.nn.functional.cross_entropy
    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = -(-n // batch)
    every = record_every or steps_per_epoch
    log: dict[str, list[float]] = {
        k: [] for k in ("step", "train_loss", "test_loss", "test_accuracy")
    }
    lrs: list[float] = []

    def record(step: int) -> None:
        with torch.no_grad():
            test_logits = model(data.x_test)
            log["step"].append(step)
            log["train_loss"].append(float(loss_fn(model(data.x_train), data.y_train)))
            log["test_loss"].append(float(loss_fn(test_logits, data.y_test)))
            accuracy = (test_logits.argmax(1) == data.y_test).double().mean()
            log["test_accuracy"].append(float(accuracy))

    record(0)
    step = 0
    diverged = False
    for _ in tqdm(range(epochs), disable=not progress, desc=f"{optimizer} lr={lr:g}"):
        lrs.append(opt.param_groups[0]["lr"])
        order = torch.randperm(n, generator=generator)
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            opt.zero_grad()
            loss = loss_fn(model(data.x_train[idx]), data.y_train[idx])
            if not torch.isfinite(loss):
                diverged = True
                break
            loss.backward()
            opt.step()
            step += 1
            if step % every == 0:
                record(step)
        if diverged:
            break
        if scheduler is not None:
            scheduler.step()
    out = {k: np.asarray(v, dtype=np.float64) for k, v in log.items()}
    if diverged:
        out["train_loss"] = np.append(out["train_loss"], np.nan)
        out["test_loss"] = np.append(out["test_loss"], np.nan)
        out["test_accuracy"] = np.append(out["test_accuracy"], np.nan)
        out["step"] = np.append(out["step"], step)
    out["epoch"] = out["step"] / steps_per_epoch
    out["lr"] = np.asarray(lrs)
    out["weight_norm"] = np.asarray(
        float(torch.sqrt(sum((p.detach() ** 2).sum() for p in model.parameters())))
    )
    return out


@cached
def sgd_update_check(lr: float = 0.1, seed: int = 0) -> float:
    r"""One [`SGD`][dlbasics.optimizers.SGD] step on the page's network vs \(W - \alpha\,dJ/dW\).

    Returns the largest absolute difference over all weights (0 when they agree exactly).
    """
    data = _digits(torch.float64)
    model = digits_mlp(seed, dtype=torch.float64)
    before = [p.detach().clone() for p in model.parameters()]
    loss = torch.nn.functional.cross_entropy(model(data.x_train), data.y_train)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    for p, g in zip(model.parameters(), grads, strict=True):
        p.grad = g
    SGD(model.parameters(), lr=lr).step()
    return max(
        float((p.detach() - (w - lr * g)).abs().max())
        for p, w, g in zip(model.parameters(), before, grads, strict=True)
    )


@cached
def gd_variants(
    lrs: tuple[float, float, float] = (0.5, 0.1, 0.01), seed: int = 0
) -> dict[str, dict[str, np.ndarray]]:
    """Batch, mini-batch (64) and stochastic (1) gradient descent with plain SGD.

    `lrs` are the learning rates of the three variants: the noisier the gradient, the
    smaller the step it tolerates.
    Budgets: 200 epochs of batch GD (200 updates), 20 epochs with batches of 64
    (420 updates), one epoch of single examples (1,348 updates).
    """
    runs: dict[str, dict[str, Any]] = {
        "batch (1,348)": {"batch_size": None, "epochs": 200, "record_every": 1},
        "mini-batch (64)": {"batch_size": 64, "epochs": 20, "record_every": 4},
        "stochastic (1)": {"batch_size": 1, "epochs": 1, "record_every": 13},
    }
    out = {}
    for lr, (label, kw) in zip(lrs, runs.items(), strict=True):
        r = train_digits("SGD", lr, seed=seed, **kw)
        out[label] = {k: r[k] for k in ("step", "epoch", "train_loss")} | {"lr": np.asarray(lr)}
    return out


@cached
def gradient_noise(
    batch_sizes: tuple[int, ...] = (1, 4, 16, 64, 256, 1024),
    draws: int = 100,
    trained_epochs: tuple[int, ...] = (0, 5),
    seed: int = 0,
) -> dict[str, Any]:
    r"""How far a mini-batch gradient is from the full-batch one, against the batch size.

    Per-sample gradients \(g_i\) of the network's loss are computed once
    (`torch.func.vmap` over `torch.func.grad`); a mini-batch gradient is the mean of `B`
    rows drawn without replacement. Measured: \(E\lVert g_B - G\rVert^2 / \lVert G\rVert^2\)
    over `draws` batches. Predicted by sampling theory:
    \(\frac{N-B}{N-1}\,\frac{\sigma^2}{B}\) with
    \(\sigma^2 = \frac1N\sum_i \lVert g_i - G\rVert^2\). Done at initialisation and
    after `trained_epochs` epochs of SGD (batch 64, lr 0.1).
    """
    from torch.func import functional_call, grad, vmap

    data = _digits()
    n = len(data.x_train)
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"batch_sizes": np.asarray(batch_sizes, dtype=np.float64)}
    with torch_threads(1):
        for epochs in trained_epochs:
            model = digits_mlp(seed)
            opt = SGD(model.parameters(), lr=0.1)
            generator = torch.Generator().manual_seed(seed)
            for _ in range(epochs):
                order = torch.randperm(n, generator=generator)
                for i in range(0, n, 64):
                    idx = order[i : i + 64]
                    opt.zero_grad()
                    loss = torch.nn.functional.cross_entropy(
                        model(data.x_train[idx]), data.y_train[idx]
                    )
                    loss.backward()
                    opt.step()
            params = {k: v.detach() for k, v in model.named_parameters()}

            def sample_loss(p: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> Any:
                logits = functional_call(model, p, (x[None],))  # noqa: B023
                return torch.nn.functional.cross_entropy(logits, y[None])

            per_sample = vmap(grad(sample_loss), in_dims=(None, 0, 0))(
                params, data.x_train, data.y_train
            )
            g = torch.cat([v.reshape(n, -1) for v in per_sample.values()], dim=1).double().numpy()
            full = g.mean(axis=0)
            sigma2 = float(((g - full) ** 2).sum(axis=1).mean())
            norm2 = float((full**2).sum())
            measured, predicted = [], []
            # Each draw is a prefix of its own random permutation: B rows without replacement.
            perms = np.argsort(rng.random((draws, n)), axis=1)
            rows = np.arange(draws)[:, None]
            for b in batch_sizes:
                select = np.zeros((draws, n))
                select[rows, perms[:, :b]] = 1.0 / b
                errors = ((select @ g - full) ** 2).sum(axis=1)  # one matmul for all draws
                measured.append(float(errors.mean()) / norm2)
                predicted.append((n - b) / (n - 1) * sigma2 / b / norm2)
            out[f"measured_{epochs}"] = np.asarray(measured)
            out[f"predicted_{epochs}"] = np.asarray(predicted)
    return out


def noisy_series(n: int = 200, seed: int = 0) -> np.ndarray:
    """A daily-temperature-like series: a slow seasonal curve plus Gaussian noise (σ = 3)."""
    t = np.arange(n)
    return (
        12.0 + 8.0 * np.sin(2 * np.pi * t / 365 * 1.5) + np.random.default_rng(seed).normal(0, 3, n)
    )


def window_mass(beta: float, window: int, length: int = 5000) -> float:
    r"""The share of an average's weight that falls on its last `window` samples.

    Measured, not assumed: the EMA of a series that is 1 on the last `window` samples
    and 0 before. The closed form is \(1 - \beta^{\text{window}}\) (for a long series).
    """
    if not 1 <= window <= length:
        raise ValueError(f"window must be in [1, length={length}], got {window!r}")
    indicator = np.zeros(length)
    indicator[-window:] = 1.0
    return float(ema(indicator, beta)[-1])


@cached
def ema_window_table(betas: Sequence[float] = (0.5, 0.9, 0.98)) -> list[list[Any]]:
    """Rows: β, the rule of thumb 1/(1−β), the weight inside it, samples holding 90 %."""
    rows = []
    for beta in betas:
        window = round(effective_window(beta))
        ninety = next(k for k in range(1, 10_000) if window_mass(beta, k) >= 0.9)
        rows.append([beta, window, f"{100 * window_mass(beta, window):.1f} %", ninety])
    return rows


@cached
def momentum_paths(
    condition: float = 25.0, lr: float = 0.075, beta: float = 0.9, steps: int = 60
) -> dict[str, np.ndarray]:
    """Gradient descent vs momentum on the ill-conditioned quadratic, same start.

    "GD" uses `lr`; "momentum" is the textbook average with the same α = `lr`
    (torch: `SGD(lr=lr·(1−β), momentum=β)`).
    """
    surface = partial_surface(condition)
    start = SURFACES["quadratic"].start
    return {
        "gradient descent": trajectory(lambda p: SGD(p, lr=lr), surface, start, steps),
        f"momentum β={beta}": trajectory(
            lambda p: SGD(p, lr=lr * (1 - beta), momentum=beta), surface, start, steps
        ),
    }


def partial_surface(condition: float) -> Callable[[Any, Any], Any]:
    """[`quadratic`][dlbasics.optimizers.quadratic] with its condition number fixed."""

    def surface(x: Any, y: Any) -> Any:
        return quadratic(x, y, condition)

    return surface


@cached
def momentum_vs_condition(
    conditions: tuple[float, ...] = (10.0, 100.0, 1000.0),
    betas: tuple[float, ...] = (0.0, 0.5, 0.9),
    steps: int = 200,
    lrs: tuple[float, ...] = tuple(float(v) for v in np.logspace(-4, 0, 13)),
) -> list[list[Any]]:
    """Lowest f reached after `steps` on the quadratic, per condition number and momentum.

    Each (κ, β) gets the best learning rate of `lrs` (torch's form, `SGD(lr, momentum=β)`);
    β = 0 is plain gradient descent. Rows: κ, then the best final f for each β.
    """
    rows = []
    with torch_threads(1):
        for condition in conditions:
            surface = partial_surface(condition)
            row: list[Any] = [condition]
            for beta in betas:
                paths = _paths_per_lr(
                    "SGD", surface, SURFACES["quadratic"].start, steps, lrs, momentum=beta
                )
                # in torch, like the paths: a huge last point overflows to inf without a warning
                final = np.array([float(surface(*torch.from_numpy(p[-1]))) for p in paths])
                row.append(float(np.nanmin(np.where(np.isfinite(final), final, np.nan))))
            rows.append(row)
    return rows


@cached
def momentum_forms(lr: float = 0.075, beta: float = 0.9, steps: int = 100) -> list[list[Any]]:
    """The textbook average vs torch's sum on the quadratic: largest distance between paths."""
    start = SURFACES["quadratic"].start
    textbook = trajectory(
        lambda p: TextbookMomentum(p, lr=lr, beta=beta), "quadratic", start, steps
    )
    variants = {
        f"SGD(lr={lr:g}·(1−β), momentum=β)": lambda p: SGD(p, lr=lr * (1 - beta), momentum=beta),
        f"SGD(lr={lr:g}, momentum=β)": lambda p: SGD(p, lr=lr, momentum=beta),
        f"SGD(lr={lr:g}, momentum=β, dampening=β)": lambda p: SGD(
            p, lr=lr, momentum=beta, dampening=beta
        ),
    }
    rows = []
    for label, make in variants.items():
        path = trajectory(make, "quadratic", start, steps)
        first = np.linalg.norm(path[1] - path[0]) / np.linalg.norm(textbook[1] - textbook[0])
        gap = (
            np.nanmax(np.linalg.norm(path - textbook, axis=1))
            if np.isfinite(path).all()
            else np.inf
        )
        rows.append([label, float(gap), float(first)])
    return rows


@cached
def momentum_buffer(beta: float = 0.9, steps: int = 60) -> dict[str, np.ndarray]:
    """Buffers under a constant gradient g = 1: torch's sum → 1/(1−β), the average → 1."""
    out: dict[str, list[float]] = {"torch SGD buffer": [], "textbook v": []}
    p, q = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    torch_form, textbook = SGD([p], lr=0.0, momentum=beta), TextbookMomentum([q], lr=0.0, beta=beta)
    for _ in range(steps):
        p.grad, q.grad = torch.ones(1), torch.ones(1)
        torch_form.step()
        textbook.step()
        out["torch SGD buffer"].append(float(torch_form.state[p]["momentum_buffer"]))
        out["textbook v"].append(float(textbook.state[q]["velocity"]))
    return {k: np.asarray(v) for k, v in out.items()}


def _constant_gradient_steps(
    make: Callable[[list[torch.Tensor]], torch.optim.Optimizer], grads: np.ndarray
) -> np.ndarray:
    """|Δθ| / lr at each step when the gradients are exactly `grads` (one column each)."""
    grads = np.atleast_2d(np.asarray(grads, dtype=np.float64).T).T  # (steps, width)
    p = torch.zeros(grads.shape[1], dtype=torch.float64, requires_grad=True)
    opt = make([p])
    lr = opt.param_groups[0]["lr"]
    steps = []
    for g in grads:
        before = p.detach().clone()
        p.grad = torch.as_tensor(g)
        opt.step()
        steps.append(((p.detach() - before).abs() / lr).numpy())
    return np.asarray(steps)


@cached
def rmsprop_eps_placement(
    eps: float = 1e-8, alpha: float = 0.99, steps: int = 3000
) -> dict[str, np.ndarray]:
    r"""Steady-state step / lr against |g| with ε outside the root (torch) and inside.

    torch: \(g/(\sqrt v + \varepsilon)\); inside: \(g/\sqrt{v + \varepsilon}\), computed from
    the same `square_avg` \(v\) after `steps` constant gradients.
    """
    g = np.logspace(-12, 0, 61)
    p = torch.zeros(len(g), dtype=torch.float64, requires_grad=True)
    opt = RMSprop([p], lr=1.0, alpha=alpha, eps=eps)
    for _ in range(steps):
        before = p.detach().clone()
        p.grad = torch.as_tensor(g)
        opt.step()
    outside = (p.detach() - before).abs().numpy()
    v = opt.state[p]["square_avg"].numpy()
    inside = g / np.sqrt(v + eps)
    return {"grad": g, "outside": outside, "inside": inside}


@cached
def rmsprop_alpha_steps(
    alphas: Sequence[float] = (0.9, 0.99, 0.999), steps: int = 600, drop_at: int = 300
) -> dict[str, np.ndarray]:
    """Step / lr of RMSprop when the gradient is 1 and then drops to 0.1 at `drop_at`."""
    grads = np.where(np.arange(steps) < drop_at, 1.0, 0.1)
    out = {
        f"RMSprop α={a}": _constant_gradient_steps(partial(RMSprop, lr=1.0, alpha=a), grads)[:, 0]
        for a in alphas
    }
    out["Adam β₂=0.999 (β₁=0)"] = _constant_gradient_steps(
        lambda p: Adam(p, lr=1.0, betas=(0.0, 0.999)), grads
    )[:, 0]
    out["grad"] = grads
    return out


@cached
def adam_first_steps(steps: int = 300, seed: int = 0) -> dict[str, np.ndarray]:
    """Step / lr of Adam with and without bias correction, constant and noisy gradients."""
    noisy = np.random.default_rng(seed).normal(1.0, 1.0, steps)
    out = {}
    for label, grads in (("constant", np.ones(steps)), ("noisy", noisy)):
        out[f"{label}, corrected"] = _constant_gradient_steps(lambda p: Adam(p, lr=1.0), grads)[
            :, 0
        ]
        out[f"{label}, uncorrected"] = _constant_gradient_steps(
            lambda p: UncorrectedAdam(p, lr=1.0), grads
        )[:, 0]
    return out


LR_GRID: tuple[float, ...] = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
"""The learning rates of the digits sweep."""

SURFACE_STEPS: dict[str, int] = {"rosenbrock": 500, "beale": 300, "quadratic": 60, "saddle": 100}
"""Steps per surface on the page."""


def _paths_per_lr(
    name: str,
    func: Callable[[Any, Any], Any],
    start: Sequence[float],
    steps: int,
    lrs: Sequence[float],
    **options: Any,
) -> list[np.ndarray]:
    """Like `trajectory` for every lr at once: one param group (and one point) per lr.

    The loss is the sum of f over the points, so each point gets its own gradient.
    `options` go to the optimizer (e.g. `momentum=0.9`). A diverged path is NaN from there on.
    """
    points = [torch.tensor(start, dtype=torch.float64, requires_grad=True) for _ in lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(points, lrs, strict=True)]
    opt = make_optimizer(name, groups, lrs[0], **options)
    out = np.full((len(lrs), steps + 1, 2), np.nan)
    out[:, 0] = start
    alive = np.ones(len(lrs), dtype=bool)
    for i in range(1, steps + 1):
        opt.zero_grad()
        xy = torch.stack(points)  # one vectorised graph: cheaper than one graph per point
        func(xy[:, 0], xy[:, 1])[torch.as_tensor(alive)].sum().backward()
        opt.step()
        now = np.stack([p.detach().numpy() for p in points])
        alive &= np.isfinite(now).all(axis=1)
        out[alive, i] = now[alive]
        for p, a in zip(points, alive, strict=True):
            if not a:
                p.grad = None  # a diverged point stops (its group is skipped)
        if not alive.any():
            break
    return list(out)


@cached
def surface_paths(
    surface: str,
    names: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam"),
    lrs: tuple[float, ...] | None = None,
    steps: int | None = None,
) -> dict[str, Any]:
    """For each optimizer, the path with the learning rate of `lrs` that does best.

    "Best" = lowest mean of f along the path (reaching low values early counts);
    paths that diverge or leave the plotted box are out.
    """
    s = SURFACES[surface]
    n = steps or SURFACE_STEPS[surface]
    paths: dict[str, np.ndarray | None] = {}
    chosen: dict[str, float | None] = {}
    box = 3 * max(map(abs, s.xlim)), 3 * max(map(abs, s.ylim))
    grid = SURFACE_LRS if lrs is None else lrs
    with torch_threads(1):
        for name in names:
            candidates = _paths_per_lr(name, s.func, s.start, n, grid)
            best: tuple[float, float | None, np.ndarray | None] = (np.inf, None, None)
            for lr, path in zip(grid, candidates, strict=True):
                inside = (np.abs(path) <= box).all()  # False for NaN (diverged) too
                score = float(np.mean(s.func(path[:, 0], path[:, 1]))) if inside else np.inf
                if score < best[0]:
                    best = (score, lr, path)
            paths[name], chosen[name] = best[2], best[1]
    return {"paths": paths, "lrs": chosen, "steps": n}


SURFACE_LRS: tuple[float, ...] = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
"""The learning rates tried on the 2-D surfaces."""


@cached
def lr_decay_runs(
    lr: float = 0.3,
    epochs: int = 20,
    seeds: tuple[int, ...] = (0, 1, 2),
    schedules: tuple[tuple[str, float] | None, ...] = (
        None,
        ("inverse_time", 0.2),
        ("exponential", 0.95),
    ),
) -> dict[str, Any]:
    """Mini-batch SGD (batch 64) on digits with a constant lr and with each decay schedule."""
    out: dict[str, Any] = {}
    for schedule in schedules:
        label = "constant" if schedule is None else f"{schedule[0]} ({schedule[1]:g})"
        runs = [
            train_digits("SGD", lr, epochs=epochs, batch_size=64, seed=s, schedule=schedule)
            for s in seeds
        ]
        out[label] = {
            "epoch": runs[0]["epoch"],
            "train_loss": np.stack([r["train_loss"] for r in runs]),
            "test_accuracy": np.stack([r["test_accuracy"] for r in runs]),
            "lr": runs[0]["lr"],
        }
    return out


@cached
def weight_decay_runs(
    weight_decays: tuple[float, ...] = (0.0, 1e-3, 1e-2, 1e-1, 1.0),
    lr: float = 3e-3,
    epochs: int = 15,
    seeds: tuple[int, ...] = (0,),
) -> dict[str, Any]:
    """Adam with L2 (`Adam(weight_decay=λ)`) vs decoupled decay (`AdamW(weight_decay=λ)`)."""
    out: dict[str, Any] = {"weight_decay": np.asarray(weight_decays)}
    for name in ("Adam", "AdamW"):
        rows = []
        for wd in weight_decays:
            runs = [
                train_digits(name, lr, epochs=epochs, batch_size=64, seed=s, weight_decay=wd)
                for s in seeds
            ]
            rows.append(
                [
                    np.mean([r["train_loss"][-1] for r in runs]),
                    np.mean([r["test_accuracy"][-1] for r in runs]),
                    np.mean([float(r["weight_norm"]) for r in runs]),
                ]
            )
        out[name] = np.asarray(rows)  # columns: train loss, test accuracy, weight norm
    return out


@cached
def lr_sweep(
    names: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "AdamW"),
    lrs: tuple[float, ...] = LR_GRID,
    epochs: int = 10,
    seed: int = 0,
) -> dict[str, Any]:
    """Final train loss and test accuracy after `epochs` (batch 64), per optimizer and lr."""
    out: dict[str, Any] = {"lrs": np.asarray(lrs)}
    for name in names:
        runs = [train_digits(name, lr, epochs=epochs, batch_size=64, seed=seed) for lr in lrs]
        out[name] = {
            "train_loss": np.asarray([r["train_loss"][-1] for r in runs]),
            "test_accuracy": np.asarray([r["test_accuracy"][-1] for r in runs]),
        }
    return out


@cached
def compare_optimizers(
    names: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "AdamW"),
    seeds: tuple[int, ...] = (0, 1, 2, 3),
    epochs: int = 10,
) -> dict[str, Any]:
    """Each optimizer at its best lr of [`lr_sweep`][dlbasics.optimizers.lr_sweep], over seeds.

    The lr is chosen on seed 0 by final training loss; the other seeds are new
    initialisations and shuffles, so they are not flattered by the choice.
    """
    sweep = lr_sweep(names=names, epochs=epochs)
    out: dict[str, Any] = {}
    for name in names:
        losses = np.nan_to_num(sweep[name]["train_loss"], nan=np.inf)
        lr = float(sweep["lrs"][int(np.argmin(losses))])
        runs = [train_digits(name, lr, epochs=epochs, batch_size=64, seed=s) for s in seeds]
        out[name] = {
            "lr": lr,
            "epoch": runs[0]["epoch"],
            "train_loss": np.stack([r["train_loss"] for r in runs]),
            "test_accuracy": np.stack([r["test_accuracy"] for r in runs]),
        }
    return out


@cached
def torch_agreement(steps: int = 100, seed: int = 0) -> list[list[Any]]:
    r"""Our classes vs torch.optim's training the page's network in float64, same batches.

    Returns rows: configuration, lr, and the largest relative difference of any parameter
    tensor, \(\lVert\theta_{ours} - \theta_{torch}\rVert / \lVert\theta_{torch}\rVert\),
    after `steps`.
    """
    configs: list[tuple[str, float, dict[str, Any]]] = [
        ("SGD", 0.1, {}),
        ("Nesterov", 0.05, {"weight_decay": 1e-3}),
        ("RMSprop", 1e-3, {"centered": True, "momentum": 0.9}),
        ("Adam", 1e-3, {"amsgrad": True, "weight_decay": 1e-2}),
        ("AdamW", 1e-3, {}),
    ]
    data = _digits(torch.float64)
    rows = []
    with torch_threads(1):
        for name, lr, kwargs in configs:
            models = [digits_mlp(seed, dtype=torch.float64) for _ in range(2)]
            opts = [
                make_optimizer(name, m.parameters(), lr, library=lib, **kwargs)
                for m, lib in zip(models, ("dlbasics", "torch"), strict=True)
            ]
            generator = torch.Generator().manual_seed(seed)
            for _ in range(steps):
                idx = torch.randint(len(data.x_train), (64,), generator=generator)
                for model, opt in zip(models, opts, strict=True):
                    opt.zero_grad()
                    logits = model(data.x_train[idx])
                    torch.nn.functional.cross_entropy(logits, data.y_train[idx]).backward()
                    opt.step()
            diff = max(
                float((a - b).detach().norm() / b.detach().norm())
                for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True)
            )
            label = name + (
                " " + ", ".join(f"{k}={v}" for k, v in kwargs.items()) if kwargs else ""
            )
            rows.append([label, lr, diff])
    return rows


# --- Plots for the page (data in, inline HTML out) ---


def _style_names() -> dict[str, str]:
    from dlbasics.plotting import COLORS

    names = ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "AdamW")
    return dict(zip(names, COLORS, strict=False))


def contour(ax: Any, surface: str | Surface, levels: int = 18) -> None:
    """Draw log-spaced contour lines of a 2-D surface on `ax`, its minimum as a star."""
    s = SURFACES[surface] if isinstance(surface, str) else surface
    xs = np.linspace(*s.xlim, 300)
    ys = np.linspace(*s.ylim, 300)
    gx, gy = np.meshgrid(xs, ys)
    z = s.func(gx, gy)
    # log of the height above the lowest grid value: valleys and plateaus both show
    height = np.log10(z - z.min() + 1e-3)
    ax.contour(
        gx,
        gy,
        height,
        levels=levels,
        colors="#8a8a8a",
        linewidths=0.6,
        alpha=0.7,
        linestyles="solid",
    )
    ax.plot(*s.minimum, marker="*", markersize=12, color="#8a8a8a", linestyle="none")
    ax.set(xlim=s.xlim, ylim=s.ylim, title=s.name)
    ax.grid(False)


def plot_paths(
    ax: Any,
    surface: str | Surface,
    paths: Mapping[str, np.ndarray | None],
    labels: Mapping[str, str],
) -> None:
    """Contour of `surface` with one coloured path per optimizer (`labels` = legend text)."""
    from dlbasics.plotting import COLORS

    contour(ax, surface)
    colors = _style_names()
    for i, (name, path) in enumerate(paths.items()):
        if path is None:
            continue
        color = colors.get(name, COLORS[i % len(COLORS)])
        ax.plot(path[:, 0], path[:, 1], color=color, lw=1.4, label=labels.get(name, name))
        ax.plot(path[0, 0], path[0, 1], "o", color=color, ms=4)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_surface_paths(results: dict[str, dict[str, Any]]) -> str:
    """2×2 contour plots with the best path of each optimizer (PNG)."""
    from dlbasics.plotting import fig_to_png, new_figure

    fig, axes = new_figure(2, 2, width=9.0, height=8.0)
    for ax, (key, res) in zip(axes.flat, results.items(), strict=False):
        labels = {n: f"{n} (lr {lr:g})" for n, lr in res["lrs"].items() if lr is not None}
        plot_paths(ax, key, res["paths"], labels)
        ax.set_title(f"{SURFACES[key].name}, {res['steps']} steps")
        ax.legend(fontsize=7, loc="lower left")
    return fig_to_png(
        fig,
        alt="Four contour plots (Rosenbrock, Beale, an ill-conditioned quadratic, a saddle) "
        "with the paths of SGD, momentum, Nesterov, RMSprop and Adam from the same start",
        caption="Each optimizer uses the learning rate of its grid that gives the lowest "
        "mean loss along the path. Stars mark a minimum, dots the start.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_gd_variants(res: dict[str, dict[str, np.ndarray]]) -> str:
    """Training loss of batch / mini-batch / stochastic GD against epochs and against updates."""
    from dlbasics.plotting import new_figure, to_svg

    fig, (a, b) = new_figure(1, 2, width=9.0, height=3.4)
    for label, r in res.items():
        a.plot(r["epoch"][1:], r["train_loss"][1:], label=label)
        b.plot(r["step"][1:], r["train_loss"][1:], label=label)
    a.set(
        xscale="log", yscale="log", xlabel="epochs (passes over the data)", ylabel="training loss"
    )
    b.set(xscale="log", yscale="log", xlabel="updates (gradient evaluations)")
    a.legend()
    return to_svg(
        fig,
        alt="Training loss of batch, mini-batch and stochastic gradient descent on digits, "
        "against epochs (left) and against the number of updates (right)",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_gradient_noise(res: dict[str, Any]) -> str:
    """Measured vs predicted relative gradient noise against the batch size (log-log)."""
    from dlbasics.plotting import COLORS, new_figure, to_svg

    fig, ax = new_figure(width=6.0, height=3.6)
    keys = [k.removeprefix("measured_") for k in res if k.startswith("measured_")]
    for i, k in enumerate(keys):
        stage = "at initialisation" if k == "0" else f"after {k} epochs"
        ax.plot(
            res["batch_sizes"],
            res[f"measured_{k}"],
            "o",
            color=COLORS[i],
            label=f"measured, {stage}",
        )
        ax.plot(
            res["batch_sizes"],
            res[f"predicted_{k}"],
            "-",
            color=COLORS[i],
            lw=1,
            label="(N−B)/(N−1) · σ²/B",
        )
    ax.set(xscale="log", yscale="log", xlabel="batch size B", ylabel="E‖g_B − G‖² / ‖G‖²")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Relative squared error of the mini-batch gradient against batch size, "
        "measured and predicted, falling roughly as one over the batch size",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_ema(betas: Sequence[float] = (0.5, 0.9, 0.98), n: int = 200, seed: int = 0) -> str:
    """A noisy series and its exponentially weighted averages for several β."""
    from dlbasics.plotting import new_figure, to_svg

    x = noisy_series(n, seed)
    fig, ax = new_figure()
    ax.plot(x, ".", color="#999999", ms=3, label="data X_t")
    for beta in betas:
        ax.plot(ema(x, beta), label=f"β = {beta} (≈ {effective_window(beta):g} samples)")
    ax.set(xlabel="t", ylabel="value")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="A noisy series with its exponentially weighted averages: beta 0.5 follows the "
        "noise, 0.9 is smoother, 0.98 is smoothest but lags behind",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_bias_correction(beta: float = 0.98, n: int = 100, seed: int = 0) -> str:
    """The first values of an EMA with and without bias correction."""
    from dlbasics.plotting import new_figure, to_svg

    x = noisy_series(n, seed)
    fig, ax = new_figure()
    ax.plot(x, ".", color="#999999", ms=3, label="data")
    ax.plot(ema(x, beta), label=f"V_t (β = {beta})")
    ax.plot(ema(x, beta, bias_correction=True), label="V_t / (1 − β^t)")
    ax.set(xlabel="t", ylabel="value")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="The plain exponentially weighted average starts at zero and takes dozens of "
        "samples to reach the data; the bias-corrected one follows the data from the start",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_momentum_paths(paths: dict[str, np.ndarray], condition: float = 25.0) -> str:
    """Paths on the quadratic (left) and f along them (right)."""
    from dlbasics.plotting import fig_to_png, new_figure

    fig, (a, b) = new_figure(1, 2, width=9.5, height=3.6)
    plot_paths(a, "quadratic", paths, {})
    a.legend(fontsize=8, loc="lower right")
    for name, path in paths.items():
        b.plot(quadratic(path[:, 0], path[:, 1], condition), label=name)
    b.set(yscale="log", xlabel="step", ylabel="f(x, y)")
    return fig_to_png(
        fig,
        alt="On an elongated quadratic bowl gradient descent zig-zags across the valley; "
        "momentum damps the zig-zag and reaches lower loss in the same number of steps",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_series(
    series: dict[str, np.ndarray],
    *,
    xlabel: str,
    ylabel: str,
    alt: str,
    logy: bool = False,
    caption: str | None = None,
) -> str:
    """Several named curves against step (1, 2, …) on one axis, as SVG."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure()
    for label, y in series.items():
        ax.plot(np.arange(1, len(y) + 1), y, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, yscale="log" if logy else "linear")
    ax.legend(fontsize=8)
    return to_svg(fig, alt=alt, caption=caption)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_rmsprop_eps(res: dict[str, np.ndarray]) -> str:
    """Steady-state step / lr against |g| with ε outside (torch) and inside the root."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure()
    ax.plot(res["grad"], res["outside"], label="torch: g / (√v + ε)")
    ax.plot(res["grad"], res["inside"], "--", label="g / √(v + ε)")
    ax.set(xscale="log", yscale="log", xlabel="|g| (constant gradient)", ylabel="step / lr")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Step size over learning rate against gradient size: with epsilon outside the "
        "root the step stays 1 down to gradients near 1e-8; inside it falls below 1e-4",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_lr_schedules(epochs: int = 50) -> str:
    """Both decay formulas of the note for a few rates."""
    from dlbasics.plotting import new_figure, to_svg

    e = np.arange(epochs + 1)
    fig, ax = new_figure()
    for dr in (0.1, 0.2, 1.0):
        ax.plot(
            e,
            [inverse_time_decay(1.0, k, dr) for k in range(epochs + 1)],
            label=f"1/(1 + {dr:g}·epoch)",
        )
    for rate in (0.95, 0.9):
        ax.plot(
            e,
            [exponential_decay(1.0, k, rate) for k in range(epochs + 1)],
            "--",
            label=f"{rate:g}^epoch",
        )
    ax.set(xlabel="epoch", ylabel="lr / lr₀", yscale="log")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Learning-rate multipliers over 50 epochs: inverse-time decay falls fast then "
        "slowly; exponential decay falls by a constant factor per epoch",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_runs(
    res: dict[str, Any], key: str = "train_loss", ylabel: str = "training loss", logy: bool = True
) -> str:
    """Mean over seeds (line) and min–max band, per run label, against epochs."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure()
    colors = _style_names()
    for label, r in res.items():
        values = r[key]
        color = colors.get(label)
        ax.plot(r["epoch"], values.mean(axis=0), label=label, color=color)
        ax.fill_between(r["epoch"], values.min(axis=0), values.max(axis=0), alpha=0.2, color=color)
    ax.set(xlabel="epoch", ylabel=ylabel, yscale="log" if logy else "linear")
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt=f"{ylabel} against epochs on digits, mean over seeds with a min-to-max band, per run",
        caption="Line: mean over seeds; band: min to max.",
    )


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_lr_sweep(res: dict[str, Any]) -> str:
    """Final training loss against lr, one line per optimizer (log-log)."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.8)
    colors = _style_names()
    for name, r in res.items():
        if name == "lrs":
            continue
        ax.plot(res["lrs"], r["train_loss"], "o-", label=name, color=colors.get(name), ms=3)
    ax.set(
        xscale="log", yscale="log", xlabel="learning rate", ylabel="training loss after 10 epochs"
    )
    ax.legend(fontsize=8)
    return to_svg(
        fig,
        alt="Final training loss against learning rate for each optimizer: SGD needs large "
        "rates, RMSprop and Adam work at small ones and blow up at large ones",
        caption="Missing points: the run diverged (loss became NaN or infinite).",
    )
