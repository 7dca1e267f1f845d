"""The experiments of the focal-loss page (docs/focal-loss.md).

The paper's curves and numbers recomputed with the library, a simulated detector output, and
training runs on strongly imbalanced synthetic data. The expensive ones are `@cached`; all
return plain data, which `dlbasics.focal_loss.figures` draws.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlbasics._threads import torch_threads
from dlbasics.cache import cached
from dlbasics.focal_loss import anchor_count, focal_loss_star, prior_bias, sigmoid_focal_loss
from dlbasics.training import fit, minibatches

__all__ = [
    "EXPLORER_ALPHAS",
    "EXPLORER_GAMMAS",
    "LOSS_SETTINGS",
    "METHODS",
    "PAPER_TABLE_1A",
    "PAPER_TABLE_1B",
    "alpha_crossing_answer",
    "anchors_answer",
    "cumulative_loss",
    "downweighting_rows",
    "easy_example_rows",
    "focal_value_answer",
    "focusing_explorer",
    "gradient_crossing_answer",
    "gradient_curves",
    "gradient_ratio",
    "gradient_ratio_crossing",
    "gradient_ratio_curves",
    "hardest_tenth_answer",
    "imbalanced_training",
    "initial_loss_answer",
    "largest_share_answer",
    "loss_curves",
    "loss_shares",
    "loss_star_curves",
    "make_imbalanced_data",
    "naive_gradient_rows",
    "negative_thousandfold_answer",
    "prior_bias_training",
    "prior_initial_loss_answer",
    "reduction_convention_values",
    "share_explorer",
    "simulate_detector_scores",
    "train_imbalanced",
    "tuning_sweep",
]


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _example(x: torch.Tensor, target: float, alpha: float, gamma: float) -> tuple[Any, Any]:
    """Loss and ∂loss/∂x of examples with label `target` at logits `x` (autograd through
    `sigmoid_focal_loss`)."""
    z = x.detach().clone().requires_grad_()
    loss = sigmoid_focal_loss(z, torch.full_like(z, target), alpha=alpha, gamma=gamma)
    loss.sum().backward()
    assert z.grad is not None
    return loss.detach().numpy(), z.grad.numpy()


def _positive_example(x: torch.Tensor, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Loss and ∂loss/∂x of positive examples (t = 1) at logits `x`, with α off: the one
    computation behind the curves and tables of the page's first sections."""
    return _example(x, 1.0, -1, gamma)


def loss_curves(
    gammas: Sequence[float] = (0.0, 0.5, 1.0, 2.0, 5.0), num: int = 400
) -> dict[str, Any]:
    r"""Focal loss against \(p_t\) (the paper's Figure 1), computed by `sigmoid_focal_loss`.

    A positive example (\(t = 1\)) with logit \(x = \log\frac{p_t}{1 - p_t}\), no α weighting.

    Returns:
        `{"p_t": array, "loss": {gamma: array}}`.
    """
    p_t = np.linspace(0.005, 0.995, num)
    x = torch.as_tensor(_logit(p_t))
    return {"p_t": p_t, "loss": {float(g): _positive_example(x, g)[0] for g in gammas}}


def downweighting_rows(
    p_ts: Sequence[float] = (0.5, 0.9, 0.968, 0.99), gamma: float = 2.0
) -> list[dict[str, float]]:
    r"""How many times smaller focal loss is than cross-entropy at given \(p_t\).

    CE and FL are both computed by `sigmoid_focal_loss` (α off); the ratio CE / FL is
    compared with the closed form \((1 - p_t)^{-\gamma}\).
    """
    p = np.asarray(p_ts, dtype=np.float64)
    x = torch.as_tensor(_logit(p))
    ce, fl = _positive_example(x, 0.0)[0], _positive_example(x, gamma)[0]
    return [
        {
            "p_t": float(pi),
            "ce": float(c),
            "fl": float(f),
            "ratio": float(c / f),
            "closed_form": float((1 - pi) ** -gamma),
        }
        for pi, c, f in zip(p, ce, fl, strict=True)
    ]


def easy_example_rows(
    ps: Sequence[float] = (0.1, 0.3, 0.5, 0.6, 0.75, 0.9), gamma: float = 2.0
) -> list[dict[str, float]]:
    r"""Loss and logit gradient of a positive example at probability \(p\), CE vs FL.

    Answers "is an example with \(p > 0.5\) still penalised?": the loss and the gradient
    \(\partial \ell / \partial x\) (by autograd through `sigmoid_focal_loss`, α off) of a
    positive with \(p = \sigma(x)\).
    """
    x = torch.as_tensor(_logit(np.asarray(ps, dtype=np.float64)))
    rows: dict[str, np.ndarray] = {}
    for name, g in (("ce", 0.0), ("fl", gamma)):
        rows[name], rows[name + "_grad"] = _positive_example(x, g)
    return [
        {
            "p": float(p),
            "ce": float(rows["ce"][i]),
            "fl": float(rows["fl"][i]),
            "ce_grad": float(rows["ce_grad"][i]),
            "fl_grad": float(rows["fl_grad"][i]),
        }
        for i, p in enumerate(ps)
    ]


def gradient_curves(
    gammas: Sequence[float] = (0.0, 1.0, 2.0, 5.0),
    x_range: tuple[float, float] = (-8.0, 8.0),
    num: int = 401,
) -> dict[str, Any]:
    r"""\(\partial \mathrm{FL} / \partial x\) of a positive example against its logit \(x\).

    By autograd through `sigmoid_focal_loss` (α off, float64). For a negative example the
    curves are mirrored (\(x \to -x\), sign flipped).

    Returns:
        `{"x": array, "grad": {gamma: array}}`.
    """
    x = torch.linspace(*x_range, num, dtype=torch.float64)
    return {"x": x.numpy(), "grad": {float(g): _positive_example(x, g)[1] for g in gammas}}


def gradient_ratio_curves(
    gammas: Sequence[float] = (0.5, 1.0, 2.0, 5.0), num: int = 499
) -> dict[str, Any]:
    r"""The ratio \(|\partial\mathrm{FL}/\partial x| \,/\, |\partial\mathrm{CE}/\partial x|\)
    for a positive example against its probability \(p = \sigma(x)\), by autograd through
    `sigmoid_focal_loss` (α off, float64).

    Returns:
        `{"p": array, "ratio": {gamma: array}}`.
    """
    p = np.linspace(0.002, 0.998, num)
    x = torch.as_tensor(_logit(p))
    ce = np.abs(_positive_example(x, 0.0)[1])
    return {"p": p, "ratio": {float(g): np.abs(_positive_example(x, g)[1]) / ce for g in gammas}}


def gradient_ratio(p: float, gamma: float) -> float:
    r"""\(|\partial\mathrm{FL}/\partial x| / |\partial\mathrm{CE}/\partial x|\) at one \(p\)."""
    x = torch.as_tensor(_logit(np.asarray([p], dtype=np.float64)))
    return float(abs(_positive_example(x, gamma)[1][0]) / abs(_positive_example(x, 0.0)[1][0]))


def gradient_ratio_crossing(gamma: float, tol: float = 1e-12) -> float:
    r"""The probability \(p^*\) below which focal loss pushes a positive's logit harder than
    cross-entropy does: where the gradient ratio crosses 1, by bisection on the library's
    autograd gradients. (The ratio starts at 1 as \(p \to 0\), rises above it, crosses 1 once
    and falls to 0 as \(p \to 1\).)"""
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0 (at 0 the ratio is 1 everywhere), got {gamma!r}")
    lo, hi = 1e-4, 1 - 1e-4
    if not (gradient_ratio(lo, gamma) > 1 > gradient_ratio(hi, gamma)):
        raise ValueError(f"the gradient ratio does not cross 1 in ({lo}, {hi}) for γ = {gamma}")
    while hi - lo > tol:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if gradient_ratio(mid, gamma) > 1 else (lo, mid)
    return (lo + hi) / 2


def loss_star_curves(
    params: Sequence[tuple[float, float]] = ((2.0, 1.0), (4.0, 0.0)), num: int = 400
) -> dict[str, Any]:
    r"""FL* of the paper's appendix against \(p_t\), next to CE and FL (γ = 2), all computed
    by the library, for a positive example with logit \(x = \log\frac{p_t}{1-p_t}\).

    Returns:
        `{"p_t": array, "ce": array, "fl": array, "star": {(gamma, beta): array}}`.
    """
    p_t = np.linspace(0.005, 0.995, num)
    x = torch.as_tensor(_logit(p_t))
    ones = torch.ones_like(x)
    return {
        "p_t": p_t,
        "ce": _positive_example(x, 0.0)[0],
        "fl": _positive_example(x, 2.0)[0],
        "star": {
            (float(g), float(b)): focal_loss_star(x, ones, gamma=g, beta=b).numpy()
            for g, b in params
        },
    }


def simulate_detector_scores(
    n_anchors: int = 200_200,
    neg_per_pos: int = 1000,
    seed: int = 0,
    pos_logit: tuple[float, float] = (1.0, 2.0),
    neg_logit: tuple[float, float] = (-4.5, 1.5),
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Made-up classifier outputs of a dense detector: few positives, many easy negatives.

    A stand-in for the logits of a partly trained one-stage detector: one positive anchor
    per `neg_per_pos` negatives; positive logits \(\sim \mathcal N(1, 2^2)\) (most found,
    some missed), negative logits \(\sim \mathcal N(-4.5, 1.5^2)\) (median
    \(p \approx 0.011\), about one in a thousand above \(p = 0.5\)). The numbers are ours,
    not the paper's: they only fix a plausible shape.

    Returns:
        `(logits, targets)`, float64 tensors of length `n_anchors`, positives first.
    """
    if n_anchors < neg_per_pos + 1 or neg_per_pos < 1:
        raise ValueError(
            f"n_anchors must be >= neg_per_pos + 1 and neg_per_pos >= 1, "
            f"got n_anchors={n_anchors}, neg_per_pos={neg_per_pos}"
        )
    rng = np.random.default_rng(seed)
    n_pos = n_anchors // (neg_per_pos + 1)
    n_neg = n_anchors - n_pos
    logits = np.concatenate(
        [rng.normal(*pos_logit, size=n_pos), rng.normal(*neg_logit, size=n_neg)]
    )
    targets = np.concatenate([np.ones(n_pos), np.zeros(n_neg)])
    return torch.as_tensor(logits), torch.as_tensor(targets)


#: (label, alpha, gamma) of the losses compared on the simulated detector output.
LOSS_SETTINGS: tuple[tuple[str, float, float], ...] = (
    ("CE", -1.0, 0.0),
    ("α-CE, α = 0.75 (paper's best for CE)", 0.75, 0.0),
    ("α-CE, α = 0.999 (inverse frequency)", 0.999, 0.0),
    ("FL, γ = 0.5", -1.0, 0.5),
    ("FL, γ = 1", -1.0, 1.0),
    ("FL, γ = 2", -1.0, 2.0),
    ("FL, γ = 5", -1.0, 5.0),
    ("FL, γ = 2, α = 0.25 (paper)", 0.25, 2.0),
)


@cached
@torch_threads(1)
def loss_shares(
    settings: Sequence[tuple[str, float, float]] = LOSS_SETTINGS,
    easy_p_t: float = 0.9,
    n_anchors: int = 200_200,
    neg_per_pos: int = 1000,
    seed: int = 0,
) -> list[dict[str, Any]]:
    r"""Who contributes the loss and the gradient on a simulated detector output.

    On [`simulate_detector_scores`][dlbasics.focal_loss.experiments.simulate_detector_scores], for
    each `(label, alpha, gamma)`: the share of the summed loss, and of the summed
    \(|\partial \ell / \partial x|\), that comes from positives, from *easy* negatives
    (\(p_t >\) `easy_p_t`) and from the remaining (hard) negatives.
    """
    logits, targets = simulate_detector_scores(n_anchors, neg_per_pos, seed)
    p_t = torch.where(targets > 0, torch.sigmoid(logits), torch.sigmoid(-logits))
    groups = {
        "positives": targets > 0,
        "easy negatives": (targets == 0) & (p_t > easy_p_t),
        "hard negatives": (targets == 0) & (p_t <= easy_p_t),
    }
    rows = []
    for label, alpha, gamma in settings:
        x = logits.clone().requires_grad_()
        loss = sigmoid_focal_loss(x, targets, alpha=alpha, gamma=gamma)
        loss.sum().backward()
        assert x.grad is not None
        loss_d, grad = loss.detach(), x.grad.abs()
        row: dict[str, Any] = {"loss": label}
        for name, mask in groups.items():
            row[f"{name} loss"] = float(loss_d[mask].sum() / loss_d.sum())
            row[f"{name} grad"] = float(grad[mask].sum() / grad.sum())
        rows.append(row)
    counts = {name: int(mask.sum()) for name, mask in groups.items()}
    for row in rows:
        row["counts"] = counts
    return rows


@cached
@torch_threads(1)
def cumulative_loss(
    gammas: Sequence[float] = (0.0, 0.5, 1.0, 2.0, 5.0),
    n_anchors: int = 200_200,
    neg_per_pos: int = 1000,
    seed: int = 0,
    points: int = 300,
) -> dict[str, Any]:
    r"""The paper's Figure 4 in small: cumulative normalised loss of positives and negatives.

    For each group, per-example focal losses (α off) are sorted from smallest to largest
    and their running sum divided by the group's total; plotted against the fraction of
    examples, a curve that stays low and rises at the end means that a few (hard)
    examples hold most of the loss.
    """
    logits, targets = simulate_detector_scores(n_anchors, neg_per_pos, seed)
    fraction = np.linspace(0.0, 1.0, points)
    curves: dict[str, dict[float, np.ndarray]] = {"positives": {}, "negatives": {}}
    for gamma in gammas:
        loss = sigmoid_focal_loss(logits, targets, alpha=-1, gamma=gamma).numpy()
        for name, mask in (("positives", targets.numpy() > 0), ("negatives", targets.numpy() == 0)):
            sorted_loss = np.sort(loss[mask])
            cdf = np.concatenate([[0.0], np.cumsum(sorted_loss) / sorted_loss.sum()])
            grid = np.linspace(0.0, 1.0, len(cdf))
            curves[name][float(gamma)] = np.interp(fraction, grid, cdf)
    return {"fraction": fraction, "curves": curves}


@cached
@torch_threads(1)
def reduction_convention_values(
    n_anchors: int = 200_200, neg_per_pos: int = 1000, seed: int = 0
) -> dict[str, float]:
    """The paper's normalisation (sum / number of positives) vs torchvision's `"mean"`.

    On the simulated detector output, with α = 0.25, γ = 2.
    """
    logits, targets = simulate_detector_scores(n_anchors, neg_per_pos, seed)
    total = float(sigmoid_focal_loss(logits, targets, reduction="sum"))
    n_pos = int(targets.sum())
    return {
        "anchors": float(len(targets)),
        "positives": float(n_pos),
        "paper": total / n_pos,
        "torchvision_mean": float(sigmoid_focal_loss(logits, targets, reduction="mean")),
        "torchvision_default_shape": float(sigmoid_focal_loss(logits, targets).ndim),
    }


def naive_gradient_rows(
    logits: Sequence[float] = (5.0, 17.0, 20.0, 100.0, 1e4),
    gammas: Sequence[float] = (0.5, 2.0),
) -> list[dict[str, float]]:
    r"""Gradient of a correct positive at large logits: textbook formula vs ours, float32.

    The textbook (torchvision) formula computes \(p = \sigma(x)\), then \((1 - p_t)^\gamma\);
    once \(p\) rounds to 1, \(1 - p_t = 0\) and, for \(\gamma < 1\), the derivative
    \(\gamma (1 - p_t)^{\gamma - 1} = \infty\) times 0 gives NaN. The float64 column is the
    textbook formula in double precision (finite until \(\sigma(x)\) rounds to 1 there too).
    """

    def textbook(x: torch.Tensor, gamma: float) -> torch.Tensor:
        p = torch.sigmoid(x)
        ce = F.binary_cross_entropy_with_logits(x, torch.ones_like(x), reduction="none")
        return 0.25 * ce * (1 - p) ** gamma

    rows = []
    for gamma in gammas:
        for value in logits:
            out: dict[str, float] = {"gamma": float(gamma), "x": float(value)}
            for name, dtype, fn in (
                ("textbook_f32", torch.float32, textbook),
                ("textbook_f64", torch.float64, textbook),
                ("ours_f32", torch.float32, None),
            ):
                x = torch.tensor([value], dtype=dtype, requires_grad=True)
                if fn is None:
                    loss = sigmoid_focal_loss(x, torch.ones_like(x), gamma=gamma)
                else:
                    loss = fn(x, gamma)
                loss.sum().backward()
                assert x.grad is not None
                out[name] = float(x.grad)
            rows.append(out)
    return rows


@functools.lru_cache(maxsize=8)
def make_imbalanced_data(
    imbalance: int = 100,
    positives: int = 400,
    seed: int = 0,
    n_features: int = 20,
    class_sep: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Synthetic binary data with one positive per `imbalance` negatives, split in halves.

    scikit-learn's `make_classification` (5 informative and 5 redundant features, two
    Gaussian clusters per class, **no label noise**: its default `flip_y=0.01` would make
    a random 1% of the examples positive, more than the real positives at 1 : 1000),
    with `positives · (imbalance + 1)` examples, standardised with the training half's
    statistics.

    Results are memoised in memory (the page and the tests ask for the same data sets
    several times): callers share the returned tensors and must not modify them.

    Returns:
        `(x_train, y_train, x_test, y_test)`: float32 inputs, float32 0/1 targets.
    """
    from dlbasics.datasets import require

    if imbalance < 1 or positives < 4:
        raise ValueError(
            f"imbalance must be >= 1 and positives >= 4, got imbalance={imbalance}, "
            f"positives={positives}"
        )
    sk = require("sklearn.datasets", "datasets")
    n = positives * (imbalance + 1)
    x, y = sk.make_classification(
        n_samples=n,
        n_features=n_features,
        n_informative=5,
        n_redundant=5,
        n_clusters_per_class=2,
        weights=[imbalance / (imbalance + 1)],
        flip_y=0.0,
        class_sep=class_sep,
        random_state=seed,
    )
    order = np.random.default_rng(seed).permutation(n)
    x, y = x[order], y[order]
    half = n // 2
    mean, std = x[:half].mean(axis=0), x[:half].std(axis=0)
    x = (x - mean) / std
    xt, yt = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    return xt[:half], yt[:half], xt[half:], yt[half:]


#: The training methods compared on the page: name → (loss, alpha, gamma).
METHODS: dict[str, tuple[str, float, float]] = {
    "CE": ("focal", -1.0, 0.0),
    "α-CE (α = 0.75)": ("focal", 0.75, 0.0),
    "OHEM (hardest 1/8, CE)": ("ohem", -1.0, 0.0),
    "FL (γ = 2, α = 0.25)": ("focal", 0.25, 2.0),
}


def _batch_loss(
    spec: tuple[str, float, float], logits: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Loss `(kind, alpha, gamma)` of each row of (models, batch) logits, batch-averaged."""
    kind, alpha, gamma = spec
    loss = sigmoid_focal_loss(logits, targets, alpha=alpha, gamma=gamma)
    if kind == "ohem":
        # Online hard example mining (Shrivastava et al., 2016): back-propagate only
        # through the k examples with the largest loss in the batch.
        return loss.topk(max(1, loss.shape[-1] // 8), dim=-1).values.mean(dim=-1)
    return loss.mean(dim=-1)


def _pr_curve(
    scores: np.ndarray, labels: np.ndarray, recall: np.ndarray
) -> tuple[float, np.ndarray]:
    """Average precision, and the interpolated precision (best at recall ≥ r) on `recall`."""
    from dlbasics.datasets import require

    metrics = require("sklearn.metrics", "datasets")
    precision, rec, _ = metrics.precision_recall_curve(labels, scores)
    # Average precision Σ (R_n − R_{n−1}) P_n, as sklearn's average_precision_score
    # (recall is decreasing in its output); one sort instead of two.
    ap = float(-np.sum(np.diff(rec) * precision[:-1]))
    envelope = np.maximum.accumulate(precision)  # recall falls along sklearn's arrays
    order = np.argsort(rec, kind="stable")
    return ap, np.interp(recall, rec[order], envelope[order])


class _ParallelMLPs(nn.Module):
    """M independent in–hidden–1 ReLU MLPs, evaluated as one batched matrix product.

    Such small models spend their time in Python and dispatch, not in arithmetic: training
    all of them in one product is an order of magnitude faster than one after the other,
    and each still has its own parameters, gradients and optimiser state. Model m is
    initialised like `nn.Linear` from a generator seeded with `seeds[m]`.
    """

    def __init__(self, seeds: Sequence[int], n_in: int, hidden: int) -> None:
        super().__init__()
        w1, b1, w2, b2 = [], [], [], []
        k1, k2 = 1 / math.sqrt(n_in), 1 / math.sqrt(hidden)
        for seed in seeds:
            g = torch.Generator().manual_seed(seed)
            w1.append((torch.rand(n_in, hidden, generator=g) * 2 - 1) * k1)
            b1.append((torch.rand(hidden, generator=g) * 2 - 1) * k1)
            w2.append((torch.rand(hidden, generator=g) * 2 - 1) * k2)
            b2.append((torch.rand((), generator=g) * 2 - 1) * k2)
        self.w1 = nn.Parameter(torch.stack(w1))  # (M, in, hidden)
        self.b1 = nn.Parameter(torch.stack(b1))  # (M, hidden)
        self.w2 = nn.Parameter(torch.stack(w2))  # (M, hidden)
        self.b2 = nn.Parameter(torch.stack(b2))  # (M,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (M, B) of inputs (M, B, in)."""
        h = torch.relu(torch.baddbmm(self.b1.unsqueeze(1), x, self.w1))
        return torch.baddbmm(self.b2.view(-1, 1, 1), h, self.w2.unsqueeze(2)).squeeze(2)

    def score(self, m: int, x: torch.Tensor) -> torch.Tensor:
        """Logits (N,) of model `m` for inputs (N, in)."""
        return torch.relu(x @ self.w1[m] + self.b1[m]) @ self.w2[m] + self.b2[m]


@cached
@torch_threads(1)
def train_imbalanced(
    imbalance: int = 100,
    seeds: Sequence[int] = (0, 1, 2),
    losses: Sequence[tuple[str, float, float]] = tuple(METHODS.values()),
    steps: int = 300,
    batch_size: int = 1024,
    lr: float = 0.01,
    hidden: int = 32,
    init_pi: float | None = 0.01,
    positives: int = 200,
    progress: bool = False,
) -> dict[str, Any]:
    r"""Train one small MLP per loss and seed on imbalanced synthetic data.

    Data from [`make_imbalanced_data`][dlbasics.focal_loss.experiments.make_imbalanced_data]. Per
    seed:
    its own data set, one initialisation and one sequence of minibatches shared
    by all losses, so that the runs differ only in their loss. Each model is a
    20–`hidden`–1 ReLU MLP trained with Adam on its loss `(kind, alpha, gamma)` (kind
    `"focal"`: `sigmoid_focal_loss`; `"ohem"`: the same on the hardest eighth of the
    batch; see `METHODS`) averaged over the batch; with Adam a constant scale of the loss barely
    matters, so the paper's division by the number of positives is left out. The last
    bias starts at [`prior_bias`][dlbasics.focal_loss.prior_bias]`(init_pi)` (0 if None).

    Returns:
        `{"ap": array (seeds, losses) of test average precision, "recall": grid,
        "precision": array (seeds, losses, grid) of interpolated test precision}`.
    """
    bad = [spec for spec in losses if spec[0] not in ("focal", "ohem")]
    if bad:
        raise ValueError(f"losses must be (kind, alpha, gamma) with kind focal|ohem, got {bad}")
    data = [make_imbalanced_data(imbalance, positives, seed=s) for s in seeds]
    x_train = torch.stack([d[0] for d in data])  # (S, N, F)
    y_train = torch.stack([d[1] for d in data])
    n_seeds, n_methods = len(seeds), len(losses)
    # Model s·K + k: seed s, method k. Same initialisation for every method of a seed.
    model = _ParallelMLPs([s for s in seeds for _ in losses], x_train.shape[2], hidden)
    with torch.no_grad():
        model.b2.fill_(0.0 if init_pi is None else prior_bias(init_pi))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seeds[0])
    rows = torch.arange(n_seeds).unsqueeze(1)
    # One batch of examples per seed (each seed has its own data set), shared by its methods.
    batches = (
        torch.randint(0, x_train.shape[1], (n_seeds, batch_size), generator=generator)
        for _ in range(steps)
    )

    def batch_loss(idx: torch.Tensor) -> torch.Tensor:
        xb, yb = x_train[rows, idx], y_train[rows, idx]
        logits = model(xb.repeat_interleave(n_methods, dim=0)).view(n_seeds, n_methods, -1)
        # Parameters are disjoint, so the sum's gradient is each model's own gradient.
        return torch.stack(
            [_batch_loss(spec, logits[:, k], yb) for k, spec in enumerate(losses)]
        ).sum()

    fit(optimizer, batches, batch_loss, progress=progress, desc=f"1:{imbalance}")

    recall = np.linspace(0.0, 1.0, 101)
    ap = np.zeros((n_seeds, n_methods))
    precision = np.zeros((n_seeds, n_methods, len(recall)))
    with torch.no_grad():
        for s, (_, _, x_test, y_test) in enumerate(data):
            for k in range(n_methods):
                scores = model.score(s * n_methods + k, x_test).numpy()
                ap[s, k], precision[s, k] = _pr_curve(scores, y_test.numpy(), recall)
    return {"ap": ap, "recall": recall, "precision": precision}


def imbalanced_training(
    imbalances: Sequence[int] = (100, 1000), seeds: Sequence[int] = (0, 1, 2)
) -> dict[int, dict[str, Any]]:
    """[`train_imbalanced`][dlbasics.focal_loss.experiments.train_imbalanced] with every `METHODS`
    entry."""
    out = {}
    for imbalance in imbalances:
        run = train_imbalanced(imbalance, seeds, tuple(METHODS.values()))
        out[imbalance] = {**run, "methods": list(METHODS), "seeds": list(seeds)}
    return out


#: AP (COCO minival) of RetinaNet, ResNet-50-FPN, 600-pixel images: the paper's Table 1a
#: (α-balanced CE, γ = 0) and Table 1b (FL, with the best α for each γ).
PAPER_TABLE_1A: tuple[tuple[float, float], ...] = (
    (0.10, 0.0),
    (0.25, 10.8),
    (0.50, 30.2),
    (0.75, 31.1),
    (0.90, 30.8),
    (0.99, 28.7),
    (0.999, 25.1),
)
PAPER_TABLE_1B: tuple[tuple[float, float, float], ...] = (  # (γ, α, AP)
    (0.0, 0.75, 31.1),
    (0.1, 0.75, 31.4),
    (0.2, 0.75, 31.9),
    (0.5, 0.50, 32.9),
    (1.0, 0.25, 33.7),
    (2.0, 0.25, 34.0),
    (5.0, 0.25, 32.2),
)


def tuning_sweep(
    imbalance: int = 1000,
    gammas: Sequence[float] = (0.0, 0.5, 1.0, 2.0, 5.0),
    alphas: Sequence[float] = (0.25, 0.75),
    seeds: Sequence[int] = (0, 1, 2),
) -> dict[str, Any]:
    """Our small version of the paper's Table 1b: mean test AP over seeds for each (γ, α).

    Returns:
        `{"gammas", "alphas", "seeds", "ap": array (gammas, alphas) of mean AP, "std": the
        sample standard deviation over seeds, "runs": array (seeds, gammas, alphas)}`.
    """
    specs = tuple(("focal", float(a), float(g)) for g in gammas for a in alphas)
    ap = train_imbalanced(imbalance, seeds, specs)["ap"]  # (seeds, γ·α)
    shape = (len(gammas), len(alphas))
    return {
        "gammas": list(gammas),
        "alphas": list(alphas),
        "seeds": list(seeds),
        "ap": ap.mean(axis=0).reshape(shape),
        "std": ap.std(axis=0, ddof=1).reshape(shape),
        "runs": ap.reshape(len(seeds), *shape),  # per seed: the pairs a comparison needs
    }


@cached
@torch_threads(1)
def prior_bias_training(
    imbalance: int = 1000,
    steps: int = 60,
    batch_size: int = 1024,
    lr: float = 0.01,
    seed: int = 0,
    positives: int = 200,
    probe: int = 20_000,
) -> dict[tuple[str, str], np.ndarray]:
    r"""First iterations of training with the last bias at 0 vs at `prior_bias(0.01)`.

    As in the paper: the per-example losses are *summed and divided by the number of
    positives* in the batch (at least 1), and the optimiser is SGD with momentum 0.9.
    The same MLP and data as [`train_imbalanced`][dlbasics.focal_loss.experiments.train_imbalanced];
    the four runs share the initial weights and the minibatches. A minibatch of 1024 holds
    about one positive at 1 : 1000, so its loss jumps from step to step; the curves report
    instead the loss (same normalisation) on a fixed probe set, the first `probe` training
    examples, before the first step and after each step.

    Returns:
        `{(loss_name, init_name): probe loss per positive, steps + 1 values}`.
    """
    x_train, y_train, _, _ = make_imbalanced_data(imbalance, positives, seed=seed)
    runs = [
        (loss_name, alpha, gamma, init_name, bias)
        for loss_name, alpha, gamma in (("CE", -1.0, 0.0), ("FL (γ = 2, α = 0.25)", 0.25, 2.0))
        for init_name, bias in (("b = 0", 0.0), ("b = prior_bias(0.01)", prior_bias(0.01)))
    ]
    model = _ParallelMLPs([seed] * len(runs), x_train.shape[1], 32)
    with torch.no_grad():
        model.b2.copy_(torch.tensor([run[4] for run in runs]))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    x_probe, y_probe = x_train[:probe], y_train[:probe]

    def losses_on(xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        logits = model(xb.expand(len(runs), -1, -1))
        summed = [
            sigmoid_focal_loss(logits[r], yb, alpha, gamma, "sum")
            for r, (_, alpha, gamma, _, _) in enumerate(runs)
        ]
        return torch.stack(summed) / yb.sum().clamp_min(1)

    history = np.zeros((steps + 1, len(runs)))

    def record(step: int, loss: torch.Tensor | None = None) -> None:
        with torch.no_grad():
            history[step] = losses_on(x_probe, y_probe).numpy()

    record(0)
    batches = minibatches(len(x_train), batch_size, generator=seed, steps=steps, replacement=True)
    fit(
        optimizer,
        batches,
        lambda idx: losses_on(x_train[idx], y_train[idx]).sum(),
        after_step=record,
    )
    return {(run[0], run[3]): history[:, r] for r, run in enumerate(runs)}


# --- Explorables: every frame's data computed by the library ------------------------------------

#: The focusing parameters of the explorables: those of the paper's Figure 1 (and their colours).
EXPLORER_GAMMAS: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 5.0)
#: The class weights of the explorables; α = 0.5 weights both classes alike.
EXPLORER_ALPHAS: tuple[float, ...] = (0.25, 0.5, 0.75)


@cached
@torch_threads(1)
def focusing_explorer(
    gammas: Sequence[float] = EXPLORER_GAMMAS,
    alphas: Sequence[float] = EXPLORER_ALPHAS,
    num: int = 199,
) -> dict[str, Any]:
    r"""For every (γ, α): \(\mathrm{FL}_\alpha\) of a positive and of a negative against
    \(p_t\), and the size of its logit gradient divided by α-balanced cross-entropy's (the
    same α) and by plain cross-entropy's, all by autograd through `sigmoid_focal_loss`
    (float64). A negative with \(p_t\) has logit \(-\log\frac{p_t}{1 - p_t}\).

    Returns:
        `{"p_t": array, "ce": plain CE against p_t, "frames": {(gamma, alpha): {"positive",
        "negative": FL_α against p_t, "ratio": |∂FL_α/∂x| / |∂CE_α/∂x| (a positive's),
        "ratio_positive", "ratio_negative": the same over plain CE's, "crossing": p* from
        gradient_ratio_crossing (None for γ = 0), "half", "half_positive", "half_negative":
        the three ratios at p_t = 0.5}}}`.
    """
    p_t = np.linspace(0.005, 0.995, num)
    x = torch.as_tensor(_logit(np.concatenate([p_t, [0.5]])))
    ce, ce_grad = _example(x, 1.0, -1.0, 0.0)
    frames = {}
    for gamma in gammas:
        for alpha in alphas:
            pos, pos_grad = _example(x, 1.0, alpha, gamma)
            neg, neg_grad = _example(-x, 0.0, alpha, gamma)
            ratio = np.abs(pos_grad) / np.abs(_example(x, 1.0, alpha, 0.0)[1])
            ratio_pos, ratio_neg = np.abs(pos_grad / ce_grad), np.abs(neg_grad / ce_grad)
            frames[(float(gamma), float(alpha))] = {
                "positive": pos[:-1],
                "negative": neg[:-1],
                "ratio": ratio[:-1],
                "ratio_positive": ratio_pos[:-1],
                "ratio_negative": ratio_neg[:-1],
                "crossing": gradient_ratio_crossing(gamma) if gamma > 0 else None,
                "half": float(ratio[-1]),
                "half_positive": float(ratio_pos[-1]),
                "half_negative": float(ratio_neg[-1]),
            }
    return {"p_t": p_t, "ce": ce[:-1], "frames": frames}


def share_explorer(
    gammas: Sequence[float] = EXPLORER_GAMMAS, alphas: Sequence[float] = EXPLORER_ALPHAS
) -> dict[tuple[float, float], dict[str, Any]]:
    """[`loss_shares`][dlbasics.focal_loss.experiments.loss_shares] (cached) on the simulated
    detector output for every (γ, α): the shares of the loss and of the gradient that the
    positives, the easy and the hard negatives carry."""
    settings = tuple((f"γ = {g:g}, α = {a:g}", float(a), float(g)) for g in gammas for a in alphas)
    rows = loss_shares(settings)
    return {(s[2], s[1]): row for s, row in zip(settings, rows, strict=True)}


# --- Exercises: each answer computed by the library ---------------------------------------------


def focal_value_answer(p_t: float = 0.8, gamma: float = 2.0) -> float:
    """Focal loss (α off) of a positive that gets probability `p_t`."""
    x = torch.tensor([math.log(p_t / (1 - p_t))], dtype=torch.float64)
    return float(sigmoid_focal_loss(x, torch.ones_like(x), alpha=-1, gamma=gamma))


def negative_thousandfold_answer(factor: float = 1000.0, gamma: float = 3.0) -> float:
    """The probability p (of the positive class) at which a *negative*'s focal loss is
    `factor` times smaller than its cross-entropy: bisection on the library's two losses."""

    def ce_over_fl(p: float) -> float:
        x, t = torch.tensor([math.log(p / (1 - p))], dtype=torch.float64), torch.zeros(1)
        ce = sigmoid_focal_loss(x, t.double(), alpha=-1, gamma=0.0)
        return float(ce / sigmoid_focal_loss(x, t.double(), alpha=-1, gamma=gamma))

    lo, hi = 1e-6, 0.5  # CE / FL = p^(-γ) falls as p grows
    while hi - lo > 1e-12:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ce_over_fl(mid) > factor else (lo, mid)
    return (lo + hi) / 2


def gradient_crossing_answer(gamma: float = 2.0) -> float:
    """The p of a positive at which focal loss's logit gradient equals cross-entropy's."""
    return gradient_ratio_crossing(gamma)


def initial_loss_answer(
    bias: float = 0.0, negatives: int = 1000, alpha: float = 0.25, gamma: float = 2.0
) -> float:
    """The paper's loss (FL summed, divided by the number of positives) before the first
    step, when every anchor's logit is the last layer's `bias`: 1 positive, `negatives`
    negatives."""
    targets = torch.zeros(negatives + 1, dtype=torch.float64)
    targets[0] = 1.0
    logits = torch.full_like(targets, bias)
    return float(sigmoid_focal_loss(logits, targets, alpha, gamma, "sum") / targets.sum())


def prior_initial_loss_answer(pi: float = 0.01) -> float:
    """The same with the last bias at `prior_bias(pi)`: every anchor starts at p = π."""
    return initial_loss_answer(bias=prior_bias(pi))


def anchors_answer(size: int = 640) -> int:
    """The anchors RetinaNet scores on a `size`×`size` image (P3–P7, 9 per position)."""
    return anchor_count(image_size=(size, size))


def alpha_crossing_answer(gamma: float = 2.0, alphas: tuple[float, float] = (0.25, 0.75)) -> int:
    """Where p* goes when α rises (0: up, 1: down, 2: nowhere): the largest p_t of the
    explorable's grid at which FL_α's gradient still exceeds α-balanced CE's."""
    data = focusing_explorer(gammas=(gamma,), alphas=alphas)
    low, high = (data["p_t"][data["frames"][(gamma, a)]["ratio"] > 1].max() for a in alphas)
    return 0 if high > low else 1 if high < low else 2


def largest_share_answer(gamma: float = 2.0, alpha: float = 0.25) -> int:
    """Which group carries the largest share of the focal loss on the simulated detector
    output (0: positives, 1: easy negatives, 2: hard negatives)."""
    row = share_explorer(gammas=(gamma,), alphas=(alpha,))[(gamma, alpha)]
    shares = [row[f"{group} loss"] for group in ("positives", "easy negatives", "hard negatives")]
    return int(np.argmax(shares))


def hardest_tenth_answer(gamma: float = 2.0) -> int:
    """The hardest tenth of the negatives' share of their loss under focal loss, against
    cross-entropy's (0: smaller, 1: larger but under 90 %, 2: 90 % or more), from
    [`cumulative_loss`][dlbasics.focal_loss.experiments.cumulative_loss]."""
    data = cumulative_loss(gammas=(0.0, gamma))
    curves, fraction = data["curves"]["negatives"], data["fraction"]
    share = {g: 1 - float(np.interp(0.9, fraction, curve)) for g, curve in curves.items()}
    return 0 if share[gamma] < share[0.0] else 1 if share[gamma] < 0.9 else 2
