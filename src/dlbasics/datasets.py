"""Offline data for the experiments: nothing here downloads.

- [`load_digits_split`][dlbasics.datasets.load_digits_split]: scikit-learn's 8×8 handwritten
  digits (1,797 images shipped inside its wheel), standardised and split into train and test.

Image loaders for the style-transfer page live in this module too (see its section below).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = [
    "IMAGE_NAMES",
    "IMAGE_SOURCES",
    "DigitsSplit",
    "abstract_painting",
    "load_digits_split",
    "load_image",
    "load_lfw_subset",
    "require",
    "stained_glass",
]


def require(module: str, extra: str) -> Any:
    """Import `module`, or raise an `ImportError` that names the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{module} is needed for this function; install it with "
            f"`pip install 'dlbasics[{extra}]'`"
        ) from error


@dataclass(frozen=True)
class DigitsSplit:
    """Train and test tensors of the digits data set.

    Attributes:
        x_train: (N_train, 64) float tensor, standardised with the training mean and std.
        y_train: (N_train,) int64 class labels 0–9.
        x_test: (N_test, 64) float tensor, standardised with the *training* statistics.
        y_test: (N_test,) int64 class labels.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(
    test_fraction: float = 0.25,
    *,
    seed: int = 0,
    standardize: bool = True,
    dtype: torch.dtype = torch.float32,
    images: bool = False,
) -> DigitsSplit:
    """scikit-learn's digits, shuffled with `seed` and split into train and test.

    Args:
        test_fraction: Share of the 1,797 images held out, in (0, 1).
        seed: Seed of the shuffle.
        standardize: Subtract the training mean and divide by the training std per pixel
            (x ↦ (x − μ_train) / σ_train); otherwise pixels are scaled to [0, 1].
        dtype: Floating dtype of the inputs.
        images: Return inputs shaped (N, 1, 8, 8) instead of (N, 64).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch dtype, got {dtype}")
    sklearn_datasets = require("sklearn.datasets", "datasets")
    digits = sklearn_datasets.load_digits()
    x = digits.data.astype(np.float64) / 16.0
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = round(len(x) * test_fraction)
    x_test, y_test, x_train, y_train = x[:n_test], y[:n_test], x[n_test:], y[n_test:]
    if standardize:
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        std[std == 0] = 1.0  # the always-blank corner pixels
        x_train = (x_train - mean) / std
        x_test = (x_test - mean) / std

    def tensor(a: np.ndarray) -> torch.Tensor:
        t = torch.as_tensor(a, dtype=dtype)
        return t.reshape(-1, 1, 8, 8) if images else t

    return DigitsSplit(
        tensor(x_train), torch.as_tensor(y_train), tensor(x_test), torch.as_tensor(y_test)
    )


# --- Images ------------------------------------------------------------------------------
#
# Content and style images for the style-transfer page, all offline: a photograph shipped
# with matplotlib, the sample images of scikit-image, and two style images that this module
# paints itself (so no painting has to be downloaded or licensed).

IMAGE_SOURCES: dict[str, str] = {
    "grace_hopper": "matplotlib sample data (grace_hopper.jpg)",
    "astronaut": "scikit-image (NASA, public domain)",
    "chelsea": "scikit-image (Stéfan van der Walt's cat, CC0)",
    "coffee": "scikit-image (Rachel Michetti, CC0)",
    "rocket": "scikit-image (SpaceX, CC0)",
    "hubble_deep_field": "scikit-image (NASA/ESA, public domain)",
    "brick": "scikit-image texture (CC0)",
    "grass": "scikit-image texture (CC0)",
    "gravel": "scikit-image texture (CC0)",
    "stained_glass": "drawn by dlbasics.datasets.stained_glass",
    "abstract_painting": "drawn by dlbasics.datasets.abstract_painting",
}

"""Every image [`load_image`][dlbasics.datasets.load_image] knows, and where it comes from."""

IMAGE_NAMES: tuple[str, ...] = tuple(IMAGE_SOURCES)
"""The names accepted by [`load_image`][dlbasics.datasets.load_image]."""

_SKIMAGE_NAMES = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field")
_SKIMAGE_TEXTURES = ("brick", "grass", "gravel")


def _check_size(size: int, name: str = "size") -> int:
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(size).__name__}")
    if size < 16:
        raise ValueError(f"{name} must be >= 16 pixels, got {size}")
    return int(size)


def stained_glass(size: int = 256, *, cells: int = 70, seed: int = 0) -> np.ndarray:
    """A stained-glass window: Voronoi cells of jewel colours between dark lead lines.

    Each pixel belongs to its nearest seed point (a Voronoi cell); a pixel whose distances
    to the nearest and the second-nearest seed differ by less than a few pixels lies on
    the lead between two panes. Each pane gets a saturated colour and a soft light
    gradient, as light through uneven glass.

    Args:
        size: Side of the square image in pixels (>= 16).
        cells: Number of panes (>= 2).
        seed: Seed of the layout and colours.

    Returns:
        A (size, size, 3) uint8 RGB array.
    """
    size = _check_size(size)
    if isinstance(cells, bool) or not isinstance(cells, int) or cells < 2:
        raise ValueError(f"cells must be an int >= 2, got {cells!r}")
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, size, size=(cells, 2))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    pixels = np.stack([yy.ravel(), xx.ravel()], axis=1)
    distance = np.sqrt(((pixels[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    nearest_two = np.partition(distance, 1, axis=1)[:, :2]
    owner = distance.argmin(axis=1)
    palette = np.array(
        [
            [178, 24, 43],  # ruby
            [33, 102, 172],  # cobalt
            [27, 120, 55],  # emerald
            [240, 190, 40],  # amber
            [118, 42, 131],  # amethyst
            [67, 162, 202],  # sky
            [230, 97, 1],  # orange
            [200, 220, 230],  # clear glass
        ],
        dtype=np.float64,
    )
    colours = palette[rng.integers(0, len(palette), size=cells)]
    colours *= rng.uniform(0.75, 1.1, size=(cells, 1))
    # A light gradient across each pane: brighter towards a random side.
    direction = rng.normal(size=(cells, 2))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    offset = ((pixels - points[owner]) * direction[owner]).sum(1) / (size / np.sqrt(cells))
    shade = np.clip(1.0 + 0.35 * offset, 0.55, 1.35)
    image = colours[owner] * shade[:, None]
    lead_width = max(1.0, size / 110)
    lead = (nearest_two[:, 1] - nearest_two[:, 0]) < lead_width
    image[lead] = 25.0
    return np.clip(image, 0, 255).round().astype(np.uint8).reshape(size, size, 3)


def abstract_painting(size: int = 256, *, strokes: int = 40, seed: int = 0) -> np.ndarray:
    """An abstract painting: bold curved brush strokes and discs on a warm ground.

    Strokes are quadratic Bézier curves drawn as chains of overlapping discs whose
    radius varies along the stroke, in a small palette of primaries and earth colours.

    Args:
        size: Side of the square image in pixels (>= 16).
        strokes: Number of brush strokes (>= 1).
        seed: Seed of the composition.

    Returns:
        A (size, size, 3) uint8 RGB array.
    """
    from PIL import Image, ImageDraw, ImageFilter

    size = _check_size(size)
    if isinstance(strokes, bool) or not isinstance(strokes, int) or strokes < 1:
        raise ValueError(f"strokes must be an int >= 1, got {strokes!r}")
    rng = np.random.default_rng(seed)
    palette = [
        (214, 40, 40),
        (247, 127, 0),
        (252, 191, 73),
        (0, 48, 73),
        (42, 157, 143),
        (30, 30, 30),
        (69, 123, 157),
        (241, 250, 238),
    ]
    canvas = Image.new("RGB", (size, size), (234, 226, 205))
    draw = ImageDraw.Draw(canvas)
    for _ in range(strokes // 5):  # a few large discs and rings underneath
        cx, cy = rng.uniform(0, size, 2)
        r = rng.uniform(0.05, 0.18) * size
        colour = palette[rng.integers(len(palette))]
        if rng.random() < 0.5:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
        else:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=colour, width=int(r / 4) + 1)
    for _ in range(strokes):
        p0, p1, p2 = rng.uniform(-0.1, 1.1, size=(3, 2)) * size
        base = np.array(palette[rng.integers(len(palette))], dtype=np.float64)
        width = rng.uniform(0.01, 0.04) * size
        for t in np.linspace(0, 1, 240):
            point = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2
            r = width * (0.6 + 0.4 * np.sin(np.pi * t))
            tint = np.clip(base + rng.normal(0, 8, 3), 0, 255).astype(int)
            draw.ellipse(
                [point[0] - r, point[1] - r, point[0] + r, point[1] + r],
                fill=(int(tint[0]), int(tint[1]), int(tint[2])),
            )
    canvas = canvas.filter(ImageFilter.GaussianBlur(radius=size / 512))
    return np.asarray(canvas, dtype=np.uint8).copy()


def load_image(name: str) -> np.ndarray:
    """One of the offline images of [`IMAGE_NAMES`][dlbasics.datasets.IMAGE_NAMES], as uint8 RGB.

    `grace_hopper` is matplotlib's sample photograph (512×600); `astronaut`, `chelsea`,
    `coffee`, `rocket` and `hubble_deep_field` are scikit-image's sample photographs;
    `brick`, `grass` and `gravel` its grey textures (repeated into three channels);
    `stained_glass` and `abstract_painting` are drawn at 512×512 by
    [`stained_glass`][dlbasics.datasets.stained_glass] and
    [`abstract_painting`][dlbasics.datasets.abstract_painting].

    Returns:
        An (H, W, 3) uint8 array.
    """
    if not isinstance(name, str) or name not in IMAGE_SOURCES:
        raise ValueError(f"name must be one of {', '.join(IMAGE_NAMES)}; got {name!r}")
    if name == "grace_hopper":
        import matplotlib.cbook

        Image = require("PIL.Image", "vision")
        sample: Any = matplotlib.cbook.get_sample_data("grace_hopper.jpg")
        with sample as f:
            return np.asarray(Image.open(f).convert("RGB"), dtype=np.uint8).copy()
    if name == "stained_glass":
        return stained_glass(512)
    if name == "abstract_painting":
        return abstract_painting(512)
    skimage_data = require("skimage.data", "vision")
    array = np.asarray(getattr(skimage_data, name)())
    if name in _SKIMAGE_TEXTURES:
        array = np.repeat(array[:, :, None], 3, axis=2)
    return np.ascontiguousarray(array[:, :, :3], dtype=np.uint8)


def load_lfw_subset() -> tuple[np.ndarray, np.ndarray]:
    """scikit-image's `lfw_subset`: 100 face and 100 non-face 25×25 grey crops, offline.

    Returns:
        `(images, labels)`: a (200, 25, 25) float64 array in [0, 1] and (200,) int64 labels,
        1 for a face (from Labeled Faces in the Wild) and 0 for a non-face patch.
    """
    skimage_data = require("skimage.data", "vision")
    images = np.asarray(skimage_data.lfw_subset(), dtype=np.float64)
    labels = np.r_[np.ones(100, dtype=np.int64), np.zeros(100, dtype=np.int64)]
    return images, labels
