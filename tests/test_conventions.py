# ruff: noqa: F811 - the fixtures imported from the other site tests are redefined as arguments
"""The page conventions (CONTRIBUTING.md, "Page conventions"), checked on the built site.

A page opts in with `page_conventions: true` in its front matter; the checks below then hold
for it: every claim holds and is listed on the claims page, every experiment section carries a
checked claim, a box of 3–6 key takeaways opens the page, figures are numbered and referred
to, figure text is at least 11 px as displayed, and nothing overflows the page at 390 px.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .test_browser import browser, server  # noqa: F401 - fixtures
from .test_site import ROOT, site  # noqa: F401 - a fixture

pytestmark = pytest.mark.site


def convention_pages() -> list[str]:
    """Source paths of the pages that follow the conventions."""
    out = []
    for path in sorted((ROOT / "docs").glob("*.md")):
        head = path.read_text(encoding="utf-8").split("\n---", 1)[0]
        if head.startswith("---") and re.search(r"^page_conventions:\s*true\s*$", head, re.M):
            out.append(path.name)
    return out


def html_of(site_dir: Path, page: str) -> str:
    return (site_dir / page.removesuffix(".md") / "index.html").read_text(encoding="utf-8")


def records(site_dir: Path) -> list[dict[str, Any]]:
    return list(json.loads((site_dir / "claims.json").read_text(encoding="utf-8")))


def test_the_pilot_page_follows_the_conventions() -> None:
    assert "focal-loss.md" in convention_pages()


def test_the_claims_page_lists_every_claim_and_all_hold(site: Path) -> None:
    claims = records(site)
    assert len(claims) >= 15
    listing = (site / "claims" / "index.html").read_text(encoding="utf-8")
    for c in claims:
        assert c["holds"], c
        assert f'id="{c["anchor"]}"' in listing, f"{c['anchor']} missing from the claims page"
        assert f'id="{c["anchor"]}"' in html_of(site, c["page"]), c["anchor"]
    assert f"<strong>{len(claims)} claims, {len(claims)} holding, 0 failing.</strong>" in listing
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="claims/"' in home, "the home page links the claims page"


@pytest.mark.parametrize("page", convention_pages())
def test_every_experiment_section_carries_a_checked_claim(site: Path, page: str) -> None:
    blocks = json.loads((site / "blocks.json").read_text(encoding="utf-8"))[page]
    sections = {b["anchor"]: b["heading"] for b in blocks if b["experiment"]}
    claimed = {c["section"] for c in records(site) if c["page"] == page}
    missing = {heading for anchor, heading in sections.items() if anchor not in claimed}
    assert sections and not missing, f"experiment sections without a checked claim: {missing}"


@pytest.mark.parametrize("page", convention_pages())
def test_takeaways_open_the_page_each_a_claim_linked_to_its_section(site: Path, page: str) -> None:
    html = html_of(site, page)
    box = re.search(r'<div class="admonition abstract">(.*?)</div>', html, re.S)
    assert box and "Key takeaways" in box.group(1), "no takeaways box"
    items = re.findall(r"<li>(.*?)</li>", box.group(1), re.S)
    assert 3 <= len(items) <= 6, f"{len(items)} takeaways"
    ids = set(re.findall(r'id="([^"]+)"', html))
    for item in items:
        assert 'class="dlb-claim"' in item, f"a takeaway that is not a claim: {item[:80]}"
        links = re.findall(r'href="#([^"]+)"', item)
        assert links and all(link in ids for link in links), f"unlinked takeaway: {item[:80]}"
    first_section = html.index("<h2")
    assert box.start() < first_section, "the takeaways come before the first section"


@pytest.mark.parametrize("page", convention_pages())
def test_figures_are_numbered_and_referred_to(site: Path, page: str) -> None:
    html = html_of(site, page)
    figures = re.findall(
        r'<figure class="dlb-figure" id="([^"]+)">.*?<figcaption>(.*?)</figcaption>', html, re.S
    )
    assert figures
    outside = re.sub(r"<figure .*?</figure>", "", html, flags=re.S)
    for number, (name, caption) in enumerate(figures, start=1):
        assert caption.startswith(f"<strong>Figure {number}.</strong> "), caption[:60]
        assert len(re.sub(r"<[^>]+>", "", caption)) > len(f"Figure {number}.") + 20, caption
        assert f'href="#{name}">Figure {number}</a>' in outside, f"Figure {number} not referred to"


@pytest.mark.browser
@pytest.mark.parametrize("page", convention_pages())
def test_figure_text_is_legible_and_nothing_overflows(browser: Any, server: str, page: str) -> None:
    problems = []
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        view = context.new_page()
        view.goto(f"{server}/{page.removesuffix('.md')}/index.html", wait_until="networkidle")
        # Blocks below the first screen skip layout until scrolled to (content-visibility):
        # laid out all at once here, so that every figure has its displayed size and any
        # overflow shows, as it would once the reader scrolls there.
        view.add_style_tag(
            content=".md-content__inner > * { content-visibility: visible !important; }"
        )
        # the figures a prediction hides until the reader guesses are measured too
        view.evaluate(
            "document.querySelectorAll('.dlb-exercise-reveal').forEach(r => { r.hidden = false; })"
        )
        overflow = view.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            problems.append(f"{width} px: the page scrolls sideways by {overflow} px")
        if width == 1280:
            sizes = view.evaluate(
                """() => [...document.querySelectorAll('.dlb-figure img[data-font-px]')]
                  .filter(img => getComputedStyle(img).display !== 'none')
                  .map(img => ({
                    src: img.getAttribute('src'),
                    px: parseFloat(img.dataset.fontPx) * img.getBoundingClientRect().width
                        / parseFloat(img.getAttribute('width')),
                  }))"""
            )
            assert sizes, "no figure reports its text size"
            problems += [
                f"figure {s['src']}: smallest text {s['px']:.1f} px as displayed"
                for s in sizes
                if s["px"] < 11
            ]
        context.close()
    assert not problems, "\n".join(problems)
