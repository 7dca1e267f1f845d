"""Offline data for the experiments: nothing here downloads.

- [`load_digits_split`][dlbasics.datasets.load_digits_split]: scikit-learn's 8×8 handwritten
  digits (1,797 images shipped inside its wheel), standardised and split into train and test tensors.

Image loaders for the style-transfer page live in this module too (see its section below).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["DigitsSplit", "load_digits_split", "require"]


def require(module: str, extra: str) -> Any:
    """Import `module`, or raise an `ImportError` that names the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{module} is needed for this function; install it with "
            f"`pip install 'dlbasics[{extra}]'`"
        ) from error


@dataclass(frozen=True)
class DigitsSplit:
    """Train and test tensors of the digits data set.

    Attributes:
        x_train: (N_train, 64) float tensor, standardised with the training mean and std.
        y_train: (N_train,) int64 class labels 0–9.
        x_test: (N_test, 64) float tensor, standardised with the *training* statistics.
        y_test: (N_test,) int64 class labels.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(
    test_fraction: float = 0.25,
    *,
    seed: int = 0,
    standardize: bool = True,
    dtype: torch.dtype = torch.float32,
    images: bool = False,
) -> DigitsSplit:
    """scikit-learn's digits, shuffled with `seed` and split into train and test.

    Args:
        test_fraction: Share of the 1,797 images held out, in (0, 1).
        seed: Seed of the shuffle.
        standardize: Subtract the training mean and divide by the training std per pixel
            (x ↦ (x − μ_train) / σ_train); otherwise pixels are scaled to [0, 1].
        dtype: Floating dtype of the inputs.
        images: Return inputs shaped (N, 1, 8, 8) instead of (N, 64).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch dtype, got {dtype}")
    sklearn_datasets = require("sklearn.datasets", "datasets")
    digits = sklearn_datasets.load_digits()
    x = digits.data.astype(np.float64) / 16.0
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = round(len(x) * test_fraction)
    x_test, y_test, x_train, y_train = x[:n_test], y[:n_test], x[n_test:], y[n_test:]
    if standardize:
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        std[std == 0] = 1.0  # the always-blank corner pixels
        x_train = (x_train - mean) / std
        x_test = (x_test - mean) / std

    def tensor(a: np.ndarray) -> torch.Tensor:
        t = torch.as_tensor(a, dtype=dtype)
        return t.reshape(-1, 1, 8, 8) if images else t

    return DigitsSplit(
        tensor(x_train), torch.as_tensor(y_train), tensor(x_test), torch.as_tensor(y_test)
    )
