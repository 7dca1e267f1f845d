"""Argument checks shared by the optimizers, the averages and the schedules: stricter than
torch on purpose, each error names the argument and what was expected."""

from __future__ import annotations

import math
import numbers
from typing import Any


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
