// Accessibility fixes to what Material's JavaScript adds to a page, and to what only the
// browser knows (the build fixes the HTML: tools/reader_a11y.py). They run whenever nodes
// are added: on the first load, when Material mounts a block later, after instant navigation.
//
// - Material puts a <nav class="md-code__nav"> with the copy button into every code block;
//   unnamed, these are many identical navigation landmarks (axe-core: landmark-unique).
//   They are the toolbar of one block, not site navigation: they lose the landmark role.
// - A display formula or a table wider than the column scrolls in its own box; a box that
//   scrolls is in the keyboard's tab order, so that it can be scrolled without a pointer
//   (axe-core: scrollable-region-focusable). Every such box starts in the tab order (the
//   build gives display formulas tabindex="0"; Material wraps tables at load); once laid
//   out, a box that does not scroll leaves it (tabindex="-1"). Whether it scrolls depends
//   on the width and the fonts, so it is decided again when the box or its content changes
//   size (a ResizeObserver), when it is first shown (it may be skipped by
//   content-visibility until then) and when fonts finish loading.
(() => {
  const CODE_NAV = "nav.md-code__nav:not([role])";
  const SCROLLER = ".md-typeset div.arithmatex, .md-typeset .md-typeset__scrollwrap";
  const MANAGED = "data-dlb-scroll-focus";
  const boxes = new Set();

  const check = (box) => {
    // Not ours, or its content not laid out (skipped, by the box or a block around it):
    // decided when shown.
    const content = box.firstElementChild;
    if (!box.hasAttribute(MANAGED) || !content?.checkVisibility({ contentVisibilityAuto: true }))
      return;
    box.tabIndex = box.scrollWidth > box.clientWidth + 1 ? 0 : -1;
  };
  const sized = new ResizeObserver((entries) => {
    for (const { target } of entries) {
      const box = target.matches(SCROLLER) ? target : target.parentElement;
      if (box) check(box);
    }
  });
  const checkAll = () => {
    for (const box of boxes) box.isConnected ? check(box) : boxes.delete(box);
  };
  document.fonts.addEventListener("loadingdone", checkAll);
  document.addEventListener(
    "contentvisibilityautostatechange",
    (event) => {
      if (event.skipped) return;
      const block = event.target;
      requestAnimationFrame(() => {
        for (const box of boxes) if (block.contains(box)) check(box);
      });
    },
    true,
  );

  const fix = (node) => {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const all = (selector) => [
      ...(node.matches(selector) ? [node] : []),
      ...node.querySelectorAll(selector),
    ];
    for (const nav of all(CODE_NAV)) nav.setAttribute("role", "none");
    for (const box of all(SCROLLER)) {
      if (boxes.has(box)) continue;
      if (!box.hasAttribute("tabindex")) {
        box.tabIndex = 0;
        box.setAttribute(MANAGED, "");
      }
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
