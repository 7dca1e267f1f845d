"""What the experiments of every page share: data, accuracy, mini-batches, the training loop.

The topic packages keep their algorithms in `dlbasics.<topic>` and their experiments in
`dlbasics.<topic>.experiments`; the experiments train small networks in the same few ways,
so those ways live here, once:

- [`digits`][dlbasics.training.digits]: scikit-learn's digits as tensors, the split every
  page uses (seed 0, standardised with the training statistics);
- [`accuracy`][dlbasics.training.accuracy], [`model_accuracy`][dlbasics.training.model_accuracy]
  and [`model_loss`][dlbasics.training.model_loss]: what a trained classifier scores;
- [`minibatches`][dlbasics.training.minibatches]: seeded mini-batch indices, drawn without
  replacement within each epoch or with replacement;
- [`fit`][dlbasics.training.fit]: the loop itself, zero the gradients, compute the loss,
  back-propagate, step, with hooks for what an experiment records around each step.

```python
from dlbasics.training import classification_loss, digits, fit, minibatches, model_accuracy

data = digits()
model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
batches = minibatches(len(data.x_train), 64, generator=0, epochs=20)
fit(optimizer, batches, classification_loss(model, data.x_train, data.y_train))
print(model_accuracy(model, data.x_test, data.y_test))
```
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dlbasics.datasets import DigitsSplit, load_digits_split

__all__ = [
    "FitResult",
    "accuracy",
    "classification_loss",
    "digits",
    "fit",
    "full_batches",
    "minibatches",
    "model_accuracy",
    "model_loss",
]


def digits(
    *, images: bool = False, dtype: torch.dtype = torch.float32, standardize: bool = True
) -> DigitsSplit:
    """The digits split of every page: [`load_digits_split`][dlbasics.datasets.load_digits_split]
    with seed 0 (1,348 training and 449 test images).

    Args:
        images: Inputs shaped (N, 1, 8, 8) instead of (N, 64).
        dtype: Floating dtype of the inputs.
        standardize: Standardise with the training mean and std per pixel; otherwise pixels
            in [0, 1].
    """
    return load_digits_split(seed=0, images=images, dtype=dtype, standardize=standardize)


def accuracy(logits: Tensor, targets: Tensor) -> float:
    r"""The share of rows whose largest logit is the target class,
    \(\frac1N \sum_i [\arg\max_k z_{ik} = y_i]\) (computed in float32, as the models are)."""
    if logits.dim() != 2 or targets.shape != logits.shape[:1]:
        raise ValueError(
            f"logits must be (N, classes) and targets (N,), got logits {tuple(logits.shape)} "
            f"and targets {tuple(targets.shape)}"
        )
    return float((logits.argmax(1) == targets).float().mean())


def model_accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """[`accuracy`][dlbasics.training.accuracy] of `model(x)` against `y`, without gradients
    (the model stays in the mode it is in)."""
    with torch.no_grad():
        return accuracy(model(x), y)


def model_loss(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Mean cross-entropy of `model(x)` against `y`, without gradients."""
    with torch.no_grad():
        return float(F.cross_entropy(model(x), y))


def minibatches(
    n: int,
    batch_size: int,
    *,
    generator: int | torch.Generator,
    epochs: int | None = None,
    steps: int | None = None,
    drop_last: bool = False,
    replacement: bool = False,
) -> Iterator[Tensor]:
    """Indices of seeded mini-batches of `range(n)`.

    Without replacement (the default), each epoch is a fresh permutation of the `n` examples
    cut into consecutive batches of `batch_size`; the last, smaller batch is kept unless
    `drop_last`. With `replacement`, each batch is `batch_size` independent uniform draws.

    Args:
        n: Number of examples.
        batch_size: Examples per batch, at least 1 (at most `n` with `drop_last`).
        generator: A seed, or a `torch.Generator` to draw from (and advance).
        epochs: Stop after this many passes (without replacement only).
        steps: Stop after this many batches. At least one of `epochs` and `steps` is needed,
            and `steps` is required with `replacement`.
        drop_last: Skip each epoch's ragged last batch.
        replacement: Draw every batch independently, with replacement.
    """
    for name, value in (("n", n), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if drop_last and batch_size > n:
        raise ValueError(f"batch_size must be <= n={n} with drop_last, got {batch_size}")
    if epochs is None and steps is None:
        raise ValueError("epochs or steps must be given (both are None)")
    if replacement and steps is None:
        raise ValueError("steps must be given with replacement=True")
    gen = torch.Generator().manual_seed(generator) if isinstance(generator, int) else generator
    if not isinstance(gen, torch.Generator):
        raise TypeError(f"generator must be an int seed or a torch.Generator, got {generator!r}")
    return _minibatches(n, batch_size, gen, epochs, steps, drop_last, replacement)


def _minibatches(
    n: int,
    batch_size: int,
    gen: torch.Generator,
    epochs: int | None,
    steps: int | None,
    drop_last: bool,
    replacement: bool,
) -> Iterator[Tensor]:
    done = 0
    if replacement:
        for _ in range(steps or 0):
            yield torch.randint(n, (batch_size,), generator=gen)
        return
    end = n - n % batch_size if drop_last else n
    epoch = 0
    while epochs is None or epoch < epochs:
        order = torch.randperm(n, generator=gen)
        for start in range(0, end, batch_size):
            if steps is not None and done == steps:
                return
            yield order[start : start + batch_size]
            done += 1
        epoch += 1


def full_batches(steps: int) -> Iterator[slice]:
    """`steps` "batches" that are each the whole training set (full-batch gradient descent):
    `x[batch]` is `x` itself, not a shuffled copy."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    return itertools.repeat(slice(None), steps)


def classification_loss(model: nn.Module, x: Tensor, y: Tensor) -> Callable[[Any], Tensor]:
    """The batch loss for [`fit`][dlbasics.training.fit]: indices ↦ cross-entropy of
    `model(x[indices])` against `y[indices]`."""

    def loss(indices: Any) -> Tensor:
        return F.cross_entropy(model(x[indices]), y[indices])

    return loss


@dataclass(frozen=True)
class FitResult:
    """What [`fit`][dlbasics.training.fit] did: the steps it took, and whether it stopped at a
    non-finite loss."""

    steps: int
    diverged: bool


StepHook = Callable[[int, Tensor], None]
"""`hook(step, loss)`: the step number (from 1) and the batch's loss."""


def fit(
    optimizer: torch.optim.Optimizer,
    batches: Iterable[Any],
    batch_loss: Callable[[Any], Tensor],
    *,
    before_step: StepHook | None = None,
    after_step: StepHook | None = None,
    stop_if_not_finite: bool = False,
    progress: bool = False,
    desc: str = "training",
) -> FitResult:
    """The training loop: for each batch, zero the gradients, compute
    `batch_loss(indices)`, back-propagate and take one `optimizer` step.

    Args:
        optimizer: Steps the parameters that `batch_loss` depends on.
        batches: Index tensors (or slices), e.g. from
            [`minibatches`][dlbasics.training.minibatches] or
            [`full_batches`][dlbasics.training.full_batches].
        batch_loss: Indices ↦ scalar loss (e.g.
            [`classification_loss`][dlbasics.training.classification_loss]).
        before_step: Called as `before_step(step, loss)` after the backward pass and before
            the update (gradients are available: clip or measure them here). `step` counts
            from 1.
        after_step: Called as `after_step(step, loss)` after the update.
        stop_if_not_finite: Stop, before back-propagating, at the first loss that is NaN or
            infinite (a diverged run).
        progress: Show a tqdm bar.
        desc: The bar's label.
    """
    from tqdm.auto import tqdm

    step = 0
    for indices in tqdm(batches, disable=not progress, desc=desc):
        optimizer.zero_grad(set_to_none=True)
        loss = batch_loss(indices)
        if stop_if_not_finite and not torch.isfinite(loss):
            return FitResult(step, True)
        loss.backward()
        step += 1
        if before_step is not None:
            before_step(step, loss)
        optimizer.step()
        if after_step is not None:
            after_step(step, loss)
    return FitResult(step, False)
