"""Offline data: the digits split."""

from __future__ import annotations

import pytest
import torch

from dlbasics.datasets import load_digits_split, require


def test_digits_split_sizes_and_standardisation() -> None:
    data = load_digits_split(test_fraction=0.2, seed=1)
    assert data.x_train.shape[0] + data.x_test.shape[0] == 1797
    assert data.x_test.shape == (359, 64) and data.y_test.dtype == torch.int64
    assert set(data.y_train.tolist()) == set(range(10))
    mean = data.x_train.mean(dim=0)
    std = data.x_train.std(dim=0, unbiased=False)
    varying = std > 0
    torch.testing.assert_close(mean, torch.zeros(64), atol=1e-5, rtol=0)
    torch.testing.assert_close(std[varying], torch.ones(int(varying.sum())), atol=1e-5, rtol=0)


def test_digits_split_is_seeded_and_shapes_images() -> None:
    a = load_digits_split(seed=3, images=True, dtype=torch.float64)
    b = load_digits_split(seed=3, images=True, dtype=torch.float64)
    assert a.x_train.shape[1:] == (1, 8, 8) and a.x_train.dtype == torch.float64
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    c = load_digits_split(seed=4)
    assert not torch.equal(c.y_test, load_digits_split(seed=3).y_test)


def test_unstandardised_pixels_are_in_unit_interval() -> None:
    x = load_digits_split(standardize=False).x_train
    assert x.min() >= 0 and x.max() <= 1


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits_split(test_fraction=1.0)
    with pytest.raises(TypeError, match="dtype"):
        load_digits_split(dtype=torch.int64)


def test_require_names_the_extra() -> None:
    with pytest.raises(ImportError, match=r"dlbasics\[vision\]"):
        require("a_module_that_does_not_exist", "vision")
