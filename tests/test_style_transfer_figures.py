"""Tests of dlbasics.style_transfer.figures: the page's figures and tables."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbasics import style_transfer as nst
from dlbasics.style_transfer import experiments, figures

from .test_plotting_explorable import frames_of

# Tests that run the bfloat16 path need bfloat16 kernels (see `bfloat16_support`).
needs_bfloat16 = pytest.mark.skipif(
    nst.bfloat16_support("cpu") == "none", reason="this CPU has no bfloat16 kernels"
)


@needs_bfloat16
def test_precision_comparison_and_its_summary() -> None:
    before = torch.get_num_threads()
    comparison = experiments.precision_comparison(size=24, steps=3)
    assert torch.get_num_threads() == before  # restored after the one-thread run
    runs = comparison["runs"]
    assert list(runs) == ["float32", "bfloat16"]
    for run in runs.values():
        assert run["image"].dtype == np.uint8 and run["image"].shape[2] == 3
        assert len(run["history"]["total"]) == 3 and run["seconds_per_eval"] > 0
    summary = figures.text_precision(comparison)
    assert summary.count("\n|") == 3  # header rule and two rows below the header
    assert "| float32 |" in summary and "0.0 |" in summary  # float32's distance to itself
    diff = experiments.precision_differences(comparison)
    speed = runs["float32"]["seconds_per_eval"] / runs["bfloat16"]["seconds_per_eval"]
    assert diff["speed_up"] == pytest.approx(speed)
    assert diff["distance"]["float32"] == 0 and diff["distance"]["bfloat16"] >= 0


def test_precision_comparison_without_bfloat16_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(experiments, "bfloat16_support", lambda device="cpu": "none")
    comparison = experiments.precision_comparison(size=24, steps=2)
    assert comparison["bfloat16_support"] == "none"
    labels = list(comparison["runs"])
    assert labels == ["float32"]
    summary = figures.text_precision(comparison)
    assert summary.count("\n|") == 2
    assert "speed_up" not in experiments.precision_differences(comparison)


def test_showcase_is_native_and_links_an_enlarged_copy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dlbasics import plotting

    images = [np.full((20, 16, 3), 200, np.uint8), np.zeros((16, 16, 3), np.uint8)]
    before = plotting._asset_dir
    plotting.figures_as_files(tmp_path)
    try:
        html = figures.plot_showcase.__wrapped__(images, alt="two squares", enlarge=2)  # type: ignore[attr-defined]
    finally:
        plotting.figures_as_files(before)
    assert 'width="44" height="20"' in html  # 16 + 12 + 16 pixels, one per CSS pixel
    assert html.count("dlb-asset:") == 2 and '<a href="dlb-asset:' in html
    from PIL import Image

    name = html.split('<a href="dlb-asset:', 1)[1].split('"', 1)[0]
    assert Image.open(tmp_path / name).size == (88, 40)


def test_table_layer_shares_rows_sum_to_one() -> None:
    table = figures.table_layer_shares({"a": [1.0, 3.0], "b": [2.0, 2.0]}, ["x", "y"])
    assert "| a | 25.0% | 75.0% |" in table and "| b | 50.0% | 50.0% |" in table


def test_probe_and_line_search_plots_render() -> None:
    scores = {
        "pretrained pool5, 32 px": {2: [0.5, 0.6], 5: [0.7, 0.8]},
        "raw pixels, 32 px": {2: [0.3, 0.2], 5: [0.3, 0.3]},
    }
    assert "<figure" in figures.plot_probe.__wrapped__(scores, alt="probe")  # type: ignore[attr-defined]
    ratios = {"grace_hopper": [1.0, 0.9, 1.1], "chelsea": [1.0, 1e6, 10.0]}
    assert "<figure" in figures.plot_line_search.__wrapped__(ratios, alt="ratios")  # type: ignore[attr-defined]


def test_explorer_readouts_are_the_librarys_numbers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dlbasics import plotting

    betas = (1e-2, 1.0)
    weights = experiments.weight_explorer(betas=betas, size=16, steps=3)
    scrub = experiments.showcase_explorer(size=16, steps=5, evaluations=(1, 3, 5))
    plotting.figures_as_files(tmp_path)
    try:
        weight_html = figures.plot_weight_explorer.__wrapped__(weights)
        scrub_html = figures.plot_showcase_explorer.__wrapped__(scrub)
    finally:
        plotting.figures_as_files(None)
    frames = frames_of(weight_html)
    assert len(frames) == len(betas)
    for frame, beta in zip(frames, sorted(betas, reverse=True), strict=True):  # ratio ascending
        run = experiments.run_transfer(
            size=16,
            steps=3,
            style_weight=beta,
            optimizer_options={"line_search_fn": "strong_wolfe"},
        )
        content, style = run["history"]["content"][-1], run["history"]["style"][-1] / beta
        assert f"α/β = {1 / beta:.3g} " in frame["readout"]
        assert f"content loss is {content:.3g} and the style loss {style:.3g}" in frame["readout"]
    frames = frames_of(scrub_html)
    total = scrub["history"]["total"]
    assert len(frames) == 3
    for frame, k in zip(frames, (1, 3, 5), strict=True):
        assert frame["readout"].startswith(f"evaluation {k} of 5: total loss {total[k - 1]:.3g} ")
        assert f"({total[k - 1] / total[0]:.1%} of the start)" in frame["readout"]
    assert "(100.0% of the start)" in frames[0]["readout"]


def test_explorer_frames_are_light(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dlbasics import plotting

    images = experiments.page_images(experiments.HERO_SIZE)
    image = images[experiments.PAGE_CONTENT]
    history = {"total": [3.0, 2.0, 1.0], "style": [2.0, 1.0, 0.5], "content": [0.0, 0.5, 0.4]}
    data = {"evaluations": (1, 3), "images": {1: image, 3: image}, "history": history}
    fig = figures.draw_showcase_frame(data, 3)
    assert fig.get_size_inches()[0] <= 7.6
    assert plotting.smallest_text_pt(fig) >= 10
    plotting.figures_as_files(tmp_path)
    try:
        figures.plot_showcase_explorer.__wrapped__(data)
    finally:
        plotting.figures_as_files(None)
    assert max(p.stat().st_size for p in tmp_path.iterdir()) < 80_000
