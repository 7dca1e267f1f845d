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
import hashlib
import html
import io
import itertools
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure

from dlbasics.cache import add_validator, key_context

__all__ = [
    "ASSET_SCHEME",
    "COLORS",
    "INK",
    "MAX_FRAMES",
    "Slider",
    "explorable",
    "fig_to_png",
    "fig_to_webp",
    "figure_style",
    "figures_as_files",
    "image_to_png",
    "markdown_table",
    "new_figure",
    "smallest_text_pt",
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


# --- Figures as files (the site) or inline (notebooks, scripts) ------------------------------
#
# On the site every figure is a file the page references: the page's HTML stays small (the
# browser and the search index parse text, not megabytes of paths), and each figure exists in
# two versions, one per palette, of which the browser loads only the visible one. Elsewhere
# (a notebook, a script) figures stay inline, so that printing one shows it.

ASSET_SCHEME = "dlb-asset:"
"""The URL scheme of a figure file in the HTML a figure function returns; the site's MkDocs
hook rewrites `dlb-asset:NAME` to the file's URL on the page and copies the file."""

INK: dict[str, str] = {"light": "#404040", "dark": "#d4d4d4"}
"""Text and axes colour per palette (the mid grey `#8a8a8a` is drawn, then replaced):
10:1 contrast on Material's white page and 11:1 on its slate one."""

_asset_dir: Path | None = None


def figures_as_files(folder: str | os.PathLike[str] | None) -> Path | None:
    """Write figures as files into `folder` (content-addressed: the name is a hash of the
    bytes) and return HTML that references them as `dlb-asset:NAME`; `None` goes back to
    inline figures. Returns the folder in use. The site's MkDocs hook calls this."""
    global _asset_dir
    _asset_dir = None if folder is None else Path(folder).resolve()
    if _asset_dir is not None:
        _asset_dir.mkdir(parents=True, exist_ok=True)
    return _asset_dir


def _figure_mode() -> str:
    return "files" if _asset_dir is not None else "inline"


# A figure drawn inline must never be served from the cache for a page that wants files.
key_context(__name__, _figure_mode)


_ASSET_NAME = re.compile(re.escape(ASSET_SCHEME) + r"([0-9a-f]{24}\.(?:svg|png|webp))")


def _files_present(value: Any) -> bool:
    """Whether every figure file that `value` (a cached result: HTML, or containers of it)
    names exists in the asset folder in use."""
    if isinstance(value, str):
        if ASSET_SCHEME not in value:
            return True
        if _asset_dir is None:
            return False
        return all((_asset_dir / n).exists() for n in set(_ASSET_NAME.findall(value)))
    if isinstance(value, dict):
        return all(_files_present(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_files_present(v) for v in value)
    return True


add_validator(_files_present)


def _store(data: bytes, suffix: str) -> str:
    """Write `data` into the asset folder under its hash; its `dlb-asset:` URL."""
    assert _asset_dir is not None
    name = hashlib.sha256(data).hexdigest()[:24] + suffix
    path = _asset_dir / name
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=_asset_dir, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)  # atomic: workers may write the same file at once
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return ASSET_SCHEME + name


def _img(
    src: str, alt: str, width: int, height: int, palette: str | None, font_px: float | None
) -> str:
    cls = f' class="dlb-{palette}"' if palette else ""
    font = f' data-font-px="{font_px:.1f}"' if font_px else ""
    return (
        f'<img{cls} src="{src}" alt="{html.escape(alt, quote=True)}" width="{width}" '
        f'height="{height}"{font} loading="lazy" decoding="async">'
    )


def _palette_imgs(
    files: dict[str, str], alt: str, width: int, height: int, font_px: float | None
) -> str:
    return "".join(
        _img(src, alt, width, height, palette, font_px) for palette, src in files.items()
    )


def smallest_text_pt(fig: Figure) -> float | None:
    """The size, in points, of the smallest visible text of `fig` (None if it has none).

    A figure shows its text at `size × (displayed width / drawn width)`: the pages' browser
    test reads it (as `data-font-px` on the image) to keep every figure's text legible."""
    from matplotlib.text import Text

    sizes = [
        float(t.get_fontsize())
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_alpha() != 0
    ]
    return min(sizes) if sizes else None


def _svg_text(fig: Figure, fonttype: str) -> str:
    buffer = io.StringIO()
    _finish(fig)
    try:
        with figure_style(), matplotlib.rc_context({"svg.fonttype": fonttype}):
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and DOCTYPE: invalid inside HTML
    svg = re.sub(r' d="([^"]*)"', _compact_path_data, svg)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S).strip()
    # matplotlib names every group ("line2d_57", "xtick_12"); keep only the ids something
    # refers to (clip paths, glyphs, markers), and no indentation between tags
    referenced = set(re.findall(r"#([A-Za-z_][\w.-]*)", svg))
    svg = re.sub(r' id="([^"]+)"', lambda m: m.group(0) if m.group(1) in referenced else "", svg)
    return re.sub(r">\s+<", "><", svg)


def _compact_path_data(match: re.Match[str]) -> str:
    """A path's `d` with coordinates to 1/100 of a point (matplotlib writes six decimals,
    far below what any screen shows) and one space between tokens: a third of the bytes of
    a figure with many lines."""
    d = re.sub(r"(\d+\.\d\d)\d+", r"\1", match.group(1))
    return f' d="{" ".join(d.split())}"'


def _svg_size(svg: str) -> tuple[int, int]:
    """The SVG's size in CSS pixels (matplotlib writes points: 1 pt = 4/3 px)."""
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"[^>]*\sheight="([\d.]+)pt"', svg)
    if match is None:
        raise ValueError("matplotlib's SVG has no width and height in points")
    return round(float(match.group(1)) * 4 / 3), round(float(match.group(2)) * 4 / 3)


def to_svg(fig: Figure, *, alt: str, caption: str | None = None) -> str:
    """Render `fig` as SVG inside a `<figure>`, and close it.

    Inline `<svg>` by default; after [`figures_as_files`][dlbasics.plotting.figures_as_files]
    two SVG files, one per palette ([`INK`][dlbasics.plotting.INK] for text and axes; text
    drawn as paths, so it looks the same without the page's fonts), referenced by two
    lazily loaded `<img>` that reserve their size.

    Args:
        fig: A matplotlib figure (ideally from [`new_figure`][dlbasics.plotting.new_figure]).
        alt: What the figure shows, for screen readers (`aria-label`, or the images' `alt`).
        caption: Optional visible caption.

    Returns:
        An HTML string for a markdown-exec block with `html="true"`.
    """
    alt = _require_alt(alt)
    if _asset_dir is None:
        svg = _svg_text(fig, "none")  # text stays text: smaller, selectable, the page's font
        svg = svg.replace(
            "<svg ", f'<svg role="img" aria-label="{html.escape(alt, quote=True)}" ', 1
        )
        return _wrap(svg, caption)
    smallest = smallest_text_pt(fig)
    svg = _svg_text(fig, "path")
    width, height = _svg_size(svg)
    files = {
        palette: _store(svg.replace(_MID_GREY, ink).encode(), ".svg")
        for palette, ink in INK.items()
    }
    font_px = smallest * 4 / 3 if smallest else None  # SVG points → CSS pixels
    return _wrap(_palette_imgs(files, alt, width, height, font_px), caption)


def _png_html(png: bytes, alt: str, caption: str | None) -> str:
    data = base64.b64encode(png).decode("ascii")
    img = f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}">'
    return _wrap(img, caption)


def _recolour(fig: Figure, old: str, new: str) -> None:
    """Give every artist drawn in the colour `old` (text, lines, markers, spines, ticks,
    patch edges) the colour `new`, keeping its alpha."""
    from matplotlib.colors import to_hex, to_rgba
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    def swap(colour: Any) -> Any:
        try:
            rgba = to_rgba(colour)
        except ValueError:
            return colour
        if to_hex(rgba[:3]) != old:
            return colour
        return (*to_rgba(new)[:3], rgba[3])

    for artist in fig.findobj():
        if isinstance(artist, Text):
            artist.set_color(swap(artist.get_color()))
        elif isinstance(artist, Line2D):
            artist.set_color(swap(artist.get_color()))
            artist.set_markeredgecolor(swap(artist.get_markeredgecolor()))
            artist.set_markerfacecolor(swap(artist.get_markerfacecolor()))
        elif isinstance(artist, Patch):
            artist.set_edgecolor(swap(artist.get_edgecolor()))


def _png_bytes(fig: Figure, dpi: int, close: bool = True) -> bytes:
    """The figure as PNG bytes without a software tag (reproducible); closes the figure."""
    buffer = io.BytesIO()
    _finish(fig)
    try:
        with figure_style():
            fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    finally:
        if close:
            plt.close(fig)
    return buffer.getvalue()


def _palette_pngs(fig: Figure, dpi: int) -> dict[str, bytes]:
    """One PNG per palette: the mid-grey text and axes drawn in that palette's ink."""
    out = {}
    _finish(fig)
    try:
        current = _MID_GREY
        for palette, ink in INK.items():
            _recolour(fig, current, ink)
            current = ink
            out[palette] = _png_bytes(fig, dpi, close=False)
    finally:
        plt.close(fig)
    return out


def _raster_figure(
    pngs: dict[str, bytes],
    alt: str,
    caption: str | None,
    encode: Callable[[bytes], bytes],
    suffix: str,
    font_px: float | None,
) -> str:
    from PIL import Image

    width, height = Image.open(io.BytesIO(next(iter(pngs.values())))).size
    files = {palette: _store(encode(png), suffix) for palette, png in pngs.items()}
    return _wrap(_palette_imgs(files, alt, width, height, font_px), caption)


def fig_to_png(fig: Figure, *, alt: str, caption: str | None = None, dpi: int = 100) -> str:
    """Render `fig` as PNG inside a `<figure>`, and close it (deterministic bytes): inline,
    or one file per palette after [`figures_as_files`][dlbasics.plotting.figures_as_files]."""
    alt = _require_alt(alt)
    if _asset_dir is None:
        return _png_html(_png_bytes(fig, dpi), alt, caption)
    smallest = smallest_text_pt(fig)
    font_px = smallest * dpi / 72 if smallest else None
    return _raster_figure(_palette_pngs(fig, dpi), alt, caption, lambda png: png, ".png", font_px)


def _webp(rgba: Any, quality: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    # method=4: libwebp's default trade-off of encoding time against size.
    Image.fromarray(rgba).save(buffer, format="WEBP", quality=quality, method=4)
    return buffer.getvalue()


def _png_to_webp(png: bytes, quality: int) -> bytes:
    from PIL import Image

    return _webp(np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")), quality)


def fig_to_webp(
    fig: Figure, *, alt: str, caption: str | None = None, dpi: int = 100, quality: int = 82
) -> str:
    """Render `fig` as lossy WebP (with transparency) inside a `<figure>`; close it.

    For grids of photographs, where PNG is five to ten times larger. The bytes are
    reproducible: the same figure gives the same file. Inline, or one file per palette after
    [`figures_as_files`][dlbasics.plotting.figures_as_files].
    """
    alt = _require_alt(alt)
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be in [1, 100], got {quality}")
    if _asset_dir is None:
        data = base64.b64encode(_png_to_webp(_png_bytes(fig, dpi), quality)).decode("ascii")
        img = f'<img src="data:image/webp;base64,{data}" alt="{html.escape(alt, quote=True)}">'
        return _wrap(img, caption)
    smallest = smallest_text_pt(fig)
    font_px = smallest * dpi / 72 if smallest else None
    return _raster_figure(
        _palette_pngs(fig, dpi),
        alt,
        caption,
        lambda png: _png_to_webp(png, quality),
        ".webp",
        font_px,
    )


def image_to_png(image: Any, *, alt: str, caption: str | None = None) -> str:
    """Encode an image array (H×W or H×W×3/4; uint8, or float in [0, 1]) as PNG: inline, or
    one file (the same on both palettes) after
    [`figures_as_files`][dlbasics.plotting.figures_as_files]."""
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
    if _asset_dir is None:
        return _png_html(buffer.getvalue(), alt, caption)
    height, width = array.shape[:2]
    return _wrap(_img(_store(buffer.getvalue(), ".png"), alt, width, height, None, None), caption)


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


# --- Explorables: a figure with sliders, every frame drawn at build time -------------------------
#
# The reader moves a slider and sees the frame the build drew for that value: no maths runs in
# the browser. Frames are SVG files like every other figure (one per palette), so static and
# interactive figures share one style; the page loads only the frame on screen, and the others
# when a slider reaches them. Without JavaScript the default frame is a static figure.


@dataclass(frozen=True)
class Slider:
    """One slider of an [`explorable`][dlbasics.plotting.explorable].

    Attributes:
        name: The keyword argument of the frame function it sets.
        label: The visible label (e.g. `"β"`); the readout shows `label = value`.
        values: The values the slider steps through, in order (at least 2): numbers, or
            names (e.g. activations, with `format="{}"`).
        default: The value shown first, and without JavaScript; one of `values`.
        format: How a value is written in the readout (`str.format`).
    """

    name: str
    label: str
    values: tuple[float | str, ...]
    default: float | str
    format: str = "{:g}"

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"name must be a Python identifier, got {self.name!r}")
        if not self.label.strip():
            raise ValueError(f"label must be visible text, got {self.label!r}")
        values = tuple(self.values)
        if len(values) < 2:
            raise ValueError(f"values of {self.name!r} must hold at least 2 values, got {values!r}")
        if len(set(values)) != len(values):
            raise ValueError(f"values of {self.name!r} must be distinct, got {values!r}")
        if self.default not in values:
            raise ValueError(
                f"default of {self.name!r} must be one of its values {values!r}, "
                f"got {self.default!r}"
            )
        object.__setattr__(self, "values", values)

    def text(self, value: float | str) -> str:
        """`value` as the readout writes it."""
        return self.format.format(value)


MAX_FRAMES = 400
"""The most frames one explorable may draw (the product of its sliders' lengths)."""


def explorable(
    draw: Callable[..., Figure],
    sliders: Sequence[Slider],
    *,
    alt: str | Callable[..., str],
    readout: Callable[..., str] | None = None,
    caption: str | None = None,
) -> str:
    """A figure with one slider per parameter, every frame drawn now.

    `draw(**values)` returns a matplotlib figure for one value of every slider (ideally from
    [`new_figure`][dlbasics.plotting.new_figure], drawn from data an experiment computed);
    it is called once per combination, in the order of the sliders with the last one
    fastest. On the site each frame becomes two SVG files (light and dark palette), and the
    page shows the default frame as a static figure; a script swaps frames as the reader
    moves a slider. Outside the site (a notebook, a script) only the default frame is drawn,
    inline: an explorable reads there as its default figure.

    Args:
        draw: The frame function; its keyword arguments are the sliders' names.
        sliders: One [`Slider`][dlbasics.plotting.Slider] per parameter (1 or 2).
        alt: What a frame shows, for screen readers: text, or `alt(**values)` per frame.
        readout: `readout(**values)`: a line of text under the figure, e.g. the number the
            frame is about; announced to screen readers as it changes.
        caption: Optional visible caption.

    Returns:
        The figure's HTML.
    """
    sliders = tuple(sliders)
    if not callable(draw):
        raise TypeError(f"draw must be a function returning a figure, got {draw!r}")
    if not 1 <= len(sliders) <= 2 or not all(isinstance(s, Slider) for s in sliders):
        raise ValueError(f"sliders must be 1 or 2 Slider objects, got {sliders!r}")
    if len({s.name for s in sliders}) != len(sliders):
        raise ValueError(f"sliders must have distinct names, got {[s.name for s in sliders]}")
    count = int(np.prod([len(s.values) for s in sliders]))
    if count > MAX_FRAMES:
        raise ValueError(f"sliders give {count} frames, more than MAX_FRAMES = {MAX_FRAMES}")

    def alt_of(values: dict[str, float | str]) -> str:
        return _require_alt(alt(**values) if callable(alt) else alt)

    default = {s.name: s.default for s in sliders}
    if _asset_dir is None:  # a notebook or a script: the default figure, inline
        return to_svg(draw(**default), alt=alt_of(default), caption=caption)

    frames = []
    size: tuple[int, int] | None = None
    smallest: list[float] = []
    for indices in itertools.product(*(range(len(s.values)) for s in sliders)):
        values = {s.name: s.values[i] for s, i in zip(sliders, indices, strict=True)}
        fig = draw(**values)
        if not isinstance(fig, Figure):
            raise TypeError(f"draw must return a matplotlib Figure, got {type(fig).__name__}")
        text_pt = smallest_text_pt(fig)
        if text_pt:
            smallest.append(text_pt)
        svg = _svg_text(fig, "path")
        size = size or _svg_size(svg)
        files = {p: _store(svg.replace(_MID_GREY, ink).encode(), ".svg") for p, ink in INK.items()}
        frames.append(
            {**files, "alt": alt_of(values), "readout": readout(**values) if readout else ""}
        )
    assert size is not None
    start = _frame_index(sliders, [s.values.index(s.default) for s in sliders])
    payload = json.dumps(frames, ensure_ascii=False, separators=(",", ":"))
    # the page's id for this explorable: stable across builds, distinct for distinct frames
    name = "x" + hashlib.sha256(payload.encode()).hexdigest()[:10]
    font_px = min(smallest) * 4 / 3 if smallest else None
    first = frames[start]
    imgs = _palette_imgs({p: first[p] for p in INK}, first["alt"], size[0], size[1], font_px)
    controls = "".join(_slider_html(name, s) for s in sliders)
    shown = html.escape(first["readout"])
    # The frames travel in an attribute, not in a <script type="application/json">: Material's
    # instant navigation re-creates every script of the new page's content as a plain script,
    # dropping its type and class, so the frames would be lost (and run as code).
    frames_attribute = html.escape(payload, quote=False).replace('"', "&quot;")
    inner = (
        f'<div class="dlb-explorable" id="{name}" data-frame="{start}" '
        f'data-frames="{frames_attribute}">'
        f'<div class="dlb-explorable-controls" hidden>{controls}</div>'
        f"{imgs}"
        f'<p class="dlb-explorable-readout" aria-live="polite">{shown}</p>'
        f"</div>"
    )
    return _wrap(inner, caption)


def _frame_index(sliders: Sequence[Slider], indices: Sequence[int]) -> int:
    """The position of a combination of slider positions in the frame list (last fastest)."""
    index = 0
    for slider, i in zip(sliders, indices, strict=True):
        index = index * len(slider.values) + i
    return index


def _slider_html(name: str, slider: Slider) -> str:
    ident = f"{name}-{slider.name}"
    texts = [slider.text(v) for v in slider.values]
    position = slider.values.index(slider.default)
    label = html.escape(slider.label)
    valuetext = html.escape(f"{slider.label} = {texts[position]}", quote=True)
    return (
        f'<div class="dlb-slider"><label for="{ident}">{label}</label>'
        f'<input type="range" id="{ident}" min="0" max="{len(texts) - 1}" step="1" '
        f'value="{position}" aria-valuetext="{valuetext}" '
        f'data-label="{html.escape(slider.label, quote=True)}" '
        f"data-texts='{html.escape(json.dumps(texts, ensure_ascii=False), quote=True)}'>"
        f'<output for="{ident}">{html.escape(texts[position])}</output></div>'
    )
