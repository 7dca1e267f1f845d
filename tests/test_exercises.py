"""Tests of dlbasics.exercises: the markup the page's script reads, and bad input."""

from __future__ import annotations

import html
import json
import re

import pytest

from dlbasics.exercises import Hint, Option, choice, numeric, overview, predict, progress


def two_thirds() -> float:
    return 2 / 3


def second() -> int:
    return 1


def attribute(markdown: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', markdown)
    assert match, name
    return html.unescape(match.group(1))


def test_numeric_carries_the_computed_answer_tolerance_and_hints() -> None:
    md = numeric(
        "two-thirds",
        "What is 2/3?",
        two_thirds,
        tolerance=0.01,
        relative=True,
        hints=[Hint(1.5, "You divided the other way.")],
        reasoning="Two parts of three.",
        unit="units",
    )
    assert 'id="exercise-two-thirds" data-kind="numeric"' in md
    assert float(attribute(md, "data-answer")) == 2 / 3
    assert float(attribute(md, "data-tolerance")) == pytest.approx(0.01 * 2 / 3)
    assert json.loads(attribute(md, "data-hints")) == [
        {"value": 1.5, "message": "You divided the other way."}
    ]
    assert attribute(md, "data-accepts") == "1% of the answer"
    # the worked solution: collapsed, with the reasoning, the function's source and its value
    assert '??? success "Worked solution"' in md
    assert "    def two_thirds() -> float:" in md and "    Two parts of three." in md
    assert "It returned **0.666667 units**." in md
    assert md.startswith('<div class="dlb-exercise"') and 'markdown="1"' in md


def test_choice_and_predict() -> None:
    options = [Option("one", "it is the first"), Option("two"), Option("three", "too many")]
    md = choice("count", "Which?", options, second, reasoning="Count them.")
    assert 'data-kind="choice"' in md and attribute(md, "data-answer") == "1"
    assert json.loads(attribute(md, "data-reasons")) == ["it is the first", "", "too many"]
    assert "1. one\n2. two\n3. three" in md and "option 2, two" in md
    shown = predict("guess", "Guess?", options, second, reveal="<figure>F</figure>", reasoning="r")
    assert 'data-kind="predict"' in shown
    assert (
        '\n\n<div class="dlb-exercise-reveal" markdown="0">\n<figure>F</figure>\n</div>\n\n'
        in shown
    )


def test_progress_lines() -> None:
    assert 'class="dlb-exercise-progress"' in progress()
    assert 'class="dlb-exercise-progress-all"' in overview()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: numeric("Bad Id", "q", two_thirds, tolerance=0.1, reasoning="r"),
            ValueError,
            "id",
        ),
        (
            lambda: numeric("a", " ", two_thirds, tolerance=0.1, reasoning="r"),
            ValueError,
            "question",
        ),
        (lambda: numeric("a", "q", 0.5, tolerance=0.1, reasoning="r"), TypeError, "answer"),
        (
            lambda: numeric("a", "q", two_thirds, tolerance=0, reasoning="r"),
            ValueError,
            "tolerance",
        ),
        (
            lambda: numeric("a", "q", lambda: float("nan"), tolerance=1, reasoning="r"),
            ValueError,
            "finite",
        ),
        (
            lambda: numeric(
                "a", "q", two_thirds, tolerance=0.1, reasoning="r", hints=[Hint(0.7, "x")]
            ),
            ValueError,
            "within the tolerance",
        ),
        (
            lambda: numeric(
                "a", "q", two_thirds, tolerance=0.1, reasoning="r", hints=[Hint(2, r"\(2\)")]
            ),
            ValueError,
            "hint's message is shown as plain text",
        ),
        (
            lambda: choice(
                "a", "q", [Option("x", "<b>no</b>"), Option("y")], second, reasoning="r"
            ),
            ValueError,
            "reason is shown as plain text",
        ),
        (lambda: choice("a", "q", [Option("x")], second, reasoning="r"), ValueError, "at least 2"),
        (
            lambda: choice("a", "q", [Option("x"), Option("y")], second, reasoning="r"),
            ValueError,
            "reason",
        ),
        (
            lambda: choice("a", "q", [Option("x", "no"), Option("y")], lambda: 5, reasoning="r"),
            ValueError,
            "index",
        ),
    ],
)
def test_bad_input(call, error: type, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


def test_an_answer_without_source_is_refused() -> None:
    with pytest.raises(ValueError, match="source"):
        numeric("a", "q", float.__abs__.__get__(0.5), tolerance=0.1, reasoning="r")  # type: ignore[arg-type]


def test_solution_mode_prints_the_worked_solution_only() -> None:
    from dlbasics import exercises

    exercises.asked(clear=True)
    page = numeric("a", "How much?", two_thirds, tolerance=0.1, reasoning="Two of three.")
    assert exercises.asked() == {"a": {"kind": "numeric", "question": "How much?", "options": []}}
    exercises.show_as("solution")
    try:
        solution = numeric("a", "How much?", two_thirds, tolerance=0.1, reasoning="Two of three.")
        figure = predict(
            "b", "Guess", [Option("x", "no"), Option("y")], second, reveal="<img>", reasoning="r"
        )
    finally:
        exercises.show_as("page")
    assert 'class="dlb-exercise"' in page and "How much?" in page
    assert solution.startswith("**Worked solution.** Two of three.")
    assert "dlb-exercise" not in solution and "How much?" not in solution and "0.666667" in solution
    assert figure.startswith("<img>") and "option 2, y" in figure
    assert set(exercises.asked(clear=True)) == {"a"}  # solutions are not questions asked
    assert exercises.asked() == {}
    with pytest.raises(ValueError, match="mode must be one of"):
        exercises.show_as("notebook")
