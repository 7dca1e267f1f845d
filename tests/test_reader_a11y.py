"""tools/reader_a11y.py: the fixes the build applies to Material's HTML."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import reader_a11y  # a build helper, not an installed module

PAGE = (
    '<div class="md-search" data-md-component="search" role="dialog">…</div>'
    '<div class="arithmatex"><span class="katex-display">x</span></div>'
    '<div class="arithmatex"><span class="katex-display">y</span></div>'
)


def test_the_search_dialog_gets_a_name_once() -> None:
    out = reader_a11y.fix_page(PAGE, "p.md")
    assert out.count('role="dialog" aria-label="Search">') == 1
    assert reader_a11y.fix_page(out, "p.md") == out  # applied twice: unchanged


def test_display_formulas_start_in_the_tab_order_marked_as_managed() -> None:
    out = reader_a11y.fix_page(PAGE, "p.md")
    assert out.count('<div class="arithmatex" tabindex="0" data-dlb-scroll-focus>') == 2
    assert '<div class="arithmatex">' not in out


def test_changed_theme_markup_fails_loudly() -> None:
    with pytest.raises(reader_a11y.MarkupChanged, match="search dialog"):
        reader_a11y.fix_page('<div class="md-search" role="dialog">', "p.md")
