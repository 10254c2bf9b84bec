// Warm-load timing of a notebook page: a ~25 KB notebook opened once (to
// fill the cache), then reloaded --runs times. Prints JSON with the median
// of each mark, in ms from navigation start:
//
//   first_paint       the browser's first paint (the page shell)
//   first_cell        the first cell's source text is in the page (a
//                     preview or the real cell)
//   editor_ready      the first real cell (data-testid="cell") is in the page
//   cell_after_paint  first_cell - first_paint
//
// Usage: node bench-warmload.mjs [--runs 7] [--cells 60]
// Needs QUIRE_BIN (default ../../bin/quire) and CHROMIUM (/usr/bin/chromium).
import { parseArgs } from "node:util";
import { code, launchBrowser, login, markdown, newPage, notebook, notebookUrl, result, startServer, stream, writeNotebook } from "./harness.mjs";

const { values: opt } = parseArgs({ options: { runs: { type: "string", default: "7" }, cells: { type: "string", default: "60" } } });
const RUNS = Math.max(1, parseInt(opt.runs, 10));
const N = Math.max(2, parseInt(opt.cells, 10));

const cells = [];
for (let i = 0; i < N; i++) {
  if (i % 6 === 5) cells.push(markdown(`## Step ${i}\n\nSome prose about step ${i}: what it computes and why, with *emphasis*.`));
  else if (i % 4 === 1) cells.push(code(`for k in range(3):\n    print("row", ${i}, k)  # a comment`, [stream(`row ${i} 0\nrow ${i} 1\nrow ${i} 2\n`)], i));
  else cells.push(code(`def f${i}(x):\n    return x * ${i} + 1\n\nf${i}(${i})`, [result({ "text/plain": String(i * i + 1) }, i)], i));
}
const server = await startServer({ name: "bench-warmload", setup: (root) => writeNotebook(root, "warm.ipynb", notebook(cells)) });
const browser = await launchBrowser();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const { page } = await newPage(browser);
  await login(page, server);
  // Marks first_cell and editor_ready from a MutationObserver set up before the page's scripts.
  await page.addInitScript(() => {
    const w = window;
    w.__marks = {};
    new MutationObserver(() => {
      const m = w.__marks;
      if (m.first_cell === undefined && document.querySelector(".nb-cell pre, .nb-cell .nb-md, .nb-cell .cm-content")) m.first_cell = performance.now();
      if (m.editor_ready === undefined && document.querySelector('[data-testid="cell"]')) m.editor_ready = performance.now();
    }).observe(document, { childList: true, subtree: true });
  });
  const url = notebookUrl(server, "warm.ipynb");
  await page.goto(url);
  await page.waitForSelector('[data-testid="cell"]');
  const size = (await (await fetch(server.url + "api/contents/warm.ipynb?content=1", { headers: { Cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ") } })).text()).length;
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    await page.goto(url);
    await page.waitForSelector('[data-testid="cell"]');
    await page.waitForFunction(() => window.__marks.editor_ready !== undefined && window.__marks.first_cell !== undefined);
    const m = await page.evaluate(() => {
      const fp = performance.getEntriesByType("paint").find((e) => e.name === "first-paint");
      return { first_paint: fp ? fp.startTime : NaN, ...window.__marks };
    });
    runs.push(m);
  }
  const out = { cells: N, notebook_bytes: size, runs: RUNS };
  for (const k of ["first_paint", "first_cell", "editor_ready"]) out[k + "_ms"] = Math.round(median(runs.map((m) => m[k])));
  out.cell_after_paint_ms = Math.round(median(runs.map((m) => m.first_cell - m.first_paint)));
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  await server.stop();
}
