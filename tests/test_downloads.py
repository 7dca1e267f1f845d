"""A generated notebook and a generated script run top to bottom.

They come from the built site (`make build`); the experiment cache of that build is
passed on, so the run checks that the code runs, not how long experiments take.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_site import SITE

ROOT = Path(__file__).resolve().parent.parent
PAGE = "focal-loss"

pytestmark = [pytest.mark.site, pytest.mark.slow]


@pytest.fixture
def downloads() -> Path:
    folder = SITE / "downloads"
    if not (folder / f"{PAGE}.ipynb").exists():
        message = f"no generated downloads in {folder}: run `make build` first"
        if os.environ.get("DLBASICS_REQUIRE_SITE"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


def env() -> dict[str, str]:
    cache = os.environ.get("DLBASICS_CACHE_DIR", str(ROOT / ".cache" / "dlbasics"))
    return dict(os.environ, DLBASICS_CACHE_DIR=cache, MPLBACKEND="Agg")


def test_generated_notebook_runs(downloads: Path, tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(downloads / f"{PAGE}.ipynb", as_version=4)
    nbformat.validate(notebook)
    os.environ.update(env())  # the kernel inherits this process's environment
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o for o in outputs if o.output_type == "display_data" and "text/html" in o.data]
    assert html, "the notebook displayed no figure"


def test_generated_script_runs(downloads: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(downloads / f"{PAGE}.py")],
        cwd=tmp_path,
        env=env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert '<figure class="dlb-figure">' in result.stdout


def test_an_explorable_becomes_its_default_figure_with_a_note(downloads: Path) -> None:
    import json

    notebook = json.loads((downloads / "optimizers.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    cell = next(s for s in sources if "plot_momentum_explorer(" in s)
    assert "draw_momentum_frame(data, lr=..., beta=...)" in cell
    assert "a slider for lr and beta" in cell
    script = (downloads / "optimizers.py").read_text(encoding="utf-8")
    assert "draw_ema_frame(data, beta=...)" in script


def test_an_exercise_is_its_question_then_its_worked_solution(downloads: Path) -> None:
    import json
    import re

    html = (SITE / "optimizers" / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r'<div class="dlb-exercise"[^>]*? id="exercise-([a-z0-9-]+)"', html)
    notebook = json.loads((downloads / "optimizers.ipynb").read_text(encoding="utf-8"))
    cells = [(c["cell_type"], "".join(c["source"])) for c in notebook["cells"]]
    assert not cells[0][1].startswith("---")  # no front matter
    assert any('exercises.show_as("solution")' in s for k, s in cells[:4] if k == "code")
    blocks = [i for i, (k, s) in enumerate(cells) if k == "code" and re.search(r'\(\s*"', s)]
    asked = []
    for i in blocks:
        match = re.search(r'\b(?:numeric|choice|predict)\(\s*"([a-z0-9-]+)"', cells[i][1])
        if match is None:
            continue
        asked.append(match.group(1))
        kind, question = cells[i - 1]
        assert kind == "markdown" and question.startswith("**Exercise.**"), question
        assert "the next cell is the worked solution" in question
    assert sorted(asked) == sorted(ids) and len(ids) >= 5
    # the question cell holds what the page asks: the choice's options too
    best = next(i for i in blocks if '"best-beta"' in cells[i][1])
    assert "1. β = 0\n" in cells[best - 1][1]
    script = (downloads / "optimizers.py").read_text(encoding="utf-8")
    assert "# **Exercise.** **Tuned momentum.**" in script
