r"""Claims the build checks, and comparisons that name a winner only when it beats the noise.

A page's sentence that reads a result is a **claim**: it is stated where the experiment
supports it, with its numbers taken from the experiment, and a condition that must hold:

```python
crossing = ratio_crossing(curves, gamma=2.0)
print(claim(
    "The focal gradient exceeds cross-entropy's only below p = {p:.2f}.",
    0.2 < crossing < 0.4 and curves_cross_once,
    p=crossing,
))
```

[`claim`][dlbasics.claims.claim] formats the sentence with the measured values and returns it
(with a link to the site's list of claims). If the condition is false it raises
[`ClaimError`][dlbasics.claims.ClaimError], naming the page, the section, the sentence and the
values: in the site's strict build that fails the build, and in a downloaded notebook or
script it is a plain check that stops with the same message. The build collects every claim
into the page "Claims checked by this build".

[`compare`][dlbasics.claims.compare] and [`rank`][dlbasics.claims.rank] compare methods
over runs (seeds) and name a winner only when the difference beats its spread; every "X beats
Y" on the site goes through them. [`grid_optimum`][dlbasics.claims.grid_optimum] reports
the best point of a grid search together with the resolution of the grid.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Claim",
    "ClaimError",
    "Comparison",
    "GridOptimum",
    "claim",
    "claims",
    "compare",
    "forget",
    "grid_optimum",
    "raise_on_failure",
    "rank",
]


class ClaimError(AssertionError):
    """A claim of a page does not hold: the message names the page, the section, the claim
    and the measured values."""


@dataclass(frozen=True)
class Claim:
    """One claim as the build checked it."""

    text: str  # the sentence, with the measured values filled in
    holds: bool
    values: dict[str, Any]
    page: str | None  # the page's source path (`focal-loss.md`), None outside the build
    section: str | None  # the anchor of the section the claim stands in
    heading: str | None  # that section's title
    number: int  # 1, 2, … within the page

    @property
    def anchor(self) -> str:
        """The id of the claim in the page and on the claims page."""
        stem = (self.page or "page").removesuffix(".md").replace("/", "-")
        return f"claim-{stem}-{self.number}"


_claims: list[Claim] = []
#: Where the block being run stands, set by the site's build through the block's id:
#: `<code block: id claims|PAGE|ANCHOR|HEADING>`.
_BLOCK = re.compile(
    r"<code block: id claims\|(?P<page>[^|]*)\|(?P<anchor>[^|]*)\|(?P<heading>[^>]*)>"
)
#: Whether a false claim raises (the prefill pool's workers only fill the cache: the build
#: itself then raises, in the claim's own page).
raise_on_failure = True


def claims(page: str | None = None) -> list[Claim]:
    """Every claim checked so far in this process (those of `page` only, if given)."""
    return [c for c in _claims if page is None or c.page == page]


def forget(page: str) -> None:
    """Drop the claims of `page` (it is about to be rendered again)."""
    _claims[:] = [c for c in _claims if c.page != page]


def _where() -> tuple[str | None, str | None, str | None]:
    """The page and section of the code block that called `claim`, from its frames."""
    frame = sys._getframe(2)
    while frame is not None:
        match = _BLOCK.match(frame.f_code.co_filename)
        if match:
            return match["page"], match["anchor"] or None, match["heading"] or None
        frame = frame.f_back  # type: ignore[assignment]
    return None, None, None


def _shown(value: Any) -> Any:
    """A value as the claims page lists it: numbers rounded to 4 significant digits."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if not math.isfinite(v) or v == 0 else float(f"{v:.4g}")
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and len(value) <= 12:
        return [_shown(v) for v in value]
    return repr(value)[:80]


def claim(text: str, holds: Any, /, **values: Any) -> str:
    """State a claim: `text` formatted with the measured `values`, and a condition `holds`
    that must be true.

    Args:
        text: The sentence, as `str.format` template over `values` (`"ratio {r:.2f}"`). Every
            number it states must come from `values`, never be typed in.
        holds: The condition under which the sentence is true (anything with a truth value;
            a numpy boolean is fine).
        **values: The measured values: they fill the sentence and are listed on the claims page.

    Returns:
        The sentence, for a page block to print (followed by a small link to the claim on the
        site's list of claims when run by the build).

    Raises:
        ClaimError: `holds` is false, with the page, the section, the sentence and the values.
        TypeError: `text` is not a string.
        KeyError: `text` names a value that was not given.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be the claim's sentence (a str), got {type(text).__name__}")
    sentence = text.format(**values)
    page, section, heading = _where()
    number = len(claims(page)) + 1
    record = Claim(
        text=sentence,
        holds=bool(holds),
        values={k: _shown(v) for k, v in values.items()},
        page=page,
        section=section,
        heading=heading,
        number=number,
    )
    _claims.append(record)
    if not record.holds and raise_on_failure:
        where = f"{page or 'outside the site build'}"
        if heading:
            where += f', section "{heading}"'
        measured = ", ".join(f"{k} = {v!r}" for k, v in record.values.items()) or "none"
        raise ClaimError(f"claim does not hold ({where}): {sentence!r}; measured: {measured}")
    if page is None:
        return sentence
    depth = page.count("/") + 1
    href = "../" * depth + f"claims/#{record.anchor}"
    return (
        f'<span class="dlb-claim" id="{record.anchor}">{sentence}'
        f'<a class="dlb-claim-link" href="{href}" title="Checked by this build" '
        f'aria-label="checked by this build: claim {number} of this page">✓</a></span>'
    )


# --- Honest comparisons ----------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """The outcome of [`compare`][dlbasics.claims.compare]."""

    names: tuple[str, str]
    mean_difference: float  # mean of (first − second), over the paired runs
    standard_error: float
    differences: tuple[float, ...]
    winner: str | None  # None: within noise
    rule: str = field(repr=False)

    @property
    def text(self) -> str:
        """ "A beats B" or "A and B are within noise", with the numbers behind it."""
        a, b = self.names
        d, se, n = self.mean_difference, self.standard_error, len(self.differences)
        numbers = f"mean difference {d:+.3g} ± {se:.2g} (standard error, {n} runs)"
        if self.winner is None:
            return f"{a} and {b} are within noise ({numbers})"
        loser = b if self.winner == a else a
        return f"{self.winner} beats {loser} ({numbers})"


RULE = (
    "a winner is named only with at least 3 paired runs whose differences all have one sign "
    "and whose mean difference exceeds twice its standard error"
)


def compare(
    first: Sequence[float],
    second: Sequence[float],
    names: tuple[str, str] = ("A", "B"),
    *,
    higher_is_better: bool = True,
) -> Comparison:
    r"""Compare two methods over paired runs (run \(i\) of both shares its seed and data).

    **The rule:** a winner is named only with at least 3 paired runs whose differences
    \(d_i = a_i - b_i\) all have one sign **and** whose mean \(\bar d\) exceeds twice its
    standard error, \(|\bar d| > 2\,s_d/\sqrt n\). Otherwise the two are "within noise".

    Args:
        first: One score per run for the first method.
        second: The same runs for the second method.
        names: The methods' names, for the text.
        higher_is_better: Whether a larger score is better (AP, accuracy) or worse (a loss).
    """
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(
            f"first and second must be 1-D scores of the same runs, got shapes {a.shape} "
            f"and {b.shape}"
        )
    if len(a) < 2:
        raise ValueError(f"compare needs at least 2 paired runs, got {len(a)}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("first and second must be finite")
    d = a - b
    mean = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(len(d)))
    one_sign = bool((d > 0).all() or (d < 0).all())
    winner = None
    if len(d) >= 3 and one_sign and abs(mean) > 2 * se:
        first_wins = (mean > 0) == higher_is_better
        winner = names[0] if first_wins else names[1]
    return Comparison(names, mean, se, tuple(float(x) for x in d), winner, RULE)


def rank(runs: Mapping[str, Sequence[float]], *, higher_is_better: bool = True) -> list[list[str]]:
    """Order methods by mean score, in groups: a method starts a new group only when it is
    beaten, by [`compare`][dlbasics.claims.compare]'s rule, by every method of the group
    before. Methods in one group are within noise of the group's best.

    Args:
        runs: Method name → one score per run (the same runs, paired, for every method).
        higher_is_better: Whether a larger score is better.

    Returns:
        Groups of names, best first (`[["FL", "CE"], ["OHEM"]]`).
    """
    if not runs:
        raise ValueError("runs must name at least one method")
    sign = 1.0 if higher_is_better else -1.0
    order = sorted(runs, key=lambda m: -sign * float(np.mean(runs[m])))
    groups: list[list[str]] = [[order[0]]]
    for method in order[1:]:
        leader = groups[-1][0]
        result = compare(
            runs[leader], runs[method], (leader, method), higher_is_better=higher_is_better
        )
        if result.winner == leader:
            groups.append([method])
        else:
            groups[-1].append(method)
    return groups


@dataclass(frozen=True)
class GridOptimum:
    """The best point of a grid search, and how fine the grid was around it."""

    best: float
    value: float
    lower: float | None  # the neighbouring grid points: the optimum lies between them
    upper: float | None
    at_edge: bool

    @property
    def text(self) -> str:
        """The best grid point, and that the optimum is only as fine as the grid."""
        if self.at_edge:
            return (
                f"the best of the grid is {self.best:g}, at its edge: the optimum may lie "
                "outside the grid"
            )
        return (
            f"the best of the grid is {self.best:g}; the grid cannot tell the optimum apart "
            f"from anything between its neighbours {self.lower:g} and {self.upper:g}"
        )


def grid_optimum(
    grid: Sequence[float], values: Sequence[float], *, lower_is_better: bool = True
) -> GridOptimum:
    """The best point of a one-dimensional grid search, with its neighbours.

    Args:
        grid: The grid points, increasing.
        values: The measured value at each point (NaN for a diverged run: never the best).
        lower_is_better: Whether the smallest value is the best (a loss).
    """
    g, v = np.asarray(grid, dtype=float), np.asarray(values, dtype=float)
    if g.ndim != 1 or g.shape != v.shape or len(g) < 2:
        raise ValueError(
            f"grid and values must be 1-D of one length >= 2, got {g.shape} and {v.shape}"
        )
    if not (np.diff(g) > 0).all():
        raise ValueError("grid must be increasing")
    scores = np.where(np.isfinite(v), v if lower_is_better else -v, np.inf)
    if not np.isfinite(scores).any():
        raise ValueError("values has no finite entry: every run diverged")
    i = int(np.argmin(scores))
    at_edge = i in (0, len(g) - 1)
    return GridOptimum(
        best=float(g[i]),
        value=float(v[i]),
        lower=float(g[i - 1]) if i > 0 else None,
        upper=float(g[i + 1]) if i < len(g) - 1 else None,
        at_edge=at_edge,
    )
