"""Tests of dlbasics.batch_norm.experiments: the page's experiments."""

from __future__ import annotations

import pytest
import torch

F64 = torch.float64


# --- The page's experiments (tiny versions: structure, and the facts they rely on) -----------


def test_momentum_weights_are_torch_convention() -> None:
    from dlbasics.batch_norm.experiments import momentum_weights

    for m in (0.1, 0.9):
        expected = [m * (1 - m) ** k for k in range(8)]
        assert momentum_weights(m) == pytest.approx(expected, abs=1e-12)
    cumulative = momentum_weights(None)
    assert cumulative == pytest.approx([1 / 8] * 8)


def test_identity_check() -> None:
    from dlbasics.batch_norm.experiments import identity_check

    result = identity_check()
    assert result["identity"] < 1e-6 < result["plain"]


def test_ghost_batch_norm_normalises_each_chunk() -> None:
    from dlbasics.batch_norm.experiments import _GhostBatchNorm1d

    torch.manual_seed(8)
    x = torch.randn(12, 3, dtype=F64) * 4 + 1
    ghost = _GhostBatchNorm1d(3, ghost=4).double()
    y = ghost(x)
    for chunk_x, chunk_y in zip(x.split(4), y.split(4), strict=True):
        expected = (chunk_x - chunk_x.mean(0)) / torch.sqrt(chunk_x.var(0, unbiased=False) + 1e-5)
        torch.testing.assert_close(chunk_y, expected)
    assert int(ghost.num_batches_tracked) == 1
    chunk_means = torch.stack([c.mean(0) for c in x.split(4)])
    torch.testing.assert_close(ghost.running_mean, 0.1 * chunk_means.mean(0))
