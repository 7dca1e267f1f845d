"""The built site in a real browser: Debian's chromium driven by playwright.

Served on 127.0.0.1; every request is routed, and any to another host fails the test.
For each page: no console error, no failed request, formulas rendered by KaTeX at build
time (no KaTeX script in the page), figures
visible with alt text, no traceback; the palette toggle goes to dark and back with the
figures still visible; full-page screenshots (light and dark) land in build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .test_site import SITE, TOPICS, pages

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("DLBASICS_CHROMIUM", "/usr/bin/chromium")

pytestmark = [pytest.mark.site, pytest.mark.browser]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not (SITE / "index.html").exists():
        message = f"no built site in {SITE}: run `make build` first"
        if os.environ.get("DLBASICS_REQUIRE_SITE"):
            pytest.fail(message)
        pytest.skip(message)
    handler = functools.partial(QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(
            f"browser tests skipped: Debian's chromium not found at {CHROMIUM} "
            "(`apt-get install chromium`; `make test` installs it when run as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


class Visit:
    """One page in a fresh context, with every request and console error recorded."""

    def __init__(self, browser: Any, server: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.foreign: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        host = urlsplit(server).netloc
        self.context.route("**/*", self._route(host))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))

    def _route(self, host: str) -> Any:
        def handle(route: Any) -> None:
            url = route.request.url
            if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == host:
                route.continue_()
            else:
                self.foreign.append(url)
                route.abort()

        return handle

    def close(self) -> None:
        self.context.close()


def published_url() -> str:
    """The site's published address (`site_url` in mkdocs.yml), ending in a slash."""
    for line in (ROOT / "mkdocs.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("site_url:"):
            return line.split(":", 1)[1].strip().rstrip("/") + "/"
    raise AssertionError("mkdocs.yml has no site_url")


class PublishedVisit(Visit):
    """A visit at the site's published address, answered from the built site: the page's URL,
    and the sitemap's, are those of the published site, as Material's instant navigation
    needs (it follows a link only when the link's URL is in the sitemap, and it matches
    sitemap entries on scheme, host and path, not on a local server's port)."""

    def __init__(self, browser: Any) -> None:
        self.base = published_url()
        super().__init__(browser, self.base)

    def _route(self, host: str) -> Any:
        def handle(route: Any) -> None:
            url = route.request.url
            if url.startswith(("data:", "blob:")):
                route.continue_()
                return
            if not url.startswith(self.base):
                self.foreign.append(url)
                route.abort()
                return
            path = urlsplit(url).path[len(urlsplit(self.base).path) :]
            file = SITE / path
            if path == "" or path.endswith("/"):
                file = file / "index.html"
            if file.is_file():
                route.fulfill(path=str(file))
            else:
                route.fulfill(status=404, path=str(SITE / "404.html"))

        return handle


def page_names() -> list[str]:
    if not (SITE / "index.html").exists():
        return ["index.html"]
    return [p.relative_to(SITE).as_posix() for p in pages(SITE)]


def figures_visible(page: Any) -> list[str]:
    """Every figure shows exactly one image or SVG, the one of the current palette, with alt
    text and a size; images load once scrolled to (they are lazy)."""
    problems = page.evaluate(
        """async () => {
          const dark = document.body.getAttribute('data-md-color-scheme') === 'slate';
          const out = [];
          // a figure that a prediction exercise hides until the guess: checked as shown
          const hidden = [...document.querySelectorAll('.dlb-exercise-reveal[hidden]')];
          hidden.forEach(r => { r.hidden = false; });
          const figures = [...document.querySelectorAll('.dlb-figure')];
          for (const [i, figure] of figures.entries()) {
            // an explorable shows its current frame inside its own box; a figure may link to a
            // larger copy of itself
            const media = [...figure.querySelectorAll(
              ':scope > svg, :scope > img, :scope > .dlb-explorable > img, :scope > a > img')];
            const shown = media.filter(el => getComputedStyle(el).display !== 'none');
            if (shown.length !== 1) {
              out.push(`figure ${i} shows ${shown.length} images`);
              continue;
            }
            const el = shown[0];
            const palette = el.classList.contains('dlb-dark') ? 'dark'
              : el.classList.contains('dlb-light') ? 'light' : 'any';
            if (palette !== 'any' && (palette === 'dark') !== dark)
              out.push(`figure ${i} shows its ${palette} version on the other palette`);
            const alt = el.getAttribute(el.tagName === 'IMG' ? 'alt' : 'aria-label');
            if (!alt || !alt.trim()) out.push(`figure ${i} has no alt text`);
            if (el.tagName === 'IMG') {
              el.scrollIntoView();
              const loaded = await Promise.race([
                el.decode().then(() => true, () => false),
                new Promise(r => setTimeout(() => r(false), 5000)),
              ]);
              if (!loaded || !(el.naturalWidth > 0)) out.push(`image ${i} did not load`);
            }
            const r = el.getBoundingClientRect();
            const s = getComputedStyle(el);
            if (!(r.width > 0 && r.height > 0)) out.push(`figure ${i} has zero size`);
            if (s.visibility === 'hidden' || s.opacity === '0') out.push(`figure ${i} is hidden`);
          }
          hidden.forEach(r => { r.hidden = true; });
          window.scrollTo(0, 0);
          return out;
        }"""
    )
    return list(problems)


# The article's text without code listings (whose source may contain LaTeX strings).
PROSE_TEXT = """() => {
    const article = document.querySelector('article').cloneNode(true);
    article.querySelectorAll('pre, code, .highlight').forEach(e => e.remove());
    return article.innerText;
}"""


def scheme(page: Any) -> str:
    return str(page.evaluate("document.body.getAttribute('data-md-color-scheme')"))


def click_palette_until(page: Any, wanted: str) -> None:
    for _ in range(4):
        if scheme(page) == wanted:
            return
        page.locator("form[data-md-component=palette] label:visible").first.click()
        page.wait_for_timeout(150)
    assert scheme(page) == wanted, f"palette toggle never reached {wanted}"


@pytest.mark.parametrize("name", page_names())
def test_page_in_browser(browser: Any, server: str, name: str) -> None:
    visit = Visit(browser, server)
    try:
        page = visit.page
        page.emulate_media(color_scheme="light")
        page.goto(f"{server}/{name}", wait_until="networkidle")
        assert not visit.foreign, f"requests to other hosts: {visit.foreign}"
        assert not visit.failed, f"failed requests: {visit.failed}"
        assert not visit.errors, f"console errors: {visit.errors}"

        unrendered = page.evaluate(
            "document.querySelectorAll('.arithmatex:not(:has(.katex-mathml + .katex-html))').length"
        )
        assert unrendered == 0, f"{unrendered} formulas not rendered by KaTeX"
        # Rendered by the build: the reader's browser loads no KaTeX script.
        assert page.evaluate("window.katex === undefined && !window.renderMathInElement")
        prose = page.evaluate(PROSE_TEXT)
        assert "\\(" not in prose and "\\[" not in prose, "raw LaTeX left in the text"
        # The table of contents shows headings as plain text, so math there stays raw.
        toc = page.evaluate("document.querySelector('.md-sidebar--secondary')?.textContent ?? ''")
        assert "\\(" not in toc and "\\[" not in toc, "raw LaTeX in the table of contents"
        text = page.inner_text("article")
        assert "Traceback" not in text
        assert figures_visible(page) == []
        missing_alt = page.evaluate(
            "[...document.querySelectorAll('article img')].filter(i => !i.alt).length"
        )
        assert missing_alt == 0, "images without alt text"

        stem = name.removesuffix("index.html").strip("/").replace("/", "-") or "home"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{stem}-light.png"), full_page=True)
        click_palette_until(page, "slate")
        assert figures_visible(page) == []
        page.screenshot(path=str(SCREENSHOTS / f"{stem}-dark.png"), full_page=True)
        click_palette_until(page, "default")
        assert not visit.errors, f"console errors after toggling: {visit.errors}"
    finally:
        visit.close()


@pytest.mark.parametrize(
    ("query", "topic"), [("gram matrix", "transfer-learning"), ("momentum", "optimizers")]
)
def test_search_finds_topic(browser: Any, server: str, query: str, topic: str) -> None:
    assert topic in TOPICS
    visit = Visit(browser, server)
    try:
        page = visit.page
        page.goto(f"{server}/", wait_until="networkidle")
        search = page.locator("input.md-search__input")
        search.click()
        search.press_sequentially(query, delay=40)  # Material listens to key events
        page.wait_for_selector(".md-search-result__item a", timeout=15_000)
        hrefs = page.eval_on_selector_all(
            ".md-search-result__item a", "els => els.map(e => e.getAttribute('href'))"
        )
        assert any(f"{topic}/" in h for h in hrefs), f"{query!r} → {hrefs[:8]}"
        assert not visit.foreign and not visit.errors
    finally:
        visit.close()
