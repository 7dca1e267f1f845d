"""Math rendered to HTML at build time with KaTeX (the npm package `katex`).

pymdownx.arithmatex (`generic: true`) leaves every formula in the page as TeX:
`<span class="arithmatex">\\(...\\)</span>` inline, `<div class="arithmatex">\\[...\\]</div>`
displayed. The hooks call, in build order:

1. `collect(html, page)` for each page's converted content, once all pages are converted
   (`on_env`): notes the formulas the page has and which of them the cache lacks;
2. `render_missing()` right after (`on_env`): one Node process
   (`katex_render.mjs`) renders every missing formula of the build, and the cache is written;
   a formula KaTeX cannot parse raises `MathError`, naming the pages and the formula;
3. `substitute(html, page)` on each page's final HTML (`on_post_page`, after the search
   plugin indexed the page, so the index keeps the short TeX): each formula becomes KaTeX's
   `htmlAndMathml` output (MathML for screen readers, HTML for the eye) inside the same
   arithmatex element.

The cache is one JSON file, keyed by a hash of KaTeX's version, the options, display mode
and the TeX; KaTeX's output is a pure function of these, so a cached formula gives the same
bytes as a fresh one. Writes are atomic (a concurrent build sees the old or the new file).
"""

from __future__ import annotations

import hashlib
import html as htmllib
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().with_suffix(".mjs")
KATEX_PACKAGE = ROOT / "node_modules" / "katex" / "package.json"
#: KaTeX's options; a warning (`strict`) is an error, as every warning in a strict build.
OPTIONS = {"output": "htmlAndMathml", "throwOnError": True, "strict": "error"}

FORMULA = re.compile(
    r'(?P<open><span class="arithmatex">)\\\((?P<inline>.*?)\\\)(?P<iclose></span>)'
    r'|(?P<dopen><div class="arithmatex">)\\\[(?P<display>.*?)\\\](?P<dclose></div>)',
    re.S,
)


#: The fonts of nearly every formula: preloaded, so that they arrive with the stylesheets
#: and the formulas are laid out once, in their font (no shift when the font comes late).
PRELOADED_FONTS = ("KaTeX_Main-Regular.woff2", "KaTeX_Math-Italic.woff2")


def preload_fonts(html: str, katex_url: str) -> str:
    """`html` with `<link rel="preload">` for KaTeX's main fonts if it has a formula;
    `katex_url` is the URL of KaTeX's folder relative to the page (`../assets/katex`)."""
    if '<span class="katex">' not in html:
        return html
    links = "".join(
        f'<link rel="preload" href="{katex_url}/fonts/{font}" as="font" type="font/woff2"'
        " crossorigin>"
        for font in PRELOADED_FONTS
    )
    head = html.find('<link rel="stylesheet"')
    if head < 0:
        raise MathError("no stylesheet link in the page's head to put the font preloads before")
    return html[:head] + links + "\n    " + html[head:]


class MathError(Exception):
    """A formula KaTeX cannot render, or one the build did not render."""


def katex_version() -> str:
    return str(json.loads(KATEX_PACKAGE.read_text(encoding="utf-8"))["version"])


def formulas(html: str) -> list[tuple[str, bool]]:
    """The (TeX, displayed) pairs of the formulas in `html`, in order."""
    out = []
    for match in FORMULA.finditer(html):
        display = match.group("display") is not None
        tex = match.group("display") if display else match.group("inline")
        out.append((htmllib.unescape(tex).strip(), display))
    return out


class Renderer:
    def __init__(self, cache_file: Path) -> None:
        self.cache_file = cache_file
        self.version = katex_version()
        self.cache: dict[str, str] = self._load()
        self.missing: dict[str, tuple[str, bool]] = {}  # key → (tex, display)
        self.pages: dict[str, set[str]] = {}  # key → pages that use it
        self.rendered_by_node = 0

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return dict(data) if isinstance(data, dict) else {}

    def key(self, tex: str, display: bool) -> str:
        blob = json.dumps([self.version, OPTIONS, display, tex], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def collect(self, html: str, page: str) -> None:
        for tex, display in formulas(html):
            key = self.key(tex, display)
            self.pages.setdefault(key, set()).add(page)
            if key not in self.cache:
                self.missing[key] = (tex, display)

    def render_missing(self) -> int:
        """Render every collected formula the cache lacks, in one Node process; return how
        many. Raise `MathError` for the formulas KaTeX rejects, naming their pages."""
        if not self.missing:
            return 0
        keys = sorted(self.missing)
        request = {
            "options": OPTIONS,
            "formulas": [{"tex": self.missing[k][0], "display": self.missing[k][1]} for k in keys],
        }
        try:
            done = subprocess.run(
                ["node", str(SCRIPT)],
                input=json.dumps(request),
                capture_output=True,
                text=True,
                encoding="utf-8",
                cwd=ROOT,
                check=False,
            )
        except OSError as error:
            raise MathError(f"could not run Node.js to render the formulas: {error}") from error
        if done.returncode != 0:
            raise MathError(f"{SCRIPT.name} failed: {done.stderr.strip()}")
        results = json.loads(done.stdout)
        errors = []
        for key, result in zip(keys, results, strict=True):
            if "error" in result:
                tex = self.missing[key][0]
                where = ", ".join(sorted(self.pages.get(key, ())))
                errors.append(f"{where}: {result['error']}\n    in the formula: {tex}")
            else:
                self.cache[key] = result["html"]
        done_keys = [k for k in keys if k in self.cache]
        self.rendered_by_node += len(done_keys)
        self.missing = {k: v for k, v in self.missing.items() if k not in self.cache}
        if done_keys:
            self._save()
        if errors:
            raise MathError("KaTeX cannot render:\n  " + "\n  ".join(errors))
        return len(done_keys)

    def _save(self) -> None:
        data = {**self._load(), **self.cache}  # keep what a concurrent build added
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache_file.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, sort_keys=True, ensure_ascii=False)
            os.replace(tmp, self.cache_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def substitute(self, html: str, page: str) -> str:
        """`html` with every formula rendered (from the cache `render_missing` filled)."""

        def rendered(match: re.Match[str]) -> str:
            display = match.group("display") is not None
            tex = htmllib.unescape(match.group("display" if display else "inline")).strip()
            key = self.key(tex, display)
            if key not in self.cache:
                raise MathError(f"{page}: a formula was not rendered: {tex}")
            if display:
                return f"{match.group('dopen')}{self.cache[key]}{match.group('dclose')}"
            return f"{match.group('open')}{self.cache[key]}{match.group('iclose')}"

        out = FORMULA.sub(rendered, html)
        left = len(re.findall(r'class="arithmatex">(?!<span class="katex)', out))
        if left:
            raise MathError(f"{page}: {left} formulas in a form the build does not render")
        return out
