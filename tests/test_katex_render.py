"""tools/katex_render.py: formulas rendered at build time by KaTeX in one Node process."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import katex_render  # noqa: E402  (a build helper, not an installed module)

if shutil.which("node") is None or not katex_render.KATEX_PACKAGE.exists():
    pytest.skip("needs Node.js and `make setup` (npm ci installs KaTeX)", allow_module_level=True)

PAGE = (
    '<p>Inline <span class="arithmatex">\\(\\alpha &gt; 0\\)</span> and '
    '<span class="arithmatex">\\(a &lt; b\\)</span>, then</p>\n'
    '<div class="arithmatex">\\[\nx_{t+1} = x_t - \\eta\\,\\nabla f(x_t)\n\\]</div>'
)


def render(html: str, cache: Path, page: str = "page.md") -> tuple[str, katex_render.Renderer]:
    renderer = katex_render.Renderer(cache)
    renderer.collect(html, page)
    renderer.render_missing()
    return renderer.substitute(html, page), renderer


def test_formulas_are_read_unescaped_with_their_mode() -> None:
    assert katex_render.formulas(PAGE) == [
        ("\\alpha > 0", False),
        ("a < b", False),
        ("x_{t+1} = x_t - \\eta\\,\\nabla f(x_t)", True),
    ]


def test_every_formula_becomes_html_and_mathml(tmp_path: Path) -> None:
    out, renderer = render(PAGE, tmp_path / "math.json")
    assert renderer.rendered_by_node == 3
    assert "\\(" not in out and "\\[" not in out
    assert out.count('<span class="katex-mathml">') == 3  # for screen readers
    assert out.count('<span class="katex-html" aria-hidden="true">') == 3
    assert out.count('<span class="katex-display">') == 1
    assert '<div class="arithmatex"><span class="katex-display">' in out
    # The TeX survives as MathML's annotation, escaped once.
    assert '<annotation encoding="application/x-tex">\\alpha &gt; 0</annotation>' in out
    assert out.startswith("<p>Inline ") and out.endswith("</div>")


def test_the_cache_gives_the_same_bytes_without_running_node(tmp_path: Path) -> None:
    cache = tmp_path / "math.json"
    first, _ = render(PAGE, cache)
    stored = json.loads(cache.read_text(encoding="utf-8"))
    assert len(stored) == 3
    second, renderer = render(PAGE, cache)
    assert renderer.rendered_by_node == 0
    assert second == first
    # A new formula is rendered alone; the cache keeps the others.
    more = PAGE + '<span class="arithmatex">\\(e^{i\\pi}\\)</span>'
    _, renderer = render(more, cache)
    assert renderer.rendered_by_node == 1
    assert len(json.loads(cache.read_text(encoding="utf-8"))) == 4


def test_a_formula_katex_cannot_parse_names_the_page_and_the_formula(tmp_path: Path) -> None:
    bad = PAGE + '<span class="arithmatex">\\(\\frac{1}{\\)</span>'
    renderer = katex_render.Renderer(tmp_path / "math.json")
    renderer.collect(bad, "optimizers.md")
    renderer.collect('<span class="arithmatex">\\(\\frac{1}{\\)</span>', "notation.md")
    with pytest.raises(katex_render.MathError) as error:
        renderer.render_missing()
    message = str(error.value)
    assert "notation.md, optimizers.md" in message
    assert "\\frac{1}{" in message
    assert "KaTeX parse error" in message
    # The good formulas of the batch were rendered and cached; the bad one was not.
    assert len(json.loads((tmp_path / "math.json").read_text(encoding="utf-8"))) == 3
    with pytest.raises(katex_render.MathError, match="not rendered"):
        renderer.substitute(bad, "optimizers.md")


def test_a_katex_warning_fails_too(tmp_path: Path) -> None:
    """Strict: what KaTeX only warns about (here, Unicode text in math mode) is an error."""
    renderer = katex_render.Renderer(tmp_path / "math.json")
    renderer.collect('<span class="arithmatex">\\(é\\)</span>', "p.md")
    with pytest.raises(katex_render.MathError, match=r"p\.md"):
        renderer.render_missing()


def test_a_formula_the_build_cannot_read_is_an_error(tmp_path: Path) -> None:
    renderer = katex_render.Renderer(tmp_path / "math.json")
    odd = '<div class="arithmatex">\\begin{align}x\\end{align}</div>'
    renderer.collect(odd, "p.md")
    assert renderer.render_missing() == 0
    with pytest.raises(katex_render.MathError, match="does not render"):
        renderer.substitute(odd, "p.md")


def test_pages_with_formulas_preload_the_main_fonts_before_the_stylesheets() -> None:
    head = '<head><link rel="stylesheet" href="a.css"></head>'
    page = head + '<span class="katex">x</span>'
    out = katex_render.preload_fonts(page, "../assets/katex")
    first_preload = out.index('rel="preload"')
    assert first_preload < out.index('rel="stylesheet"')
    for font in katex_render.PRELOADED_FONTS:
        assert f'href="../assets/katex/fonts/{font}" as="font"' in out
        assert (katex_render.KATEX_PACKAGE.parent / "dist" / "fonts" / font).exists()
    assert katex_render.preload_fonts(head, "../assets/katex") == head  # no formula
