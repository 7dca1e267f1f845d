// Render a batch of TeX formulas to HTML with KaTeX, for tools/katex_render.py.
//
// stdin:  {"options": {...}, "formulas": [{"tex": "...", "display": true|false}, ...]}
// stdout: [{"html": "..."} | {"error": "..."}, ...], one entry per formula, in order.
// One process renders every formula the build is missing (never one process per formula).
import katex from "katex";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { options, formulas } = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const results = formulas.map(({ tex, display }) => {
  try {
    return { html: katex.renderToString(tex, { ...options, displayMode: display }) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
});
process.stdout.write(JSON.stringify(results));
