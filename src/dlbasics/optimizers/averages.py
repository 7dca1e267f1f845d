r"""What \(\beta\) does: exponentially weighted averages of a series, and heavy-ball
momentum on a quadratic in closed form (its per-step rate, and Polyak's optimal setting).

Re-exported by [`dlbasics.optimizers`][dlbasics.optimizers], where the optimizers that use
these averages live.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlbasics.optimizers._checks import _check_bool, _check_nonnegative, _check_unit_interval, _real

__all__ = ["effective_window", "ema", "heavy_ball_rate", "polyak_momentum", "window_mass"]


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


# --- Momentum on a quadratic, in closed form ---


def heavy_ball_rate(lr: float, beta: float, curvature: float) -> float:
    r"""Per-step contraction of heavy-ball momentum (torch's `SGD(lr, momentum=β)`) along an
    eigendirection of curvature \(h\) of a quadratic.

    The error \(e_t\) along that direction obeys \(e_{t+1} = (1 + \beta - \mathrm{lr}\,h)\,e_t
    - \beta\, e_{t-1}\), so it shrinks per step by the spectral radius of
    \(\begin{pmatrix} 1 + \beta - \mathrm{lr}\,h & -\beta \\ 1 & 0 \end{pmatrix}\): the largest
    \(|z|\) with \(z^2 - (1 + \beta - \mathrm{lr}\,h)\,z + \beta = 0\). When the roots are
    complex (the path oscillates) \(|z| = \sqrt\beta\), whatever \(h\) and lr; at
    \(\beta = 0\) it is plain gradient descent's \(|1 - \mathrm{lr}\,h|\). Above 1: divergence.
    """
    _check_nonnegative("lr", lr)
    _check_unit_interval("beta", beta)
    h = _real("curvature", curvature)
    if h < 0:
        raise ValueError(f"curvature must be >= 0, got {curvature!r}")
    b = 1.0 + float(beta) - float(lr) * h
    disc = b * b - 4.0 * float(beta)
    if disc < 0:
        return math.sqrt(float(beta))
    root = math.sqrt(disc)
    return max(abs(b + root), abs(b - root)) / 2.0


def polyak_momentum(largest: float, smallest: float) -> tuple[float, float]:
    r"""Polyak's optimal heavy ball for a quadratic with curvatures in \([\mu, L]\):

    \[
    \mathrm{lr}^* = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \qquad
    \beta^* = \Bigl(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\Bigr)^2, \qquad \kappa = L/\mu,
    \]

    in torch's form `SGD(lr, momentum=β)`; its rate is \(\sqrt{\beta^*} =
    (\sqrt\kappa - 1)/(\sqrt\kappa + 1)\) per step on every direction. In the textbook
    averaged form the same step is \(\alpha = \mathrm{lr}/(1 - \beta)\).

    Returns:
        `(lr, beta)`.
    """
    big, small = _real("largest", largest), _real("smallest", smallest)
    if not 0 < small <= big:
        raise ValueError(
            f"largest and smallest must be curvatures with 0 < smallest <= largest, got "
            f"largest={largest!r}, smallest={smallest!r}"
        )
    root_kappa = math.sqrt(big / small)
    lr = 4.0 / (math.sqrt(big) + math.sqrt(small)) ** 2
    return lr, ((root_kappa - 1) / (root_kappa + 1)) ** 2
