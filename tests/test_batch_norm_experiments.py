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


# --- The exact batch-noise formulas, against every batch of a small population ----------------


@pytest.mark.parametrize("n", [5, 7])
def test_batch_noise_formulas_are_exact(n: int) -> None:
    import itertools
    import math

    from dlbasics.batch_norm.experiments import batch_mean_sd, batch_variance_sd

    values = torch.tensor([0.3, -1.2, 2.5, 0.0, 4.1, -0.7, 1.9][:n], dtype=F64)
    sigma2 = float(values.var(unbiased=False))
    mu4 = float(((values - values.mean()) ** 4).mean())
    for b in range(2, n + 1):
        batches = torch.stack([values[list(c)] for c in itertools.combinations(range(n), b)])
        # Every batch of b distinct values is equally likely when drawing without replacement.
        mean_sd = float(batches.mean(1).std(unbiased=False))
        var_sd = float(batches.var(1, unbiased=False).std(unbiased=False))
        assert batch_mean_sd(sigma2, n, b) == pytest.approx(mean_sd, rel=1e-9, abs=1e-12)
        assert batch_variance_sd(sigma2, mu4, n, b) == pytest.approx(var_sd, rel=1e-9, abs=1e-12)
    # A huge population: the i.i.d. formula (B−1)²/B³ μ₄ − (B−1)(B−3)/B³ σ⁴.
    b = 8
    iid = math.sqrt((b - 1) ** 2 / b**3 * mu4 - (b - 1) * (b - 3) / b**3 * sigma2**2)
    assert batch_variance_sd(sigma2, mu4, 10**9, b) == pytest.approx(iid, rel=1e-6)
    with pytest.raises(ValueError, match="B"):
        batch_variance_sd(sigma2, mu4, n, 1)


# --- Matched phases of the training path --------------------------------------------------------


def test_training_path_phases_compare_at_equal_loss() -> None:
    import numpy as np

    from dlbasics.batch_norm.experiments import PATH_MEASURES, training_path_phases

    def run(loss: list[float], value: list[float]) -> dict[str, np.ndarray]:
        record = {k: np.asarray(value, dtype=float) for k in PATH_MEASURES}
        record["loss"] = np.asarray(loss)
        record["step"] = np.arange(1, len(loss) + 1) * 10
        return record

    # Without BN: a plateau at 2.3 (value 0) then training (value 1); with BN: training at once.
    none = run([2.3, 2.3, 2.3, 0.8, 0.5], [0, 0, 0, 1, 1])
    bn = run([0.9, 0.5, 0.2, 0.05, 0.01], [2, 2, 2, 9, 9])
    p = training_path_phases({"none": [none], "before": [bn]}, band=(0.15, 1.0))
    assert p["matched"]["grad_shift"] == ([1.0], [2.0])  # only the steps in the band
    assert p["whole"]["grad_shift"] == ([0.0], [2.0])  # the plateau drags the median down
    assert p["count"] == {"none": [2], "before": [3]}
    assert p["plateau"] == {"none": [40], "before": [10]}


# --- Noisy batch norm ---------------------------------------------------------------------------


def test_noisy_batch_norm_moves_each_feature_within_its_bounds() -> None:
    from dlbasics.batch_norm.experiments import _NoisyBatchNorm1d

    gen = torch.Generator().manual_seed(0)
    noisy = _NoisyBatchNorm1d(6, shift=2.0, scale=0.5, generator=gen).double()
    x = torch.randn(50, 6, dtype=F64) * 3 + 1
    y = noisy(x)
    # Over the batch each feature has mean m ∈ [−2, 2] and std s ∈ [0.5, 1.5] (times BN's ~1).
    assert (y.mean(0).abs() <= 2.0).all()
    std = y.std(0, unbiased=False)
    assert ((std > 0.5 - 1e-3) & (std < 1.5)).all()
    assert not torch.allclose(noisy(x), y)  # a fresh draw at every call
    noisy.eval()
    torch.testing.assert_close(noisy(x), noisy(x))  # evaluation adds nothing


# --- Ng's elongated bowl ------------------------------------------------------------------------


def test_elongated_bowl_condition_numbers() -> None:
    import numpy as np
    from sklearn.datasets import load_wine

    from dlbasics.batch_norm.experiments import elongated_bowl

    r = elongated_bowl(steps=5)
    wine = load_wine()
    names = list(wine.feature_names)
    x = wine.data[:, [names.index("alcohol"), names.index("alcalinity_of_ash")]]
    corr = abs(np.corrcoef(x.T)[0, 1])
    # Standardised: the Hessian is the correlation matrix, eigenvalues 1 ± |r|.
    assert r["standardised"]["condition"] == pytest.approx((1 + corr) / (1 - corr))
    assert r["own units"]["condition"] > 5 * r["standardised"]["condition"]
    assert len(r["own units"]["path"]) == 6
    assert r["standardised"]["steps_to_1pct"] < r["own units"]["steps_to_1pct"]


# --- The explorables' verdicts and the exercises' answers, by another route --------------------


def test_sweep_constants_are_the_sweeps_defaults() -> None:
    import inspect

    from dlbasics.batch_norm import experiments

    params = inspect.signature(experiments.learning_rate_sweep.__wrapped__).parameters
    assert params["lrs"].default == experiments._SWEEP_LRS
    assert params["steps"].default == experiments._SWEEP_STEPS
    assert set(experiments._SWEEP_LRS) < set(experiments.EXPLORER_LRS)


def test_run_verdict() -> None:
    import math

    import numpy as np

    from dlbasics.batch_norm.experiments import run_verdict

    def record(acc: float, loss: float) -> dict[str, np.ndarray]:
        return {"test_acc": np.full(6, acc), "train_loss": np.full(6, loss)}

    assert run_verdict(record(0.95, 0.01)) == "passes 90 %"
    assert run_verdict(record(0.6, 0.9)) == "stays below 90 %"
    assert run_verdict(record(0.1, math.log(10))) == "stays below 90 %"  # chance, not worse
    assert run_verdict(record(0.1, 2.1 * math.log(10))) == "diverges"
    assert run_verdict(record(0.1, math.nan)) == "diverges"


def test_exercise_answers_against_closed_forms_and_torch() -> None:
    import math

    from dlbasics.batch_norm import experiments as E

    x = torch.tensor([[1.0], [2.0], [3.0], [6.0]], dtype=F64)
    mean, var = 3.0, 3.5  # biased: (4 + 1 + 0 + 9) / 4
    # the output for x₄ = 6 with γ = 2, β = 1, ε = 0
    assert E.bn_output_answer() == pytest.approx(2 * (6 - mean) / math.sqrt(var) + 1, rel=1e-12)
    two, one = torch.tensor([2.0], dtype=F64), torch.tensor([1.0], dtype=F64)
    # torch refuses ε = 0 in training: a tiny ε changes nothing at this precision
    theirs = torch.nn.functional.batch_norm(x, None, None, two, one, training=True, eps=1e-14)
    assert E.bn_output_answer() == pytest.approx(float(theirs[3, 0]), rel=1e-10)
    # running statistics after one step: torch's BatchNorm1d, and the formula
    bn = torch.nn.BatchNorm1d(1, momentum=0.1, dtype=F64)
    bn(x)
    assert E.running_mean_answer() == pytest.approx(float(bn.running_mean[0])) == 0.3
    assert E.running_var_answer() == pytest.approx(float(bn.running_var[0]), rel=1e-12)
    assert E.running_var_answer() == pytest.approx(0.9 + 0.1 * 14 / 3, rel=1e-12)
    # ∂L/∂x₁ for ∂L/∂y = (1, 0, 0, 0): torch's autograd of its own kernel, and the closed form
    leaf = x.clone().requires_grad_()
    torch.nn.functional.batch_norm(leaf, None, None, two, None, training=True, eps=1e-14).backward(
        torch.tensor([[1.0], [0.0], [0.0], [0.0]], dtype=F64)
    )
    assert E.bn_gradient_answer() == pytest.approx(float(leaf.grad[0, 0]), rel=1e-10)
    s = 1 / math.sqrt(var)
    x_hat_1 = (1 - mean) * s
    closed = 2 * s / 4 * (4 * 1 - 1 - x_hat_1 * x_hat_1)
    assert E.bn_gradient_answer() == pytest.approx(closed, rel=1e-12)
    # the folded bias: torch's Linear + BatchNorm1d (eval) at x = 0, and the formula
    linear, norm = torch.nn.Linear(1, 1).double(), torch.nn.BatchNorm1d(1, dtype=F64).eval()
    with torch.no_grad():
        linear.weight.fill_(2.0), linear.bias.fill_(1.0)
        norm.weight.fill_(0.5), norm.bias.fill_(1.0)
        norm.running_mean.fill_(3.0), norm.running_var.fill_(4.0)
        at_zero = float(norm(linear(torch.zeros(1, 1, dtype=F64)))[0, 0])
    assert E.folded_bias_answer() == pytest.approx(at_zero, rel=1e-12)
    assert E.folded_bias_answer() == pytest.approx(0.5 * (1 - 3) / math.sqrt(4 + 1e-5) + 1)
    # σ/√B halves when B is four times larger
    assert E.halving_batch_answer() == 4 * 16
    assert E.halving_batch_answer(9) == 36


def test_choice_answers_by_another_route() -> None:
    import math

    from dlbasics.batch_norm import experiments as E

    # which change of the batch moves the first example's output: with torch's kernel
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(8, 1, generator=gen, dtype=F64)

    def first(batch: torch.Tensor, where: int = 0) -> float:
        return float(torch.nn.functional.batch_norm(batch, None, None, training=True)[where, 0])

    new = torch.tensor([[3.0]], dtype=F64)
    moved = [
        abs(first(x + 5) - first(x)),
        abs(first(x * 3) - first(x)),
        abs(first(x.flip(0), 7) - first(x)),
        abs(first(torch.cat([x[:-1], new])) - first(x)),
    ]
    assert len(moved) == len(E.BATCH_CHANGES)
    assert E.batch_dependence_answer() == max(range(4), key=moved.__getitem__)
    assert sorted(moved)[-2] < 1e-4 < max(moved)
    # what BN does at rate 50, shortened to 300 steps: the same network with torch's
    # BatchNorm1d, judged from its raw training record
    steps = 300
    torch.manual_seed(0)
    model = E._MLP(bn="before", norm=torch.nn.BatchNorm1d)
    record = E._train(model, E.digits(), 50.0, steps, 0)
    final_loss = float(record["train_loss"][-1])
    final_acc = float(record["test_acc"][-5:].mean())
    expected = (
        "diverges"
        if not math.isfinite(final_loss) or final_loss > 2 * math.log(10)
        else ("passes 90 %" if final_acc >= 0.9 else "stays below 90 %")
    )
    assert E.highest_rate_answer(steps=steps) == E.VERDICTS.index(expected)
