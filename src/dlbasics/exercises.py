"""Exercises whose answers the build computes and the page checks, offline.

An exercise is one executed block on a page that prints what one of these helpers returns:

```python
from dlbasics.exercises import numeric
from dlbasics.optimizers.experiments import window_share_answer

print(numeric("window-share", "β = 0.95: what share of the weight lies on the last 20 "
              "samples?", window_share_answer, tolerance=0.005, reasoning="..."))
```

- [`numeric`][dlbasics.exercises.numeric]: the reader types a number, checked within a
  stated tolerance; [`Hint`][dlbasics.exercises.Hint]s name a likely mistake when the
  answer matches it.
- [`choice`][dlbasics.exercises.choice]: one right option among several, each wrong one
  with a one-line reason.
- [`predict`][dlbasics.exercises.predict]: a multiple choice whose figure stays hidden until
  the reader commits to a guess.

The answer is never typed: it is what a function of the topic's `experiments.py` returns
(`*_answer`, cached where it is expensive), and the collapsed worked solution shows that
function's source, the reasoning and the value. The helpers return Markdown (the page's
math and code highlighting apply to it); `docs/javascripts/exercises.js` adds the input,
checks it, announces the result and keeps the page's progress in `localStorage`. Without
JavaScript the question and its worked solution stay readable.
"""

from __future__ import annotations

import html
import inspect
import json
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Hint",
    "Option",
    "asked",
    "choice",
    "numeric",
    "overview",
    "predict",
    "progress",
    "show_as",
]

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MODES = ("page", "solution")
_mode = "page"
#: id → the question (and options) of every exercise asked since the last `asked(clear=True)`
_asked: dict[str, dict[str, Any]] = {}


def show_as(mode: str) -> None:
    """What the helpers return: `"page"` (default) the whole exercise for the site, with its
    input and collapsed solution; `"solution"` only the worked solution (and, for
    [`predict`][dlbasics.exercises.predict], the figure), in plain Markdown. A downloaded
    notebook asks the question in a Markdown cell and runs the exercise's block in
    `"solution"` mode in the cell after it."""
    global _mode
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    _mode = mode


def asked(*, clear: bool = False) -> dict[str, dict[str, Any]]:
    """The exercises asked so far, by id: `{"kind", "question", "options"}` (the option texts
    in order; empty for a numeric exercise). With `clear`, forget them afterwards. The site's
    build reads them per page to write the downloads' question cells."""
    out = dict(_asked)
    if clear:
        _asked.clear()
    return out


@dataclass(frozen=True)
class Hint:
    """A likely mistake of a numeric exercise: the value it gives, and what to say.

    Attributes:
        value: The wrong answer the mistake leads to (computed, like the answer).
        message: A hint aimed at that mistake, e.g. "Did you forget the bias correction?"
            (plain text: the page's script shows it as it is, so math is written in Unicode).
    """

    value: float
    message: str


@dataclass(frozen=True)
class Option:
    """One option of a multiple choice.

    Attributes:
        text: The option as the reader sees it (Markdown, one line).
        reason: Why it is wrong, shown when chosen (plain text, math in Unicode); `None` for
            the right option.
    """

    text: str
    reason: str | None = None


def _check_id(ident: str) -> str:
    if not isinstance(ident, str) or not _ID.match(ident):
        raise ValueError(f"id must be a lowercase slug like 'window-share', got {ident!r}")
    return ident


def _check_text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be non-empty text, got {value!r}")
    return value.strip()


_MARKUP = re.compile(r"\\[(\[]|\$|<")


def _check_plain(name: str, value: Any) -> str:
    """Text that the page's script shows as it is (a hint, a wrong option's reason): math
    there would reach the reader as raw TeX, since formulas are typeset at build time."""
    value = _check_text(name, value)
    if _MARKUP.search(value):
        raise ValueError(
            f"{name} is shown as plain text, so it cannot hold TeX or HTML (write the math in "
            f"Unicode, e.g. 0.1/√0.001), got {value!r}"
        )
    return value


def _source(function: Callable[..., Any]) -> str:
    try:
        return textwrap.dedent(inspect.getsource(function)).strip()
    except (OSError, TypeError) as error:
        raise ValueError(
            f"answer must be a function defined in a module (its source is the worked "
            f"solution), got {function!r}"
        ) from error


def _attribute(value: Any) -> str:
    return html.escape(json.dumps(value, ensure_ascii=False), quote=True)


def _indent(markdown: str) -> str:
    return textwrap.indent(markdown, "    ")


def _solution_body(function: Callable[..., Any], reasoning: str, shown: str) -> str:
    return (
        f"{reasoning}\n\n"
        f"The build computed the answer with this function of the library:\n\n"
        f"```python\n{_source(function)}\n```\n\n"
        f"It returned **{shown}**."
    )


def _solution(function: Callable[..., Any], reasoning: str, shown: str) -> str:
    """The collapsed worked solution: the reasoning, the code that computed the answer, and
    what it returned."""
    return f'??? success "Worked solution"\n{_indent(_solution_body(function, reasoning, shown))}\n'


def _solution_only(function: Callable[..., Any], reasoning: str, shown: str) -> str:
    return f"**Worked solution.** {_solution_body(function, reasoning, shown)}\n"


def _format(value: float) -> str:
    return f"{value:.6g}"


def numeric(
    ident: str,
    question: str,
    answer: Callable[[], float],
    *,
    tolerance: float,
    relative: bool = False,
    reasoning: str,
    hints: Sequence[Hint] = (),
    unit: str = "",
) -> str:
    r"""A numeric exercise: the reader types a number; right when
    \(|x - a| \le\) `tolerance` (or \(\le\) `tolerance`·\(|a|\) when `relative`).

    Args:
        ident: A slug, unique on the page (the progress is kept under it).
        question: The question (Markdown, math allowed).
        answer: A function of the library, called with no arguments, that returns the answer.
        tolerance: The accepted error (\(> 0\)), absolute or relative.
        relative: Whether `tolerance` is relative to the answer.
        reasoning: The worked solution's explanation (Markdown).
        hints: Likely mistakes and what to say when the reader's answer matches one.
        unit: Shown after the input (e.g. "samples").

    Returns:
        The exercise as Markdown.
    """
    ident, question = _check_id(ident), _check_text("question", question)
    reasoning = _check_text("reasoning", reasoning)
    if not callable(answer):
        raise TypeError(f"answer must be a function returning a number, got {answer!r}")
    value = float(answer())
    if not math.isfinite(value):
        raise ValueError(f"answer() must return a finite number, got {value!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance <= 0:
        raise ValueError(f"tolerance must be a number > 0, got {tolerance!r}")
    allowed = tolerance * abs(value) if relative else float(tolerance)
    stated = f"{tolerance:.0%} of the answer" if relative else f"±{tolerance:g}"
    hint_data = []
    for hint in hints:
        if not isinstance(hint, Hint):
            raise TypeError(f"hints must be Hint objects, got {hint!r}")
        if abs(float(hint.value) - value) <= allowed:
            raise ValueError(
                f"a hint's value {hint.value!r} is within the tolerance of the answer {value!r}"
            )
        hint_data.append(
            {"value": float(hint.value), "message": _check_plain("a hint's message", hint.message)}
        )
    shown = _format(value) + (" " + unit if unit else "")
    if _mode == "solution":
        return _solution_only(answer, reasoning, shown)
    _asked[ident] = {"kind": "numeric", "question": question, "options": []}
    attributes = (
        f'class="dlb-exercise" id="exercise-{ident}" data-kind="numeric" '
        f'data-answer="{value!r}" data-tolerance="{allowed!r}" '
        f'data-hints="{_attribute(hint_data)}" data-unit="{html.escape(unit, quote=True)}" '
        f'data-accepts="{html.escape(stated, quote=True)}"'
    )
    return (
        f'<div {attributes} markdown="1">\n\n'
        f"{question}\n\n"
        f"{_solution(answer, reasoning, shown)}\n"
        "</div>\n"
    )


def choice(
    ident: str,
    question: str,
    options: Sequence[Option],
    answer: Callable[[], int],
    *,
    reasoning: str,
) -> str:
    """A multiple choice: `answer()` returns the index of the right option, computed by the
    library (e.g. which of the options a measurement picks out).

    Args:
        ident: A slug, unique on the page.
        question: The question (Markdown).
        options: At least two [`Option`][dlbasics.exercises.Option]s; every wrong one has a
            reason, the right one has none.
        answer: A function of the library returning the right option's index.
        reasoning: The worked solution's explanation (Markdown).

    Returns:
        The exercise as Markdown.
    """
    return _choice(ident, question, options, answer, reasoning=reasoning, reveal=None)


def progress() -> str:
    """The line that shows "n of m exercises on this page solved", with a reset button
    (filled in by the page's script; empty without it)."""
    return '<div class="dlb-exercise-progress"></div>\n'


def overview() -> str:
    """The home page's list of every page's progress, with a reset button."""
    return '<div class="dlb-exercise-progress-all"></div>\n'


def predict(
    ident: str,
    question: str,
    options: Sequence[Option],
    answer: Callable[[], int],
    *,
    reveal: str,
    reasoning: str,
) -> str:
    """Predict, then look: a multiple choice whose figure (`reveal`, the HTML of a figure or
    an explorable) is hidden until the reader commits to a guess.

    On a page with numbered figures, the `Figure:` paragraph goes right after the block, as
    for any figure: it becomes the revealed figure's caption.

    Args:
        ident: A slug, unique on the page.
        question: What to predict (Markdown).
        options: The possible predictions, as for [`choice`][dlbasics.exercises.choice].
        answer: A function of the library returning the index of the right prediction.
        reveal: The figure's HTML, shown once the reader has guessed (and without JavaScript).
        reasoning: The worked solution's explanation (Markdown).

    Returns:
        The exercise as Markdown.
    """
    return _choice(
        ident, question, options, answer, reasoning=reasoning, reveal=_check_text("reveal", reveal)
    )


def _choice(
    ident: str,
    question: str,
    options: Sequence[Option],
    answer: Callable[[], int],
    *,
    reasoning: str,
    reveal: str | None,
) -> str:
    ident, question = _check_id(ident), _check_text("question", question)
    reasoning = _check_text("reasoning", reasoning)
    options = tuple(options)
    if len(options) < 2 or not all(isinstance(o, Option) for o in options):
        raise ValueError(f"options must be at least 2 Option objects, got {options!r}")
    if not callable(answer):
        raise TypeError(f"answer must be a function returning an option's index, got {answer!r}")
    right = answer()
    if isinstance(right, bool) or not isinstance(right, int) or not 0 <= right < len(options):
        raise ValueError(f"answer() must return an index in [0, {len(options)}), got {right!r}")
    for i, option in enumerate(options):
        _check_text("an option's text", option.text)
        if option.reason is not None:
            _check_plain("a wrong option's reason", option.reason)
        if (i == right) != (option.reason is None):
            which = "the right option has a reason" if i == right else "a wrong option has none"
            raise ValueError(f"every wrong option needs a reason, the right one none: {which}")
    kind = "predict" if reveal is not None else "choice"
    shown = f"option {right + 1}, {options[right].text}"
    if _mode == "solution":
        figure = f"{reveal}\n\n" if reveal else ""
        return figure + _solution_only(answer, reasoning, shown)
    _asked[ident] = {"kind": kind, "question": question, "options": [o.text for o in options]}
    reasons = [o.reason or "" for o in options]
    attributes = (
        f'class="dlb-exercise" id="exercise-{ident}" data-kind="{kind}" '
        f'data-answer="{right}" data-reasons="{_attribute(reasons)}"'
    )
    listing = "\n".join(f"{i + 1}. {o.text}" for i, o in enumerate(options))
    figure = (
        f'\n\n<div class="dlb-exercise-reveal" markdown="0">\n{reveal}\n</div>\n\n'
        if reveal
        else ""
    )
    return (
        f'<div {attributes} markdown="1">\n\n'
        f"{question}\n\n"
        f'<div class="dlb-exercise-options" markdown="1">\n\n{listing}\n\n</div>\n'
        f"{figure}\n"
        f"{_solution(answer, reasoning, shown)}\n"
        "</div>\n"
    )
