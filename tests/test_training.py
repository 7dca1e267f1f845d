"""Tests of dlbasics.training: the pieces every page's experiments share."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbasics.training import (
    accuracy,
    classification_loss,
    digits,
    fit,
    full_batches,
    minibatches,
    model_accuracy,
    model_loss,
)


def test_digits_is_the_seed_0_split() -> None:
    data = digits()
    assert data.x_train.shape == (1348, 64) and data.x_test.shape == (449, 64)
    images = digits(images=True, dtype=torch.float64)
    assert images.x_train.shape == (1348, 1, 8, 8) and images.x_train.dtype == torch.float64
    torch.testing.assert_close(images.x_train.reshape(1348, 64).float(), data.x_train)
    raw = digits(standardize=False)
    assert float(raw.x_train.min()) == 0.0 and float(raw.x_train.max()) == 1.0


def test_accuracy_counts_the_argmax() -> None:
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [0.1, 0.2]])
    assert accuracy(logits, torch.tensor([0, 1, 1, 1])) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="logits"):
        accuracy(logits[0], torch.tensor([0]))
    model = torch.nn.Linear(2, 2)
    x, y = torch.randn(10, 2), torch.randint(0, 2, (10,))
    assert model_accuracy(model, x, y) == accuracy(model(x), y)
    expected = torch.nn.functional.cross_entropy(model(x), y).item()
    assert model_loss(model, x, y) == pytest.approx(expected)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    batch_size=st.integers(1, 45),
    epochs=st.integers(1, 3),
    drop_last=st.booleans(),
    seed=st.integers(0, 10),
)
def test_each_epoch_is_a_permutation_cut_into_batches(
    n: int, batch_size: int, epochs: int, drop_last: bool, seed: int
) -> None:
    if drop_last and batch_size > n:
        with pytest.raises(ValueError, match="batch_size"):
            minibatches(n, batch_size, generator=seed, epochs=epochs, drop_last=True)
        return
    batches = list(minibatches(n, batch_size, generator=seed, epochs=epochs, drop_last=drop_last))
    per_epoch = n // batch_size if drop_last else -(-n // batch_size)
    assert len(batches) == per_epoch * epochs
    # The same draws as slicing one torch.randperm per epoch (what the pages did by hand).
    gen = torch.Generator().manual_seed(seed)
    end = n - n % batch_size if drop_last else n
    expected = []
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        expected += [order[i : i + batch_size] for i in range(0, end, batch_size)]
    assert all(torch.equal(a, b) for a, b in zip(batches, expected, strict=True))
    first_epoch = torch.cat(batches[:per_epoch])
    assert len(set(first_epoch.tolist())) == len(first_epoch)  # without replacement


def test_steps_stop_the_iterator_across_epochs() -> None:
    batches = list(minibatches(10, 4, generator=0, steps=7, drop_last=True))
    assert len(batches) == 7 and all(len(b) == 4 for b in batches)


def test_with_replacement_is_one_randint_per_batch() -> None:
    batches = list(minibatches(100, 8, generator=3, steps=5, replacement=True))
    gen = torch.Generator().manual_seed(3)
    for batch in batches:
        assert torch.equal(batch, torch.randint(100, (8,), generator=gen))


def test_a_shared_generator_continues_where_it_stopped() -> None:
    gen = torch.Generator().manual_seed(1)
    first = list(minibatches(6, 6, generator=gen, epochs=1))
    second = list(minibatches(6, 6, generator=gen, epochs=1))
    both = list(minibatches(6, 6, generator=1, epochs=2))
    assert torch.equal(first[0], both[0]) and torch.equal(second[0], both[1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0, "batch_size": 1, "epochs": 1}, "n must"),
        ({"n": 5, "batch_size": 0, "epochs": 1}, "batch_size must"),
        ({"n": 5, "batch_size": True, "epochs": 1}, "batch_size must"),
        ({"n": 5, "batch_size": 2}, "epochs or steps"),
        ({"n": 5, "batch_size": 2, "epochs": 1, "replacement": True}, "steps must"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        minibatches(generator=0, **kwargs)  # type: ignore[arg-type]


def test_generator_must_be_a_seed_or_a_generator() -> None:
    with pytest.raises(TypeError, match="generator"):
        minibatches(5, 2, generator="0", epochs=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="steps"):
        full_batches(-1)


def test_fit_is_plain_sgd_with_hooks_in_order() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(20, 3), torch.randint(0, 2, (20,))
    model = torch.nn.Linear(3, 2)
    reference = torch.nn.Linear(3, 2)
    reference.load_state_dict(model.state_dict())
    batches = list(minibatches(20, 5, generator=0, epochs=2))
    events: list[tuple[str, int]] = []

    def before(step: int, loss: torch.Tensor) -> None:
        assert model.weight.grad is not None  # gradients exist before the update
        events.append(("before", step))

    result = fit(
        torch.optim.SGD(model.parameters(), lr=0.1),
        batches,
        classification_loss(model, x, y),
        before_step=before,
        after_step=lambda step, loss: events.append(("after", step)),
    )
    assert result.steps == 8 and not result.diverged
    assert events == [(kind, s) for s in range(1, 9) for kind in ("before", "after")]
    # The same updates written out by hand.
    with torch.no_grad():
        for idx in batches:
            reference.zero_grad()
            with torch.enable_grad():
                torch.nn.functional.cross_entropy(reference(x[idx]), y[idx]).backward()
            for p in reference.parameters():
                p -= 0.1 * p.grad  # type: ignore[operator]
    torch.testing.assert_close(model.weight, reference.weight)


def test_fit_stops_at_a_non_finite_loss() -> None:
    w = torch.nn.Parameter(torch.tensor(1.0))
    losses = [w * 1.0, w * float("inf"), w * 2.0]  # the second is not finite
    result = fit(
        torch.optim.SGD([w], lr=0.1),
        range(3),
        lambda i: losses[i] if i else w * 1.0,
        stop_if_not_finite=True,
    )
    assert result.steps == 1 and result.diverged
    assert float(w.detach()) == pytest.approx(0.9)  # the first step only


def test_full_batches_index_the_whole_set() -> None:
    x = torch.arange(6.0)
    batches = list(full_batches(3))
    assert len(batches) == 3 and all(x[b] is not None and torch.equal(x[b], x) for b in batches)
