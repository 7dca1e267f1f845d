"""Figures for the site: one style, deterministic bytes, inline HTML with alt text.

Every figure on the site comes out of a code block that calls a library function
and then one of these helpers:

```python
fig, ax = new_figure()
ax.plot(steps, loss)
print(to_svg(fig, alt="Training loss falls from 2.3 to 0.1 over 500 steps"))
```

- [`to_svg`][dlbasics.plotting.to_svg]: a matplotlib figure as an inline `<svg>`
  (line plots, bar charts: small and sharp). `svg.hashsalt` is fixed and the date
  is dropped, so two builds give the same bytes.
- [`fig_to_png`][dlbasics.plotting.fig_to_png] / [`image_to_png`][dlbasics.plotting.image_to_png]:
  an inline PNG (dense scatters, heatmaps, small images), also byte-for-byte reproducible.
- [`fig_to_webp`][dlbasics.plotting.fig_to_webp]: an inline lossy WebP, for grids of
  photographs (PNG would make a page several megabytes heavy).
- [`markdown_table`][dlbasics.plotting.markdown_table]: rows of numbers as a Markdown table.

The style has a transparent background, mid-grey text and axes and the Okabe–Ito
colour-blind-safe cycle, so a figure reads on the light and the dark palette alike.
Each helper closes the figure it is given.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure

__all__ = [
    "COLORS",
    "fig_to_png",
    "fig_to_webp",
    "figure_style",
    "image_to_png",
    "markdown_table",
    "new_figure",
    "to_svg",
]

#: Okabe & Ito's colour-blind-safe palette, without black (invisible on dark pages).
COLORS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#999999",  # grey
)

_MID_GREY = "#8a8a8a"

STYLE: dict[str, Any] = {
    "axes.prop_cycle": cycler(color=list(COLORS)),
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "text.color": _MID_GREY,
    "axes.labelcolor": _MID_GREY,
    "axes.edgecolor": _MID_GREY,
    "axes.titlecolor": _MID_GREY,
    "xtick.color": _MID_GREY,
    "ytick.color": _MID_GREY,
    "grid.color": _MID_GREY,
    "grid.alpha": 0.3,
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.labelcolor": _MID_GREY,
    "font.size": 10,
    "lines.linewidth": 1.8,
    "svg.hashsalt": "dlbasics",
    "svg.fonttype": "none",  # text stays text: smaller, selectable, uses the page's font
    "image.cmap": "viridis",
    "figure.dpi": 100,
    "savefig.bbox": "tight",
}


@contextmanager
def figure_style() -> Iterator[None]:
    """Context manager applying the site's matplotlib style."""
    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        yield


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    width: float = 6.4,
    height: float = 3.6,
    **subplots_kw: Any,
) -> tuple[Figure, Any]:
    """A figure and its axes in the site's style (`plt.subplots` arguments pass through)."""
    if nrows < 1 or ncols < 1:
        raise ValueError(f"nrows and ncols must be >= 1, got nrows={nrows}, ncols={ncols}")
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be > 0, got width={width}, height={height}")
    with figure_style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), **subplots_kw)
        fig.set_layout_engine("constrained")
    return fig, axes


def _finish(fig: Figure) -> None:
    """Bring artists made outside the style context (legends, labels) into the style.

    `new_figure` applies the style while the axes are made, but a legend or a text added
    later uses matplotlib's global defaults: black text and a white legend box, which
    vanish or glare on the dark palette.
    """
    from matplotlib.colors import to_hex
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    for legend in fig.findobj(Legend):
        legend.get_frame().set_visible(False)
    for text in fig.findobj(Text):
        if to_hex(text.get_color()) == "#000000":
            text.set_color(_MID_GREY)


def _require_alt(alt: str) -> str:
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty description of the figure for screen readers")
    return alt.strip()


def _wrap(inner: str, caption: str | None) -> str:
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="dlb-figure">{inner}{cap}</figure>'


def to_svg(fig: Figure, *, alt: str, caption: str | None = None) -> str:
    """Render `fig` as inline SVG inside a `<figure>`, and close it.

    Args:
        fig: A matplotlib figure (ideally from [`new_figure`][dlbasics.plotting.new_figure]).
        alt: What the figure shows, for screen readers (becomes `aria-label`).
        caption: Optional visible caption.

    Returns:
        An HTML string for a markdown-exec block with `html="true"`.
    """
    alt = _require_alt(alt)
    buffer = io.StringIO()
    _finish(fig)
    try:
        with figure_style():
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and DOCTYPE: invalid inside HTML
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(alt, quote=True)}" ', 1)
    return _wrap(svg.strip(), caption)


def _png_html(png: bytes, alt: str, caption: str | None) -> str:
    data = base64.b64encode(png).decode("ascii")
    img = f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}">'
    return _wrap(img, caption)


def _png_bytes(fig: Figure, dpi: int) -> bytes:
    """The figure as PNG bytes without a software tag (reproducible); closes the figure."""
    buffer = io.BytesIO()
    _finish(fig)
    try:
        with figure_style():
            fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    finally:
        plt.close(fig)
    return buffer.getvalue()


def fig_to_png(fig: Figure, *, alt: str, caption: str | None = None, dpi: int = 100) -> str:
    """Render `fig` as an inline PNG inside a `<figure>`, and close it (deterministic bytes)."""
    alt = _require_alt(alt)
    return _png_html(_png_bytes(fig, dpi), alt, caption)


def _webp_html(rgba: Any, alt: str, caption: str | None, quality: int) -> str:
    from PIL import Image

    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be in [1, 100], got {quality}")
    buffer = io.BytesIO()
    # method=4: libwebp's default trade-off of encoding time against size.
    Image.fromarray(rgba).save(buffer, format="WEBP", quality=quality, method=4)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    img = f'<img src="data:image/webp;base64,{data}" alt="{html.escape(alt, quote=True)}">'
    return _wrap(img, caption)


def fig_to_webp(
    fig: Figure, *, alt: str, caption: str | None = None, dpi: int = 100, quality: int = 82
) -> str:
    """Render `fig` as an inline lossy WebP (with transparency) inside a `<figure>`; close it.

    For grids of photographs, where PNG is five to ten times larger. The bytes are
    reproducible: the same figure gives the same file.
    """
    from PIL import Image

    alt = _require_alt(alt)
    rgba = np.asarray(Image.open(io.BytesIO(_png_bytes(fig, dpi))).convert("RGBA"))
    return _webp_html(rgba, alt, caption, quality)


def image_to_png(image: Any, *, alt: str, caption: str | None = None) -> str:
    """Encode an image array (H×W or H×W×3/4; uint8, or float in [0, 1]) as an inline PNG."""
    from PIL import Image

    alt = _require_alt(alt)
    array = np.asarray(image)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"image must have shape (H, W), (H, W, 3) or (H, W, 4), got {array.shape}")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(f"image must be uint8 or float in [0, 1], got dtype {array.dtype}")
        if not np.all(np.isfinite(array)):
            raise ValueError("image contains NaN or infinite values")
        array = np.round(np.clip(array, 0.0, 1.0) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", optimize=True)
    return _png_html(buffer.getvalue(), alt, caption)


def _format_cell(value: Any, floatfmt: str) -> str:
    if isinstance(value, float | np.floating):
        return format(float(value), floatfmt)
    return str(value).replace("|", r"\|")


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, floatfmt: str = ".3g"
) -> str:
    """Rows as a Markdown table; floats formatted with `floatfmt`.

    Print the result from a markdown-exec block (without `html="true"`).
    """
    if not headers:
        raise ValueError("headers must not be empty")
    lines = ["| " + " | ".join(map(str, headers)) + " |", "|" + "---|" * len(headers)]
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"row {i} has {len(row)} cells, expected {len(headers)} (headers)")
        lines.append("| " + " | ".join(_format_cell(v, floatfmt) for v in row) + " |")
    return "\n".join(lines) + "\n"
