"""Two builds of the same commit give byte-identical pages, figures and downloads.

To bound the time, both builds start from a copy of the experiment cache of `make build`
(`.cache/dlbasics`), **minus the entries of one topic whose experiments draw random
numbers**, which both builds therefore recompute from scratch. The first build computes them
in the prefill pool's worker processes (tools/prefill.py), the second serially in MkDocs'
own process (`DLBASICS_PREFILL=0`): so this also checks that the pool changes no byte. The
first build stores its converted pages (tools/page_cache.py); a third build on its cache
serves every page from there, and must give the same bytes as the two that converted them. The
second build also starts without the rendered-math cache, so KaTeX renders every formula
again: the cache changes no byte either. The sitemap too: its dates are the source commit's
(the hooks set SOURCE_DATE_EPOCH), not the day of the build.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("DLBASICS_CACHE_DIR", ROOT / ".cache" / "dlbasics"))
#: Seeded synthetic data and training runs, and the figures drawn from them.
RECOMPUTED = ("dlbasics.focal_loss.experiments", "dlbasics.focal_loss.figures")

pytestmark = [pytest.mark.site, pytest.mark.slow]


def build(
    tmp: Path, name: str, *, pool: bool, pages: bool = True, cache: Path | None = None
) -> Path:
    """A strict build into `tmp/site-NAME`; with `cache`, on that experiment cache as it is."""
    if cache is None:
        cache = tmp / f"cache-{name}"
        if CACHE.exists():
            # Without the manifest every page counts as stale: the pool runs them all.
            # The serial build also renders every formula afresh: the math cache changes no
            # byte. No stored page or search entries: every page is converted again.
            math = () if pool else ("katex",)
            ignore = shutil.ignore_patterns(*RECOMPUTED, ".pages.json", "pages", "search", *math)
            shutil.copytree(CACHE, cache, ignore=ignore)
    site = tmp / f"site-{name}"
    env = dict(os.environ, DLBASICS_CACHE_DIR=str(cache), NO_MKDOCS_2_WARNING="1")
    env["DLBASICS_PREFILL"] = "1" if pool else "0"
    env["DLBASICS_PAGE_CACHE"] = "1" if pages else "0"
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    for module in RECOMPUTED:
        assert (cache / module).is_dir(), f"{module} computed nothing: pick another module"
    assert (cache / "katex" / "formulas.json").is_file(), "no rendered math cached"
    return site


def differing(a: Path, b: Path) -> list[str]:
    out: list[str] = []
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    out += [f"only in one build: {p}" for p in sorted(files_a ^ files_b)]
    for rel in sorted(files_a & files_b):
        if not filecmp.cmp(a / rel, b / rel, shallow=False):
            out.append(str(rel))
    return out


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    if os.environ.get("DLBASICS_REQUIRE_SITE") is None and not CACHE.exists():
        pytest.skip("run `make build` first (the second build reuses its cache)")
    first = build(tmp_path, "a", pool=True)
    second = build(tmp_path, "b", pool=False, pages=False)
    report = json.loads((tmp_path / "cache-a" / ".prefill.json").read_text(encoding="utf-8"))
    assert "focal-loss.md" in [r["page"] for r in report["pages"]]  # the pool computed it
    assert differing(first, second) == []
    # the first build stored its pages: a third build serves them all, and changes no byte
    pages = tmp_path / "cache-a" / "pages"
    stored = {p.name: p.stat().st_mtime_ns for p in pages.glob("*.pkl")}
    assert len(stored) >= 6, f"the page cache stored {len(stored)} pages"
    third = build(tmp_path, "c", pool=True, cache=tmp_path / "cache-a")
    # served, not converted and stored again
    assert {p.name: p.stat().st_mtime_ns for p in pages.glob("*.pkl")} == stored
    assert differing(first, third) == []
