r"""2-D test surfaces (Rosenbrock, Beale, an ill-conditioned bowl, a saddle) and a runner
that records the points an optimizer visits on one.

Re-exported by [`dlbasics.optimizers`][dlbasics.optimizers].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dlbasics.optimizers._checks import _real

__all__ = ["SURFACES", "Surface", "beale", "quadratic", "rosenbrock", "saddle", "trajectory"]


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
