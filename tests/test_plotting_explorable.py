"""Tests of dlbasics.plotting.explorable: frames, their order, the markup, bad input."""

from __future__ import annotations

import html as htmlmod
import json
import re
from pathlib import Path

import pytest

from dlbasics import plotting
from dlbasics.plotting import Slider, explorable


@pytest.fixture
def files(tmp_path: Path):  # type: ignore[no-untyped-def]
    plotting.figures_as_files(tmp_path)
    yield tmp_path
    plotting.figures_as_files(None)


def line(a: float, b: float = 0.0):  # type: ignore[no-untyped-def]
    fig, ax = plotting.new_figure(width=3, height=2)
    ax.plot([0, 1], [b, a])
    ax.set_title(f"a={a} b={b}")
    return fig


def frames_of(html: str) -> list[dict[str, str]]:
    match = re.search(r'<div class="dlb-explorable" [^>]*data-frames="([^"]*)"', html)
    assert match
    return json.loads(htmlmod.unescape(match.group(1)))


def test_one_frame_per_combination_last_slider_fastest(files: Path) -> None:
    calls = []

    def draw(a: float, b: float):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return line(a, b)

    html = explorable(
        draw,
        [Slider("a", "a", (1.0, 2.0, 3.0), 2.0), Slider("b", "β", (0.0, 0.5), 0.5)],
        alt=lambda a, b: f"a line to {a}, {b}",
        readout=lambda a, b: f"a = {a}, b = {b}",
    )
    assert calls == [(a, b) for a in (1.0, 2.0, 3.0) for b in (0.0, 0.5)]
    frames = frames_of(html)
    assert [f["readout"] for f in frames] == [f"a = {a}, b = {b}" for a, b in calls]
    # the default (2.0, 0.5) is frame 3, shown without JavaScript, with its alt and readout
    assert 'data-frame="3"' in html
    assert f'src="{frames[3]["light"]}"' in html and f'src="{frames[3]["dark"]}"' in html
    assert 'alt="a line to 2.0, 0.5"' in html
    assert ">a = 2.0, b = 0.5</p>" in html
    # every frame is a pair of files, distinct per frame and per palette
    urls = [f[p] for f in frames for p in ("light", "dark")]
    assert len(set(urls)) == len(urls)
    for url in urls:
        assert (files / url.removeprefix(plotting.ASSET_SCHEME)).exists()
    # native, labelled sliders that start at the default, hidden until the script shows them
    assert '<div class="dlb-explorable-controls" hidden>' in html
    ident = re.search(r'class="dlb-explorable" id="(x[0-9a-f]{10})"', html).group(1)
    assert f'<label for="{ident}-a">a</label>' in html
    assert f'id="{ident}-b" min="0" max="1" step="1" value="1" aria-valuetext="β = 0.5"' in html
    assert 'aria-live="polite"' in html
    # the same frames give the same id: two builds give the same bytes
    again = explorable(
        draw,
        [Slider("a", "a", (1.0, 2.0, 3.0), 2.0), Slider("b", "β", (0.0, 0.5), 0.5)],
        alt=lambda a, b: f"a line to {a}, {b}",
        readout=lambda a, b: f"a = {a}, b = {b}",
    )
    assert again == html


def test_outside_the_site_only_the_default_figure() -> None:
    calls = []

    def draw(a: float):  # type: ignore[no-untyped-def]
        calls.append(a)
        return line(a)

    html = explorable(draw, [Slider("a", "a", (1.0, 2.0), 2.0)], alt="a line")
    assert calls == [2.0]
    assert html.startswith('<figure class="dlb-figure"><svg ') and "dlb-explorable" not in html


def test_a_readout_cannot_break_the_markup(files: Path) -> None:
    html = explorable(
        line, [Slider("a", "a", (1.0, 2.0), 1.0)], alt="x", readout=lambda a: '"</div><b>'
    )
    assert frames_of(html)[0]["readout"] == '"</div><b>'
    assert "<b>" not in html  # escaped in the frames attribute and in the readout shown


def test_no_script_inside_an_explorable(files: Path) -> None:
    """Material's instant navigation re-creates the scripts of the content it swaps in as
    plain scripts (no type, no class): frames kept in a script would be lost."""
    html = explorable(line, [Slider("a", "a", (1.0, 2.0), 1.0)], alt="x")
    assert "<script" not in html


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Slider("a b", "a", (1, 2), 1), ValueError, "name"),
        (lambda: Slider("a", " ", (1, 2), 1), ValueError, "label"),
        (lambda: Slider("a", "a", (1,), 1), ValueError, "at least 2"),
        (lambda: Slider("a", "a", (1, 1), 1), ValueError, "distinct"),
        (lambda: Slider("a", "a", (1, 2), 3), ValueError, "default"),
        (lambda: explorable(line, [], alt="x"), ValueError, "sliders"),
        (
            lambda: explorable(line, [Slider("a", "a", (1, 2), 1)] * 2, alt="x"),
            ValueError,
            "distinct names",
        ),
        (lambda: explorable("line", [Slider("a", "a", (1, 2), 1)], alt="x"), TypeError, "draw"),
        (
            lambda: explorable(
                line,
                [Slider("a", "a", tuple(range(21)), 1), Slider("b", "b", tuple(range(21)), 1)],
                alt="x",
            ),
            ValueError,
            "MAX_FRAMES",
        ),
    ],
)
def test_bad_input(make, error: type, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        make()


def test_draw_must_return_a_figure(files: Path) -> None:
    with pytest.raises(TypeError, match="Figure"):
        explorable(lambda a: None, [Slider("a", "a", (1, 2), 1)], alt="x")
