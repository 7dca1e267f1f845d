// Render the formulas that pymdownx.arithmatex wraps in `.arithmatex` elements.
// `document$` is Material's observable: it fires on the first load and after every
// instant-navigation page switch, so formulas render on pages reached without a reload.
document$.subscribe(({ body }) => {
  for (const element of body.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: true,
    });
  }
});
