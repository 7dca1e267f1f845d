"""Tests of dlbasics.claims: claims that can fail, and comparisons that respect the noise."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbasics import claims
from dlbasics.claims import ClaimError, claim, compare, grid_optimum, rank

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_claims() -> None:
    claims._claims.clear()


def run_as_block(source: str, page: str = "demo.md", anchor: str = "a-section") -> dict:
    """Run `source` the way markdown-exec runs a page's block whose id the build set."""
    namespace: dict = {}
    filename = f"<code block: id claims|{page}|{anchor}|A section>"
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_a_claim_returns_its_sentence_with_the_measured_values() -> None:
    assert claim("the ratio is {r:.2f}", True, r=0.5966) == "the ratio is 0.60"
    [record] = claims.claims()
    assert record.holds and record.values == {"r": 0.5966} and record.page is None


def test_a_false_claim_raises_with_page_section_sentence_and_values() -> None:
    with pytest.raises(ClaimError) as error:
        run_as_block('from dlbasics.claims import claim\nclaim("x is {x}", False, x=3.25)')
    message = str(error.value)
    assert "demo.md" in message and 'section "A section"' in message
    assert "'x is 3.25'" in message and "x = 3.25" in message


def test_a_claim_knows_where_it_stands_and_links_to_the_claims_page() -> None:
    out = run_as_block(
        'from dlbasics.claims import claim\ntext = claim("ok {n}", True, n=1)', page="topic/p.md"
    )["text"]
    [record] = claims.claims("topic/p.md")
    assert (record.section, record.heading, record.number) == ("a-section", "A section", 1)
    assert record.anchor == "claim-topic-p-1"
    assert 'id="claim-topic-p-1"' in out and 'href="../../claims/#claim-topic-p-1"' in out
    assert "ok 1" in out


def test_forget_drops_a_page_before_it_renders_again() -> None:
    run_as_block('from dlbasics.claims import claim\nclaim("a", True)', page="p.md")
    claims.forget("p.md")
    assert claims.claims("p.md") == []


def test_claim_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="text"):
        claim(3, True)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        claim("needs {value}", True)


def test_numbers_are_listed_rounded_and_sequences_kept() -> None:
    claim("v", True, a=np.float64(1.234567), b=np.int64(3), c=[0.123456, 2], d=float("nan"))
    values = claims.claims()[0].values
    assert values["a"] == 1.235 and values["b"] == 3 and values["c"] == [0.1235, 2]
    assert math.isnan(values["d"])


# --- compare and rank ----------------------------------------------------------------------


def test_compare_names_a_winner_only_when_all_pairs_agree_beyond_two_standard_errors() -> None:
    a, b = [0.70, 0.72, 0.71, 0.73, 0.70], [0.60, 0.61, 0.62, 0.60, 0.61]
    result = compare(a, b, ("FL", "CE"))
    assert result.winner == "FL" and result.text.startswith("FL beats CE")
    assert compare(a, b, ("FL", "CE"), higher_is_better=False).winner == "CE"
    # One pair against the others: not a win, whatever the mean.
    assert compare([0.9, 0.9, 0.5], [0.6, 0.6, 0.6], ("A", "B")).winner is None
    # Two runs are never enough.
    assert compare([0.9, 0.91], [0.1, 0.11], ("A", "B")).winner is None
    assert "within noise" in compare([0.5, 0.6, 0.55], [0.55, 0.5, 0.6]).text


def test_compare_reports_the_paired_statistics() -> None:
    a, b = np.array([0.3, 0.5, 0.4, 0.6]), np.array([0.2, 0.45, 0.3, 0.58])
    result = compare(a, b)
    d = a - b
    assert result.mean_difference == pytest.approx(d.mean())
    assert result.standard_error == pytest.approx(d.std(ddof=1) / 2)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1, 1), min_size=3, max_size=8),
    st.floats(0.01, 1),
)
def test_a_shift_far_beyond_the_spread_always_wins(noise: list[float], shift: float) -> None:
    base = np.linspace(0, 1, len(noise))
    a = base + shift + 1e-3 * np.asarray(noise)
    assert compare(a, base, ("A", "B")).winner == "A"


def test_compare_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="same runs"):
        compare([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least 2"):
        compare([1], [2])
    with pytest.raises(ValueError, match="finite"):
        compare([1, 2, float("nan")], [1, 2, 3])


def test_rank_groups_methods_within_noise_of_the_leader() -> None:
    runs = {
        "A": [0.80, 0.82, 0.81, 0.83],
        "B": [0.79, 0.83, 0.80, 0.84],  # within noise of A
        "C": [0.50, 0.52, 0.51, 0.53],  # beaten by A
    }
    assert rank(runs) == [["A", "B"], ["C"]]
    assert rank(runs, higher_is_better=False)[0] == ["C"]
    with pytest.raises(ValueError, match="at least one"):
        rank({})


def test_grid_optimum_states_the_grid_resolution() -> None:
    best = grid_optimum([0.01, 0.1, 1.0, 10.0], [0.5, 0.2, 0.3, float("nan")])
    assert (best.best, best.lower, best.upper, best.at_edge) == (0.1, 0.01, 1.0, False)
    assert "between its neighbours 0.01 and 1" in best.text
    edge = grid_optimum([1, 2, 3], [3, 2, 1])
    assert edge.at_edge and "outside the grid" in edge.text
    assert grid_optimum([1, 2, 3], [1, 5, 2], lower_is_better=False).best == 2
    with pytest.raises(ValueError, match="increasing"):
        grid_optimum([2, 1], [0, 0])
    with pytest.raises(ValueError, match="diverged"):
        grid_optimum([1, 2], [float("nan")] * 2)


# --- A false claim fails the strict build ------------------------------------------------------


@pytest.mark.slow
def test_a_false_claim_fails_the_strict_build_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(
        textwrap.dedent(
            """\
            # A test page

            ## The section of the claim

            ```python exec="true"
            from dlbasics.claims import claim

            print(claim("Two plus two makes {s}.", 2 + 2 == 5, s=2 + 2))
            ```
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "mkdocs.yml").write_text(
        textwrap.dedent(
            f"""\
            site_name: claims test
            site_url: https://example.org/
            theme: {{name: mkdocs}}
            nav: [index.md, claims.md]
            hooks: [{ROOT / "tools" / "mkdocs_hooks.py"}]
            plugins: [markdown-exec]
            markdown_extensions: [attr_list, toc, pymdownx.superfences]
            """
        ),
        encoding="utf-8",
    )
    env = dict(
        os.environ,
        DLBASICS_CACHE_DIR=str(tmp_path / "cache"),
        DLBASICS_PREFILL="0",
        NO_MKDOCS_2_WARNING="1",
    )
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode != 0, "a false claim must fail the strict build"
    log = build.stdout + build.stderr
    assert "claim does not hold (index.md" in log
    assert 'section "The section of the claim"' in log
    assert "'Two plus two makes 4.'" in log and "s = 4" in log
