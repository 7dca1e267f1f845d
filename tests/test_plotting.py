"""Figures: deterministic bytes, alt text, closed figures, the site style."""

from __future__ import annotations

import base64
import io
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from dlbasics import plotting


def line_figure():  # type: ignore[no-untyped-def]
    fig, ax = plotting.new_figure()
    x = np.linspace(0, 1, 50)
    ax.plot(x, x**2, label="square")
    ax.legend()
    return fig


def test_svg_is_inline_html_with_alt_text() -> None:
    html = plotting.to_svg(line_figure(), alt='A "square" curve', caption="y = x²")
    assert html.startswith('<figure class="dlb-figure"><svg ')
    assert 'role="img" aria-label="A &quot;square&quot; curve"' in html
    assert "<figcaption>y = x²</figcaption>" in html
    assert "<?xml" not in html and "DOCTYPE" not in html and "<dc:date>" not in html


def test_svg_bytes_are_reproducible() -> None:
    assert plotting.to_svg(line_figure(), alt="a") == plotting.to_svg(line_figure(), alt="a")


def test_helpers_close_their_figure() -> None:
    before = len(plt.get_fignums())
    plotting.to_svg(line_figure(), alt="a")
    plotting.fig_to_png(line_figure(), alt="a")
    assert len(plt.get_fignums()) == before


def test_style_is_transparent_with_colour_blind_safe_cycle() -> None:
    fig, ax = plotting.new_figure()
    line = ax.plot([0, 1])[0]
    assert line.get_color().lower() == plotting.COLORS[0].lower()
    svg = plotting.to_svg(fig, alt="a")
    # No opaque white rectangle behind the plot: light and dark palettes both show through.
    assert not re.search(r"fill:\s*#ffffff", svg)


def decode_png(html: str) -> Image.Image:
    data = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert data is not None
    return Image.open(io.BytesIO(base64.b64decode(data.group(1))))


def test_png_from_figure_is_reproducible_and_has_alt() -> None:
    a = plotting.fig_to_png(line_figure(), alt="curve")
    assert a == plotting.fig_to_png(line_figure(), alt="curve")
    assert 'alt="curve"' in a
    assert decode_png(a).format == "PNG"


@pytest.mark.parametrize(
    ("image", "mode"),
    [
        (np.zeros((4, 5, 3), dtype=np.uint8), "RGB"),
        (np.linspace(0, 1, 20).reshape(4, 5), "L"),
        (np.ones((4, 5, 4)), "RGBA"),
    ],
)
def test_image_to_png_round_trips(image: np.ndarray, mode: str) -> None:
    decoded = decode_png(plotting.image_to_png(image, alt="img"))
    assert decoded.mode == mode and decoded.size == (5, 4)
    expected = image if image.dtype == np.uint8 else np.round(image * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(decoded), expected)


def test_bad_inputs_name_the_argument() -> None:
    with pytest.raises(ValueError, match="alt"):
        plotting.to_svg(line_figure(), alt="  ")
    with pytest.raises(ValueError, match="image"):
        plotting.image_to_png(np.zeros((2, 2, 2)), alt="a")
    with pytest.raises(TypeError, match="image"):
        plotting.image_to_png(np.zeros((2, 2), dtype=np.int32), alt="a")
    with pytest.raises(ValueError, match="NaN"):
        plotting.image_to_png(np.full((2, 2), np.nan), alt="a")
    with pytest.raises(ValueError, match="nrows"):
        plotting.new_figure(0)
    with pytest.raises(ValueError, match="headers"):
        plotting.markdown_table(["a", "b"], [[1]])
    plt.close("all")


def test_markdown_table_formats_floats() -> None:
    table = plotting.markdown_table(["γ", "factor"], [[2, 100.0], [5, 1 / 3]], floatfmt=".2f")
    assert table.splitlines() == ["| γ | factor |", "|---|---|", "| 2 | 100.00 |", "| 5 | 0.33 |"]


def test_text_and_legends_added_later_follow_the_style() -> None:
    fig, ax = plotting.new_figure()
    ax.plot([0, 1], label="a line")
    ax.legend()  # made outside the style context: black text, white box by default
    ax.text(0.5, 0.5, "note")
    svg = plotting.to_svg(fig, alt="a")
    assert "fill: #000000" not in svg and "fill: #ffffff" not in svg


def photo_grid():  # type: ignore[no-untyped-def]
    from skimage import data

    fig, axes = plotting.new_figure(1, 2)
    for ax, photo in zip(axes, (data.astronaut(), data.chelsea()), strict=True):
        ax.imshow(photo)
        ax.axis("off")
    return fig


def test_webp_is_reproducible_smaller_than_png_and_keeps_transparency() -> None:
    a = plotting.fig_to_webp(photo_grid(), alt="photos")
    assert a == plotting.fig_to_webp(photo_grid(), alt="photos")
    png = plotting.fig_to_png(photo_grid(), alt="photos")
    assert len(a) < len(png) / 2
    data = re.search(r'src="data:image/webp;base64,([^"]+)"', a)
    assert data is not None
    image = Image.open(io.BytesIO(base64.b64decode(data.group(1))))
    assert image.format == "WEBP" and image.mode == "RGBA"
    assert np.asarray(image)[0, 0, 3] == 0  # the corner outside the axes stays transparent
    with pytest.raises(ValueError, match="quality"):
        plotting.fig_to_webp(photo_grid(), alt="photos", quality=0)


# --- Figures as files, one per palette (the site) ---------------------------------------------


@pytest.fixture
def files(tmp_path):  # type: ignore[no-untyped-def]
    folder = plotting.figures_as_files(tmp_path / "assets")
    yield folder
    plotting.figures_as_files(None)


def asset_names(html: str) -> list[str]:
    return re.findall(r'src="dlb-asset:([^"]+)"', html)


def test_svg_as_files_one_per_palette(files) -> None:  # type: ignore[no-untyped-def]
    html = plotting.to_svg(line_figure(), alt="A curve", caption="y = x²")
    light, dark = asset_names(html)
    assert 'class="dlb-light"' in html and 'class="dlb-dark"' in html
    assert html.count('alt="A curve"') == 2 and html.count('loading="lazy"') == 2
    assert "<figcaption>y = x²</figcaption>" in html and "<svg" not in html
    light_svg, dark_svg = (files / light).read_text(), (files / dark).read_text()
    assert plotting.INK["light"] in light_svg and plotting.INK["dark"] in dark_svg
    assert "#8a8a8a" not in light_svg + dark_svg  # the drawing grey is replaced in both
    assert "<text" not in light_svg  # glyphs as paths: no font needed inside an <img>
    width, height = (int(v) for v in re.search(r'width="(\d+)" height="(\d+)"', html).groups())
    assert (width, height) == plotting._svg_size(light_svg)
    assert plotting.to_svg(line_figure(), alt="A curve", caption="y = x²") == html  # same names


def test_raster_figures_as_files(files) -> None:  # type: ignore[no-untyped-def]
    png = plotting.fig_to_png(line_figure(), alt="curve")
    light, dark = asset_names(png)
    assert light.endswith(".png") and light != dark
    assert Image.open(files / light).size == Image.open(files / dark).size
    webp = plotting.fig_to_webp(line_figure(), alt="curve")
    assert all(name.endswith(".webp") for name in asset_names(webp))
    photo = plotting.image_to_png(np.zeros((4, 5, 3), dtype=np.uint8), alt="black")
    [name] = asset_names(photo)  # a photograph looks the same on both palettes: one file
    assert 'width="5" height="4"' in photo and Image.open(files / name).size == (5, 4)


def test_the_figure_mode_is_part_of_a_cached_figure_key(files) -> None:  # type: ignore[no-untyped-def]
    from dlbasics import cache
    from dlbasics.optimizers import figures

    func = figures.plot_schedules.__wrapped__
    data = {"step": np.arange(3), "curves": {"inverse time": np.array([1, 0.9, 0.8])}}
    as_files = cache.cache_key(func, (data,), {})
    plotting.figures_as_files(None)
    assert cache.cache_key(func, (data,), {}) != as_files


def test_a_cached_figure_whose_files_are_gone_is_drawn_again(files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dlbasics import cache
    from dlbasics.optimizers import figures

    cache.enable(tmp_path / "store")
    try:
        data = {"step": np.arange(3), "curves": {"inverse time": np.array([1, 0.9, 0.8])}}
        html = figures.plot_schedules(data)
        names = asset_names(html)
        assert names and all((files / n).exists() for n in names)
        assert figures.plot_schedules(data) == html  # a hit: the files are there
        for name in names:
            (files / name).unlink()
        assert figures.plot_schedules(data) == html  # not served as stored: drawn again
        assert all((files / n).exists() for n in names)
        plotting.figures_as_files(tmp_path / "other")  # another folder: the files are drawn there
        assert figures.plot_schedules(data) != "" and all(
            (tmp_path / "other" / n).exists() for n in names
        )
    finally:
        cache.disable()
