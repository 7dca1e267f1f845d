"""The figures and tables of the transfer-learning and style-transfer page.

Images, loss histories and probe accuracies from `dlbasics.style_transfer.experiments` in,
HTML or Markdown out. Rendering is cached, keyed on the data. One colour per meaning on the
page: [`REPRESENTATION_COLORS`][dlbasics.style_transfer.figures.REPRESENTATION_COLORS] for
the transfer-learning representations,
[`IMAGE_COLORS`][dlbasics.style_transfer.figures.IMAGE_COLORS] for the photographs of the
line-search comparison.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dlbasics.cache import cached
from dlbasics.plotting import COLORS
from dlbasics.style_transfer.experiments import precision_differences

__all__ = [
    "IMAGE_COLORS",
    "REPRESENTATION_COLORS",
    "SCRUB_SIDE",
    "draw_showcase_frame",
    "draw_weight_frame",
    "plot_histories",
    "plot_images",
    "plot_line_search",
    "plot_probe",
    "plot_showcase",
    "plot_showcase_explorer",
    "plot_weight_explorer",
    "table_layer_shares",
    "text_precision",
]

REPRESENTATION_COLORS: dict[str, str] = {
    "pretrained pool5": COLORS[0],
    "pretrained relu4_4 (mean)": COLORS[1],
    "random VGG19 pool5": COLORS[2],
    "raw pixels": COLORS[7],
}
"""One colour per representation of the linear probe (its resolution is the line style)."""

IMAGE_COLORS: dict[str, str] = {
    "grace_hopper": COLORS[3],
    "chelsea": COLORS[4],
    "coffee": COLORS[5],
    "astronaut": COLORS[6],
}
"""One colour per photograph of the line-search and optimiser comparisons (none shared with
the representations)."""


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_images(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    *,
    alt: str,
    ncols: int | None = None,
    width: float = 7.6,
) -> str:
    """A row (or grid) of images with titles (11 pt), as a WebP figure (photographs: PNG
    would be several times larger)."""
    from dlbasics.plotting import fig_to_webp, new_figure

    n = len(images)
    ncols = ncols or n
    nrows = math.ceil(n / ncols)
    h, w = images[0].shape[:2]
    fig, axes = new_figure(
        nrows, ncols, width=width, height=width / ncols * h / w * nrows + 0.45 * nrows
    )
    for ax, image, title in zip(np.atleast_1d(axes).ravel(), images, titles, strict=False):
        ax.imshow(image, interpolation="lanczos")
        ax.set_title(title, fontsize=11)
    for ax in np.atleast_1d(axes).ravel():
        ax.set_axis_off()
    return fig_to_webp(fig, alt=alt, dpi=100, quality=88)


def _side_by_side(images: Sequence[np.ndarray], gap: int) -> np.ndarray:
    """Images next to each other, vertically centred, on a transparent RGBA canvas."""
    height = max(i.shape[0] for i in images)
    width = sum(i.shape[1] for i in images) + gap * (len(images) - 1)
    canvas = np.zeros((height, width, 4), dtype=np.uint8)
    left = 0
    for image in images:
        top = (height - image.shape[0]) // 2
        canvas[top : top + image.shape[0], left : left + image.shape[1], :3] = image
        canvas[top : top + image.shape[0], left : left + image.shape[1], 3] = 255
        left += image.shape[1] + gap
    return canvas


@cached
def plot_showcase(images: Sequence[np.ndarray], *, alt: str, enlarge: int = 3) -> str:
    """Images side by side at their native resolution (one image pixel per CSS pixel), a
    PNG; a click opens a copy `enlarge` times larger, each pixel a block (no smoothing)."""
    from dlbasics.plotting import image_to_png

    canvas = _side_by_side(images, gap=12)
    small = image_to_png(canvas, alt=alt)
    big = image_to_png(np.repeat(np.repeat(canvas, enlarge, 0), enlarge, 1), alt=alt)
    src = big.split('src="', 1)[1].split('"', 1)[0]
    inner = small.removeprefix('<figure class="dlb-figure">').removesuffix("</figure>")
    title = html.escape(f"Open at {enlarge}× (pixels enlarged, not smoothed)", quote=True)
    link = f'<a href="{src}" title="{title}">{inner}</a>'
    return f'<figure class="dlb-figure">{link}</figure>'


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_histories(
    curves: dict[str, Sequence[float]],
    *,
    alt: str,
    colors: Sequence[str] | None = None,
    styles: Sequence[str] | None = None,
    ylabel: str = "total loss",
    logy: bool = True,
) -> str:
    """Losses against evaluations, one line per run, as SVG (`colors`, `styles`: one
    matplotlib colour and line style per run)."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=3.4)
    for i, (label, values) in enumerate(curves.items()):
        color = colors[i] if colors is not None else None
        style = styles[i] if styles is not None else "-"
        x = np.arange(1, len(values) + 1)
        ax.plot(x, values, label=label, color=color, linestyle=style)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("objective-and-gradient evaluations")
    ax.set_ylabel(ylabel)
    ax.legend()
    return to_svg(fig, alt=alt)


@cached
def plot_line_search(ratios: dict[str, Sequence[float]], *, alt: str) -> str:
    """Per photograph, torch's default L-BFGS loss over the line search's, evaluation by
    evaluation (below 1: the default is ahead), log scale."""
    from dlbasics.plotting import new_figure, to_svg

    low, high = 0.3, 1000.0
    fig, ax = new_figure(width=6.4, height=3.6)
    for image, values in ratios.items():
        v = np.asarray(values, dtype=float)
        ax.plot(
            np.arange(1, len(v) + 1), np.clip(v, low, high), label=image, color=IMAGE_COLORS[image]
        )
        peak = int(np.argmax(v))
        if v[peak] > high:  # off the scale: say where it went
            ax.annotate(
                f"{image}: {v[peak]:.0e} at evaluation {peak + 1}",
                (peak + 1, high),
                xytext=(peak + 3, high / 2.5),
                fontsize=10,
                color=IMAGE_COLORS[image],
            )
    ax.axhline(1.0, color="#8a8a8a", linewidth=1.0, linestyle="--")
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    ax.set_xlabel("objective-and-gradient evaluations")
    ax.set_ylabel("loss without / with line search")
    ax.legend()
    return to_svg(fig, alt=alt)


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_probe(scores: dict[str, dict[int, Sequence[float]]], *, alt: str) -> str:
    """Test accuracy against labels per class, mean and ±1 std band over the repeats; colour
    by representation, dashed for 32-px input."""
    from dlbasics.plotting import new_figure, to_svg

    fig, ax = new_figure(width=6.4, height=4.6)
    for label, by_n in scores.items():
        base, _, px = label.partition(", ")
        ns = sorted(by_n)
        mean = np.array([np.mean(by_n[n]) for n in ns])
        std = np.array([np.std(by_n[n]) for n in ns])
        color = REPRESENTATION_COLORS[base]
        style = "--" if px == "32 px" else "-"
        ax.plot(ns, mean, marker="o", label=label, color=color, linestyle=style)
        ax.fill_between(ns, mean - std, mean + std, alpha=0.15, color=color)
    from matplotlib.ticker import NullFormatter

    ns = sorted(next(iter(scores.values())))
    ax.set_xscale("log")
    ax.set_xticks(ns)
    ax.set_xticklabels([str(n) for n in ns])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training labels per class")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=10, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    return to_svg(fig, alt=alt)


def table_layer_shares(rows: dict[str, Sequence[float]], layers: Sequence[str]) -> str:
    """Each row's per-layer values as shares of the row's sum, in percent (Markdown)."""
    from dlbasics.plotting import markdown_table

    body = [[label] + [f"{v / sum(values):.1%}" for v in values] for label, values in rows.items()]
    return markdown_table(["", *layers], body)


def text_precision(comparison: dict[str, Any]) -> str:
    """[`precision_comparison`][dlbasics.style_transfer.experiments.precision_comparison] as a
    Markdown table (time per evaluation, final loss, mean distance from the float32 image in
    grey levels) and the numbers the page's claim reads."""
    from dlbasics.plotting import markdown_table

    diff = precision_differences(comparison)
    distance = diff["distance"]
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
    return markdown_table(headers, rows)


# The explorables ---------------------------------------------------------------------------

_INK = "#8a8a8a"  # the palette's ink: swapped for each palette's text colour


def _image_axis(ax: Any, image: np.ndarray, title: str) -> None:
    # "none": the image goes into the SVG at its own resolution (small), the browser scales it
    ax.imshow(image, interpolation="none")
    ax.set_title(title, fontsize=11)
    ax.set_axis_off()


def draw_weight_frame(data: dict[float, dict[str, Any]], ratio: float) -> Any:
    """One frame of the weight explorable: the result at α/β = `ratio`, and the final
    unweighted content and style losses of every ratio, this one marked."""
    from matplotlib.ticker import NullFormatter

    from dlbasics.plotting import new_figure

    ratios = sorted(data)
    cell = data[ratio]
    fig, (a, b) = new_figure(1, 2, width=7.2, height=3.3, gridspec_kw={"width_ratios": [1, 1.6]})
    _image_axis(a, cell["image"], f"α/β = {ratio:.3g}")
    color = IMAGE_COLORS["grace_hopper"]
    for key, style, label in (("content_end", "-", "content"), ("style_end", "--", "style")):
        b.plot(ratios, [data[r][key] for r in ratios], style, color=color, marker="o", label=label)
        b.plot(ratio, cell[key], "o", ms=11, mfc="none", mec=_INK, mew=2)
    b.axvline(ratio, color=_INK, lw=1, ls=":")
    b.set(xscale="log", yscale="log", xlabel="α/β (content weight / style weight)")
    b.set(ylabel="loss at the end (unweighted)")
    b.set_xticks(ratios, [f"{r:.3g}" for r in ratios])
    b.xaxis.set_minor_formatter(NullFormatter())
    b.legend(loc="center right")
    return fig


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_weight_explorer(data: dict[float, dict[str, Any]]) -> str:
    """A slider for α/β over
    [`draw_weight_frame`][dlbasics.style_transfer.figures.draw_weight_frame]."""
    from dlbasics.plotting import Slider, explorable

    ratios = tuple(sorted(data))
    steps = len(next(iter(data.values()))["history"]["total"])

    def readout(ratio: float) -> str:
        cell = data[ratio]
        return (
            f"α/β = {ratio:.3g} (β = {cell['beta']:.3g}): after {steps} evaluations the "
            f"content loss is {cell['content_end']:.3g} and the style loss "
            f"{cell['style_end']:.3g} (unweighted)"
        )

    return explorable(
        lambda ratio: draw_weight_frame(data, ratio),
        [Slider("ratio", "α/β", ratios, ratios[len(ratios) // 2], "{:.3g}")],
        alt=lambda ratio: (
            f"The portrait stylised with content-to-style weight ratio {ratio:.3g}, and the "
            f"final content and style losses of every ratio: {readout(ratio)}"
        ),
        readout=readout,
    )


SCRUB_SIDE = 80
"""Shorter side at which the scrubber shows the showcase's images: half its 160 px, so that
each frame stays a few tens of kilobytes."""


def _thumbnail(image: np.ndarray, side: int) -> np.ndarray:
    from PIL import Image

    h, w = image.shape[:2]
    scale = side / min(h, w)
    size = (round(w * scale), round(h * scale))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))


def draw_showcase_frame(data: dict[str, Any], evaluation: int) -> Any:
    """One frame of the scrubber: the showcase's image of evaluation `evaluation` (at
    `SCRUB_SIDE` px), and its loss curves with a cursor there."""
    from matplotlib.ticker import LogLocator, NullFormatter

    from dlbasics.plotting import new_figure

    h = data["history"]
    image = _thumbnail(data["images"][evaluation], SCRUB_SIDE)
    fig, (a, b) = new_figure(1, 2, width=7.6, height=3.4, gridspec_kw={"width_ratios": [1, 2]})
    _image_axis(a, image, f"evaluation {evaluation}")
    x = np.arange(1, len(h["total"]) + 1)
    color = IMAGE_COLORS["grace_hopper"]
    for key, style in (("total", "-"), ("style", "--"), ("content", ":")):
        values = np.asarray(h[key], dtype=float)
        shown = values > 0  # the content term is 0 at the start: off a log axis
        b.plot(x[shown], values[shown], style, color=color, label=key, lw=1.4)
    b.axvline(evaluation, color=_INK, lw=1)
    b.plot(evaluation, h["total"][evaluation - 1], "o", ms=9, mfc="none", mec=_INK, mew=2)
    b.set(xscale="log", yscale="log", xlabel="evaluation", ylabel="weighted loss")
    # the content term starts at 0 and rises through many decades: show the decades that
    # the style and total terms span, and let it enter from below
    low = min(min(h["style"]), min(h["total"]))
    b.set_ylim(low / 3, max(h["total"]) * 2)
    ticks = [t for t in (1, 3, 10, 30, 100, 300, 1000) if t <= len(x)]
    b.set_xticks(ticks, [str(t) for t in ticks])
    b.xaxis.set_minor_formatter(NullFormatter())
    b.yaxis.set_major_locator(LogLocator(numticks=5))
    b.yaxis.set_minor_formatter(NullFormatter())
    b.legend(loc="upper right")
    return fig


@cached  # the figure's HTML too: a warm build then draws nothing
def plot_showcase_explorer(data: dict[str, Any]) -> str:
    """A slider over the showcase's evaluations for
    [`draw_showcase_frame`][dlbasics.style_transfer.figures.draw_showcase_frame]."""
    from dlbasics.plotting import Slider, explorable

    h = data["history"]
    evaluations = tuple(data["evaluations"])

    def readout(evaluation: int) -> str:
        k = evaluation - 1
        return (
            f"evaluation {evaluation} of {len(h['total'])}: total loss {h['total'][k]:.3g} "
            f"({h['total'][k] / h['total'][0]:.1%} of the start), style {h['style'][k]:.3g}, "
            f"content {h['content'][k]:.3g}"
        )

    return explorable(
        lambda evaluation: draw_showcase_frame(data, evaluation),
        [
            Slider(
                "evaluation",
                "k",
                evaluations,
                30 if 30 in evaluations else evaluations[-1],
                "{:d}",
            )
        ],
        alt=lambda evaluation: (
            f"The showcase's image at evaluation {evaluation}, and its loss curves with a "
            f"cursor there: {readout(evaluation)}"
        ),
        readout=readout,
    )
