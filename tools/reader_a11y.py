"""Accessibility fixes to the HTML Material's templates produce, applied by the hooks to
every page (`on_post_page`); what Material's JavaScript adds at run time is fixed by
`docs/javascripts/a11y.js`, the colours by `docs/stylesheets/extra.css`.

A fix whose markup is not found fails the build: a theme upgrade that changes it must not
silently bring the problem back.
"""

from __future__ import annotations

SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
#: The search dialog gets an accessible name (axe-core: aria-dialog-name).
SEARCH_DIALOG_NAMED = SEARCH_DIALOG[:-1] + ' aria-label="Search">'


#: A display formula may be wider than the column and scroll in its box: it starts in the tab
#: order, so that the keyboard can scroll it; docs/javascripts/a11y.js takes it out again
#: once laid out if it does not scroll (axe-core: scrollable-region-focusable).
DISPLAY_MATH = '<div class="arithmatex">'
DISPLAY_MATH_FOCUSABLE = '<div class="arithmatex" tabindex="0" data-dlb-scroll-focus>'


class MarkupChanged(Exception):
    """The theme's markup is not what a fix expects."""


def fix_page(html: str, page: str) -> str:
    html = html.replace(DISPLAY_MATH, DISPLAY_MATH_FOCUSABLE)
    if SEARCH_DIALOG_NAMED in html:
        return html
    if html.count(SEARCH_DIALOG) != 1:
        raise MarkupChanged(f"{page}: Material's search dialog markup changed: {SEARCH_DIALOG}")
    return html.replace(SEARCH_DIALOG, SEARCH_DIALOG_NAMED)
