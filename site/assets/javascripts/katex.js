// Render the math pymdownx.arithmatex marks (generic mode: \( \) inline, \[ \] display)
// with the KaTeX shipped in assets/katex: no CDN, so the site renders math opened from disk.
function renderMath() {
  renderMathInElement(document.body, {
    delimiters: [
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
    ],
    throwOnError: false,
  });
}
if (typeof document$ !== "undefined") {
  document$.subscribe(renderMath); // Material's instant navigation
} else {
  document.addEventListener("DOMContentLoaded", renderMath);
}
