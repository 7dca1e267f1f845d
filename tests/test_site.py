"""Checks over the built site (`make build` first; `make test` builds, then runs these).

They run when `site/` exists (or `$DLBASICS_SITE_DIR` names a built site). Under
`make test` (`DLBASICS_REQUIRE_SITE=1`) a missing site is a failure, not a skip.
"""

from __future__ import annotations

import html as htmllib
import json
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
        self.dark: set[str] = set()  # images shown only on the dark palette
        self.not_dark: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and a.get("src"):
            self.loaded.append(a["src"] or "")
            dark = tag == "img" and "dlb-dark" in (a.get("class") or "").split()
            (self.dark if dark else self.not_dark).add(a["src"] or "")
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
def test_topic_page_figures_are_files_per_palette(site: Path, topic: str) -> None:
    """Each figure: images that reserve their size, load lazily, have alt text and point at
    files of the site; a figure drawn in the site's ink comes as a light and a dark file."""
    html = (site / topic / "index.html").read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="dlb-figure"[^>]*>(.*?)</figure>', html, re.S)
    assert figures, f"{topic} has no figure produced by the build"
    for figure in figures:
        images = re.findall(r"<img [^>]*>", figure)
        assert images and "<svg" not in figure, f"an inline figure on {topic}"
        classes = sorted(re.findall(r'class="dlb-(light|dark)"', figure))
        assert classes in ([], ["dark", "light"]), f"palette versions {classes} on {topic}"
        for tag in images:
            assert re.search(r'alt="[^"]+"', tag), f"figure without alt text on {topic}"
            assert re.search(r'width="\d+" height="\d+"', tag), f"no reserved size: {tag[:80]}"
            assert 'loading="lazy"' in tag
            src = re.search(r'src="([^"]+)"', tag)
            assert src and src.group(1).startswith("../assets/figures/"), tag[:80]
            assert (site / topic / src.group(1)).resolve().is_file(), f"missing {src.group(1)}"
    # an explorable's other frames, listed in its data-frames attribute, are files too
    for listing in re.findall(r'data-frames="([^"]*)"', html):
        for frame in json.loads(htmllib.unescape(listing)):
            for palette in ("light", "dark"):
                url = frame[palette]
                assert url.startswith("../assets/figures/"), f"frame URL {url} on {topic}"
                assert (site / topic / url).resolve().is_file(), f"missing frame {url}"
    assert "dlb-asset:" not in html, f"a figure URL on {topic} was not rewritten"


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
    css = (site / "assets" / "katex" / "katex.min.css").read_text()
    assert "fonts/KaTeX_Main-Regular.woff2" in css
    assert list((site / "assets" / "katex" / "fonts").glob("KaTeX_Main-Regular.woff2"))
    # The build renders the math: no KaTeX script is served or loaded.
    assert not list((site / "assets" / "katex").rglob("*.js"))
    for page in pages(site):
        parser = Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        scripts = [u for u in parser.loaded if u.endswith(".js") and "katex" in u]
        assert not scripts, f"{page.relative_to(site)} loads {scripts}"


def test_math_is_rendered_at_build_time(site: Path) -> None:
    """Every formula is KaTeX's HTML and MathML (for screen readers), no TeX left to typeset."""
    total = 0
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        opened = re.findall(r'<(?:span|div) class="arithmatex"[^>]*>(.{0,60})', html, re.S)
        total += len(opened)
        raw = [o for o in opened if not o.startswith('<span class="katex')]
        assert not raw, f"{page.relative_to(site)}: formulas not rendered: {raw[:3]}"
        assert html.count('<span class="katex-mathml">') == len(opened), page
        assert "\\(" not in re.sub(r"<(pre|code|annotation)[^>]*>.*?</\1>", "", html, flags=re.S)
    assert total > 500, f"only {total} formulas on the whole site"


class LinksAndIds(HTMLParser):
    """Collects the ids a page defines and the links it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"] or "")
        if tag == "a" and a.get("href") is not None:
            self.links.append(a["href"] or "")


def parse(page: Path) -> LinksAndIds:
    parser = LinksAndIds()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def resolve(site: Path, page: Path, href: str) -> tuple[Path, str]:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(href)
    base = page.parent
    target = (base / unquote(parts.path)).resolve() if parts.path else page
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    parsed = {page.resolve(): parse(page) for page in pages(site)}
    broken: list[str] = []
    for page, found in parsed.items():
        for href in found.links:
            if re.match(r"^([a-z][a-z0-9+.-]*:|//)", href):  # http:, mailto:, data:, ...
                continue
            target, fragment = resolve(site, page, href)
            where = f"{page.relative_to(site.resolve())} → {href}"
            if not target.exists():
                broken.append(f"{where}: no such file")
            elif fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if fragment not in ids:
                    broken.append(f"{where}: no anchor #{fragment}")
    assert not broken, "broken links:\n" + "\n".join(broken[:30])


PAGE_WEIGHT_LIMIT = 3_000_000


def page_weight(site: Path, page: Path) -> int:
    """Bytes a reader's browser fetches for a page: its HTML and every local asset it loads.

    Inline figures are inside the HTML. Assets shared by every page (theme, KaTeX) count too,
    so this is an upper bound on a first visit. Each figure has a light and a dark file, of
    which the browser fetches the one of the reader's palette: the light one is counted
    (the two are the same drawing in two inks).
    """
    from urllib.parse import urlsplit

    parser = Resources()
    parser.feed(page.read_text(encoding="utf-8"))
    total = page.stat().st_size
    for url in set(parser.loaded) - (parser.dark - parser.not_dark):
        if url.startswith("data:"):
            continue
        path = (page.parent / urlsplit(url).path).resolve()
        if path.is_file():
            total += path.stat().st_size
    katex_fonts = site / "assets" / "katex" / "fonts"
    if "arithmatex" in page.read_text(encoding="utf-8"):
        # The fonts a page with formulas needs (fetched by KaTeX's CSS, not by the HTML).
        total += sum(f.stat().st_size for f in katex_fonts.glob("KaTeX_Main-*.woff2"))
        total += sum(f.stat().st_size for f in katex_fonts.glob("KaTeX_Math-*.woff2"))
    return total


def test_page_weight_is_below_limit(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = {p.relative_to(site).as_posix(): page_weight(site, p) for p in pages(site)}
    with capsys.disabled():
        print("\npage weight (HTML + inline figures + local assets):")
        for name, size in sorted(weights.items(), key=lambda kv: -kv[1])[:12]:
            print(f"  {size / 1e6:6.2f} MB  {name}")
    heavy = {name: size for name, size in weights.items() if size > PAGE_WEIGHT_LIMIT}
    assert not heavy, f"pages above {PAGE_WEIGHT_LIMIT / 1e6:.0f} MB: {heavy}"


@pytest.mark.parametrize("topic", TOPICS)
def test_topic_page_offers_notebook_and_script(site: Path, topic: str) -> None:
    import json

    html = (site / topic / "index.html").read_text(encoding="utf-8")
    assert f'href="../downloads/{topic}.ipynb"' in html
    assert f'href="../downloads/{topic}.py"' in html
    notebook = json.loads((site / "downloads" / f"{topic}.ipynb").read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    assert sum(c["cell_type"] == "code" for c in notebook["cells"]) >= 2
    compile((site / "downloads" / f"{topic}.py").read_text(encoding="utf-8"), topic, "exec")


def test_footer_states_versions_without_a_date(site: Path) -> None:
    import torch

    html = (site / "index.html").read_text(encoding="utf-8")
    assert f"torch {torch.__version__}" in html
    assert not re.search(r"20\d\d-\d\d-\d\d", html.split("md-footer")[-1])
