// Accessibility fixes to what Material's JavaScript adds to a page, and to what only the
// browser knows (the build fixes the HTML: tools/reader_a11y.py). Both run whenever nodes
// are added: on the first load, when Material mounts a block later, after instant navigation.
//
// - Material puts a <nav class="md-code__nav"> with the copy button into every code block;
//   unnamed, these are many identical navigation landmarks (axe-core: landmark-unique).
//   They are the toolbar of one block, not site navigation: they lose the landmark role.
// - A display formula or a table wider than the column scrolls in its own box; a box that
//   scrolls takes the keyboard focus, so that it can be scrolled without a pointer
//   (axe-core: scrollable-region-focusable). Whether it scrolls depends on the width and on
//   the fonts, so it is decided again whenever the box or its content changes size (a
//   ResizeObserver) and when fonts finish loading.
(() => {
  const CODE_NAV = "nav.md-code__nav:not([role])";
  const SCROLLER = ".md-typeset div.arithmatex, .md-typeset .md-typeset__scrollwrap";
  const MARK = "dlbScrolls"; // data-dlb-scrolls: the tabindex is ours
  const boxes = new Set();

  const check = (box) => {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.tabIndex = 0;
      box.dataset[MARK] = "";
    } else if (!scrolls && MARK in box.dataset) {
      box.removeAttribute("tabindex");
      delete box.dataset[MARK];
    }
  };
  const sized = new ResizeObserver((entries) => {
    for (const { target } of entries) {
      const box = target.matches(SCROLLER) ? target : target.parentElement;
      if (box) check(box);
    }
  });
  document.fonts.addEventListener("loadingdone", () => {
    for (const box of boxes) box.isConnected ? check(box) : boxes.delete(box);
  });

  const fix = (node) => {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const all = (selector) => [
      ...(node.matches(selector) ? [node] : []),
      ...node.querySelectorAll(selector),
    ];
    for (const nav of all(CODE_NAV)) nav.setAttribute("role", "none");
    for (const box of all(SCROLLER)) {
      boxes.add(box);
      sized.observe(box);
      if (box.firstElementChild) sized.observe(box.firstElementChild);
    }
  };

  new MutationObserver((records) => {
    for (const record of records) record.addedNodes.forEach(fix);
  }).observe(document.documentElement, { childList: true, subtree: true });
  fix(document.documentElement);
})();
