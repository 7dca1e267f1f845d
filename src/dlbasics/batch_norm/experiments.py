"""The experiments of the batch-normalization page (docs/batch-normalization.md).

Small networks on scikit-learn's digits, trained with plain SGD, with and without our
[`BatchNorm1d`][dlbasics.batch_norm.BatchNorm1d] / [`BatchNorm2d`][dlbasics.batch_norm.BatchNorm2d].
The `@cached` functions return plain data (numbers, arrays, dicts), which
`dlbasics.batch_norm.figures` turns into figures and tables. Seeds fix the initialisation
and the order of the batches; each experiment pins its thread count.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn

from dlbasics._threads import torch_threads
from dlbasics.batch_norm import (
    BatchNorm1d,
    BatchNorm2d,
    batch_norm,
    fold_batch_norm,
    recompute_running_stats,
)
from dlbasics.cache import cached
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

__all__ = [
    "BATCH_CHANGES",
    "EXPLORER_BETAS",
    "EXPLORER_GAMMAS",
    "EXPLORER_LRS",
    "GROUPS",
    "PATH_MEASURES",
    "SHIFTS",
    "VERDICTS",
    "batch_dependence_answer",
    "batch_mean_sd",
    "batch_noise",
    "batch_variance_sd",
    "bn_gradient_answer",
    "bn_output_answer",
    "conv_training",
    "covariate_shift",
    "covariate_shift_details",
    "elongated_bowl",
    "eval_mode_pitfall",
    "feature_map_statistics",
    "folded_bias_answer",
    "folding_check",
    "gamma_beta",
    "ghost_batches",
    "halving_batch_answer",
    "highest_rate_answer",
    "identity_check",
    "input_scaling",
    "learning_rate_explorer",
    "learning_rate_run",
    "learning_rate_sweep",
    "momentum_weights",
    "noisy_batch_norm",
    "ours_vs_torch",
    "placement",
    "run_verdict",
    "running_mean_answer",
    "running_statistics",
    "running_var_answer",
    "scale_invariance",
    "sigmoid_explorer",
    "sigmoid_input_stats",
    "small_batches",
    "steps_to_accuracy",
    "test_time_statistics",
    "training_path",
    "training_path_phases",
    "unit_moments",
]


_HIDDEN = (100, 100, 100)  # the paper's MNIST network: 3 hidden layers of 100 sigmoid units
_BATCH = 60  # ... trained on mini-batches of 60


class _GhostBatchNorm1d(BatchNorm1d):
    """BatchNorm1d whose training statistics come from consecutive chunks of `ghost` examples.

    All chunks are normalised at once: (k·g, C) is rearranged to (g, k·C), so that each
    (chunk, channel) pair is one channel of a plain batch norm over g values. The running
    averages are updated once per batch, with the chunk means and unbiased chunk variances
    averaged over the chunks.
    """

    def __init__(self, num_features: int, ghost: int) -> None:
        super().__init__(num_features)
        self.ghost = ghost

    def forward(self, input: Tensor) -> Tensor:
        n, c = input.shape
        g = self.ghost
        if not self.training or n <= g:
            return super().forward(input)
        if n % g:
            raise ValueError(f"input: batch of {n} is not a multiple of ghost={g}")
        k = n // g
        chunks = input.view(k, g, c)
        x = chunks.transpose(0, 1).reshape(g, k * c)
        y = batch_norm(x, None, None, training=True, eps=self.eps)
        y = y.view(g, k, c).transpose(0, 1).reshape(n, c)
        assert self.running_mean is not None and self.running_var is not None
        assert self.num_batches_tracked is not None and self.momentum is not None
        with torch.no_grad():
            self.num_batches_tracked.add_(1)
            self.running_mean.lerp_(chunks.mean(1).mean(0), self.momentum)
            self.running_var.lerp_(chunks.var(1).mean(0), self.momentum)
        return y * self.weight + self.bias


class _MLP(nn.Module):
    """Linear layers with a sigmoid or ReLU, and batch norm before or after the activation."""

    def __init__(
        self,
        bn: str = "before",
        activation: str = "sigmoid",
        hidden: tuple[int, ...] = _HIDDEN,
        affine: bool = True,
        ghost: int | None = None,
        norm: Callable[..., nn.Module] = BatchNorm1d,
    ) -> None:
        super().__init__()
        if bn not in ("none", "before", "after"):
            raise ValueError(f"bn must be 'none', 'before' or 'after', got {bn!r}")
        if activation not in ("sigmoid", "relu"):
            raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}")
        self.bn = bn
        self.act = torch.sigmoid if activation == "sigmoid" else torch.relu
        sizes = (64, *hidden)
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.out = nn.Linear(sizes[-1], 10)
        norms: list[nn.Module] = []
        for width in hidden:
            if bn == "none":
                norms.append(nn.Identity())
            elif ghost is not None:
                norms.append(_GhostBatchNorm1d(width, ghost))
            else:
                norms.append(norm(width, affine=affine))
        self.norms = nn.ModuleList(norms)

    def layers(self, x: Tensor) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        """Logits, the inputs of each activation, and the inputs of each linear layer."""
        act_inputs, layer_inputs = [], []
        h = x
        for linear, norm in zip(self.linears, self.norms, strict=True):
            layer_inputs.append(h)
            z = linear(h)
            if self.bn == "before":
                z = norm(z)
            act_inputs.append(z)
            h = self.act(z)
            if self.bn == "after":
                h = norm(h)
        layer_inputs.append(h)
        return self.out(h), act_inputs, layer_inputs

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)[0]


class _ConvNet(nn.Module):
    """Two 3×3 convolutions (16 and 32 channels) on the 8×8 digits, optional BatchNorm2d."""

    def __init__(self, bn: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn1: nn.Module = BatchNorm2d(16) if bn else nn.Identity()
        self.bn2: nn.Module = BatchNorm2d(32) if bn else nn.Identity()
        self.out = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x: Tensor) -> Tensor:
        h = torch.relu(self.bn1(self.conv1(x)))
        h = torch.relu(self.bn2(self.conv2(h)))
        h = torch.nn.functional.max_pool2d(h, 2)  # 8×8 → 4×4
        return self.out(h.flatten(1))


def _batches(n: int, batch_size: int, steps: int, seed: int) -> list[Tensor]:
    """Indices of `steps` mini-batches drawn without replacement within each epoch (the
    ragged end of each epoch skipped): every experiment of the page draws them this way."""
    return list(minibatches(n, batch_size, generator=seed, steps=steps, drop_last=True))


def _state(model: nn.Module) -> dict[str, Any]:
    return {k: v.detach().clone().numpy() for k, v in model.state_dict().items()}


def _load(model: nn.Module, state: dict[str, Any]) -> nn.Module:
    model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    return model


def _train(
    model: nn.Module,
    data: Any,
    lr: float,
    steps: int,
    seed: int,
    batch_size: int = _BATCH,
    eval_every: int = 25,
    unit: tuple[int, int] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Plain SGD on cross-entropy; test accuracy (eval mode) every `eval_every` steps.

    `unit = (layer, index)` also records the 15th, 50th and 85th percentiles, over the test
    set, of the input of that activation (the paper's Figure 1(b, c)).
    """
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    batches = _batches(len(data.x_train), batch_size, steps, seed + 1)
    record: dict[str, list[Any]] = {"step": [], "test_acc": [], "train_loss": [], "unit": []}
    running = 0.0

    def evaluate(step: int) -> None:
        model.eval()
        record["step"].append(step)
        record["test_acc"].append(model_accuracy(model, data.x_test, data.y_test))
        record["train_loss"].append(running)
        if unit is not None:
            with torch.no_grad():
                z = model.layers(data.x_test)[1][unit[0]][:, unit[1]]  # type: ignore[operator]
            record["unit"].append(torch.quantile(z, torch.tensor([0.15, 0.5, 0.85])).tolist())
        model.train()

    def after_step(step: int, loss: Tensor) -> None:
        nonlocal running
        running = loss.item() if step == 1 else 0.9 * running + 0.1 * loss.item()
        if step % eval_every == 0:
            evaluate(step)

    model.train()
    evaluate(0)
    batch_loss = classification_loss(model, data.x_train, data.y_train)
    fit(opt, batches, batch_loss, after_step=after_step, progress=progress)
    model.eval()
    return {key: np.asarray(value) for key, value in record.items()}


def steps_to_accuracy(curve: dict[str, Any], level: float) -> int | None:
    """The first evaluated step at which a training record's test accuracy reaches `level`."""
    hit = np.nonzero(curve["test_acc"] >= level)[0]
    return int(curve["step"][hit[0]]) if hit.size else None


# --- Experiment: normalising the inputs, and faster training at higher learning rates ---------


@cached
@torch_threads(1)
def input_scaling(
    lrs: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0),
    steps: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Softmax regression on three versions of the same pixels, over a range of rates.

    The inputs: raw pixels (0–16), the same pixels standardised per pixel, and standardised
    pixels each multiplied by a fixed random factor between 0.1 and 10 (features on very
    different scales). Full-batch gradient descent on the training set; returns the final
    training loss for each (version, rate), NaN where it diverged.
    """
    plain = digits(standardize=False)
    standard = digits()
    factors = 10 ** (torch.rand(64, generator=torch.Generator().manual_seed(seed)) * 2 - 1)
    versions = {
        "raw pixels (0 to 16)": plain.x_train * 16,
        "standardised pixels": standard.x_train,
        "standardised × random scale (0.1 to 10)": standard.x_train * factors,
    }
    y = standard.y_train
    out: dict[str, Any] = {"lrs": list(lrs), "loss": {}}
    for name, x in versions.items():
        losses = []
        for lr in lrs:
            torch.manual_seed(seed)
            model = nn.Linear(64, 10)
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            fit(opt, full_batches(steps), classification_loss(model, x, y))
            final = model_loss(model, x, y)
            losses.append(final if np.isfinite(final) else float("nan"))
        out["loss"][name] = losses
    return out


@cached  # torch.optim and the wine data cost seconds to load: a warm build reads it
@torch_threads(1)
def elongated_bowl(steps: int = 30) -> dict[str, Any]:
    r"""Andrew Ng's picture of why normalising inputs helps, on real features.

    Least squares on two features of scikit-learn's wine data, the alcohol content (% vol)
    and the alcalinity of the ash, predicting the total phenols,
    \(J(w) = \frac1{2n}\lVert X w - y\rVert^2\), with
    features and target centred (so no bias is needed and \(w\) is two-dimensional), once in
    the features' own units and once standardised. Gradient descent from \(w = 0\) with the
    best constant rate for each, \(2/(\lambda_\text{max} + \lambda_\text{min})\) (\(\lambda\) the
    eigenvalues of the Hessian \(X^\top X/n\)), under which the error shrinks by
    \((\kappa - 1)/(\kappa + 1)\) per step, \(\kappa = \lambda_\text{max}/\lambda_\text{min}\).

    Returns, per version: the loss on a grid around the minimum (for contours), the path
    of `steps` iterates, the condition number \(\lambda_\text{max}/\lambda_\text{min}\), and
    the number of steps until the loss's excess over its minimum is below 1 % of where it
    started (`None` if not within 100,000 steps).
    """
    from sklearn.datasets import load_wine

    wine = load_wine()
    names = list(wine.feature_names)
    x = wine.data[:, [names.index("alcohol"), names.index("alcalinity_of_ash")]].astype(float)
    y = wine.data[:, names.index("total_phenols")].astype(float)
    x, y = x - x.mean(0), y - y.mean()
    out: dict[str, Any] = {"features": ("alcohol", "alcalinity of ash"), "steps": steps}
    for name, features in (("own units", x), ("standardised", x / x.std(0))):
        hessian = features.T @ features / len(y)
        w_star = np.linalg.solve(hessian, features.T @ y / len(y))
        floor = 0.5 * float(np.mean((features @ w_star - y) ** 2))
        eig = np.linalg.eigvalsh(hessian)
        eta = 2 / (eig.max() + eig.min())

        def excess(w: Any, hessian: Any = hessian, w_star: Any = w_star) -> Any:
            """J(w) − J(w*) = ½ (w − w*)ᵀ H (w − w*), for one w or a (2, k) grid of them."""
            d = w - (w_star if np.ndim(w) == 1 else w_star[:, None])
            return 0.5 * np.sum(d * (hessian @ d), axis=0)

        w, path, needed = np.zeros(2), [np.zeros(2)], None
        start = float(excess(w))
        for k in range(1, 100_001):
            w = w - eta * (hessian @ (w - w_star))  # the gradient of J, exactly
            if k <= steps:
                path.append(w.copy())
            if needed is None and float(excess(w)) <= 0.01 * start:
                needed = k
            if needed is not None and k >= steps:
                break
        route = np.asarray(path)
        span = np.full(2, np.abs(route - w_star).max() * 1.15 + 1e-12)  # equal scales
        g1 = np.linspace(w_star[0] - span[0], w_star[0] + span[0], 121)
        g2 = np.linspace(w_star[1] - span[1], w_star[1] + span[1], 121)
        grid = np.stack(np.meshgrid(g1, g2), -1).reshape(-1, 2).T
        out[name] = {
            "w1": g1,
            "w2": g2,
            "loss": (floor + excess(grid)).reshape(len(g2), len(g1)),
            "path": route,
            "minimum": w_star,
            "condition": float(eig.max() / eig.min()),
            "steps_to_1pct": needed,
        }
    return out


#: The learning-rate sweep's rates and length (its defaults; the explorer reuses its runs).
_SWEEP_LRS = (0.05, 0.5, 3.0, 15.0)
_SWEEP_STEPS = 1200


@cached
@torch_threads(1)
def learning_rate_sweep(
    lrs: tuple[float, ...] = _SWEEP_LRS,
    steps: int = _SWEEP_STEPS,
    seed: int = 0,
    unit: tuple[int, int] = (2, 0),
    progress: bool = False,
) -> dict[str, Any]:
    """The paper's Figure 1 in small: the sigmoid MLP with and without BN at several rates.

    Returns, for each `(lr, bn)` with `bn` in `("none", "before")`, the training record of
    `_train` (test accuracy every 25 steps and the percentiles of the input of `unit`), and
    the final weights of every run (`"states"`) for the later experiments.
    """
    data = digits()
    runs, states = {}, {}
    for lr in lrs:
        for bn in ("none", "before"):
            torch.manual_seed(seed)
            model = _MLP(bn=bn)
            runs[(lr, bn)] = _train(model, data, lr, steps, seed, unit=unit, progress=progress)
            states[(lr, bn)] = _state(model)
    return {"runs": runs, "states": states, "lrs": list(lrs), "steps": steps, "unit": unit}


def _trained_mlp(result: dict[str, Any], lr: float, bn: str) -> _MLP:
    """The network that `learning_rate_sweep` returned in `result`, at `lr` (eval mode).

    Callers fetch `result` once: without the disk cache every call would train the sweep."""
    with torch.random.fork_rng():  # the initial weights are overwritten: draw them aside
        torch.manual_seed(0)
        model = _MLP(bn=bn)
    _load(model, result["states"][(lr, bn)])
    return model.eval()


# --- Experiment: covariate shift of the inputs -------------------------------------------------

#: Pixel transforms x ↦ a·x + b on the [0, 1] pixels, applied to the test images only.
SHIFTS: dict[str, tuple[float, float]] = {
    "none (as trained)": (1.0, 0.0),
    "darker: 0.5·x": (0.5, 0.0),
    "brighter: x + 0.3": (1.0, 0.3),
    "washed out: 0.3·x + 0.5": (0.3, 0.5),
    "inverted: 1 − x": (-1.0, 1.0),
}


@cached
@torch_threads(1)
def covariate_shift(lr: float = 0.5, seed: int = 0) -> dict[str, Any]:
    """Test accuracy of the trained MLPs when the test pixels are transformed by `SHIFTS`.

    Three ways of evaluating: the network without BN; the BN network in eval mode (running
    statistics from training); the BN network normalising with the statistics of the
    shifted test set itself (all 449 images as one batch).
    """
    plain = digits(standardize=False)
    mean = plain.x_train.mean(0)
    std = plain.x_train.std(0, unbiased=False)
    std[std == 0] = 1.0
    trained = learning_rate_sweep(seed=seed)
    no_bn, bn = _trained_mlp(trained, lr, "none"), _trained_mlp(trained, lr, "before")
    rows = {}
    for name, (a, b) in SHIFTS.items():
        x = ((a * plain.x_test + b) - mean) / std  # shifted, then standardised as in training
        # A copy in training mode normalises with the test set's own statistics.
        batch_acc = model_accuracy(copy.deepcopy(bn).train(), x, plain.y_test)
        rows[name] = {
            "no BN": model_accuracy(no_bn, x, plain.y_test),
            "BN, running statistics": model_accuracy(bn, x, plain.y_test),
            "BN, test-batch statistics": batch_acc,
        }
    return rows


def covariate_shift_details(lr: float = 0.5, seed: int = 0) -> dict[str, Any]:
    """Two facts behind the covariate-shift table.

    - The shifts act on the [0, 1] pixels, *before* the per-pixel standardisation of
      training: `x + 0.3` moves pixel j by 0.3 / std_j training standard deviations, which is
      huge for the border pixels that are nearly constant. Returned: the median and the
      largest of 0.3 / std_j, and how many pixels move by more than 5 standard deviations.
    - Inverted images under test-batch statistics: how often the true class gets the
      *lowest* logit, how often the argmax on the inverted image is the argmin on the
      original one, and the correlation of the two images' logits.
    """
    plain = digits(standardize=False)
    mean = plain.x_train.mean(0)
    std = plain.x_train.std(0, unbiased=False)
    std[std == 0] = 1.0
    in_sd = 0.3 / std
    bn = _trained_mlp(learning_rate_sweep(seed=seed), lr, "before")
    batch = copy.deepcopy(bn).train()  # normalises with the test batch's own statistics
    for norm in batch.norms:
        cast(BatchNorm1d, norm).momentum = 0.0
    original = (plain.x_test - mean) / std
    inverted = ((1 - plain.x_test) - mean) / std
    with torch.no_grad():
        before, after = batch(original), batch(inverted)
    true = plain.y_test[:, None]
    lowest = (after.gather(1, true) <= after.min(1, keepdim=True).values).squeeze(1)
    return {
        "shift_sd_median": float(in_sd.median()),
        "shift_sd_max": float(in_sd.max()),
        "pixels_over_5_sd": int((in_sd > 5).sum()),
        "pixels": int(in_sd.numel()),
        "true_class_lowest": float(lowest.float().mean()),
        "argmax_is_argmin": float((after.argmax(1) == before.argmin(1)).float().mean()),
        "logit_correlation": float(np.corrcoef(before.flatten(), after.flatten())[0, 1]),
    }


def unit_moments(lr: float = 0.5, seed: int = 0) -> dict[str, float]:
    r"""What γ and β of the unit of the paper's Figure 1 set: for the trained BN network in
    evaluation mode, the unit's \(\gamma\), \(\beta\) and the mean and standard deviation of
    its values (the input of its sigmoid) over the test set."""
    result = learning_rate_sweep(seed=seed)
    layer, unit = result["unit"]
    model = _trained_mlp(result, lr, "before")
    with torch.no_grad():
        z = model.layers(digits().x_test)[1][layer][:, unit]
    norm = cast(BatchNorm1d, model.norms[layer])
    return {
        "gamma": float(norm.weight[unit].detach()),
        "beta": float(norm.bias[unit].detach()),
        "mean": float(z.mean()),
        "std": float(z.std(unbiased=False)),
    }


# --- Experiment: Santurkar et al.'s "noisy" batch norm ------------------------------------------


class _NoisyBatchNorm1d(BatchNorm1d):
    """BatchNorm1d whose output, in training, gets a random scale and shift per feature,
    drawn afresh at every call: y ↦ s·y + m with m ~ U(−shift, shift) and
    s ~ U(1 − scale, 1 + scale), the same for every example of the batch. The next layer's
    input distribution then changes at every step, by design. Evaluation adds nothing."""

    def __init__(
        self, num_features: int, shift: float, scale: float, generator: torch.Generator
    ) -> None:
        super().__init__(num_features)
        self.shift, self.scale, self.generator = shift, scale, generator

    def forward(self, input: Tensor) -> Tensor:
        y = super().forward(input)
        if not self.training:
            return y
        c = input.shape[1]
        m = (torch.rand(c, generator=self.generator) * 2 - 1) * self.shift
        s = 1 + (torch.rand(c, generator=self.generator) * 2 - 1) * self.scale
        return y * s + m


@cached
@torch_threads(1)
def noisy_batch_norm(
    lr: float = 0.5,
    steps: int = 1000,
    shift: float = 2.0,
    scale: float = 0.75,
    every: int = 25,
    unit: tuple[int, int] = (2, 0),
    seed: int = 0,
) -> dict[str, Any]:
    """Santurkar et al.'s test of the covariate-shift story: BN followed by noise that moves
    each unit's distribution at every step ([`_NoisyBatchNorm1d`]), against BN and no BN.

    Every `every` steps: the test accuracy (evaluation mode, no noise), and the 15th, 50th
    and 85th percentiles of the input of sigmoid `unit` over a fixed probe batch of 60
    training images *as the next layer sees it in training* (batch statistics and, for the
    noisy network, a fresh draw of the noise; running averages untouched). Also the mean
    absolute change of the median between consecutive probes (`drift`).
    """
    data = digits()
    probe = data.x_train[:_BATCH]
    out: dict[str, Any] = {"shift": shift, "scale": scale, "steps": steps}
    for name in ("none", "before", "noisy"):
        torch.manual_seed(seed)
        model = _MLP(bn="none" if name == "none" else "before")
        if name == "noisy":
            gen = torch.Generator().manual_seed(seed + 100)
            model.norms = nn.ModuleList(_NoisyBatchNorm1d(w, shift, scale, gen) for w in _HIDDEN)
        record: dict[str, list[Any]] = {"step": [], "test_acc": [], "unit": []}

        def look(step: int, model: _MLP = model, record: dict[str, list[Any]] = record) -> None:
            momenta = [getattr(n, "momentum", None) for n in model.norms]
            for norm in model.norms:
                if isinstance(norm, BatchNorm1d):
                    norm.momentum = 0.0
            with torch.no_grad():
                z = model.layers(probe)[1][unit[0]][:, unit[1]]
                model.eval()
                record["test_acc"].append(model_accuracy(model, data.x_test, data.y_test))
                model.train()
            for norm, momentum in zip(model.norms, momenta, strict=True):
                if isinstance(norm, BatchNorm1d):
                    norm.momentum = momentum
            record["step"].append(step)
            record["unit"].append(torch.quantile(z, torch.tensor([0.15, 0.5, 0.85])).tolist())

        def after_step(step: int, loss: Tensor, look: Callable[[int], None] = look) -> None:
            if step % every == 0:
                look(step)

        model.train()
        look(0)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        batches = _batches(len(data.x_train), _BATCH, steps, seed + 1)
        fit(
            opt,
            batches,
            classification_loss(model, data.x_train, data.y_train),
            after_step=after_step,
        )
        run: dict[str, Any] = {key: np.asarray(value) for key, value in record.items()}
        run["drift"] = float(np.abs(np.diff(run["unit"][:, 1])).mean())
        out[name] = run
    return out


# --- Experiment: small batches: batch norm against layer and group norm -------------------------

#: Groups of GroupNorm on the 100 units of a hidden layer (LayerNorm is one group).
GROUPS = 4


def _layer_norm(width: int, affine: bool = True) -> nn.Module:
    return nn.LayerNorm(width, elementwise_affine=affine)


def _group_norm(width: int, affine: bool = True) -> nn.Module:
    return nn.GroupNorm(GROUPS, width, affine=affine)


#: The normalisations of `small_batches`: name → `_MLP` arguments.
_SMALL_BATCH_NORMS: dict[str, dict[str, Any]] = {
    "no normalisation": {"bn": "none"},
    "BatchNorm": {"bn": "before"},
    "LayerNorm": {"bn": "before", "norm": _layer_norm},
    f"GroupNorm ({GROUPS} groups)": {"bn": "before", "norm": _group_norm},
}


@cached
@torch_threads(1)
def small_batches(
    batch_size: int = 2, lr: float = 0.1, steps: int = 1000, seeds: tuple[int, ...] = (0, 1, 2)
) -> dict[str, Any]:
    """The sigmoid MLP trained on mini-batches of `batch_size` with BN, LayerNorm (each
    example normalised over its 100 units), GroupNorm (over groups of 25 units) and no
    normalisation, in the same place (between each linear map and its sigmoid).

    Returns the final test accuracy (evaluation mode) per seed for each, in
    `{"names": [...], "accuracy": {name: [per seed]}, "seeds": [...]}`.
    """
    data = digits()
    out: dict[str, Any] = {"names": list(_SMALL_BATCH_NORMS), "seeds": list(seeds)}
    out["accuracy"] = {}
    for name, kwargs in _SMALL_BATCH_NORMS.items():
        accs = []
        for seed in seeds:
            torch.manual_seed(seed)
            model = _MLP(**kwargs)
            run = _train(model, data, lr, steps, seed, batch_size=batch_size, eval_every=steps)
            accs.append(float(run["test_acc"][-1]))
        out["accuracy"][name] = accs
    out["batch_size"], out["lr"], out["steps"] = batch_size, lr, steps
    return out


# --- Experiment: the training path (internal covariate shift, smoothness) ---------------------


def _flat_grad(params: list[nn.Parameter]) -> Tensor:
    return torch.cat([p.grad.reshape(-1) for p in params])  # type: ignore[union-attr]


@cached
@torch_threads(1)
def training_path(
    lr: float = 0.5,
    steps: int = 1000,
    every: int = 25,
    dense: tuple[int, int] = (10, 200),
    step_sizes: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0),
    layer: int = 2,
    seeds: tuple[int, ...] = (0, 1, 2),
) -> dict[str, Any]:
    r"""Measurements along the SGD path of the sigmoid MLP, with and without BN, per seed.

    Before a measured step, on that step's mini-batch, with gradient \(g\) and rate \(\eta\):

    - *loss*: the batch loss at the current weights (to compare the two networks at equal
      loss, not at equal step);
    - *distribution shift* of the input of hidden layer `layer` caused by the update of the
      layers before it alone: the change of each unit's mean and standard deviation over the
      batch, relative to its standard deviation, averaged over units (the shift Ioffe &
      Szegedy call internal covariate shift);
    - *gradient shift* (the measure Santurkar et al. call internal covariate shift):
      \(\lVert G - G'\rVert / \lVert G\rVert\) for the gradient \(G\) of that layer's weights
      before and \(G'\) after the earlier layers take their step;
    - *loss variation* along the gradient: the range of \(L(w - k\eta g)\) over the
      multipliers \(k\) in `step_sizes`;
    - *gradient predictiveness*: the largest \(\lVert\nabla L(w - k\eta g) - \nabla L(w)\rVert\)
      over \(k\) (`grad_change`), and that change divided by the distance moved,
      \(\lVert k\eta g\rVert\): an effective Lipschitz constant \(K\) of the gradient (`lipschitz`;
      Santurkar et al.'s "effective β-smoothness").

    Measured steps: every `dense[0]` steps up to step `dense[1]` (where the BN network
    already passes the loss levels that the plain network reaches much later), then every
    `every` steps. Returns `{"seeds": [...], "none": [record per seed], "before": [...]}`.
    """
    data = digits()
    measured = set(range(dense[0], dense[1] + 1, dense[0])) | set(range(every, steps + 1, every))
    out: dict[str, Any] = {"seeds": list(seeds), "none": [], "before": []}
    for seed in seeds:
        batches = _batches(len(data.x_train), _BATCH, steps, seed + 1)
        for bn in ("none", "before"):
            torch.manual_seed(seed)
            model = _MLP(bn=bn)
            record = _train_measuring(model, data, batches, lr, measured, step_sizes, layer)
            out[bn].append({k: np.asarray(v) for k, v in record.items()})
    return out


def _train_measuring(
    model: _MLP,
    data: Any,
    batches: list[Tensor],
    lr: float,
    measured: set[int],
    step_sizes: tuple[float, ...],
    layer: int,
) -> dict[str, list[float]]:
    """SGD on `batches`, taking `training_path`'s measurements before the `measured` steps."""
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=lr)
    earlier = [p for i in range(layer) for p in model.linears[i].parameters()]
    earlier += [p for i in range(layer) for p in model.norms[i].parameters()]
    target: nn.Parameter = model.linears[layer].weight  # type: ignore[assignment]
    record: dict[str, list[float]] = {
        k: []
        for k in (
            "step",
            "loss",
            "dist_shift",
            "grad_shift",
            "loss_range",
            "grad_change",
            "lipschitz",
        )
    }
    step = 0

    def batch_loss(idx: Tensor) -> Tensor:
        nonlocal step
        step += 1
        x, y = data.x_train[idx], data.y_train[idx]
        if step in measured:  # on this step's batch, before its update
            _measure(model, x, y, lr, step_sizes, layer, earlier, target, params, record)
            record["step"].append(step)
        return torch.nn.functional.cross_entropy(model(x), y)

    model.train()
    fit(opt, batches, batch_loss)
    return record


def _measure(
    model: _MLP,
    x: Tensor,
    y: Tensor,
    lr: float,
    step_sizes: tuple[float, ...],
    layer: int,
    earlier: list[nn.Parameter],
    target: nn.Parameter,
    params: list[nn.Parameter],
    record: dict[str, list[float]],
) -> None:
    """One set of `training_path` measurements; leaves the weights unchanged.

    Batch-norm running statistics are saved and restored, so measuring does not move them.
    """
    buffers = {k: v.clone() for k, v in model.state_dict().items() if "running" in k or "num_" in k}
    saved = [p.detach().clone() for p in params]

    def grads() -> tuple[float, Tensor, Tensor]:
        model.zero_grad(set_to_none=True)
        logits, _, layer_inputs = model.layers(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        return loss.item(), layer_inputs[layer].detach(), _flat_grad(params)

    loss0, h0, g0 = grads()
    target_grad0 = target.grad.detach().clone()  # type: ignore[union-attr]
    # The earlier layers take their SGD step; the layer `layer` and later stay put.
    with torch.no_grad():
        for p in earlier:
            p.sub_(lr * p.grad)  # type: ignore[operator]
    _, h1, _ = grads()
    target_grad1 = target.grad.detach().clone()  # type: ignore[union-attr]
    std0 = h0.std(0) + 1e-8
    shift = ((h1.mean(0) - h0.mean(0)).abs() + (h1.std(0) - h0.std(0)).abs()) / std0
    record["dist_shift"].append(float(shift.mean()))
    record["grad_shift"].append(float((target_grad1 - target_grad0).norm() / target_grad0.norm()))
    # Along the full gradient direction from the original weights.
    losses, changes, constants = [loss0], [], []
    for k in step_sizes:
        with torch.no_grad():
            for p, w, gi in zip(params, saved, _split(g0, params), strict=True):
                p.copy_(w - k * lr * gi)
        loss_k, _, g_k = grads()
        losses.append(loss_k)
        change = float((g_k - g0).norm())
        changes.append(change)
        constants.append(change / (k * lr * float(g0.norm()) + 1e-12))
    record["loss"].append(loss0)
    record["loss_range"].append(max(losses) - min(losses))
    record["grad_change"].append(max(changes))
    record["lipschitz"].append(max(constants))
    with torch.no_grad():
        for p, w in zip(params, saved, strict=True):
            p.copy_(w)
    model.load_state_dict(buffers, strict=False)
    model.zero_grad(set_to_none=True)


def _split(flat: Tensor, params: list[nn.Parameter]) -> list[Tensor]:
    sizes = [p.numel() for p in params]
    return [chunk.view_as(p) for chunk, p in zip(flat.split(sizes), params, strict=True)]


# --- Experiment: does each layer see a steadier input? ----------------------------------------


@cached
@torch_threads(1)
def scale_invariance(
    factors: tuple[float, ...] = (0.1, 0.5, 2.0, 10.0), lr: float = 0.5, seed: int = 0
) -> dict[str, Any]:
    r"""Multiply the first layer's weights by a factor; how much does layer 3's input move?

    For the trained networks: the relative change \(\lVert h' - h\rVert / \lVert h\rVert\)
    of the input \(h\) of the last hidden layer over the test set, and the test accuracy,
    after scaling the first layer's weight matrix by \(a\). The BN network is evaluated
    twice: with batch statistics (the whole test set as one batch, as during training) and
    with its running statistics (as at test time).

    Also, for each factor: \(a\,\lVert\nabla_{aW} L\rVert / \lVert\nabla_W L\rVert\), the
    first layer's weight-gradient norm after scaling, times \(a\), relative to before
    (Ioffe & Szegedy's section 3.3: with batch statistics it is 1, the gradient shrinks as
    the weights grow); and the test accuracy with running statistics after
    [`recompute_running_stats`][dlbasics.batch_norm.recompute_running_stats] on the
    training images.
    """
    data = digits()
    settings = {
        "no BN": ("none", False),
        "BN, batch statistics": ("before", True),
        "BN, running statistics": ("before", False),
    }
    out: dict[str, Any] = {"factors": list(factors), "settings": list(settings)}
    trained = learning_rate_sweep(seed=seed)
    for name, (bn, batch_stats) in settings.items():
        model = _trained_mlp(trained, lr, bn)
        if batch_stats:
            model.train()
            for norm in model.norms:
                cast(BatchNorm1d, norm).momentum = 0.0  # use the batch, keep the averages
        weight = cast(Tensor, model.linears[0].weight)
        original = weight.detach().clone()

        def first_layer_grad(model: _MLP = model, weight: Tensor = weight) -> float:
            model.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(data.x_test), data.y_test)
            loss.backward()
            return float(weight.grad.norm())  # type: ignore[union-attr]

        g0 = first_layer_grad()
        with torch.no_grad():
            h0 = model.layers(data.x_test)[2][2]
        changes, accs, grads, recomputed = [], [], [], []
        for f in factors:
            with torch.no_grad():
                weight.copy_(original * f)
                logits, _, inputs = model.layers(data.x_test)
            changes.append(float((inputs[2] - h0).norm() / h0.norm()))
            accs.append(accuracy(logits, data.y_test))
            grads.append(f * first_layer_grad() / g0)
            if bn == "before" and not batch_stats:
                again = recompute_running_stats(copy.deepcopy(model), data.x_train)
                recomputed.append(model_accuracy(again.eval(), data.x_test, data.y_test))
        with torch.no_grad():
            weight.copy_(original)
        model.zero_grad(set_to_none=True)
        out[name] = {"change": changes, "accuracy": accs, "scaled_grad": grads}
        if recomputed:
            out[name]["recomputed_accuracy"] = recomputed
    return out


def folding_check(lr: float = 0.5, seed: int = 0) -> dict[str, Any]:
    """The trained BN network with each BatchNorm1d folded into the linear layer before it
    ([`fold_batch_norm`][dlbasics.batch_norm.fold_batch_norm]): the largest difference of its
    test logits from the BN network's in evaluation mode, both accuracies, and the number of
    parameters and buffers before and after."""
    data = digits()
    model = _trained_mlp(learning_rate_sweep(seed=seed), lr, "before")
    folded = _MLP(bn="none")
    with torch.no_grad():
        for i, (linear, norm) in enumerate(zip(model.linears, model.norms, strict=True)):
            merged = fold_batch_norm(cast(nn.Linear, linear), norm)
            folded.linears[i].load_state_dict(merged.state_dict())
        folded.out.load_state_dict(model.out.state_dict())
        a, b = model(data.x_test), folded.eval()(data.x_test)

    def numbers(m: nn.Module) -> int:
        return sum(t.numel() for t in m.state_dict().values())

    return {
        "max_difference": float((a - b).abs().max()),
        "logit_scale": float(a.abs().max()),
        "accuracy": accuracy(a, data.y_test),
        "folded_accuracy": accuracy(b, data.y_test),
        "numbers": numbers(model),
        "folded_numbers": numbers(folded),
    }


# --- Experiment: why γ and β -------------------------------------------------------------------


@cached
@torch_threads(1)
def gamma_beta(
    lr: float = 0.5, steps: int = 1000, seeds: tuple[int, ...] = (0, 1, 2)
) -> dict[str, Any]:
    """The sigmoid MLP with BN, with learned γ and β, and with γ = 1 and β = 0 frozen.

    Returns the final test accuracy and training loss per seed, and for the learned run of
    the first seed the learned γ and β of every layer and the share of sigmoid inputs (on the
    test set) in the nearly linear range |z| < 1, for both variants.
    """
    data = digits()
    out: dict[str, Any] = {"seeds": list(seeds)}
    for name, affine in (("learned γ, β", True), ("frozen γ = 1, β = 0", False)):
        accs, losses, linear_share = [], [], []
        gammas: list[Any] = []
        betas: list[Any] = []
        for seed in seeds:
            torch.manual_seed(seed)
            model = _MLP(bn="before", affine=affine)
            run = _train(model, data, lr, steps, seed, eval_every=steps)
            accs.append(float(run["test_acc"][-1]))
            losses.append(model_loss(model, data.x_train, data.y_train))
            with torch.no_grad():
                z = model.layers(data.x_test)[1]
            linear_share.append([float((zi.abs() < 1).float().mean()) for zi in z])
            if affine and seed == seeds[0]:
                for norm in model.norms:
                    gammas.append(cast(BatchNorm1d, norm).weight.detach().numpy().copy())
                    betas.append(cast(BatchNorm1d, norm).bias.detach().numpy().copy())
        out[name] = {
            "test_acc": accs,
            "train_loss": losses,
            "linear_share": linear_share,
            "gamma": gammas,
            "beta": betas,
        }
    return out


def identity_check(seed: int = 0) -> dict[str, float]:
    r"""BN can undo itself: with \(\gamma = \sqrt{\sigma^2+\epsilon}\), \(\beta = \mu\), y = x.

    Returns the largest |y − x| on a random batch (float64) and, for comparison, the largest
    |y − x| with γ = 1, β = 0.
    """
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(60, 5, dtype=torch.float64, generator=gen) * 3 + 2
    mean, var = x.mean(0), x.var(0, unbiased=False)
    bn = BatchNorm1d(5, dtype=torch.float64)
    with torch.no_grad():
        plain = bn(x)
        bn.weight.copy_(torch.sqrt(var + bn.eps))
        bn.bias.copy_(mean)
        identity = bn(x)
    return {
        "identity": float((identity - x).abs().max()),
        "plain": float((plain - x).abs().max()),
    }


# --- Experiment: before or after the activation ------------------------------------------------


@cached
@torch_threads(1)
def placement(
    lr: float = 0.1,
    steps: int = 1000,
    seeds: tuple[int, ...] = (0, 1, 2),
    activation: str = "relu",
) -> dict[str, Any]:
    """The same MLP with BN before the activation, after it, and without BN, several seeds."""
    data = digits()
    out: dict[str, Any] = {"seeds": list(seeds), "lr": lr, "activation": activation}
    for bn in ("before", "after", "none"):
        runs = []
        for seed in seeds:
            torch.manual_seed(seed)
            model = _MLP(bn=bn, activation=activation)
            run = _train(model, data, lr, steps, seed)
            run["final_train_loss"] = model_loss(model, data.x_train, data.y_train)
            runs.append(run)
        out[bn] = runs
    return out


# --- Experiment: batch norm on feature maps ----------------------------------------------------


@cached
@torch_threads(1)
def conv_training(
    lrs: tuple[float, ...] = (0.02, 0.2), steps: int = 600, seed: int = 0
) -> dict[str, Any]:
    """A two-layer convolutional network on the 8×8 images, with and without BatchNorm2d."""
    data = digits(images=True)
    out: dict[str, Any] = {"lrs": list(lrs), "runs": {}}
    for lr in lrs:
        for bn in (False, True):
            torch.manual_seed(seed)
            out["runs"][(lr, bn)] = _train(_ConvNet(bn), data, lr, steps, seed)
    return out


@cached  # cheap, but loading the digits costs a warm build a second
@torch_threads(1)
def feature_map_statistics(seed: int = 0) -> dict[str, Any]:
    """Per-channel mean and std of the first conv layer's maps, before and after BatchNorm2d.

    Uses an untrained convolution on a batch of 60 digit images; the statistics are taken, as
    BatchNorm2d takes them, over the batch and all 8×8 positions of each channel.
    """
    torch.manual_seed(seed)
    x = digits(images=True).x_train[:60]
    conv, bn = nn.Conv2d(1, 4, 3, padding=1), BatchNorm2d(4)
    with torch.no_grad():
        maps = conv(x)
        normed = bn(maps)
    dims = (0, 2, 3)
    return {
        "shape": tuple(maps.shape),
        "m": maps.shape[0] * maps.shape[2] * maps.shape[3],
        "mean_before": maps.mean(dims).numpy(),
        "std_before": maps.std(dims, unbiased=False).numpy(),
        "mean_after": normed.mean(dims).numpy(),
        "std_after": normed.std(dims, unbiased=False).numpy(),
    }


# --- Experiment: the regularisation effect -----------------------------------------------------


@cached
@torch_threads(1)
def batch_noise(
    batch_sizes: tuple[int, ...] = (4, 8, 16, 32, 64, 128, 256),
    draws: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """How noisy are the batch mean and variance of one unit, against the batch size?

    The unit: the first pre-activation of the first layer of the trained BN network (the input
    of its first BatchNorm1d), over the N training images. For each batch size B, `draws`
    random batches (drawn without replacement) give a standard deviation of the batch mean and
    of the (biased) batch variance. Also returned: σ, the fourth central moment μ₄ and N, and
    the exact predictions for batches drawn without replacement from the N values:
    [`batch_mean_sd`][dlbasics.batch_norm.experiments.batch_mean_sd] and
    [`batch_variance_sd`][dlbasics.batch_norm.experiments.batch_variance_sd], and the
    textbook's first-order one for the variance, √((μ₄ − σ⁴)/B) (`var_sd_first_order`).
    """
    data = digits()
    model = _trained_mlp(learning_rate_sweep(seed=seed), 0.5, "before")
    with torch.no_grad():
        z = model.linears[0](data.x_train)[:, 0].double()
    gen = torch.Generator().manual_seed(seed)
    sigma = float(z.std(unbiased=False))
    mu4 = float(((z - z.mean()) ** 4).mean())
    out: dict[str, Any] = {
        "batch_sizes": list(batch_sizes),
        "sigma": sigma,
        "mu4": mu4,
        "n": len(z),
    }
    mean_sd, var_sd = [], []
    for b in batch_sizes:
        idx = torch.stack([torch.randperm(len(z), generator=gen)[:b] for _ in range(draws)])
        samples = z[idx]
        mean_sd.append(float(samples.mean(1).std()))
        var_sd.append(float(samples.var(1, unbiased=False).std()))
    out["mean_sd"], out["var_sd"] = mean_sd, var_sd
    n = len(z)
    out["mean_sd_exact"] = [batch_mean_sd(sigma**2, n, b) for b in batch_sizes]
    out["var_sd_exact"] = [batch_variance_sd(sigma**2, mu4, n, b) for b in batch_sizes]
    out["var_sd_first_order"] = [math.sqrt((mu4 - sigma**4) / b) for b in batch_sizes]
    return out


def batch_mean_sd(variance: float, n: int, b: int) -> float:
    r"""Standard deviation of the mean of \(B\) values drawn without replacement from \(N\)
    values of (population) variance \(\sigma^2\):
    \(\frac{\sigma}{\sqrt B}\sqrt{\frac{N - B}{N - 1}}\) (the finite-population correction)."""
    return math.sqrt(variance / b * (n - b) / (n - 1))


def batch_variance_sd(variance: float, mu4: float, n: int, b: int) -> float:
    r"""Standard deviation of the *biased* variance \(v = \frac1B\sum_i (x_i - \bar x)^2\) of
    \(B\) values drawn without replacement from \(N\) values with population variance
    \(\sigma^2\) and fourth central moment \(\mu_4\) (both with divisor \(N\)); exact for
    every \(B \ge 2\) and \(N \ge 4\):

    \[
    \operatorname{Var} v = \frac{N (N - B)(B - 1)}{B^3 (N-1)(N-2)(N-3)}
    \Big[(NB - N - B - 1)\,\mu_4 - \frac{N^2 (B - 3) + 6N - 3B - 3}{N - 1}\,\sigma^4\Big].
    \]

    As \(N \to \infty\) it becomes the i.i.d. formula
    \(\frac{(B-1)^2}{B^3}\mu_4 - \frac{(B-1)(B-3)}{B^3}\sigma^4\), whose leading term in
    \(1/B\) is the textbook \((\mu_4 - \sigma^4)/B\). Derived by expanding \(v^2\) into sums
    over the sampled indices (with the inclusion probabilities
    \(B(B-1)\cdots/(N(N-1)\cdots)\) of sampling without replacement); the tests check it by
    enumerating every batch of a small population.
    """
    if n < 4 or not 2 <= b <= n:
        raise ValueError(f"need N >= 4 and 2 <= B <= N, got N={n}, B={b}")
    s4 = variance**2
    factor = n * (n - b) * (b - 1) / (b**3 * (n - 1) * (n - 2) * (n - 3))
    bracket = (n * b - n - b - 1) * mu4 - (n**2 * (b - 3) + 6 * n - 3 * b - 3) / (n - 1) * s4
    return math.sqrt(max(factor * bracket, 0.0))


@cached
@torch_threads(1)
def ghost_batches(
    ghost_sizes: tuple[int, ...] = (4, 10, 30, 120),
    batch_size: int = 120,
    lr: float = 0.5,
    steps: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """The train/test gap when BN's statistics come from smaller pieces of each batch.

    Every run takes the same SGD steps on batches of `batch_size`; only the number of examples
    over which BN computes its mean and variance (the "ghost" batch) changes. The gradient
    noise of SGD is the same in all runs, so what changes is the noise BN injects. A run
    without BN is the reference.
    """
    data = digits()
    out: dict[str, Any] = {"ghost_sizes": list(ghost_sizes), "runs": {}}
    for ghost in (*ghost_sizes, None):
        torch.manual_seed(seed)
        model = _MLP(bn="none") if ghost is None else _MLP(bn="before", ghost=ghost)
        _train(model, data, lr, steps, seed, batch_size=batch_size, eval_every=steps)
        out["runs"]["no BN" if ghost is None else ghost] = {
            "train_loss": model_loss(model, data.x_train, data.y_train),
            "test_loss": model_loss(model, data.x_test, data.y_test),
            "train_acc": model_accuracy(model, data.x_train, data.y_train),
            "test_acc": model_accuracy(model, data.x_test, data.y_test),
        }
    return out


# --- Experiment: batch norm at test time -------------------------------------------------------


@cached
@torch_threads(1)
def test_time_statistics(
    batch_sizes: tuple[int, ...] = (2, 4, 8, 16, 64, 256),
    draws: int = 200,
    example: int = 0,
    lr: float = 0.5,
    seed: int = 0,
) -> dict[str, Any]:
    """One test example evaluated with batch statistics, among random batch-mates.

    For each batch size B, `draws` batches made of test example `example` and B − 1 other
    random test images: the log-odds of the example's true class,
    log p − log(1 − p), when the BN network normalises with the batch's statistics
    (training-mode normalisation, running averages untouched); and the test accuracy when
    the test set is evaluated that way in shuffled batches of B. Every test image is scored
    once per row: the last, incomplete batch is filled up with other random test images,
    which are not scored again. The eval-mode (running statistics) numbers are the
    reference: one value, whatever the batch.
    """
    data = digits()
    model = _trained_mlp(learning_rate_sweep(seed=seed), lr, "before")
    batch_model = copy.deepcopy(model).train()
    for norm in batch_model.norms:
        cast(BatchNorm1d, norm).momentum = 0.0  # normalise with the batch, leave the averages
    gen = torch.Generator().manual_seed(seed)
    n = len(data.x_test)
    label = int(data.y_test[example])
    others = torch.cat([torch.arange(example), torch.arange(example + 1, n)])

    def log_odds(logits: Tensor) -> float:
        log_p = logits.log_softmax(1)[0, label]
        return float(log_p - torch.log1p(-log_p.exp()))

    out: dict[str, Any] = {
        "batch_sizes": list(batch_sizes),
        "log_odds": [],
        "accuracy": [],
        "scored": [],
        "n": n,
    }
    with torch.no_grad():
        out["eval_log_odds"] = log_odds(model(data.x_test[example : example + 1]))
        out["eval_accuracy"] = model_accuracy(model, data.x_test, data.y_test)
        for b in batch_sizes:
            values = []
            for _ in range(draws):
                mates = others[torch.randperm(n - 1, generator=gen)[: b - 1]]
                x = torch.cat([data.x_test[example : example + 1], data.x_test[mates]])
                values.append(log_odds(batch_model(x)))
            out["log_odds"].append(values)
            order = torch.randperm(n, generator=gen)
            correct, scored = 0, 0
            for chunk in order.split(b):
                k = len(chunk)
                if k < b:  # fill the last batch up with other images; score only its own
                    rest = order[torch.randperm(n - k, generator=gen)[: b - k]]
                    chunk = torch.cat([chunk, rest])
                hits = batch_model(data.x_test[chunk]).argmax(1) == data.y_test[chunk]
                correct += int(hits[:k].sum())
                scored += k
            out["accuracy"].append(correct / scored)
            out["scored"].append(scored)
    return out


@cached
@torch_threads(1)
def eval_mode_pitfall(lr: float = 0.5, batch_size: int = 60, seed: int = 0) -> dict[str, float]:
    """What forgetting `model.eval()` does to the trained BN network on the test set.

    Test accuracy (a) in evaluation mode; (b) in training mode, in shuffled batches of
    `batch_size`; (c) in training mode, in batches sorted by class (one digit per batch, as
    a data set stored class by class would give). Training mode also updates the running
    statistics: (d) the evaluation-mode accuracy after pass (b), and (e) after pass (c).
    """
    data = digits()
    trained = learning_rate_sweep(seed=seed)
    gen = torch.Generator().manual_seed(seed)
    shuffled = torch.randperm(len(data.x_test), generator=gen)
    by_class = torch.argsort(data.y_test, stable=True)
    evaluated = _trained_mlp(trained, lr, "before")
    out = {"eval mode": model_accuracy(evaluated, data.x_test, data.y_test)}
    for name, order in (("shuffled", shuffled), ("sorted by class", by_class)):
        model = _trained_mlp(trained, lr, "before").train()
        correct = 0
        with torch.no_grad():
            for chunk in order.split(batch_size):
                correct += int((model(data.x_test[chunk]).argmax(1) == data.y_test[chunk]).sum())
        out[f"train mode, {name} batches"] = correct / len(order)
        out[f"eval mode after the {name} pass"] = model_accuracy(
            model.eval(), data.x_test, data.y_test
        )
    return out


def momentum_weights(momentum: float | None = 0.1, batches: int = 8) -> list[float]:
    """The weight of each past batch in `running_mean`, read off our BatchNorm1d.

    Batch k (of `batches`) has mean 1 in channel k and 0 elsewhere, so after feeding them all
    (from a running mean of 0) channel k of `running_mean` *is* the weight of batch k.
    Returned newest first.
    """
    bn = BatchNorm1d(batches, momentum=momentum, affine=False, dtype=torch.float64)
    for k in range(batches):
        x = torch.zeros(2, batches, dtype=torch.float64)
        x[0, k], x[1, k] = 0.5, 1.5  # mean 1 in channel k
        bn(x)
    assert bn.running_mean is not None
    return bn.running_mean.flip(0).tolist()


@cached
@torch_threads(1)
def running_statistics(
    batch_sizes: tuple[int, ...] = (2, 4, 16, 60),
    batches: int = 400,
    lr: float = 0.5,
    seed: int = 0,
) -> dict[str, Any]:
    """Biased batch variance vs torch's unbiased running variance, against the batch size.

    For the input of the first BatchNorm1d of the trained network, over the training set:
    the population variance σ² of each unit, the average over `batches` random batches of
    the *biased* batch variance (what training normalises with) and the running variance
    that BatchNorm1d(momentum=None) accumulates over the same batches (unbiased). Each is
    reported relative to σ², averaged over the 100 units.
    """
    data = digits()
    model = _trained_mlp(learning_rate_sweep(seed=seed), lr, "before")
    with torch.no_grad():
        z = model.linears[0](data.x_train).double()
    population = z.var(0, unbiased=False)
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, Any] = {"batch_sizes": list(batch_sizes), "biased": [], "running": []}
    for b in batch_sizes:
        bn = BatchNorm1d(z.shape[1], momentum=None, affine=False, dtype=torch.float64)
        biased = torch.zeros_like(population)
        for _ in range(batches):
            x = z[torch.randperm(len(z), generator=gen)[:b]]
            biased += x.var(0, unbiased=False) / batches
            bn(x)
        assert bn.running_var is not None
        out["biased"].append(float((biased / population).mean()))
        out["running"].append(float((bn.running_var / population).mean()))
    return out


# --- Experiment: our BatchNorm1d against torch's -----------------------------------------------


@cached
@torch_threads(1)
def ours_vs_torch(steps: int = 300, lr: float = 0.5, seed: int = 0) -> dict[str, Any]:
    """Train the sigmoid MLP twice from the same weights on the same batches: with our
    BatchNorm1d and with torch's. Largest output difference on the test set (train and eval
    mode) after 1 step and after `steps` steps, in float32 and float64.
    """
    out: dict[str, Any] = {"steps": steps}
    for dtype in (torch.float32, torch.float64):
        data = digits(dtype=dtype)
        models = []
        for norm in (BatchNorm1d, nn.BatchNorm1d):
            torch.manual_seed(seed)
            models.append(_MLP(bn="before", norm=norm).to(dtype))
        batches = _batches(len(data.x_train), _BATCH, steps, seed + 1)
        opts = [torch.optim.SGD(m.parameters(), lr=lr) for m in models]
        row: dict[str, float] = {}
        # The two networks are independent: train both to step 1, compare, then on to `steps`.
        for step, todo in ((1, batches[:1]), (steps, batches[1:])):
            for model, opt in zip(models, opts, strict=True):
                model.train()
                fit(opt, todo, classification_loss(model, data.x_train, data.y_train))
            with torch.no_grad():
                for mode in ("train", "eval"):
                    outs = [copy.deepcopy(m).train(mode == "train")(data.x_test) for m in models]
                    row[f"{mode} mode, after {step} step{'s' if step > 1 else ''}"] = float(
                        (outs[0] - outs[1]).abs().max()
                    )
        out[str(dtype).replace("torch.", "")] = row
    return out


def _mean_acc(run: dict[str, Any], last: int = 5) -> float:
    return float(np.mean(run["test_acc"][-last:]))


#: The four measurements of `training_path` that the page compares.
PATH_MEASURES = ("dist_shift", "grad_shift", "loss_range", "lipschitz")


def training_path_phases(
    result: dict[str, Any], band: tuple[float, float] = (0.15, 1.0), plateau: float = 2.0
) -> dict[str, Any]:
    """Summaries of a `training_path` result per seed: `(without BN, with BN)` medians of
    each measurement over the whole path, and over the measured steps whose batch loss lies
    in `band` (the same loss levels for both networks: matched phases).

    Also the first measured step at which each network's batch loss falls below `plateau`
    (its plateau's end; `None` if never), and how many measurements fell in the band.
    """
    lo, hi = band
    out: dict[str, Any] = {"band": band, "whole": {}, "matched": {}, "count": {}, "plateau": {}}
    for bn in ("none", "before"):
        runs = result[bn]
        out["count"][bn] = [int(((r["loss"] >= lo) & (r["loss"] <= hi)).sum()) for r in runs]
        out["plateau"][bn] = []
        for r in runs:
            below = np.flatnonzero(r["loss"] < plateau)
            out["plateau"][bn].append(int(r["step"][below[0]]) if below.size else None)
    for key in PATH_MEASURES:
        whole, matched = [], []
        for bn in ("none", "before"):
            runs = result[bn]
            whole.append([float(np.median(r[key])) for r in runs])
            inside = [(r["loss"] >= lo) & (r["loss"] <= hi) for r in runs]
            matched.append(
                [
                    float(np.median(r[key][m])) if m.any() else math.nan
                    for r, m in zip(runs, inside, strict=True)
                ]
            )
        out["whole"][key] = (whole[0], whole[1])
        out["matched"][key] = (matched[0], matched[1])
    return out


# --- Explorables: the learning rate, and γ and β in front of a sigmoid -------------------------


#: The learning rates of the learning-rate explorable: the sweep's four and two more.
EXPLORER_LRS = (0.05, 0.5, 3.0, 7.0, 15.0, 50.0)

#: What a training run did, as `run_verdict` names it.
VERDICTS = ("passes 90 %", "stays below 90 %", "diverges")


def run_verdict(run: dict[str, Any]) -> str:
    """One of `VERDICTS` for a training record: "diverges" when the final training loss is not
    finite or above twice the chance level ln 10 (the network predicts confidently and
    wrongly); "passes 90 %" when the final test accuracy (mean of the last 5 evaluations)
    reaches 0.9; "stays below 90 %" otherwise."""
    loss = float(run["train_loss"][-1])
    if not math.isfinite(loss) or loss > 2 * math.log(10):
        return VERDICTS[2]
    return VERDICTS[0] if _mean_acc(run) >= 0.9 else VERDICTS[1]


@cached
@torch_threads(1)
def learning_rate_run(
    lr: float, bn: str, steps: int = _SWEEP_STEPS, seed: int = 0
) -> dict[str, Any]:
    """One run of the sigmoid MLP at rate `lr` with (`bn="before"`) or without (`"none"`) BN:
    the step, test accuracy and smoothed training loss every 25 steps. Taken from
    `learning_rate_sweep` where the sweep has this run; trained the same way otherwise."""
    run = None
    if lr in _SWEEP_LRS and steps == _SWEEP_STEPS and bn in ("none", "before"):
        sweep = learning_rate_sweep(seed=seed)
        if lr in sweep["lrs"] and sweep["steps"] == steps:  # (tests shrink the sweep)
            run = sweep["runs"][(lr, bn)]
    if run is None:
        torch.manual_seed(seed)
        run = _train(_MLP(bn=bn), digits(), lr, steps, seed)
    return {key: run[key] for key in ("step", "test_acc", "train_loss")}


@cached
@torch_threads(1)
def learning_rate_explorer(
    lrs: tuple[float, ...] = EXPLORER_LRS, steps: int = _SWEEP_STEPS, seed: int = 0
) -> dict[str, Any]:
    """For every rate of `lrs`, with and without BN: the training record of
    `learning_rate_run`, its final test accuracy (mean of the last 5 evaluations), its final
    smoothed training loss and its `run_verdict`."""
    runs = {}
    for lr in lrs:
        for bn in ("none", "before"):
            run = learning_rate_run(lr, bn, steps, seed)
            runs[(lr, bn)] = {
                **run,
                "final_acc": _mean_acc(run),
                "final_loss": float(run["train_loss"][-1]),
                "verdict": run_verdict(run),
            }
    return {"lrs": list(lrs), "steps": steps, "runs": runs}


#: The γ and β of the sigmoid explorable.
EXPLORER_GAMMAS = (0.5, 1.0, 2.0, 4.0, 8.0)
EXPLORER_BETAS = (-4.0, 0.0, 4.0)  # 5 × 3 frames: the page keeps within its cold budget

_Z_EDGES = np.linspace(-22, 22, 45)  # histogram bins of z = γx̂ + β (outliers in the end bins)
_S_EDGES = np.linspace(0, 1, 26)  # ... and of σ(z)


def sigmoid_input_stats(x_hat: Any, gamma: float, beta: float) -> dict[str, float]:
    """For z = γx̂ + β in front of a sigmoid: the share of z in (−1, 1), where σ is nearly
    linear; the share with σ(z) outside (0.05, 0.95), where it saturates; and the mean and
    standard deviation of σ(z)."""
    z = gamma * np.asarray(x_hat, dtype=float) + beta
    s = 1 / (1 + np.exp(-z))
    return {
        "linear_share": float(np.mean(np.abs(z) < 1)),
        "saturated_share": float(np.mean((s < 0.05) | (s > 0.95))),
        "output_mean": float(s.mean()),
        "output_sd": float(s.std()),
    }


@cached
@torch_threads(1)
def sigmoid_explorer(
    gammas: tuple[float, ...] = EXPLORER_GAMMAS,
    betas: tuple[float, ...] = EXPLORER_BETAS,
    lr: float = 0.5,
    seed: int = 0,
) -> dict[str, Any]:
    """The normalised input x̂ of the page's unit (`learning_rate_sweep`'s unit: sigmoid 0
    of the third hidden layer) over the test set, in the BN network trained at `lr`
    (evaluation mode, running statistics), and for every (γ, β): histograms of γx̂ + β and of
    σ(γx̂ + β), and `sigmoid_input_stats`. Also the γ and β the network learned for that
    unit."""
    data = digits()
    sweep = learning_rate_sweep(seed=seed)
    model = _trained_mlp(sweep, lr, "before")
    layer, unit = sweep["unit"]
    norm = cast(BatchNorm1d, model.norms[layer])
    with torch.no_grad():
        z = model.linears[layer](model.layers(data.x_test)[2][layer])
        assert norm.running_mean is not None and norm.running_var is not None
        x_hat = batch_norm(z, norm.running_mean, norm.running_var, eps=norm.eps)[:, unit]
    x_hat_np = x_hat.double().numpy()
    frames = {}
    for gamma in gammas:
        for beta in betas:
            pre = np.clip(gamma * x_hat_np + beta, _Z_EDGES[0], _Z_EDGES[-1])
            frames[(gamma, beta)] = {
                "z_counts": np.histogram(pre, _Z_EDGES)[0],
                "s_counts": np.histogram(1 / (1 + np.exp(-pre)), _S_EDGES)[0],
                **sigmoid_input_stats(x_hat_np, gamma, beta),
            }
    return {
        "x_hat": x_hat_np,
        "z_edges": _Z_EDGES,
        "s_edges": _S_EDGES,
        "frames": frames,
        "learned": (norm.weight[unit].item(), norm.bias[unit].item()),
        "layer": layer,
        "unit": unit,
    }


# --- Exercises: every answer computed by the library ------------------------------------------

_X = (1.0, 2.0, 3.0, 6.0)  # the exercises' batch of one unit


def _column(values: tuple[float, ...]) -> Tensor:
    return torch.tensor(values, dtype=torch.float64).reshape(-1, 1)


def bn_output_answer(
    x: tuple[float, ...] = _X, gamma: float = 2.0, beta: float = 1.0, index: int = 3
) -> float:
    """Training-mode BN of the batch `x` (one unit) with ε = 0: the output for `x[index]`."""
    y = batch_norm(_column(x), None, None, _column((gamma,))[0], _column((beta,))[0], True, eps=0.0)
    return float(y[index, 0])


def running_mean_answer(x: tuple[float, ...] = _X, momentum: float = 0.1) -> float:
    """`running_mean` of our BatchNorm1d after one training step on `x`, from 0."""
    bn = BatchNorm1d(1, momentum=momentum, dtype=torch.float64)
    bn(_column(x))
    return float(cast(Tensor, bn.running_mean)[0])


def running_var_answer(x: tuple[float, ...] = _X, momentum: float = 0.1) -> float:
    """`running_var` of our BatchNorm1d after one training step on `x`, from 1."""
    bn = BatchNorm1d(1, momentum=momentum, dtype=torch.float64)
    bn(_column(x))
    return float(cast(Tensor, bn.running_var)[0])


def bn_gradient_answer(
    x: tuple[float, ...] = _X, gamma: float = 2.0, upstream: tuple[float, ...] = (1, 0, 0, 0)
) -> float:
    """∂L/∂x₁ of training-mode BN (ε = 0) when ∂L/∂y = `upstream`, through the library's
    hand-written backward pass."""
    leaf = _column(x).requires_grad_()
    y = batch_norm(leaf, None, None, _column((gamma,))[0], None, training=True, eps=0.0)
    y.backward(_column(upstream))
    return float(cast(Tensor, leaf.grad)[0, 0])


def folded_bias_answer(
    w: float = 2.0,
    b: float = 1.0,
    mean: float = 3.0,
    var: float = 4.0,
    gamma: float = 0.5,
    beta: float = 1.0,
) -> float:
    """The bias of `fold_batch_norm` for the layer z = w·x + b followed by BN in evaluation
    mode with running statistics (`mean`, `var`) and parameters γ, β."""
    linear = nn.Linear(1, 1).double()
    norm = BatchNorm1d(1, dtype=torch.float64).eval()
    with torch.no_grad():
        linear.weight.fill_(w), linear.bias.fill_(b)
        norm.weight.fill_(gamma), norm.bias.fill_(beta)
        cast(Tensor, norm.running_mean).fill_(mean), cast(Tensor, norm.running_var).fill_(var)
    return cast(Tensor, fold_batch_norm(linear, norm).bias)[0].item()


def halving_batch_answer(b: int = 16) -> int:
    """The smallest batch whose batch mean has half the standard deviation of a batch of `b`,
    for an unlimited population (N → ∞: no finite-population correction)."""
    n = 10**12
    target = batch_mean_sd(1.0, n, b) / 2
    size = b
    while batch_mean_sd(1.0, n, size) > target * (1 + 1e-9):
        size += 1
    return size


#: The changes of a batch in the batch-dependence exercise, applied to examples 1 to m.
BATCH_CHANGES = (
    "add 5 to every value of the unit",
    "multiply every value of the unit by 3",
    "reverse the order of the examples",
    "replace the last example by a new one",
)


def batch_dependence_answer(seed: int = 0) -> int:
    """Which of `BATCH_CHANGES` moves the training-mode BN output of the first example
    (by more than 10⁻⁴, with ε = 10⁻⁵): the index of the only one that does."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(8, 1, generator=gen, dtype=torch.float64)
    new = torch.randn(1, 1, generator=gen, dtype=torch.float64)
    changed = [  # (the changed batch, where the first example is now)
        (x + 5, 0),
        (x * 3, 0),
        (x.flip(0), len(x) - 1),
        (torch.cat([x[:-1], new]), 0),
    ]
    before = batch_norm(x, None, None, training=True)[0]
    moved = [
        bool((batch_norm(c, None, None, training=True)[i] - before).abs() > 1e-4)
        for c, i in changed
    ]
    if moved.count(True) != 1:
        raise ValueError(f"expected exactly one change to move the output, got {moved}")
    return moved.index(True)


def highest_rate_answer(lr: float = 50.0, steps: int = _SWEEP_STEPS) -> int:
    """What the BN network does at rate `lr`: the index of its `run_verdict` in `VERDICTS`."""
    return VERDICTS.index(run_verdict(learning_rate_run(lr, "before", steps)))
