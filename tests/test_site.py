"""Checks over the built site (`make build` first; `make test` builds, then runs these).

They run when `site/` exists (or `$DLBASICS_SITE_DIR` names a built site). Under
`make test` (`DLBASICS_REQUIRE_SITE=1`) a missing site is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("DLBASICS_SITE_DIR", ROOT / "site"))
TOPICS = [
    "transfer-learning",
    "batch-normalization",
    "vanishing-gradients",
    "optimizers",
    "focal-loss",
]

pytestmark = pytest.mark.site


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").exists():
        message = f"no built site in {SITE}: run `make build` first"
        if os.environ.get("DLBASICS_REQUIRE_SITE"):
            pytest.fail(message)
        pytest.skip(message)
    return SITE


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


class Resources(HTMLParser):
    """Collects the URLs a page loads by itself (scripts, stylesheets, images, frames)."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and a.get("src"):
            self.loaded.append(a["src"] or "")
        if (
            tag == "link"
            and a.get("href")
            and (a.get("rel") or "")
            in (
                "stylesheet",
                "preload",
                "icon",
                "manifest",
                "modulepreload",
            )
        ):
            self.loaded.append(a["href"] or "")


def test_every_topic_and_reference_page_is_built(site: Path) -> None:
    for topic in TOPICS:
        assert (site / topic / "index.html").exists(), f"missing page {topic}"
    for module in (ROOT / "docs" / "reference").glob("*.md"):
        name = "" if module.stem == "index" else module.stem + "/"
        assert (site / "reference" / name / "index.html").exists(), f"missing {module}"


@pytest.mark.parametrize("topic", TOPICS)
def test_topic_page_has_inline_figures(site: Path, topic: str) -> None:
    html = (site / topic / "index.html").read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="dlb-figure">(<svg |<img )', html)
    assert figures, f"{topic} has no figure produced by the build"
    for tag in re.findall(r'<figure class="dlb-figure">(<svg [^>]*>|<img [^>]*>)', html):
        assert re.search(r'(aria-label|alt)="[^"]+"', tag), f"figure without alt text on {topic}"


def test_no_page_shows_a_traceback_or_a_failed_block(site: Path) -> None:
    bad = re.compile(r"Traceback \(most recent call last\)|exited with errors|Error:\s*<")
    for page in pages(site):
        text = page.read_text(encoding="utf-8")
        match = bad.search(text)
        assert match is None, f"{page.relative_to(site)} shows {match.group(0)!r}"


def test_pages_load_nothing_from_other_hosts(site: Path) -> None:
    for page in pages(site):
        parser = Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        external = [u for u in parser.loaded if re.match(r"^(https?:)?//", u)]
        assert not external, f"{page.relative_to(site)} loads {external}"


def test_math_assets_are_served_locally(site: Path) -> None:
    assert (site / "assets" / "katex" / "katex.min.js").stat().st_size > 100_000
    assert list((site / "assets" / "katex" / "fonts").glob("KaTeX_Main-Regular.woff2"))
    css = (site / "assets" / "katex" / "katex.min.css").read_text()
    assert "fonts/KaTeX_Main-Regular.woff2" in css
