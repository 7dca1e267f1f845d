"""Turn a page's Markdown into a Jupyter notebook and a plain Python script.

The prose becomes Markdown cells (or comments), every executed block
(```` ```python exec="true" ... ```` ````) becomes a code cell (or code). On the site, a
block *prints* HTML or Markdown that the build inserts into the page; the notebook's first
cell redefines `print` to render such output, and the script leaves it as text.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")

NOTEBOOK_PRELUDE = """\
# On the website, each block prints HTML (figures) or Markdown (tables) that the build
# inserts into the page. In a notebook, this `print` renders that output instead.
import builtins

from IPython.display import HTML, Markdown, display


def print(*args, **kwargs):
    text = " ".join(str(a) for a in args)
    if text.lstrip().startswith("<"):
        display(HTML(text))
    elif text.lstrip().startswith(("|", "#", "-", "*", "!!!")) or "\\n" in text:
        display(Markdown(text))
    else:
        builtins.print(*args, **kwargs)
"""


@dataclass(frozen=True)
class Cell:
    kind: str  # "markdown" or "code"
    source: str


_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def split_cells(markdown: str) -> list[Cell]:
    """Prose and executed Python blocks of a page, in order (its front matter, the build's
    settings, left out). Other fences stay prose."""
    cells: list[Cell] = []
    prose: list[str] = []
    lines = _FRONT_MATTER.sub("", markdown, count=1).splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        info = match.group("info") if match else ""
        if match and info.strip().startswith("python") and re.search(r'exec="(true|1|on)"', info):
            fence, indent = match.group("fence"), match.group("indent")
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].strip() != fence:
                body.append(lines[i][len(indent) :])
                i += 1
            if "".join(prose).strip():
                cells.append(Cell("markdown", "\n".join(prose).strip("\n")))
            prose = []
            cells.append(Cell("code", "\n".join(body).strip("\n")))
        else:
            prose.append(lines[i])
        i += 1
    if "".join(prose).strip():
        cells.append(Cell("markdown", "\n".join(prose).strip("\n")))
    return cells


_EXPLORER = re.compile(r"from (dlbasics\.\w+\.figures) import [^\n]*\bplot_(\w+)_explorer\b")


_LIBRARY = Path(__file__).resolve().parent.parent / "src"


@functools.lru_cache(maxsize=64)
def _module_functions(path: Path, mtime: float) -> dict[str, list[str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name: [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def _function_parameters(module: str, function: str) -> list[str] | None:
    """The parameter names of a top-level function of a library module, read from its source
    (importing the figures modules would import torch: seconds, for a comment)."""
    path = _LIBRARY.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        return None
    return _module_functions(path, path.stat().st_mtime).get(function)


def explorable_note(source: str) -> str:
    """`source` with a comment after it when it draws an explorable: outside the site only its
    default frame is drawn, so the comment names the frame function and the arguments to
    change (the sliders)."""
    match = _EXPLORER.search(source)
    if match is None:
        return source
    module, name = match.groups()
    parameters = _function_parameters(module, f"draw_{name}_frame")
    if parameters is None:
        return source
    sliders = parameters[1:]  # after the data
    return (
        f"{source}\n"
        "# On the website this figure is an explorable, with a slider for "
        f"{' and '.join(sliders)}.\n"
        "# Here it is drawn at its default values; to see another frame, call\n"
        f"# {module}.draw_{name}_frame(data, {', '.join(f'{s}=...' for s in sliders)})\n"
        "# with other values of those arguments (data: the same experiment's result)."
    )


_EXERCISE = re.compile(r"\b(?:numeric|choice|predict)\(\s*\"([a-z0-9]+(?:-[a-z0-9]+)*)\"")

EXERCISES_PRELUDE = """\
# The exercises: each question is in the Markdown cell before its block, and the block
# prints the worked solution (on the website, the page checks your answer instead).
from dlbasics import exercises

exercises.show_as("solution")"""


def exercise_id(source: str) -> str | None:
    """The id of the exercise that a block asks (`numeric("id", ...)`, `choice`, `predict`)."""
    match = _EXERCISE.search(source)
    return match.group(1) if match else None


def exercise_question(ident: str, asked: Mapping[str, Mapping[str, Any]] | None) -> str:
    """The Markdown that asks exercise `ident` before its solution block: the question and
    options as the build asked them (`dlbasics.exercises.asked()`), and a note that the next
    block is the worked solution."""
    entry = (asked or {}).get(ident)
    note = (
        "*On the website the page checks your answer. Here the next cell is the worked "
        "solution: answer first, then run it.*"
    )
    if entry is None:
        return f"**Exercise `{ident}`.** The question is on the website's page. {note}"
    options = "".join(f"\n{i + 1}. {text}" for i, text in enumerate(entry["options"]))
    return f"**Exercise.** {entry['question']}\n{options}\n\n{note}".replace("\n\n\n", "\n\n")


def _with_exercises(
    cells: list[Cell], asked: Mapping[str, Mapping[str, Any]] | None
) -> tuple[list[Cell], bool]:
    """`cells` with a question cell before each exercise's block; whether there were any."""
    out: list[Cell] = []
    found = False
    for cell in cells:
        ident = exercise_id(cell.source) if cell.kind == "code" else None
        if ident is not None:
            found = True
            out.append(Cell("markdown", exercise_question(ident, asked)))
        out.append(cell)
    return out, found


def to_notebook(
    markdown: str,
    *,
    title: str,
    page_url: str,
    exercises: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """A notebook (nbformat 4.5) as JSON text, with stable cell ids for reproducible builds.

    Each exercise becomes a Markdown cell with its question (from `exercises`, what the
    build asked: `dlbasics.exercises.asked()`) followed by its block, which prints the worked
    solution."""
    intro = (
        f"*Generated from the page [{title}]({page_url}) of Deep Learning Basics. "
        'Run it top to bottom with `pip install "dlbasics[all]"`.*'
    )
    body, has_exercises = _with_exercises(split_cells(markdown), exercises)
    cells = [Cell("markdown", intro), Cell("code", NOTEBOOK_PRELUDE.rstrip())]
    if has_exercises:
        cells.append(Cell("code", EXERCISES_PRELUDE))
    cells += [Cell(c.kind, explorable_note(c.source)) if c.kind == "code" else c for c in body]
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [_cell(cell, index) for index, cell in enumerate(cells)],
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _cell(cell: Cell, index: int) -> dict[str, object]:
    base: dict[str, object] = {
        "cell_type": cell.kind,
        "id": f"cell-{index}",
        "metadata": {},
        "source": cell.source.splitlines(keepends=True),
    }
    if cell.kind == "code":
        base.update(execution_count=None, outputs=[])
    return base


def to_script(
    markdown: str,
    *,
    title: str,
    page_url: str,
    exercises: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The page's executed blocks as one script; the prose as comments between them (an
    exercise's question too, before the block that prints its worked solution)."""
    parts = [
        f'"""{title}: the code of the page {page_url}\n\n'
        "Generated from the page of Deep Learning Basics. The blocks print HTML (figures) and\n"
        'Markdown (tables), which the website renders; here they are printed as text.\n"""\n'
    ]
    body, has_exercises = _with_exercises(split_cells(markdown), exercises)
    if has_exercises:
        parts.append(EXERCISES_PRELUDE + "\n")
    for cell in body:
        if cell.kind == "code":
            parts.append(explorable_note(cell.source) + "\n")
        else:
            comment = "\n".join(("# " + line).rstrip() for line in cell.source.splitlines())
            parts.append(comment + "\n")
    return "\n".join(parts)
